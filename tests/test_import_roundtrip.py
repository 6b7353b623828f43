"""Round trip: every example report built to DOCX and HTML, imported back, says the same.

Same figures (every cell, totals included) and the same narrative text, part by part.
The PDF leg converts the DOCX with LibreOffice (nianbao has no PDF output yet).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import narrative
from generator.cli import main
from generator.importer import import_file
from generator.importer.yaml_out import to_yaml
from generator.model import Report

from .conftest import example_reports, report_of
from .import_fixtures import convert, validate_text
from .support import EXAMPLES

EXAMPLE_FILES = example_reports()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("built")
    assert main(["build", str(EXAMPLES), "-o", str(out), "-f", "docx,html", "-q"]) == 0
    return out


def _back(path: Path) -> Report:
    outcome = validate_text(to_yaml(import_file(path)), path.name)
    report = getattr(outcome, "report", None)
    assert report is not None, [d.format() for d in getattr(outcome, "errors", [])]
    assert isinstance(report, Report)
    return report


def _text(report: Report) -> dict[tuple[str, ...], str]:
    return {k: narrative.plain_text(v) for k, v in report.narrative.items()}


@pytest.mark.parametrize("suffix", ["html", "docx"])
@pytest.mark.parametrize("example", EXAMPLE_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_an_example_built_and_imported_back_has_the_same_figures_and_text(
    built: Path, example: Path, suffix: str
) -> None:
    original = report_of(example)
    back = _back(built / example.parent.name / f"{example.stem}.{suffix}")
    assert dict(back.values) == dict(original.values)
    assert _text(back) == _text(original)
    assert (back.agency, back.year, back.meta["published"]) == (
        original.agency,
        original.year,
        original.meta["published"],
    )


@pytest.mark.office
@pytest.mark.parametrize("example", EXAMPLE_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_an_example_printed_to_pdf_and_imported_back_has_the_same_figures(
    built: Path, example: Path
) -> None:
    pdf = convert(built / example.parent.name / f"{example.stem}.docx", "pdf")
    original = report_of(example)
    back = _back(pdf)
    assert dict(back.values) == dict(original.values)
    assert back.agency == original.agency and back.year == original.year
