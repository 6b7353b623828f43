"""The seed DOCX as LibreOffice lays it out: converted to PDF and read back with poppler.

These tests need ``soffice`` (Debian: libreoffice-writer-nogui) and ``pdftotext`` /
``pdfinfo`` (poppler-utils); without them they are skipped, saying so.  LibreOffice
runs with a private profile and a time limit, so parallel runs cannot collide on a
profile lock and a hung conversion cannot hang the suite.

LibreOffice spreads body text whose characters are wider than the document grid's
character pitch (as 三号 text on a 28-character grid is), so text is compared with
whitespace removed.
"""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from generator.layout import format_value, table_grid
from generator.model import Report
from generator.render import RenderOptions
from generator.render.docx import RENDERER

from .support import office_squeezed, office_text, office_tools, to_pdf

pytestmark = pytest.mark.office

_NUMBER = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.])")


@pytest.fixture(scope="module")
def pdf(report: Report, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The seed report rendered to DOCX and converted to PDF by LibreOffice."""
    tools = office_tools()
    work = tmp_path_factory.mktemp("office")
    docx = work / "seed.docx"
    options = RenderOptions(timestamp=datetime(2000, 1, 1, tzinfo=UTC))
    docx.write_bytes(RENDERER.render(report, options))
    return to_pdf(docx, tools), tools


def test_pages_are_a4(pdf: tuple[Path, dict[str, str]]) -> None:
    """Every page of the PDF is A4 (595 × 842 pt)."""
    path, tools = pdf
    info = subprocess.run(
        [tools["pdfinfo"], "-f", "1", "-l", "999", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert sizes
    for width, height in sizes:
        assert (round(float(width)), round(float(height))) == (595, 842)


def test_title_and_every_heading_appear(pdf: tuple[Path, dict[str, str]], report: Report) -> None:
    """The title and the six section headings are in the PDF's text, in order."""
    text = office_squeezed(pdf)
    position = text.index(report.title)
    for section in report.format.sections:
        position = text.index(section.heading, position)


def test_every_table_row_shows_its_figures(
    pdf: tuple[Path, dict[str, str]], report: Report
) -> None:
    """Each table row's figures appear, left to right, as the figures of one line of text."""
    lines = [_NUMBER.findall(line) for line in office_text(pdf, "-layout").splitlines()]
    position = 0
    for _, table in report.sections():
        if table is None:
            continue
        grid = table_grid(table, report.values)
        for row in grid.rows:
            figures = [format_value(report.values[c.path]) for c in row if c.path is not None]
            if not figures:
                continue
            position = lines.index(figures, position) + 1


def test_pages_are_numbered_with_dashes(pdf: tuple[Path, dict[str, str]]) -> None:
    """Page numbers read "— 1 —", "— 2 —" … on every page."""
    pages = office_text(pdf).split("\f")[:-1]
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert re.search(rf"—\s*{number}\s*—", page), f"no page number on page {number}"
