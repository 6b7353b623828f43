"""Shared fixtures: the example reports and a way to write a report in a few lines."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator.model import Report
from generator.validate import check_file

from . import support
from .support import EXAMPLES, ROOT, SEED

__all__ = [
    "EXAMPLES",
    "MINIMAL",
    "ROOT",
    "SEED",
    "PrintBuild",
    "example_reports",
    "report_of",
]


MINIMAL = """\
agency: 测试局
year: 2022
overview:
  summary: 本年度工作情况如下。
problems:
  text: 信息发布还不够及时，下一步将加强培训。
other_matters:
  text: 无
"""


@pytest.fixture
def write_report(tmp_path: Path) -> Callable[..., Path]:
    """Write YAML text (dedented) to ``tmp_path/<agency>/<name>`` and return its path."""

    def write(text: str, name: str = "2022.yaml", agency: str = "test-agency") -> Path:
        path = tmp_path / agency / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


def example_reports() -> list[Path]:
    return sorted(EXAMPLES.rglob("*.yaml"))


def report_of(path: Path) -> Report:
    """The validated Report of a file that must be valid."""
    outcome = check_file(path)
    assert outcome.report is not None, [d.format() for d in outcome.errors]
    return outcome.report


@pytest.fixture(scope="session")
def seed() -> Report:
    """The seed example (商丘市工业和信息化局 2021) as a validated Report."""
    return report_of(SEED)


@pytest.fixture(scope="session")
def report(seed: Report) -> Report:
    """The seed report, under the name the renderer tests use."""
    return seed


@pytest.fixture(scope="module")
def hostile_measurements() -> Iterator[None]:
    """Print the largest time and memory measured (visible with ``pytest -s``)."""
    yield
    runs = support.MEASURED
    m = {k: max(v, default=0.0) for k, v in runs.items()}
    print(
        f"\nhostile cases: {len(runs['seconds'])} in-process runs, max {m['seconds']:.2f} s,"
        f" max tracemalloc peak {m['peak'] / 2**20:.1f} MiB; {len(runs['child_s'])} child"
        f" runs, max {m['child_s']:.2f} s, max RSS {m['child_rss'] / 2**20:.0f} MiB"
    )


@pytest.fixture
def in_tmp(tmp_path: Path) -> Iterator[None]:
    """Run from the test's own directory: relative paths, no config of the checkout."""
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield
    finally:
        os.chdir(old)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/ from the current renderers (review the diff!)",
    )


@pytest.fixture
def reports_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A reports repository (a copy of the examples under reports/) as the current directory."""
    import shutil

    shutil.copytree(EXAMPLES, tmp_path / "reports")
    (tmp_path / ".git").mkdir()  # stops the config search here
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_cli_both(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``nianbao`` in-process: exit code, stdout (results) and stderr (findings)."""
    from generator.cli import main

    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "内部错误" not in err, err
    return code, out, err


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """Run ``nianbao`` in-process: exit code and stderr; never a traceback or 内部错误."""
    from generator.cli import main

    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "内部错误" not in err, err
    return code, err


@dataclass(frozen=True)
class PrintBuild:
    """The examples and the print variants (``tests/printing.py``) built as DOCX and PDF."""

    repo: Path
    reports: dict[str, Report]  # "<folder>/<year>" → report
    code: int

    def pdf(self, name: str) -> Path:
        return self.repo / "build" / f"{name}.pdf"


def _build_print_tree(repo: Path) -> PrintBuild:
    from generator.cli import main

    from .printing import write_variants

    (repo / ".git").mkdir(parents=True)  # stops the config search here
    paths = write_variants(repo / "reports")
    old = Path.cwd()
    os.chdir(repo)
    try:
        code = main(["build", "-f", "docx,pdf", "-j", "2"])
    finally:
        os.chdir(old)
    reports = {f"{p.parent.name}/{p.stem}": report_of(p) for p in paths}
    return PrintBuild(repo, reports, code)


@pytest.fixture(scope="session")
def print_build(tmp_path_factory: pytest.TempPathFactory) -> PrintBuild:
    """One build of every example and variant to PDF (LibreOffice runs once for all)."""
    from .printing import PDFFONTS, PDFTOTEXT, SOFFICE

    if SOFFICE is None:
        pytest.skip("LibreOffice is not installed (apt install libreoffice-writer-nogui)")
    if PDFTOTEXT is None or PDFFONTS is None:
        pytest.skip("poppler is not installed (apt install poppler-utils)")
    return _build_print_tree(tmp_path_factory.mktemp("print"))
