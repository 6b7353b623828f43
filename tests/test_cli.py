"""The command line: exit codes, output forms, and no traceback ever."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.cli import main

from .conftest import EXAMPLES, MINIMAL, ROOT, SEED

Write = Callable[..., Path]


def run(*args: str) -> int:
    return main(list(args))


def test_validate_a_valid_report_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    """A valid report passes and says so."""
    assert run("validate", str(SEED)) == 0
    assert "通过" in capsys.readouterr().out


def test_validate_an_invalid_report_exits_1(
    write_report: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    """Errors are printed with file:line:col and the command exits 1."""
    path = write_report(MINIMAL + "proactive_disclosure:\n  licensing: -1\n")
    assert run("validate", str(path)) == 1
    out, err = capsys.readouterr()
    assert f"{path.name}:10:14: 错误[SCHEMA-RANGE] 表二 › 行政许可" in err
    assert "1 个错误" in out


def test_validate_a_missing_path_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """A path that does not exist is a usage error."""
    assert run("validate", "no/such/file.yaml") == 2
    assert "文件不存在" in capsys.readouterr().err


def test_validate_a_directory_checks_every_yaml_below(capsys: pytest.CaptureFixture[str]) -> None:
    """Directories are searched for *.yaml files."""
    assert run("validate", str(EXAMPLES)) == 0
    assert f"检查了 {len(list(EXAMPLES.rglob('*.yaml')))} 个文件" in capsys.readouterr().out


def test_validate_accepts_globs(capsys: pytest.CaptureFixture[str]) -> None:
    """A quoted glob is expanded by nianbao itself."""
    assert run("validate", str(EXAMPLES / "*" / "2021.yaml")) == 0


def test_strict_turns_warnings_into_failure(
    write_report: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    """--strict exits 1 when there are only warnings."""
    path = write_report(MINIMAL.replace("信息发布还不够及时，下一步将加强培训。", "无"))
    assert run("validate", str(path)) == 0
    assert run("validate", "--strict", str(path)) == 1


def test_json_output_is_machine_readable(
    write_report: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    """--json prints one document with every diagnostic and its position."""
    path = write_report(MINIMAL + "proactive_disclosure:\n  licensing: -1\n")
    assert run("validate", "--json", str(path)) == 1
    doc = json.loads(capsys.readouterr().out)
    (diag,) = doc["files"][0]["diagnostics"]
    assert (diag["line"], diag["column"], diag["code"]) == (10, 14, "SCHEMA-RANGE")
    assert diag["label_path"] == "表二 › 行政许可"
    assert doc["errors"] == 1


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """Bad arguments exit 2."""
    assert run("frobnicate") == 2


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """Running nianbao alone shows what it can do."""
    assert run() == 2
    assert "validate" in capsys.readouterr().err


def test_schema_prints_the_committed_schema(capsys: pytest.CaptureFixture[str]) -> None:
    """nianbao schema gives editors the same schema as schema/report.schema.json."""
    assert run("schema") == 0
    assert capsys.readouterr().out == (ROOT / "schema" / "report.schema.json").read_text("utf-8")


def test_python_m_generator_runs_without_traceback(tmp_path: Path) -> None:
    """`python -m generator` on a binary file exits 1 with a message, no traceback."""
    junk = tmp_path / "junk.yaml"
    junk.write_bytes(bytes(range(256)) * 4)
    proc = subprocess.run(
        [sys.executable, "-m", "generator", "validate", str(junk)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "junk.yaml" in proc.stderr


def test_help_does_not_import_heavy_modules() -> None:
    """`nianbao --help` stays fast: python-docx and jsonschema are not imported."""
    code = (
        "import sys\nfrom generator.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('docx', 'jsonschema', 'lxml')))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_paths_outside_the_working_directory_are_shown_as_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An absolute path elsewhere is printed as written, not as ../../…"""
    path = tmp_path / "a" / "2022.yaml"
    path.parent.mkdir()
    path.write_text(MINIMAL + "proactive_disclosure:\n  licensing: -1\n", "utf-8")
    assert run("validate", str(path)) == 1
    assert f"{path}:10:14:" in capsys.readouterr().err
