"""Hostile input that is read: pathological narrative, symlinked reports, odd values.

Each test is one attack or accident from issue 9, reproduced on the command line
first; the bounds are generous safety limits, not performance assertions.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from generator import narrative
from generator.cli import main
from generator.errors import printable
from generator.validate import check_file

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "reports" / "shangqiu-gxj" / "2021.yaml"
TWO_MB = 2_000_000
MINIMAL = """\
agency: 测试局
year: 2022
overview:
  summary: 本年度工作情况如下。
problems:
  text: 无
other_matters:
  text: 无
"""
PATHOLOGICAL = ["[", "<strong>", "[a](x", "[[]", "**a", "<http://a", "{{", "\\*"]


@pytest.mark.parametrize("pattern", PATHOLOGICAL)
def test_pathological_narrative_parses_in_linear_time(pattern: str) -> None:
    started = time.perf_counter()
    narrative.parse(pattern * (TWO_MB // len(pattern)))
    assert time.perf_counter() - started < 30  # was 120 s for 80 KB of "["


@pytest.mark.parametrize("pattern", ["[", "<strong>"])
def test_pathological_narrative_parses_in_bounded_memory(pattern: str) -> None:
    text = pattern * (TWO_MB // len(pattern))
    tracemalloc.start()
    try:
        narrative.parse(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20  # was 447 MB for "<strong>"


@pytest.mark.parametrize("pattern", ["[", "<strong>", "[a](x", "{{", "{%a"])
def test_a_report_of_unclosed_markup_validates_in_bounded_time(
    pattern: str, write_report: Callable[..., Path]
) -> None:
    body = pattern * (TWO_MB // len(pattern.encode()))
    path = write_report(MINIMAL.replace("本年度工作情况如下。", json.dumps(body)))
    started = time.perf_counter()
    check_file(path)
    assert time.perf_counter() - started < 60  # "<strong>": 92 s; "[a](x": never ended


def test_a_link_before_unclosed_brackets_still_parses() -> None:
    blocks = narrative.parse("见[网站](https://example.org)[[(")
    assert blocks == (
        narrative.Paragraph(
            (
                narrative.Text("见"),
                narrative.Link("https://example.org", (narrative.Text("网站"),)),
                narrative.Text("[[("),
            )
        ),
    )


def test_unclosed_strong_is_kept_as_text() -> None:
    blocks = narrative.parse("<strong>a<strong>b")
    assert blocks == (narrative.Paragraph((narrative.Text("<strong>a<strong>b"),)),)


# --------------------------------------------------------------------------- symlinked reports


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / ".env"
    path.write_text("SECRET_KEY=hunter2-do-not-print\n", encoding="utf-8")
    return path


def test_a_report_linked_out_of_the_tree_is_refused_unread(
    tmp_path: Path, secret: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "reports" / "a").mkdir(parents=True)
    (tmp_path / "reports" / "a" / "2021.yaml").symlink_to(secret)
    assert main(["validate", str(tmp_path / "reports")]) == 2
    err = capsys.readouterr().err
    assert "符号链接" in err
    assert "hunter2" not in err


def test_a_report_linked_within_the_tree_is_read(
    tmp_path: Path, write_report: Callable[..., Path]
) -> None:
    real = write_report(MINIMAL, agency="b")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "2022.yaml").symlink_to(real)
    assert main(["validate", "-q", str(tmp_path)]) == 0


def test_a_file_that_is_not_a_report_is_not_quoted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "2021.yaml"
    path.write_text("SECRET_KEY=hunter2-do-not-print\n", encoding="utf-8")
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "顶层应是" in err
    assert "hunter2" not in err


def test_last_year_linked_elsewhere_is_not_read(
    tmp_path: Path, secret: Path, write_report: Callable[..., Path]
) -> None:
    path = write_report(MINIMAL)
    (path.parent / "2021.yaml").symlink_to(secret)
    outcome = check_file(path)
    assert "X-PREVIOUS-INVALID" in [d.code for d in outcome.diagnostics]


# --------------------------------------------------------------------------- terminal injection

FORGED = "x\x1b]0;PWNED\x07\ny.yaml: 通过\u202e"


def test_printable_escapes_controls_bidi_and_separators() -> None:
    shown = printable("a\x1b[31mb\x9b\x7f\u202e\u2028c\\d")
    assert shown == "a\\x1b[31mb\\x9b\\x7f\\u202e\\u2028c\\d"


def test_folder_names_cannot_write_to_the_terminal(
    tmp_path: Path, write_report: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    write_report(MINIMAL, agency=FORGED)
    main(["validate", str(tmp_path)])
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err and "\u202e" not in err
    assert "\ny.yaml: 通过" not in err


def test_usage_error_messages_are_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "no\x1b[2Jsuch.yaml"]) == 2
    assert "no\\x1b[2Jsuch.yaml" in capsys.readouterr().err


def test_json_output_keeps_names_readable_as_json(
    tmp_path: Path, write_report: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    write_report(MINIMAL, agency="a\x1bb")
    main(["validate", "--json", str(tmp_path)])
    out = capsys.readouterr().out
    assert "\x1b" not in out
    json.loads(out)


# --------------------------------------------------------------------------- environment


@pytest.mark.parametrize("value", ["99999999999999999999", "253402300800", "²", "-1", "1e9"])
def test_an_invalid_source_date_epoch_is_an_environment_error(
    value: str,
    tmp_path: Path,
    write_report: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = write_report(MINIMAL)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    assert main(["build", str(path), "-o", str(tmp_path / "out"), "-f", "md", "-j", "1"]) == 2
    err = capsys.readouterr().err
    assert "SOURCE_DATE_EPOCH" in err and "内部错误" not in err


def test_the_last_second_of_9999_is_a_valid_source_date_epoch(
    tmp_path: Path, write_report: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_report(MINIMAL)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "253402300799")
    assert main(["build", "-q", str(path), "-o", str(tmp_path / "out"), "-j", "1"]) == 0


ASCII_LOCALES = [
    {"PYTHONIOENCODING": "ascii"},
    {"LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0", "PYTHONIOENCODING": ""},
]


def _run_ascii(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[bytes]:
    full = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    return subprocess.run(
        [sys.executable, "-m", "generator", *args], capture_output=True, env=full, check=False
    )


@pytest.mark.parametrize("env", ASCII_LOCALES)
def test_machine_outputs_are_utf8_on_an_ascii_terminal(env: dict[str, str]) -> None:
    schema = _run_ascii(env, "schema")
    assert schema.returncode == 0, schema.stderr
    assert "机关名称" in json.dumps(json.loads(schema.stdout.decode("utf-8")), ensure_ascii=False)
    checked = _run_ascii(env, "validate", "--json", str(SEED))
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout.decode("utf-8"))["files"][0]["valid"] is True


@pytest.mark.parametrize("env", ASCII_LOCALES)
def test_human_messages_survive_an_ascii_terminal(env: dict[str, str]) -> None:
    checked = _run_ascii(env, "validate", str(SEED))
    assert checked.returncode == 0
    # 通过 (a result: stdout, as ruff does), escaped rather than a crash
    assert b"\\u901a\\u8fc7" in checked.stdout
    assert "内部错误".encode() not in checked.stdout + checked.stderr


# --------------------------------------------------------------------------- agency names


@pytest.mark.parametrize(
    "agency",
    ["局" * 101, "某局\n# 一、总体情况", "某局\n", "某\t局"],
    ids=["long", "lines", "eol", "tab"],
)
def test_an_agency_name_is_one_short_line(agency: str, write_report: Callable[..., Path]) -> None:
    text = MINIMAL.replace("agency: 测试局", f"agency: {json.dumps(agency)}")
    outcome = check_file(write_report(text))
    assert [(d.code, d.labels) for d in outcome.errors] == [("SCHEMA-FORMAT", ("机关名称",))]


def test_a_hundred_character_agency_name_is_valid(write_report: Callable[..., Path]) -> None:
    text = MINIMAL.replace("agency: 测试局", f"agency: {'局' * 100}")
    assert not check_file(write_report(text)).errors


def test_document_properties_are_cut_to_the_docx_limit() -> None:
    from datetime import UTC, datetime

    from generator.render._ooxml import core_properties_xml

    xml = core_properties_xml(
        title="题" * 300, author="局" * 300, when=datetime(2000, 1, 1, tzinfo=UTC)
    )
    assert ("题" * 254 + "…").encode() in xml and ("题" * 255).encode() not in xml


@pytest.mark.parametrize("agency", ["某局\nyear: 1999", "局" * 101, "某\x1b局"])
def test_new_refuses_an_agency_that_is_not_one_short_line(
    agency: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "a" / "2022.yaml"
    assert main(["new", str(path), "--agency", agency]) == 2
    assert not path.exists()
    assert "\x1b" not in capsys.readouterr().err


def test_new_writes_the_agency_yaml_escaped(tmp_path: Path) -> None:
    path = tmp_path / "a" / "2022.yaml"
    assert main(["new", str(path), "--agency", '某"局\\#']) == 0
    from generator.source import load

    assert load(path).data["agency"] == '某"局\\#'
