"""Round trip: every example report built to DOCX and HTML, imported back, says the same.

Same figures (every cell, totals included) and the same narrative text, part by part.
The PDF leg reads ``nianbao build -f pdf``'s output, and a DOCX converted by LibreOffice
directly; a PDF's narrative is not compared (its text layer loses some line-end commas).
"""

from __future__ import annotations

import re
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


def _text(report: Report, *, markers: bool = True) -> dict[tuple[str, ...], str]:
    """Each part's words; without ``markers``, list items without their • or 1. (the DOCX
    numbers bulleted lists too, as a 公文 has no bullets)."""
    out = {k: narrative.plain_text(v) for k, v in report.narrative.items()}
    if not markers:
        out = {k: re.sub(r"(?m)^(?:•|\d+\.) ", "", v) for k, v in out.items()}
    return out


@pytest.mark.parametrize("suffix", ["html", "docx"])
@pytest.mark.parametrize("example", EXAMPLE_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_an_example_built_and_imported_back_has_the_same_figures_and_text(
    built: Path, example: Path, suffix: str
) -> None:
    original = report_of(example)
    back = _back(built / example.parent.name / f"{example.stem}.{suffix}")
    assert dict(back.values) == dict(original.values)
    markers = suffix != "docx"
    assert _text(back, markers=markers) == _text(original, markers=markers)
    assert (back.agency, back.year, back.meta["published"]) == (
        original.agency,
        original.year,
        original.meta["published"],
    )


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The examples as ``nianbao build -f pdf`` prints them (LibreOffice under the hood)."""
    from .support import office_tools

    office_tools()
    out = tmp_path_factory.mktemp("printed")
    assert main(["build", str(EXAMPLES), "-o", str(out), "-f", "pdf", "-q"]) == 0
    return out


@pytest.mark.office
@pytest.mark.parametrize("example", EXAMPLE_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_an_example_built_as_pdf_and_imported_back_has_the_same_figures(
    printed: Path, example: Path
) -> None:
    original = report_of(example)
    back = _back(printed / example.parent.name / f"{example.stem}.pdf")
    assert dict(back.values) == dict(original.values)
    assert back.agency == original.agency and back.year == original.year


@pytest.mark.office
@pytest.mark.parametrize("example", EXAMPLE_FILES[:2], ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_an_example_converted_to_pdf_by_libreoffice_has_the_same_figures(
    built: Path, example: Path
) -> None:
    pdf = convert(built / example.parent.name / f"{example.stem}.docx", "pdf")
    original = report_of(example)
    back = _back(pdf)
    assert dict(back.values) == dict(original.values)
    assert back.agency == original.agency and back.year == original.year
