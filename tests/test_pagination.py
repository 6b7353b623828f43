"""Pagination a 公文 reviewer accepts: where tables, headings and the 落款 may break.

The rules (issue 13): a table that fits on one page after its heading is never split;
a longer one breaks only between categories, never inside a merged label, never with
fewer than three body rows on either side, its header rows repeated; a heading is never
the last line of a page; the body's last lines, the agency and the date stay together.

The first tests check the decisions (``render.pagination``) and the markup that carries
them (DOCX keep flags, HTML classes); the last ones convert the examples and the
variants of ``tests/printing.py`` with LibreOffice and read every page back.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.layout import Grid
from generator.model import Report
from generator.render import RenderOptions
from generator.render import docx as docx_renderer
from generator.render.docx import RENDERER
from generator.render.html import RENDERER as HTML
from generator.render.pagination import allowed_breaks, html_keeps, keep_flags, row_heights
from generator.values import cn_date

from .conftest import MINIMAL, PrintBuild, example_reports, report_of
from .printing import numbered_pages, page_texts, plain, report_headings, variants
from .support import CHROMIUM, NS, Package, chromium, w

OPTIONS = RenderOptions()


def _table(report: Report, key: str) -> Grid:
    (grid,) = [v.grid for v in report.document() if v.section.key == key and v.grid]
    return grid


def _heights(grid: Grid) -> list[int]:
    widths = docx_renderer._column_widths(grid, 8844)
    return row_heights(grid, widths, docx_renderer.SMALL_TABLE_PT)


# --------------------------------------------------------------------------- decisions


def test_a_table_that_fits_on_a_page_keeps_together(seed: Report) -> None:
    """表三 fits on a page: every row keeps with the next, so it moves to a page whole."""
    grid = _table(seed, "applications")
    flags = keep_flags(grid, _heights(grid), 12756 - 579)
    assert flags == [True] * (len(grid.rows) - 1) + [False]


def test_a_longer_table_breaks_only_between_sub_categories(seed: Report) -> None:
    """On a page too short for 表三, the breaks fall between （一）…（七）, never inside
    （三）不予公开, （四）无法提供, （五） or （六）, nor three rows from either end."""
    grid = _table(seed, "applications")
    heights = _heights(grid)
    breaks = allowed_breaks(grid, heights, sum(heights) * 2 // 3)
    assert breaks
    starts = {c.row for row in grid.rows for c in row if c.kind == "row" and c.col == 1}
    assert set(breaks) <= starts
    end = len(grid.rows)
    assert all(b - grid.head >= 3 and end - b >= 3 for b in breaks)


def test_a_table_taller_than_every_split_still_avoids_merged_labels_first(seed: Report) -> None:
    """When even the sub-categories do not fit, rows inside a merged label are the last
    resort: the coarser boundaries are tried first and kept if they fit."""
    grid = _table(seed, "applications")
    heights = [600] * len(grid.rows)
    page = 600 * 12
    breaks = allowed_breaks(grid, heights, page)
    edges = [grid.head, *breaks, len(grid.rows)]
    assert all(600 * (grid.head + b - a) <= page for a, b in itertools.pairwise(edges))


def test_blocks_break_between_blocks(seed: Report) -> None:
    """表二 on a short page breaks only where a 第二十条 block starts."""
    grid = _table(seed, "proactive_disclosure")
    heights = [500] * len(grid.rows)
    breaks = allowed_breaks(grid, heights, 500 * 8)
    assert breaks and set(breaks) <= {b.start for b in grid.bodies}


# --------------------------------------------------------------------------- DOCX markup


@pytest.fixture(scope="module")
def package(seed: Report) -> Package:
    return Package(RENDERER.render(seed, OPTIONS))


def test_table_rows_never_split_and_header_rows_repeat(package: Package, seed: Report) -> None:
    """Every row is cantSplit; 表三's three header rows are tblHeader, no body row is."""
    t3 = package.tables()[1]
    rows = t3.findall("w:tr", NS)
    assert all(r.find("w:trPr/w:cantSplit", NS) is not None for r in rows)
    header = [r.find("w:trPr/w:tblHeader", NS) is not None for r in rows]
    assert header == [True] * 3 + [False] * (len(rows) - 3)


def test_rows_keep_with_the_next_but_the_last(package: Package) -> None:
    """Every paragraph of 表三 but those of its last row keeps with the next."""
    rows = package.tables()[1].findall("w:tr", NS)
    kept = [all(p.find("w:pPr/w:keepNext", NS) is not None for p in r.iter(w("p"))) for r in rows]
    assert kept == [True] * (len(rows) - 1) + [False]


def test_headings_keep_with_the_next_paragraph(package: Package) -> None:
    """Heading styles keep with next: a heading is never the last line of a page."""
    for style in ("Heading1", "Heading2", "Title"):
        assert package.style(style).find("w:pPr/w:keepNext", NS) is not None


def test_the_tail_keeps_together(package: Package, seed: Report) -> None:
    """The last body paragraph, the blank line and the agency keep with the next; the
    signature lines keep their lines; the body style has widow control."""
    paragraphs = package.body.findall("w:p", NS)
    tail = paragraphs[-4:]
    assert "".join(tail[2].itertext()) == seed.agency
    for p in tail[:3]:
        assert p.find("w:pPr/w:keepNext", NS) is not None
    for p in tail[1:]:
        assert p.find("w:pPr/w:keepLines", NS) is not None
    assert package.style("Normal").find("w:pPr/w:widowControl", NS) is not None


def test_the_title_breaks_after_the_agency(package: Package, seed: Report) -> None:
    """机关名称 on the first line, "2021年政府信息公开工作年度报告" on the next."""
    (title,) = [
        p
        for p in package.body.findall("w:p", NS)
        if p.xpath("string(w:pPr/w:pStyle/@w:val)", namespaces=NS) == "Title"
    ]
    pieces = ["\n" if el.tag == w("br") else el.text for el in title.iter(w("t"), w("br"))]
    assert "".join(pieces) == "商丘市工业和信息化局\n2021年政府信息公开工作年度报告"


def test_title_lines_override_the_break(tmp_path: Path) -> None:
    """``title_lines`` in the report says where an unusual title breaks."""
    path = tmp_path / "a" / "2022.yaml"
    path.parent.mkdir()
    path.write_text(
        MINIMAL + "title_lines: [测试局关于, 2022年政府信息公开, 工作的年度报告]\n", "utf-8"
    )
    report = report_of(path)
    assert report.title == "测试局关于2022年政府信息公开工作的年度报告"
    body = Package(RENDERER.render(report, OPTIONS)).body
    assert len(body.findall("w:p", NS)[0].findall(".//w:br", NS)) == 2
    html = HTML.render(report, OPTIONS).decode()
    assert "<h1>测试局关于<br>2022年政府信息公开<br>工作的年度报告</h1>" in html


# --------------------------------------------------------------------------- HTML markup


def test_html_groups_table_three_by_category_and_marks_kept_rows(seed: Report) -> None:
    """One tbody per top-level category; rows inside （三）…（六） carry class="keep"."""
    page = HTML.render(seed, OPTIONS).decode()
    t3 = page[page.index("<caption>表三") :]
    t3 = t3[: t3.index("</table>")]
    bodies = re.findall(r"<tbody>(.*?)</tbody>", t3, re.S)
    assert [b.count("<tr") for b in bodies] == [1, 1, 22, 1]
    grid = _table(seed, "applications")
    keeps = html_keeps(grid)
    inside = set(range(7, 14)) | {15, 16} | {18, 19, 20, 21} | {23, 24}
    assert inside <= keeps


def test_print_stylesheet_numbers_pages_and_keeps(seed: Report) -> None:
    """The print CSS numbers pages "— N —" (margin boxes) and has the keep rules."""
    css = HTML.render(seed, OPTIONS).decode()
    assert re.search(r"@bottom-right\s*\{[^}]*counter\(page\)", css)
    assert re.search(r"@bottom-left\s*\{[^}]*counter\(page\)", css)
    rules = (
        r"tbody, tr \{ break-inside: avoid",
        r"tr\.keep \{ break-after: avoid",
        r"\.signature \{[^}]*break-before: avoid",
        r"h1, h2, h3, caption \{ break-after: avoid",
    )
    for rule in rules:
        assert re.search(rule, css), rule


# --------------------------------------------------------------------------- PDF pages

NAMES = [f"{p.parent.name}/{p.stem}" for p in example_reports()] + [
    f"variant-{n}/2021" for n in variants()
]


def _leaf_rows(grid: Grid) -> dict[int, str]:
    return {c.row: c.text for row in grid.rows for c in row if c.kind == "row" and c.rowspan == 1}


def _page_of(pages: list[str], text: str) -> list[int]:
    return [i for i, page in enumerate(pages) if plain(text) in page]


@pytest.fixture(scope="module")
def pages(print_build: PrintBuild) -> dict[str, list[list[str]]]:
    assert print_build.code == 0
    return {name: page_texts(print_build.pdf(name)) for name in NAMES}


@pytest.mark.parametrize("name", NAMES)
def test_no_table_category_is_split_across_pages(
    name: str, print_build: PrintBuild, pages: dict[str, list[list[str]]]
) -> None:
    """Every merged category label is whole on one page, with all the rows it spans."""
    joined = [plain("".join(p)) for p in pages[name]]
    for view in print_build.reports[name].document():
        grid = view.grid
        if grid is None:
            continue
        leaves = _leaf_rows(grid)
        for cell in (c for row in grid.rows for c in row if c.kind == "row" and c.rowspan > 1):
            # (a label may also be quoted by the narrative on another page)
            together = set(_page_of(joined, cell.text))
            assert together, f"{cell.text} is split across pages"
            for r in range(cell.row, cell.row + cell.rowspan):
                together &= set(_page_of(joined, leaves[r]))
            assert together, f"the rows of {cell.text} are not on its page"


@pytest.mark.parametrize("name", NAMES)
def test_tables_that_fit_on_a_page_are_not_split(
    name: str, print_build: PrintBuild, pages: dict[str, list[list[str]]]
) -> None:
    """All tables here fit on a page: every row label of a table is on the same page."""
    joined = [plain("".join(p)) for p in pages[name]]
    for view in print_build.reports[name].document():
        if view.grid is None:
            continue
        found = {label: _page_of(joined, label) for label in _leaf_rows(view.grid).values()}
        if not found:  # 表四: header rows and one row of figures
            continue
        pages_with_all = set.intersection(*(set(p) for p in found.values()))
        assert len(pages_with_all) == 1, (view.heading, found)


@pytest.mark.parametrize("name", NAMES)
def test_no_page_ends_with_a_heading_or_a_table_header(
    name: str, print_build: PrintBuild, pages: dict[str, list[list[str]]]
) -> None:
    """The last line of a page is never a heading, nor a table's header cells alone."""
    report = print_build.reports[name]
    headings = {plain(h) for h in report_headings(report)}
    headers = {
        plain(c.text) for v in report.document() if v.grid for row in v.grid.rows for c in row
        if c.kind in ("column", "corner", "stub", "title")
    }  # fmt: skip
    for n, lines in enumerate(pages[name][:-1], start=1):
        assert plain(lines[-1]) not in headings, f"page {n} ends with heading {lines[-1]}"
        tail = plain("".join(lines[-3:]))
        assert not any(tail.endswith(h) for h in headers if len(h) > 1), (n, lines[-3:])


@pytest.mark.parametrize("name", NAMES)
def test_the_agency_and_date_share_the_page_of_the_bodys_end(
    name: str, print_build: PrintBuild, pages: dict[str, list[list[str]]]
) -> None:
    """The last page ends with the end of the body, the agency and the date together."""
    report = print_build.reports[name]
    last = pages[name][-1]
    end = plain("".join(last))
    date = cn_date(report.published) if report.published else ""
    assert end.endswith(plain(report.agency + date)), last[-3:]
    body_end = end[: -len(plain(report.agency + date))]
    assert body_end, f"the 落款 of {name} stands alone on its page"
    heading = plain(report.document()[-1].heading)
    if heading not in body_end:  # the last section began on an earlier page
        assert len(last) >= 4, f"only {len(last) - 2} body lines before the 落款"


def test_the_variants_cover_page_ends(
    print_build: PrintBuild, pages: dict[str, list[list[str]]]
) -> None:
    """The long-narrative variants move the tables and the 落款 across page ends, so the
    rules above are tested where they matter: the page counts differ between them."""
    counts = {len(pages[f"variant-{n}/2021"]) for n in variants() if n.startswith("long")}
    assert len(counts) >= 3


def test_title_lines_must_be_a_list_of_lines(write_report: Callable[..., Path]) -> None:
    """``title_lines: 某市`` (a string) is a SCHEMA-TYPE error that shows the list form."""
    from generator.validate import check_file

    path = write_report(MINIMAL + "title_lines: 测试局\n")
    (error,) = check_file(path).errors
    assert error.code == "SCHEMA-TYPE"
    assert "列表" in (error.expected or "")


# --------------------------------------------------------------------------- HTML printed


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not on PATH (apt install chromium)")
@pytest.mark.parametrize("variant", ["long-narrative-5", "long-tail-13", "every-row-non-zero"])
def test_printed_html_has_page_numbers_and_keeps_the_tail(variant: str, tmp_path: Path) -> None:
    """Chromium prints "— N —" on every page; no page ends with a heading; the agency
    and the date are on the last page with the end of the body; 表三 is on one page."""
    from .printing import PDFTOTEXT, variants, write_variants

    if PDFTOTEXT is None:
        pytest.skip("pdftotext is not installed (apt install poppler-utils)")
    write_variants(tmp_path / "reports")
    report = report_of(tmp_path / "reports" / f"variant-{variant}" / "2021.yaml")
    assert variant in variants()
    page = tmp_path / "page.html"
    page.write_bytes(HTML.render(report, OPTIONS))
    out = tmp_path / "page.pdf"
    chromium(tmp_path, page, "--no-pdf-header-footer", f"--print-to-pdf={out}")
    numbered = numbered_pages(out)
    assert numbered == list(range(1, len(numbered) + 1))
    pages = [[ln for ln in p if ln] for p in page_texts(out)]
    headings = {plain(h) for h in report_headings(report)}
    for n, lines in enumerate(pages[:-1], start=1):
        assert plain(lines[-1]) not in headings, f"page {n} ends with heading {lines[-1]}"
    date = cn_date(report.published) if report.published else ""
    last = plain("".join(pages[-1]))
    assert last.endswith(plain(report.agency + date)) and len(pages[-1]) >= 3
    joined = [plain("".join(p)) for p in pages]
    labels = _leaf_rows(_table(report, "applications")).values()
    assert set.intersection(*(set(_page_of(joined, label)) for label in labels))
