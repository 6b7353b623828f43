"""Property-based tests: whatever the YAML, nianbao answers with an exit code and a located message.

Generated inputs (see ``tests/fuzz.py`` for the strategies) are arbitrary YAML
documents, mutations of the example reports, damaged text and raw bytes.  Each is
validated through ``generator.cli.main`` as a user would run it, and the run must:

* exit 0, 1 or 2 and never print a traceback or an "internal error";
* name the file in every message, with line and column for every error in the file.

A few inputs go through a real ``python -m generator`` subprocess as well, the fuzz
harness runs for a few seconds, and the saved corpus is replayed.  Settings keep the
whole file under about 30 seconds: 200 examples per property, no deadline.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.dom import minidom

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.cli import main

from .conftest import ROOT
from .fuzz import (
    CORPUS,
    _dump,
    _junk,
    check,
    corpus_files,
    damaged_text,
    example_texts,
    mutated_report,
    token_soup,
)

PROPERTY = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,  # capsys is read out after every example
    ],
)
_HEAD = re.compile(r"^(?P<where>.+?): (?:错误|警告)\[(?P<code>[A-Z0-9-]+)\]")


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where each generated input is written: ``<tmp>/agency/2022.yaml``."""
    path = tmp_path_factory.mktemp("fuzz") / "agency" / "2022.yaml"
    path.parent.mkdir()
    return path


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Run from a scratch directory, so no nianbao.toml of the checkout applies."""
    old = Path.cwd()
    os.chdir(tmp_path_factory.getbasetemp())
    try:
        yield
    finally:
        os.chdir(old)


def assert_answers_sanely(code: int, out: str, err: str, path: Path) -> None:
    """The contract of every run: known exit code, no traceback, every message located."""
    shown = os.path.relpath(path)
    assert code in (0, 1, 2), (code, err)
    assert "Traceback" not in out + err
    assert "内部错误" not in err, err
    heads = [m for m in map(_HEAD.match, err.splitlines()) if m]
    for m in heads:
        assert m["where"].startswith(shown), m[0]
        if ": 错误[" in m[0] and m["code"] != "X-PREVIOUS-INVALID":
            assert re.fullmatch(re.escape(shown) + r":\d+:\d+", m["where"]), m[0]
    if code == 1:
        assert any(": 错误[" in m[0] for m in heads), err
    if code == 2:
        assert err.startswith("nianbao: ") and shown in err, err


def validate(path: Path, data: bytes, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    path.write_bytes(data)
    capsys.readouterr()
    code = main(["validate", str(path)])
    out, err = capsys.readouterr()
    assert_answers_sanely(code, out, err, path)
    return code, err


@PROPERTY
@given(
    st.one_of(
        _junk().flatmap(lambda d: st.sampled_from([None, True, False]).map(lambda f: _dump(d, f))),
        token_soup(),
    )
)
def test_arbitrary_yaml_documents(
    report_file: Path, capsys: pytest.CaptureFixture[str], data: bytes
) -> None:
    """Any YAML document (or YAML-looking text) gets exit 0/1/2 and located messages."""
    validate(report_file, data, capsys)


@PROPERTY
@given(mutated_report())
def test_mutated_reports(
    report_file: Path, capsys: pytest.CaptureFixture[str], data: bytes
) -> None:
    """Deleted keys, wrong types, huge/negative/non-finite numbers, unicode junk in a report."""
    validate(report_file, data, capsys)


@PROPERTY
@given(st.one_of(damaged_text(), st.binary(max_size=300)))
def test_damaged_text_and_bytes(
    report_file: Path, capsys: pytest.CaptureFixture[str], data: bytes
) -> None:
    """Duplicated and cut lines, broken indentation, other encodings, random bytes."""
    validate(report_file, data, capsys)


FORBIDDEN = st.one_of(
    st.integers(0, 8),
    st.sampled_from([0x0B, 0x0C]),
    st.integers(0x0E, 0x1F),
    st.integers(0x7F, 0x9F),
    st.sampled_from([0xFFFE, 0xFFFF]),
)


@settings(PROPERTY, max_examples=100)
@given(
    code=FORBIDDEN,
    form=st.sampled_from(["raw", "x", "u", "U", "jinja"]),
    where=st.sampled_from(["agency", "narrative", "key"]),
)
def test_characters_illegal_in_xml_are_reported_with_their_line(
    report_file: Path, capsys: pytest.CaptureFixture[str], code: int, form: str, where: str
) -> None:
    """Control characters, U+FFFE and U+FFFF, raw or made by a YAML or Jinja escape,
    are an error naming the character and its line; nothing reaches a DOCX."""
    escaped = {
        "raw": chr(code),
        "x": f"\\x{code:02X}" if code < 0x100 else f"\\u{code:04X}",
        "u": f"\\u{code:04X}",
        "U": f"\\U{code:08X}",
        "jinja": f"{{{{ '\\\\u{code:04X}' }}}}",
    }[form]
    data = yaml.safe_load(example_texts()[2])  # the 2022 report
    assert data["year"] == 2022
    data["agency"] = "某局MARK"
    data["problems"]["text"] = "无MARK"
    text = _dump(data, False).decode()
    if where == "key" and form != "jinja":  # Jinja runs in narrative only
        text += f'"k{escaped}": 1\n'
        line = text.count("\n")
    else:
        target = "无MARK" if where == "narrative" or form == "jinja" else "某局MARK"
        at = text.index(target)
        line = 1 + text[:at].count("\n")
        text = text.replace(target, f'"{target[:-4]}{escaped}"')
    text = text.replace("MARK", "")
    code_, err = validate(report_file, text.encode("utf-8", "surrogatepass"), capsys)
    assert code_ == 1, err
    assert f"U+{code:04X}" in err, err
    assert f"{os.path.relpath(report_file)}:{line}:" in err, err


ALLOWED_ODD = [
    "\u200b",
    "\u200f",
    "\u202e",
    "\u2028",
    "😀",
    "👩\u200d👩\u200d👧",
    "𠀀",
    "１２",
    "e\u0301",
]


@settings(PROPERTY, max_examples=15)
@given(st.lists(st.sampled_from(ALLOWED_ODD), min_size=1, max_size=6), st.randoms())
def test_allowed_odd_characters_render_to_valid_files(
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    chars: list[str],
    rnd: object,
) -> None:
    """RTL marks, zero-width spaces, emoji and the like are kept, and every output is sound:
    each DOCX part parses as XML, HTML and Markdown are UTF-8."""
    work = tmp_path_factory.mktemp("odd")
    text = example_texts()[0]
    data = yaml.safe_load(text)
    odd = "".join(chars)
    data["agency"] = f"某{odd}局"
    data["problems"]["text"] = f"存在问题{odd}：**一是{odd}。**改进{odd}。"
    src = work / "ag" / f"{data['year']}.yaml"  # named for its year (YEAR-FILE)
    src.parent.mkdir()
    src.write_bytes(_dump(data, None))
    capsys.readouterr()
    code = main(["build", "-q", "-j", "1", "-o", str(work / "out"), str(src)])
    _, err = capsys.readouterr()
    assert code == 0, err
    docx = (work / "out" / "ag" / f"{src.stem}.docx").read_bytes()
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        assert z.testzip() is None
        for name in z.namelist():
            if name.endswith((".xml", ".rels")):
                minidom.parseString(z.read(name))
        assert odd.encode() in z.read("word/document.xml")
    for suffix in ("html", "md"):
        assert odd in (work / "out" / "ag" / f"{src.stem}.{suffix}").read_text(encoding="utf-8")


@settings(PROPERTY, max_examples=4)
@given(st.one_of(mutated_report(), damaged_text(), st.binary(max_size=100)))
def test_real_subprocess_never_prints_a_traceback(report_file: Path, data: bytes) -> None:
    """``python -m generator validate`` on generated input, as a separate process."""
    report_file.write_bytes(data)
    proc = subprocess.run(
        [sys.executable, "-m", "generator", "validate", str(report_file)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert_answers_sanely(proc.returncode, proc.stdout, proc.stderr, report_file)


def test_corpus_replays_clean() -> None:
    """Every saved interesting input still loads, validates (and renders) without a finding."""
    files = corpus_files()
    assert len(files) >= 10, f"the corpus in {CORPUS} is missing"
    for path in files:
        check(path.read_bytes())


@pytest.mark.parametrize("name", [p.name for p in corpus_files()] if CORPUS.is_dir() else [])
def test_corpus_through_the_command_line(
    report_file: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """The corpus inputs as a user meets them: exit code and located messages."""
    validate(report_file, (CORPUS / name).read_bytes(), capsys)


def test_fuzz_harness_runs_for_a_few_seconds() -> None:
    """The harness is one command; a short, seeded run finds nothing."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "fuzz.py"), "--seconds", "4", "--seed", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert "fuzzed" in proc.stderr and "FINDING" not in proc.stderr
