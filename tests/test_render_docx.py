"""The DOCX renderer: a 公文 page (GB/T 9704-2012) whose tables are the official tables.

The document is read back from its XML parts with lxml.  Tables are rebuilt square
by square from ``w:gridSpan`` and ``w:vMerge`` (``docx_table``), so the tests check
what Word would draw: every figure where the layout puts it, every official merge,
header rows that repeat, and the page furniture (fonts, grid, page numbers).
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from docx import Document
from docx.shared import Pt
from hypothesis import HealthCheck, given, settings
from lxml import etree

from generator import narrative
from generator.layout import Grid, format_value
from generator.model import Report
from generator.output import normalize_zip
from generator.render import RenderOptions, get_renderer
from generator.render.docx import RENDERER
from generator.source import loads
from generator.validate import check_file, check_source

from .conftest import example_reports
from .support import NS, Package, Square, docx_table, grids, header_rows, random_reports, w

EXAMPLES = example_reports()
OPTIONS = RenderOptions(timestamp=datetime(2000, 1, 1, tzinfo=UTC))


# --------------------------------------------------------------------------- reading DOCX


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def package(report: Report) -> Package:
    return Package(RENDERER.render(report, OPTIONS))


def table_for(package: Package, report: Report, number: str) -> tuple[etree._Element, Grid]:
    """The DOCX table and the layout grid of the official table ``number`` (表二 …)."""
    for tbl, (key, grid) in zip(package.tables(), grids(report), strict=True):
        if report.format.tables[key].number == number:
            return tbl, grid
    raise AssertionError(number)


# --------------------------------------------------------------------------- the page


def test_renderer_is_registered_for_docx() -> None:
    """``get_renderer("docx")`` is this module's renderer, with suffix docx."""
    assert get_renderer("docx") is RENDERER
    assert RENDERER.suffix == "docx"


def test_page_is_a4_with_gbt_9704_margins(package: Package) -> None:
    """A4, with margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm."""
    section = Document(io.BytesIO(package.data)).sections[0]
    mm = {
        "width": section.page_width.mm,
        "height": section.page_height.mm,
        "top": section.top_margin.mm,
        "bottom": section.bottom_margin.mm,
        "left": section.left_margin.mm,
        "right": section.right_margin.mm,
    }
    expected = {"width": 210, "height": 297, "top": 37, "bottom": 35, "left": 28, "right": 26}
    assert mm == pytest.approx(expected, abs=0.05)


def test_document_grid_has_22_lines_of_28_characters(package: Package) -> None:
    """A line grid of pitch 579 gives 22 lines; the condensed body gives 28 characters a line."""
    (grid,) = package.body.xpath("w:sectPr/w:docGrid", namespaces=NS)
    assert grid.get(w("type")) == "lines"
    pitch = int(grid.get(w("linePitch")))
    assert pitch == 579
    sect = package.body.find("w:sectPr", NS)
    size, margins = sect.find("w:pgSz", NS), sect.find("w:pgMar", NS)

    def twips(el: etree._Element, *names: str) -> int:
        return sum(int(el.get(w(n))) for n in names)

    height = twips(size, "h") - twips(margins, "top", "bottom")
    assert 22 * pitch <= height < 23 * pitch
    (spacing,) = package.xml("word/styles.xml").xpath(
        "w:style[@w:styleId='Normal']/w:rPr/w:spacing/@w:val", namespaces=NS
    )
    char_twips = 16 * 20 + int(spacing)
    width = twips(size, "w") - twips(margins, "left", "right")
    assert 28 * char_twips <= width < 29 * char_twips


@pytest.mark.parametrize(
    ("style_id", "east_asia", "half_points"),
    [
        ("Normal", "仿宋_GB2312", "32"),
        ("Title", "方正小标宋简体", "44"),
        ("Heading1", "黑体", "32"),
        ("Heading2", "楷体_GB2312", "32"),
        ("Footer", "宋体", "28"),
    ],
)
def test_styles_name_their_east_asian_font(
    package: Package, style_id: str, east_asia: str, half_points: str
) -> None:
    """Each style names its official East Asian font and size (e.g. body 三号 仿宋_GB2312)."""
    rpr = package.style(style_id).find("w:rPr", NS)
    fonts = rpr.find("w:rFonts", NS)
    assert fonts.get(w("eastAsia")) == east_asia
    assert rpr.find("w:sz", NS).get(w("val")) == half_points
    assert rpr.find("w:lang", NS).get(w("eastAsia")) == "zh-CN"


def test_latin_text_is_times_new_roman_in_body(package: Package) -> None:
    """Digits and Latin letters in the body are set in Times New Roman."""
    fonts = package.style("Normal").find("w:rPr/w:rFonts", NS)
    assert {fonts.get(w(a)) for a in ("ascii", "hAnsi")} == {"Times New Roman"}


def test_no_theme_fonts_override_the_named_fonts(package: Package) -> None:
    """No rFonts in styles.xml carries a theme attribute; docDefaults name 仿宋_GB2312 and zh-CN."""
    styles = package.xml("word/styles.xml")
    for fonts in styles.iter(w("rFonts")):
        assert not [a for a in fonts.attrib if a.endswith(("Theme", "theme"))]
    (default,) = styles.xpath("w:docDefaults/w:rPrDefault/w:rPr", namespaces=NS)
    assert default.find("w:rFonts", NS).get(w("eastAsia")) == "仿宋_GB2312"
    assert default.find("w:lang", NS).get(w("eastAsia")) == "zh-CN"


def test_body_text_has_exact_spacing_and_two_character_indent(package: Package) -> None:
    """Normal: exact 28.95 pt lines, first line indented two characters, justified."""
    ppr = package.style("Normal").find("w:pPr", NS)
    spacing = ppr.find("w:spacing", NS)
    assert (spacing.get(w("line")), spacing.get(w("lineRule"))) == ("579", "exact")
    ind = ppr.find("w:ind", NS)
    assert (ind.get(w("firstLineChars")), ind.get(w("firstLine"))) == ("200", "640")
    assert ppr.find("w:jc", NS).get(w("val")) == "both"


def test_title_is_centred(package: Package) -> None:
    """The Title style is centred with no first-line indent."""
    ppr = package.style("Title").find("w:pPr", NS)
    assert ppr.find("w:jc", NS).get(w("val")) == "center"
    assert ppr.find("w:ind", NS).get(w("firstLine")) == "0"


# --------------------------------------------------------------------------- the content


def test_title_is_the_first_paragraph(package: Package, report: Report) -> None:
    """The document opens with the report title in the Title style."""
    first = package.body.find("w:p", NS)
    assert first.xpath("string(w:pPr/w:pStyle/@w:val)", namespaces=NS) == "Title"
    assert "".join(first.xpath(".//w:t/text()", namespaces=NS)) == report.title


def test_section_headings_in_order(package: Package, report: Report) -> None:
    """Every section heading, in the format's order, as Heading 1."""
    assert package.paragraphs("Heading1") == [s.heading for s in report.format.sections]


def test_sub_headings_of_narrative_parts(package: Package, report: Report) -> None:
    """Each narrative part with text and a heading gets its （一） sub-heading as Heading 2."""
    expected = [
        part.heading
        for section, _ in report.sections()
        for part in section.parts
        if part.heading is not None and report.blocks(section, part.key)
    ]
    assert package.paragraphs("Heading2") == expected
    assert expected[0] == "（一）主动公开"


def test_each_table_follows_its_heading(package: Package, report: Report) -> None:
    """A table section is its heading paragraph immediately followed by the table."""
    tables = [s.heading for s, t in report.sections() if t is not None]
    for heading, tbl in zip(tables, package.tables(), strict=True):
        before = tbl.getprevious()
        assert "".join(before.xpath(".//w:t/text()", namespaces=NS)) == heading


def test_bold_narrative_runs_are_bold(package: Package, report: Report) -> None:
    """Every **bold** span of the narrative is a bold run in the document."""
    bold_texts = {
        "".join(package_text(node.children))
        for blocks in report.narrative.values()
        for node in walk(blocks)
        if isinstance(node, narrative.Bold)
    }
    assert bold_texts
    runs = package.body.xpath(".//w:r[w:rPr/w:b]", namespaces=NS)
    drawn = {"".join(r.xpath("w:t/text()", namespaces=NS)) for r in runs}
    assert bold_texts <= drawn


def test_links_are_hyperlinks_to_their_url(package: Package, report: Report) -> None:
    """Each narrative link is a w:hyperlink whose relationship targets the URL, external."""
    urls = {
        node.url
        for blocks in report.narrative.values()
        for node in walk(blocks)
        if isinstance(node, narrative.Link)
    }
    rels = package.xml("word/_rels/document.xml.rels")
    targets = {}
    for link in package.body.iter(w("hyperlink")):
        rid = link.get(f"{{{NS['r']}}}id")
        (rel,) = rels.xpath(f"rel:Relationship[@Id='{rid}']", namespaces=NS)
        assert rel.get("TargetMode") == "External"
        targets[rel.get("Target")] = "".join(link.xpath(".//w:t/text()", namespaces=NS))
    assert urls == {"http://gxj.shangqiu.gov.cn/"}
    assert set(targets) == urls


def test_lists_become_numbered_and_bulleted_paragraphs(report: Report) -> None:
    """Lists are 公文 enumeration: "1.", "2." … then a tab, hanging in the indent of the
    list style; a bulleted list is numbered too (a 公文 has no bullets)."""
    text = narrative.Text
    lists = (
        narrative.ListBlock(True, ((text("甲"),), (text("乙"),))),
        narrative.ListBlock(False, ((text("丙"),),)),
    )
    key = ("problems", "text")
    changed = dataclasses.replace(report, narrative={**report.narrative, key: lists})
    package = Package(RENDERER.render(changed, OPTIONS))
    paragraphs = package.paragraphs("ListItem")
    assert paragraphs == ["1.甲", "2.乙", "1.丙"]
    ind = package.style("ListItem").find("w:pPr/w:ind", NS)
    assert int(ind.get(w("hanging"))) > 0 and ind.get(w("firstLine")) is None


def test_signature_and_date_close_the_report(package: Package, report: Report) -> None:
    """The agency and the publication date (2022年1月20日) close the body, right-aligned."""
    assert package.paragraphs("Signature") == [report.agency, "2022年1月20日"]
    ppr = package.style("Signature").find("w:pPr", NS)
    assert ppr.find("w:jc", NS).get(w("val")) == "right"


# --------------------------------------------------------------------------- the tables


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_table_figure_equals_the_report_value(path: Path) -> None:
    """In every example, each figure sits at its grid position and equals report.values."""
    outcome = check_file(path)
    assert outcome.report is not None
    report = outcome.report
    package = Package(RENDERER.render(report, OPTIONS))
    checked = 0
    for tbl, (_, grid) in zip(package.tables(), grids(report), strict=True):
        cells, _ = docx_table(tbl)
        for cell in grid.values():
            assert cell.path is not None
            kind = report.format.cells[cell.path].value
            expected = format_value(report.values[cell.path], kind)
            assert cells[(cell.row, cell.col)].text == expected
            checked += 1
    assert checked == len(report.values)


def test_every_cell_matches_the_layout_grid(package: Package, report: Report) -> None:
    """Every drawn cell has the text, position and spans of its layout.GridCell; no holes."""
    for tbl, (_, grid) in zip(package.tables(), grids(report), strict=True):
        cells, owner = docx_table(tbl)
        expected = {
            (c.row, c.col): Square(c.row, c.col, c.rowspan, c.colspan, c.text)
            for row in grid.rows
            for c in row
        }
        assert cells == expected
        assert set(owner) == {(r, c) for r in range(len(grid.rows)) for c in range(grid.ncols)}


def test_t3_corner_spans_three_columns_and_three_rows(package: Package, report: Report) -> None:
    """表三's note cell: gridSpan 3 with vMerge restart, continued in header rows 2 and 3."""
    tbl, _ = table_for(package, report, "表三")
    rows = tbl.findall("w:tr", NS)
    first = [row.find("w:tc/w:tcPr", NS) for row in rows[:3]]
    assert [p.xpath("string(w:gridSpan/@w:val)", namespaces=NS) for p in first] == ["3"] * 3
    vmerge = [p.find("w:vMerge", NS).get(w("val")) for p in first]
    assert vmerge == ["restart", None, None]
    cells, _ = docx_table(tbl)
    assert cells[(0, 0)].text.startswith("（本列数据的勾稽关系为")
    assert (cells[(0, 0)].rowspan, cells[(0, 0)].colspan) == (3, 3)


def test_t3_handling_results_span_22_rows(package: Package, report: Report) -> None:
    """表三's 三、本年度办理结果 is one cell merged down 22 rows."""
    tbl, _ = table_for(package, report, "表三")
    cells, _ = docx_table(tbl)
    (result,) = [c for c in cells.values() if c.text == "三、本年度办理结果"]
    assert (result.rowspan, result.colspan, result.col) == (22, 1, 0)


def test_t4_review_spans_5_and_litigation_10_columns(package: Package, report: Report) -> None:
    """表四's top header: 行政复议 over 5 columns, 行政诉讼 over 10."""
    tbl, _ = table_for(package, report, "表四")
    cells, _ = docx_table(tbl)
    top = {c.text: c.colspan for c in cells.values() if c.row == 0}
    assert top == {"行政复议": 5, "行政诉讼": 10}


def test_header_rows_repeat_on_every_page(package: Package, report: Report) -> None:
    """Exactly the grid's head rows carry w:tblHeader (表三 and 表四: three each)."""
    heads = [header_rows(tbl) for tbl in package.tables()]
    assert heads == [list(range(grid.head)) for _, grid in grids(report)]
    assert [len(h) for h in heads] == [0, 3, 3]


def test_columns_fill_the_text_width(package: Package) -> None:
    """Each table's grid columns add up to the 156 mm text width (8845 twips), fixed layout."""
    for tbl in package.tables():
        widths = [int(x) for x in tbl.xpath("w:tblGrid/w:gridCol/@w:w", namespaces=NS)]
        assert sum(widths) == 8845
        assert tbl.find("w:tblPr/w:tblLayout", NS).get(w("type")) == "fixed"


def test_label_columns_are_wider_than_figure_columns(package: Package, report: Report) -> None:
    """表三's label columns are wider than its figure columns; 表四's 15 columns are equal."""
    t3, _ = table_for(package, report, "表三")
    widths = [int(x) for x in t3.xpath("w:tblGrid/w:gridCol/@w:w", namespaces=NS)]
    assert min(widths[:3]) > max(widths[3:])
    t4, _ = table_for(package, report, "表四")
    widths = [int(x) for x in t4.xpath("w:tblGrid/w:gridCol/@w:w", namespaces=NS)]
    assert len(widths) == 15
    assert max(widths) - min(widths) <= 1 + 14  # equal, the last takes the rounding


def test_tables_have_single_borders_on_all_cells(package: Package) -> None:
    """tblBorders draws single 0.5 pt lines outside and between all cells."""
    for tbl in package.tables():
        borders = tbl.find("w:tblPr/w:tblBorders", NS)
        edges = {b.tag.split("}")[1]: (b.get(w("val")), b.get(w("sz"))) for b in borders}
        assert edges == dict.fromkeys(
            ("top", "left", "bottom", "right", "insideH", "insideV"), ("single", "4")
        )


def test_table_text_is_single_spaced_without_indent(package: Package) -> None:
    """Table paragraphs: single line spacing, no first-line indent, off the line grid."""
    for style_id, half_points in (("TableText", "21"), ("TableTextSmall", "18")):
        style = package.style(style_id)
        spacing = style.find("w:pPr/w:spacing", NS)
        assert (spacing.get(w("line")), spacing.get(w("lineRule"))) == ("240", "auto")
        ind = style.find("w:pPr/w:ind", NS)
        assert (ind.get(w("firstLine")), ind.get(w("firstLineChars"))) == ("0", "0")
        assert style.find("w:pPr/w:snapToGrid", NS).get(w("val")) == "0"
        assert style.find("w:rPr/w:sz", NS).get(w("val")) == half_points


def test_wide_tables_use_the_small_table_font(package: Package) -> None:
    """表二 is set in 五号 (Table Text); 表三 and 表四 in 小五 (Table Text Small)."""
    used = [set(tbl.xpath(".//w:pStyle/@w:val", namespaces=NS)) for tbl in package.tables()]
    assert used == [{"TableText"}, {"TableTextSmall"}, {"TableTextSmall"}]


def test_figures_are_centred_and_row_labels_left(package: Package, report: Report) -> None:
    """Figure cells are centred; one-row row labels are left-aligned."""
    tbl, grid = table_for(package, report, "表三")
    trs = tbl.findall("w:tr", NS)
    _, owner = docx_table(tbl)
    by_origin = {}
    for r, tr in enumerate(trs):
        c = 0
        for tc in tr.findall("w:tc", NS):
            by_origin.setdefault(owner[(r, c)], tc)
            c += int(tc.xpath("string(w:tcPr/w:gridSpan/@w:val)", namespaces=NS) or 1)
    for row in grid.rows:
        for cell in row:
            jc = by_origin[(cell.row, cell.col)].xpath("string(.//w:jc/@w:val)", namespaces=NS)
            if cell.kind == "value":
                assert jc == "center"
            elif cell.kind == "row" and cell.rowspan == 1:
                assert jc == "left"


# --------------------------------------------------------------------------- page numbers


@pytest.mark.parametrize("kind", ["default", "even"])
def test_footers_hold_a_page_field_between_dashes(package: Package, kind: str) -> None:
    """Odd and even footers show "— PAGE —": dashes around a complex PAGE field."""
    footer = package.footer(kind)
    chars = footer.xpath(".//w:fldChar/@w:fldCharType", namespaces=NS)
    assert chars == ["begin", "separate", "end"]
    assert [t.strip() for t in footer.xpath(".//w:instrText/text()", namespaces=NS)] == ["PAGE"]
    texts = footer.xpath(".//w:t/text()", namespaces=NS)
    assert (texts[0], texts[-1]) == ("— ", " —")


def test_odd_pages_number_right_and_even_pages_left(package: Package) -> None:
    """evenAndOddHeaders is on; odd numbers sit right, even left, each one 四号 character in."""
    settings = package.xml("word/settings.xml")
    assert settings.find("w:evenAndOddHeaders", NS) is not None
    odd = package.footer("default").find("w:p/w:pPr", NS)
    even = package.footer("even").find("w:p/w:pPr", NS)
    assert odd.find("w:jc", NS).get(w("val")) == "right"
    assert even.find("w:jc", NS).get(w("val")) == "left"
    one_char = str(int(Pt(14).twips))
    assert odd.find("w:ind", NS).get(w("right")) == one_char
    assert even.find("w:ind", NS).get(w("left")) == one_char


# --------------------------------------------------------------------------- reproducibility


def test_two_renders_are_byte_identical(report: Report) -> None:
    """The same report renders to the same bytes."""
    assert RENDERER.render(report, OPTIONS) == RENDERER.render(report, OPTIONS)


def test_output_is_a_normalized_zip(package: Package) -> None:
    """Entries carry the fixed 1980 timestamp; re-normalizing changes nothing."""
    assert {i.date_time for i in package.zip.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert normalize_zip(package.data) == package.data


def core(package: Package) -> dict[str, str]:
    root = package.xml("docProps/core.xml")
    return {el.tag.split("}")[1]: el.text or "" for el in root}


def test_core_properties_come_from_the_report(package: Package, report: Report) -> None:
    """Title and author from the report; created = modified = publication day, revision 1."""
    props = core(package)
    assert props["title"] == report.title
    assert props["creator"] == props["lastModifiedBy"] == report.agency
    assert props["created"] == props["modified"] == "2022-01-20T00:00:00Z"
    assert props["revision"] == "1"


def test_unpublished_report_takes_source_date_epoch(
    report: Report, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a publication date, core.xml carries the SOURCE_DATE_EPOCH build time."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    meta = {k: v for k, v in report.meta.items() if k != "published"}
    unpublished = dataclasses.replace(report, meta=meta)
    props = core(Package(RENDERER.render(unpublished, RenderOptions())))
    assert props["created"] == props["modified"] == "2023-11-14T22:13:20Z"


# --------------------------------------------------------------------------- reference documents


@pytest.fixture
def reference(tmp_path: Path) -> Path:
    """A user's reference document: Letter paper, a red Heading 1, and a cover paragraph."""
    doc = Document()
    doc.add_paragraph("封面：请勿保留")
    doc.styles["Heading 1"].font.size = Pt(20)
    path = tmp_path / "reference.docx"
    doc.save(str(path))
    return path


def test_reference_docx_keeps_its_styles_and_page(report: Report, reference: Path) -> None:
    """A reference document's own styles and page size are kept; its body text is not."""
    options = RenderOptions(reference_docx=reference, timestamp=OPTIONS.timestamp)
    package = Package(RENDERER.render(report, options))
    assert "封面：请勿保留" not in "".join(package.body.itertext())
    assert package.style("Heading1").find("w:rPr/w:sz", NS).get(w("val")) == "40"
    section = Document(io.BytesIO(package.data)).sections[0]
    assert round(section.page_width.inches, 1) == 8.5
    assert package.paragraphs("Heading1") == [s.heading for s in report.format.sections]


def test_reference_docx_gains_the_missing_table_styles(report: Report, reference: Path) -> None:
    """Styles a reference lacks (Table Text, Signature) are added with the GB/T settings."""
    options = RenderOptions(reference_docx=reference, timestamp=OPTIONS.timestamp)
    package = Package(RENDERER.render(report, options))
    fonts = package.style("TableText").find("w:rPr/w:rFonts", NS)
    assert fonts.get(w("eastAsia")) == "宋体"
    assert package.paragraphs("Signature")[0] == report.agency


# --------------------------------------------------------------------------- helpers


def walk(blocks: tuple[narrative.Block, ...]) -> Iterator[object]:
    """Every block and inline node of a narrative, depth first."""
    for block in blocks:
        yield block
        inlines = (
            block.inlines
            if isinstance(block, narrative.Paragraph)
            else tuple(i for item in block.items for i in item)
        )
        yield from walk_inlines(inlines)


def walk_inlines(inlines: tuple[narrative.Inline, ...]) -> Iterator[object]:
    for node in inlines:
        yield node
        if isinstance(node, narrative.Bold | narrative.Link):
            yield from walk_inlines(node.children)


def package_text(inlines: tuple[narrative.Inline, ...]) -> Iterator[str]:
    for node in inlines:
        if isinstance(node, narrative.Text):
            yield node.text
        elif isinstance(node, narrative.Bold | narrative.Link):
            yield from package_text(node.children)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_reports())
def test_random_reports_round_trip_through_docx(text: str) -> None:
    """For any valid report, every DOCX cell has the grid's text, position and merges."""
    outcome = check_source(loads(text))
    assert outcome.report is not None, [str(d) for d in outcome.errors]
    report = outcome.report
    package = Package(RENDERER.render(report, OPTIONS))
    figures = 0
    for tbl, (_, grid) in zip(package.tables(), grids(report), strict=True):
        cells, _ = docx_table(tbl)
        assert cells == {
            (c.row, c.col): Square(c.row, c.col, c.rowspan, c.colspan, c.text)
            for row in grid.rows
            for c in row
        }
        for c in grid.values():
            assert c.path is not None
            kind = report.format.cells[c.path].value
            assert cells[(c.row, c.col)].text == format_value(report.values[c.path], kind)
            figures += 1
    assert figures == len(report.values)
