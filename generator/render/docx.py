"""Report → Word document laid out as a 公文 (GB/T 9704-2012).

The page (A4, margins 37/35/28/26 mm, 22 lines of 28 characters), the fonts
(title 二号 方正小标宋简体, body 三号 仿宋_GB2312, headings 黑体 and 楷体_GB2312) and
the page numbers (``— N —`` in 四号 宋体, odd pages right, even pages left) are set
once on a template, which is python-docx's default document restyled, or the
user's reference document as it is.  The template is prepared with python-docx and
cached; each report then only needs its body, its hyperlink relationships and its
core properties written, which keeps rendering in the low milliseconds.

Tables are drawn from ``layout.Grid``: every label and merge comes from there.
"""

from __future__ import annotations

import functools
import io
import math
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt

from .. import narrative
from ..layout import Grid, GridCell
from ..output import zip_parts
from ..values import cn_date
from . import RenderOptions, _ooxml, pagination
from ._ooxml import Cell, Look, w
from .reference import load_reference

if TYPE_CHECKING:
    from ..model import Report

__all__ = ["RENDERER", "DocxRenderer"]

# --------------------------------------------------------------------------- GB/T 9704

LATIN = "Times New Roman"
BODY_FONT = "仿宋_GB2312"
TITLE_FONT = "方正小标宋简体"
HEADING_FONT = "黑体"
SUBHEADING_FONT = "楷体_GB2312"
PAGE_NUMBER_FONT = "宋体"
TABLE_FONT = "宋体"

BODY_PT = 16  # 三号
TITLE_PT = 22  # 二号
PAGE_NUMBER_PT = 14  # 四号
TABLE_PT = 10.5  # 五号
SMALL_TABLE_PT = 9  # 小五, for tables of ten columns or more
SMALL_TABLE_COLUMNS = 10

LINE_TWIPS = 579  # 28.95 pt: 22 lines fill the 225 mm text block
CHARS_PER_LINE = 28
# 28 三号 characters fill 156 mm only if each is condensed by about 0.2 pt.  A
# character grid (linesAndChars with a negative charSpace) does that in Word and WPS,
# but LibreOffice 7.4 then gives every character two grid cells and spreads the text
# over the line.  So the section gets a line grid only, and the body style condenses
# its characters itself (w:spacing -0.25 pt), which every office suite honours.
CHARACTER_GRID = False
BODY_CONDENSE_TWIPS = -5
FOOTER_DISTANCE = Mm(25.2)  # the dashes of "— N —" 7 mm under the text block (GB/T 9704 7.5)

INDENT_2 = 2 * BODY_PT * 20  # 左空二字, in twips (Word also gets firstLineChars=200)
LIST_HANGING = 2 * BODY_PT * 20  # room for "12." before the item's text

# Styles by role: the name Word shows, and the formatting.  The default template is
# restyled with these; a reference document keeps the styles it has and gets only
# the missing ones.
_STYLES: dict[str, tuple[str, Look]] = {
    "body": ("Normal", Look(
        LATIN, BODY_FONT, BODY_PT, align="both", exact_line_twips=LINE_TWIPS,
        first_line_chars=200, first_line_twips=INDENT_2, char_spacing_twips=BODY_CONDENSE_TWIPS,
        widow_control=True,
    )),
    # 公文 enumeration: "1." hangs in the indent, wrapped lines align with the text.
    "list": ("List Item", Look(
        LATIN, BODY_FONT, BODY_PT, align="both", exact_line_twips=LINE_TWIPS,
        left_twips=INDENT_2 + LIST_HANGING, hanging_twips=LIST_HANGING,
        char_spacing_twips=BODY_CONDENSE_TWIPS, widow_control=True,
    )),
    "title": ("Title", Look(
        LATIN, TITLE_FONT, TITLE_PT, align="center", exact_line_twips=LINE_TWIPS,
        after_twips=LINE_TWIPS, keep_next=True, snap_to_grid=False,
    )),
    "heading1": ("Heading 1", Look(
        LATIN, HEADING_FONT, BODY_PT, align="both", exact_line_twips=LINE_TWIPS,
        first_line_chars=200, first_line_twips=INDENT_2, keep_next=True, outline_level=0,
    )),
    "heading2": ("Heading 2", Look(
        LATIN, SUBHEADING_FONT, BODY_PT, align="both", exact_line_twips=LINE_TWIPS,
        first_line_chars=200, first_line_twips=INDENT_2, keep_next=True, outline_level=1,
    )),
    # 署名 and 成文日期: right-aligned, 右空二字.
    "signature": ("Signature", Look(
        LATIN, BODY_FONT, BODY_PT, align="right", exact_line_twips=LINE_TWIPS,
        right_twips=INDENT_2,
    )),
    "footer": ("Footer", Look(
        PAGE_NUMBER_FONT, PAGE_NUMBER_FONT, PAGE_NUMBER_PT, snap_to_grid=False,
    )),
    "table": ("Table Text", Look(
        LATIN, TABLE_FONT, TABLE_PT, align="center", snap_to_grid=False,
    )),
    "table_small": ("Table Text Small", Look(
        LATIN, TABLE_FONT, SMALL_TABLE_PT, align="center", snap_to_grid=False,
    )),
}  # fmt: skip
_KEEP_TABLE_STYLES = {"TableNormal", "TableGrid"}

# --------------------------------------------------------------------------- template


@dataclass(frozen=True, slots=True)
class _Template:
    """A prepared base document: its package parts and what rendering needs to know."""

    parts: Mapping[str, bytes]
    document_xml: bytes
    rels_xml: bytes
    styles: Mapping[str, str]  # role → styleId
    hyperlink_style: str | None
    text_width: int  # twips
    text_height: int  # twips


_DOCUMENT = "word/document.xml"
_RELS = "word/_rels/document.xml.rels"
_CORE = "docProps/core.xml"
_APP = "docProps/app.xml"
_FONTS = "word/fontTable.xml"

# The fonts the default template uses, declared so that Word and WPS substitute a
# Chinese face of the same kind when one is missing (charset 86 = GB2312, the name
# on a stock Windows as altName, serif or sans by panose and family).
_FONT_TABLE = (
    _ooxml.FontDecl(LATIN, None, "02020603050405020304", "roman", charset="00"),
    _ooxml.FontDecl(BODY_FONT, "仿宋", "02010609030101010101", "modern", pitch="fixed"),
    _ooxml.FontDecl(TITLE_FONT, "宋体", "02000000000000000000", "roman"),
    _ooxml.FontDecl(HEADING_FONT, "SimHei", "02010609060101010101", "swiss", pitch="fixed"),
    _ooxml.FontDecl(SUBHEADING_FONT, "楷体", "02010609030101010101", "modern", pitch="fixed"),
    _ooxml.FontDecl(PAGE_NUMBER_FONT, "SimSun", "02010600030101010101", "roman"),
)


def _template_for(reference: Path | None) -> _Template:
    if reference is None:
        return _template(None)
    stat = reference.stat()
    return _template((str(reference.resolve()), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=8)
def _template(key: tuple[str, int, int] | None) -> _Template:
    """Prepare the default template (``key`` None) or a reference document, once."""
    doc = Document(io.BytesIO(load_reference(Path(key[0]), key[0]).data)) if key else Document()
    body = doc.element.body
    for child in list(body):
        if child.tag != w("sectPr"):
            body.remove(child)
    if key is None:
        _restyle_default(doc)
    styles = {role: _ensure_style(doc, role, overwrite=key is None) for role in _STYLES}
    hyperlink = _hyperlink_style(doc, overwrite=key is None)
    buf = io.BytesIO()
    doc.save(buf)
    with zipfile.ZipFile(buf) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    section = doc.sections[-1]
    width = (section.page_width or 0) - (section.left_margin or 0) - (section.right_margin or 0)
    height = (section.page_height or 0) - (section.top_margin or 0) - (section.bottom_margin or 0)
    parts[_APP] = _ooxml.app_properties_xml("nianbao")
    if key is None:
        parts[_FONTS] = _ooxml.font_table_xml(_FONT_TABLE)
    return _Template(
        parts=parts,
        document_xml=parts[_DOCUMENT],
        rels_xml=parts[_RELS],
        styles=styles,
        hyperlink_style=hyperlink,
        text_width=int(width) // 635,  # EMU → twips
        text_height=int(height) // 635,
    )


def _ensure_style(doc: Any, role: str, *, overwrite: bool) -> str:
    """The styleId for ``role``, adding (or, for the default template, restyling) the style."""
    name, look = _STYLES[role]
    try:
        style = doc.styles[name]
    except KeyError:
        style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = doc.styles["Normal"]
        overwrite = True
    if overwrite:
        _ooxml.set_style_format(style.element, look)
    return str(style.style_id)


def _hyperlink_style(doc: Any, *, overwrite: bool) -> str:
    try:
        style = doc.styles["Hyperlink"]
    except KeyError:
        style = doc.styles.add_style("Hyperlink", WD_STYLE_TYPE.CHARACTER)
        overwrite = True
    if overwrite:
        style.font.underline = True
    return str(style.style_id)


def _restyle_default(doc: Any) -> None:
    """python-docx's default template turned into a GB/T 9704 page."""
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance, section.footer_distance = Mm(15), FOOTER_DISTANCE
    section.gutter = 0
    width_pt = (section.page_width - section.left_margin - section.right_margin) / 12700
    char_space = math.floor((width_pt / CHARS_PER_LINE - BODY_PT) * 4096)  # 28 must fit
    _ooxml.set_doc_grid(section._sectPr, LINE_TWIPS, char_space if CHARACTER_GRID else None)

    styles = doc.styles
    for style in list(styles):
        if style.type == WD_STYLE_TYPE.TABLE and style.style_id not in _KEEP_TABLE_STYLES:
            style.element.getparent().remove(style.element)
    _ooxml.strip_theme_fonts(styles.element)
    _ooxml.set_doc_defaults(styles.element, LATIN, BODY_FONT, BODY_PT)

    doc.settings.odd_and_even_pages_header_footer = True
    _ooxml.set_theme_font_lang(doc.settings.element, "zh-CN")
    _ooxml.set_compress_punctuation(doc.settings.element)
    for footer, align in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        p = footer.paragraphs[0]
        p.style = styles["Footer"]
        p.alignment = align
        indent = Pt(PAGE_NUMBER_PT)  # 单页码居右空一字，双页码居左空一字
        if align == WD_ALIGN_PARAGRAPH.RIGHT:
            p.paragraph_format.right_indent = indent
        else:
            p.paragraph_format.left_indent = indent
        _ooxml.paragraph_field(p._p, "— ", " PAGE ", "1", " —")

    # Parts the restyled template no longer needs: Word 2010 style copies that would
    # contradict styles.xml, and a thumbnail of an empty page.
    for rid, rel in list(doc.part.rels.items()):
        if rel.reltype.endswith("/stylesWithEffects"):
            doc.part.drop_rel(rid)
    package_rels = doc.part.package.rels
    for rid, rel in list(package_rels.items()):
        if rel.reltype.endswith("/thumbnail"):
            package_rels.pop(rid)


# --------------------------------------------------------------------------- tables


def _column_widths(grid: Grid, total: int) -> list[int]:
    """Twips per grid column, filling ``total``: label columns wider, figures narrow.

    A label column gets about half its longest one-column label in characters (at
    least 4, at most 10); a figure column 2.5, so long labels wrap onto two or three
    lines and every figure column has room for the widest header word.
    """
    label: dict[int, int] = {}
    for row in grid.rows:
        for cell in row:
            if cell.kind in ("row", "corner"):
                for c in range(cell.col, cell.col + cell.colspan):
                    label.setdefault(c, 0)
                if cell.colspan == 1 and cell.rowspan <= 2:
                    label[cell.col] = max(label[cell.col], len(cell.text))
    weights = [min(max(label[c] / 2, 4.0), 10.0) if c in label else 2.5 for c in range(grid.ncols)]
    scale = total / sum(weights)
    widths = [int(x * scale) for x in weights]
    widths[-1] += total - sum(widths)
    return widths


def _align(cell: GridCell) -> _ooxml.Align:
    if cell.kind == "corner":
        return "both"
    if cell.kind == "row" and cell.rowspan == 1:
        return "left"
    return "center"


def _table_rows(grid: Grid) -> Iterator[tuple[bool, Sequence[Cell]]]:
    """Each grid row as ``w:tc`` specs: spans from the grid, a continuation per covered row."""
    covered = grid.covered()
    for r in range(len(grid.rows)):
        cells: list[Cell] = []
        c = 0
        while c < grid.ncols:
            cell = covered.get((r, c))
            if cell is None:
                cells.append(Cell("", 1, None))
                c += 1
                continue
            span = cell.col + cell.colspan - c
            if cell.row == r:
                vmerge: _ooxml.VMerge = "restart" if cell.rowspan > 1 else None
                cells.append(Cell(cell.text, span, vmerge, _align(cell)))
            else:
                cells.append(Cell(None, span, "continue", _align(cell)))
            c += span
        yield r < grid.head, cells


# --------------------------------------------------------------------------- narrative


class _Links:
    """Hyperlink relationship ids, one per distinct URL, allocated as links appear."""

    def __init__(self, rels_xml: bytes) -> None:
        self._free = _ooxml.free_rel_ids(rels_xml)
        self.ids: dict[str, str] = {}

    def rid(self, url: str) -> str:
        if url not in self.ids:
            self.ids[url] = next(self._free)
        return self.ids[url]


def _runs(
    inlines: Iterable[narrative.Inline], links: _Links, bold: bool = False, rid: str | None = None
) -> Iterator[tuple[str, bool, str | None]]:
    for node in inlines:
        if isinstance(node, narrative.Text):
            yield node.text, bold, rid
        elif isinstance(node, narrative.Bold):
            yield from _runs(node.children, links, True, rid)
        elif isinstance(node, narrative.Link):  # http(s) or mailto only, by construction
            yield from _runs(node.children, links, bold, links.rid(node.url))
            shown = "".join(_plain(node.children)).strip()
            if shown not in (node.url, node.url.removeprefix("mailto:")):
                yield f"（{node.url}）", bold, rid  # printed copies keep the address
        else:
            raise TypeError(f"DOCX renderer cannot draw narrative node {type(node).__name__}")


def _plain(inlines: Iterable[narrative.Inline]) -> Iterator[str]:
    for node in inlines:
        if isinstance(node, narrative.Text):
            yield node.text
        elif isinstance(node, narrative.Bold | narrative.Link):
            yield from _plain(node.children)


def _blocks(
    out: _ooxml.BodyWriter,
    blocks: Iterable[narrative.Block],
    styles: Mapping[str, str],
    links: _Links,
) -> None:
    """Paragraphs, and lists as 公文 enumeration: "1." hanging before the text, bulleted
    lists numbered too (a 公文 has no bullets), wrapped lines under the text."""
    for block in blocks:
        if isinstance(block, narrative.Paragraph):
            out.paragraph(styles["body"], _runs(block.inlines, links))
        elif isinstance(block, narrative.ListBlock):
            for i, item in enumerate(block.items, start=1):
                marker = [(f"{i}.", False, None), ("\t", False, None)]
                out.paragraph(styles["list"], [*marker, *_runs(item, links)])
        else:
            raise TypeError(f"DOCX renderer cannot draw narrative block {type(block).__name__}")


# --------------------------------------------------------------------------- rendering


def _timestamp(report: Report, options: RenderOptions) -> datetime:
    """The report's publication date (00:00 UTC), else the build clock."""
    if report.published is not None:
        day = report.published
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    return options.timestamp.astimezone(UTC)


def _body(report: Report, template: _Template, links: _Links) -> bytes:
    style = template.styles
    out = _ooxml.BodyWriter(template.hyperlink_style)
    title: list[tuple[str, bool, str | None]] = []
    for line in report.title_lines:  # 词意完整: 机关名称 / 年度报告, never cut by width
        title += [("\n", False, None), (line, False, None)] if title else [(line, False, None)]
    out.paragraph(style["title"], title)
    for view in report.document():
        out.paragraph(style["heading1"], [(view.heading, False, None)])
        for part in view.parts:
            if part.heading is not None:
                out.paragraph(style["heading2"], [(part.heading, False, None)])
            _blocks(out, part.blocks, style, links)
        if view.grid is not None:
            grid = view.grid
            small = grid.ncols >= SMALL_TABLE_COLUMNS
            cell_style = style["table_small" if small else "table"]
            widths = _column_widths(grid, template.text_width)
            size = SMALL_TABLE_PT if small else TABLE_PT
            page = template.text_height - (LINE_TWIPS if not view.parts else 0)
            keep = pagination.keep_flags(grid, pagination.row_heights(grid, widths, size), page)
            if grid.notes:  # the table's last row keeps with its 注
                keep[-1] = True
            out.table(widths, cell_style, _table_rows(grid), keep=keep)
            for note in grid.notes:  # a report's local 注：… under its table
                out.paragraph(style["body"], [(note, False, None)])
    # The 落款 is never alone: the body's last lines (widow control keeps two), the
    # blank line, 署名 and 成文日期 stay on one page.
    out.keep_last_with_next()
    out.paragraph(style["body"], keep_next=True, keep_lines=True)
    has_date = report.published is not None
    out.paragraph(
        style["signature"], [(report.agency, False, None)], keep_next=has_date, keep_lines=True
    )
    if report.published is not None:
        date = [(cn_date(report.published), False, None)]
        out.paragraph(style["signature"], date, keep_lines=True)
    before, after = _ooxml.split_document(template.document_xml)
    return before + out.xml() + after


class DocxRenderer:
    """Renders a Report as the bytes of a .docx file (deterministic: same report, same bytes)."""

    suffix = "docx"

    def render(self, report: Report, options: RenderOptions) -> bytes:
        template = _template_for(options.reference_docx)
        links = _Links(template.rels_xml)
        parts = dict(template.parts)
        parts[_DOCUMENT] = _body(report, template, links)
        if links.ids:
            urls = {rid: url for url, rid in links.ids.items()}
            parts[_RELS] = _ooxml.add_hyperlink_rels(template.rels_xml, urls)
        parts[_CORE] = _ooxml.core_properties_xml(
            title=report.title, author=report.agency, when=_timestamp(report, options)
        )
        return zip_parts(parts)


RENDERER = DocxRenderer()
