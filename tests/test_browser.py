"""The seed report's HTML in a real browser: headless Chromium prints and photographs it.

Skipped when ``chromium`` is not on PATH.  The PDF is read back with ``pdftotext``
when it is installed, to check that printing shows the title and the figures
(nothing clipped by the scroll wrappers).
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest

from generator.layout import format_value
from generator.model import Report
from generator.render import RenderOptions
from generator.render.html import RENDERER

from .support import CHROMIUM, chromium, pdf_text

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not on PATH (apt install chromium)"),
]


@pytest.fixture(scope="module")
def page(seed: Report, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("html") / "2021.html"
    path.write_bytes(RENDERER.render(seed, RenderOptions()))
    return path


@pytest.fixture(scope="module")
def pdf(page: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("pdf")
    out = tmp / "2021.pdf"
    chromium(tmp, page, "--no-pdf-header-footer", f"--print-to-pdf={out}")
    return out


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_printing_gives_an_a4_pdf(pdf: Path) -> None:
    """Print-to-PDF produces a PDF whose pages are A4 (595 × 842 pt)."""
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    sizes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([0-9.]+) ([0-9.]+)\s*\]", data)
    assert sizes
    assert {(round(float(w)), round(float(h))) for w, h in sizes} == {(595, 842)}


def test_printed_pdf_shows_title_and_headings(seed: Report, pdf: Path) -> None:
    """The printed text holds the title and every section heading."""
    text = re.sub(r"\s+", "", pdf_text(pdf))
    assert seed.title in text
    for section in seed.format.sections:
        assert section.heading in text


def test_printed_tables_show_every_figure_of_a_row(seed: Report, pdf: Path) -> None:
    """A 表三 row and the 表四 row print whole: label, then all their figures in order."""
    lines = pdf_text(pdf).splitlines()
    row = next(line for line in lines if "4.保护第三方合法权益" in line)
    expected = [
        format_value(seed.values[("applications", "withheld", "third_party", col)])
        for col in ("natural_person", "business", "research", "nonprofit", "legal_service",
                    "other_org", "total")
    ]  # fmt: skip
    assert row.split()[-7:] == expected
    t4 = [v for k, v in seed.values.items() if k[0] == "review_litigation"]
    assert any(line.split() == [format_value(v) for v in t4] for line in lines)


@pytest.mark.parametrize(("width", "height"), [(1280, 2000), (390, 844)], ids=["desktop", "phone"])
def test_screenshot_is_a_png_of_the_window(
    page: Path, tmp_path: Path, width: int, height: int
) -> None:
    """A screenshot at desktop and phone width is a non-empty PNG of the window size."""
    shot = tmp_path / "shot.png"
    chromium(tmp_path, page, f"--window-size={width},{height}", f"--screenshot={shot}")
    assert shot.stat().st_size > 10_000
    assert png_size(shot) == (width, height)
