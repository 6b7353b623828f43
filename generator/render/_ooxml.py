"""Raw WordprocessingML for the DOCX renderer: the one module that touches lxml.

python-docx has no API for East Asian fonts, document grids, fields, merged table
cells written in one pass, or core properties without a whole package.  Everything
that needs raw XML lives here, in schema order, so that ``docx.py`` speaks only of
styles, sections and report content.

The template's parts are edited as lxml elements; the report body, written once
and never read back, is produced as escaped markup text (see ``BodyWriter``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal
from xml.sax.saxutils import escape, quoteattr

from docx.opc.coreprops import CoreProperties
from docx.oxml.coreprops import CT_CoreProperties
from lxml import etree  # type: ignore[import-untyped]

__all__ = [
    "R_NS",
    "W_NS",
    "BodyWriter",
    "Cell",
    "FontDecl",
    "Look",
    "add_hyperlink_rels",
    "app_properties_xml",
    "core_properties_xml",
    "font_table_xml",
    "free_rel_ids",
    "paragraph_field",
    "set_compress_punctuation",
    "set_doc_defaults",
    "set_doc_grid",
    "set_east_asian_fonts",
    "set_style_format",
    "set_theme_font_lang",
    "split_document",
    "strip_theme_fonts",
    "w",
]

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_THEME_FONT_ATTRS = ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme")

Align = Literal["left", "center", "right", "both"]
VMerge = Literal["restart", "continue"] | None


def w(tag: str) -> str:
    """The Clark name of a ``w:`` element or attribute."""
    return f"{{{W_NS}}}{tag}"


_PPR, _R, _RPR, _T, _JC = (w(t) for t in ("pPr", "r", "rPr", "t", "jc"))
_VAL = w("val")


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Child order of the elements we rewrite (ECMA-376 Part 1, CT_PPr / CT_RPr / CT_Style).
_PPR_ORDER = _names(
    "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers "
    "pBdr shd tabs suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE "
    "autoSpaceDN bidi adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents "
    "suppressOverlap jc textDirection textAlignment textboxTightWrap outlineLvl divId cnfStyle "
    "rPr sectPr pPrChange"
)
_RPR_ORDER = _names(
    "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint "
    "noProof snapToGrid vanish webHidden color spacing w kern position sz szCs highlight u "
    "effect bdr shd fitText vertAlign rtl cs em lang eastAsianLayout specVanish oMath"
)
_STYLE_AFTER_RPR = ("tblPr", "trPr", "tcPr", "tblStylePr")


def _insert_ordered(parent: etree._Element, child: etree._Element, order: Sequence[str]) -> None:
    """Put ``child`` where the schema wants it among ``parent``'s children."""
    rank = {w(t): i for i, t in enumerate(order)}
    mine = rank[child.tag]
    for i, sibling in enumerate(parent):
        if rank.get(sibling.tag, -1) > mine:
            parent.insert(i, child)
            return
    parent.append(child)


def _child(parent: etree._Element, tag: str, order: Sequence[str]) -> etree._Element:
    """``parent``'s ``w:tag`` child, created in schema order when missing."""
    found = parent.find(w(tag))
    if found is None:
        found = etree.Element(w(tag))
        _insert_ordered(parent, found, order)
    return found


# --------------------------------------------------------------------------- styles


def set_east_asian_fonts(rpr: etree._Element, latin: str, east_asia: str) -> None:
    """Name the Latin and East Asian fonts of a ``w:rPr``; theme fonts would override them."""
    fonts = _child(rpr, "rFonts", _RPR_ORDER)
    for attr in _THEME_FONT_ATTRS:
        fonts.attrib.pop(w(attr), None)
    for attr in ("ascii", "hAnsi", "cs"):
        fonts.set(w(attr), latin)
    fonts.set(w("eastAsia"), east_asia)
    lang = _child(rpr, "lang", _RPR_ORDER)
    lang.set(w("eastAsia"), "zh-CN")


def strip_theme_fonts(styles: etree._Element) -> None:
    """Drop every theme font reference in ``styles.xml``, so named fonts always apply."""
    for fonts in styles.iter(w("rFonts")):
        for attr in _THEME_FONT_ATTRS:
            fonts.attrib.pop(w(attr), None)


@dataclass(frozen=True, slots=True)
class Look:
    """The formatting of one paragraph style; ``exact_line_twips`` None means single spacing."""

    latin: str
    east_asia: str
    size_pt: float
    bold: bool = False
    align: Align | None = None
    exact_line_twips: int | None = None
    after_twips: int = 0
    first_line_chars: int = 0  # hundredths of a character
    first_line_twips: int = 0
    left_twips: int = 0
    right_twips: int = 0
    snap_to_grid: bool = True
    outline_level: int | None = None
    keep_next: bool = False
    char_spacing_twips: int = 0  # negative condenses, as Word's 字符间距“紧缩”
    hanging_twips: int = 0  # a hanging indent (lists) instead of the first-line indent
    widow_control: bool = False  # no single first or last line of the paragraph on a page


def set_style_format(style: etree._Element, look: Look) -> None:
    """Replace the paragraph and run formatting of a ``w:style`` with exactly ``look``."""
    for old in style.findall(_PPR) + style.findall(_RPR):
        style.remove(old)
    ppr = etree.Element(_PPR)
    if look.keep_next:
        etree.SubElement(ppr, w("keepNext"))
    if look.widow_control:
        etree.SubElement(ppr, w("widowControl"))
    if not look.snap_to_grid:
        etree.SubElement(ppr, w("snapToGrid"), {_VAL: "0"})
    spacing = etree.SubElement(
        ppr, w("spacing"), {w("before"): "0", w("after"): str(look.after_twips)}
    )
    if look.exact_line_twips is None:
        spacing.set(w("line"), "240")
        spacing.set(w("lineRule"), "auto")
    else:
        spacing.set(w("line"), str(look.exact_line_twips))
        spacing.set(w("lineRule"), "exact")
    ind = {w("left"): str(look.left_twips), w("right"): str(look.right_twips)}
    if look.hanging_twips:
        ind[w("hanging")] = str(look.hanging_twips)
    else:
        ind[w("firstLineChars")] = str(look.first_line_chars)
        ind[w("firstLine")] = str(look.first_line_twips)
    etree.SubElement(ppr, w("ind"), ind)
    if look.align is not None:
        etree.SubElement(ppr, _JC, {_VAL: look.align})
    if look.outline_level is not None:
        etree.SubElement(ppr, w("outlineLvl"), {_VAL: str(look.outline_level)})
    rpr = etree.Element(_RPR)
    set_east_asian_fonts(rpr, look.latin, look.east_asia)
    flag = "1" if look.bold else "0"
    _insert_ordered(rpr, etree.Element(w("b"), {_VAL: flag}), _RPR_ORDER)
    _insert_ordered(rpr, etree.Element(w("bCs"), {_VAL: flag}), _RPR_ORDER)
    _insert_ordered(rpr, etree.Element(w("color"), {_VAL: "000000"}), _RPR_ORDER)
    if look.char_spacing_twips:
        spacing_el = etree.Element(w("spacing"), {_VAL: str(look.char_spacing_twips)})
        _insert_ordered(rpr, spacing_el, _RPR_ORDER)
    half_points = str(round(look.size_pt * 2))
    _insert_ordered(rpr, etree.Element(w("sz"), {_VAL: half_points}), _RPR_ORDER)
    _insert_ordered(rpr, etree.Element(w("szCs"), {_VAL: half_points}), _RPR_ORDER)
    # A w:style wants pPr and rPr before any table properties; docDefaults holds them
    # in rPrDefault/pPrDefault instead, which callers handle with set_east_asian_fonts.
    anchor = next((c for c in style if c.tag in {w(t) for t in _STYLE_AFTER_RPR}), None)
    if anchor is None:
        style.append(ppr)
        style.append(rpr)
    else:
        anchor.addprevious(ppr)
        anchor.addprevious(rpr)


def set_doc_defaults(styles: etree._Element, latin: str, east_asia: str, size_pt: float) -> None:
    """Document-wide run defaults (fonts, size, zh-CN) and paragraph defaults (no spacing)."""
    defaults = _child(styles, "docDefaults", ("docDefaults", "latentStyles", "style"))
    rpr_default = _child(defaults, "rPrDefault", ("rPrDefault", "pPrDefault"))
    rpr = _child(rpr_default, "rPr", ("rPr",))
    set_east_asian_fonts(rpr, latin, east_asia)
    half_points = str(round(size_pt * 2))
    _child(rpr, "sz", _RPR_ORDER).set(_VAL, half_points)
    _child(rpr, "szCs", _RPR_ORDER).set(_VAL, half_points)
    # The document's language (a PDF made from it says /Lang zh-CN), not only its
    # East Asian text: spelling, hyphenation and the PDF export read w:val.
    _child(rpr, "lang", _RPR_ORDER).set(_VAL, "zh-CN")
    ppr_default = _child(defaults, "pPrDefault", ("rPrDefault", "pPrDefault"))
    ppr = _child(ppr_default, "pPr", ("pPr",))
    spacing = _child(ppr, "spacing", _PPR_ORDER)
    spacing.attrib.clear()
    spacing.set(w("before"), "0")
    spacing.set(w("after"), "0")
    spacing.set(w("line"), "240")
    spacing.set(w("lineRule"), "auto")


def set_theme_font_lang(settings: etree._Element, east_asia: str) -> None:
    """Tell Word which language the theme's East Asian fonts are for (default: ja-JP)."""
    lang = settings.find(w("themeFontLang"))
    if lang is not None:
        lang.set(w("eastAsia"), east_asia)


def set_compress_punctuation(settings: etree._Element) -> None:
    """Compress full-width punctuation pairs such as ``）、`` (Word's 标点挤压, LibreOffice's
    "compress punctuation only"), as 公文 typesetting does; the default leaves a gap."""
    control = settings.find(w("characterSpacingControl"))
    if control is None:
        control = etree.Element(w("characterSpacingControl"))
        anchor = settings.find(w("compat"))
        if anchor is None:
            settings.append(control)
        else:
            anchor.addprevious(control)
    control.set(_VAL, "compressPunctuation")


def set_doc_grid(sect_pr: etree._Element, line_pitch: int, char_space: int | None) -> None:
    """The document grid: lines and characters (GB/T 9704: 22 × 28), or lines only
    when ``char_space`` is None."""
    grid = sect_pr.find(w("docGrid"))
    if grid is None:
        grid = etree.SubElement(sect_pr, w("docGrid"))
    grid.attrib.clear()
    grid.set(w("type"), "lines" if char_space is None else "linesAndChars")
    grid.set(w("linePitch"), str(line_pitch))
    if char_space is not None:
        grid.set(w("charSpace"), str(char_space))


def paragraph_field(
    p: etree._Element, before: str, instruction: str, cached: str, after: str
) -> None:
    """Append ``before``, a complex field (e.g. `` PAGE ``) showing ``cached``, then ``after``."""

    def run() -> etree._Element:
        return etree.SubElement(p, _R)

    etree.SubElement(run(), _T, {_XML_SPACE: "preserve"}).text = before
    etree.SubElement(run(), w("fldChar"), {w("fldCharType"): "begin"})
    instr = etree.SubElement(run(), w("instrText"), {_XML_SPACE: "preserve"})
    instr.text = instruction
    etree.SubElement(run(), w("fldChar"), {w("fldCharType"): "separate"})
    etree.SubElement(run(), _T).text = cached
    etree.SubElement(run(), w("fldChar"), {w("fldCharType"): "end"})
    etree.SubElement(run(), _T, {_XML_SPACE: "preserve"}).text = after


# --------------------------------------------------------------------------- package parts


@dataclass(frozen=True, slots=True)
class FontDecl:
    """One ``w:font`` of ``fontTable.xml``: what Word and WPS substitute when it is missing.

    ``charset`` 86 is GB2312; ``alt`` is the name the font goes by on a stock Windows
    (仿宋 for 仿宋_GB2312); ``panose`` and ``family`` say serif or sans, so a system that
    has neither picks a Chinese face of the same kind.
    """

    name: str
    alt: str | None
    panose: str
    family: Literal["roman", "swiss", "modern", "auto"]
    charset: str = "86"
    pitch: Literal["variable", "fixed"] = "variable"


def font_table_xml(fonts: Sequence[FontDecl]) -> bytes:
    """``word/fontTable.xml`` declaring exactly ``fonts``."""
    root = etree.Element(w("fonts"), nsmap={"w": W_NS})
    for font in fonts:
        el = etree.SubElement(root, w("font"), {w("name"): font.name})
        if font.alt:
            etree.SubElement(el, w("altName"), {_VAL: font.alt})
        etree.SubElement(el, w("panose1"), {_VAL: font.panose})
        etree.SubElement(el, w("charset"), {_VAL: font.charset})
        etree.SubElement(el, w("family"), {_VAL: font.family})
        etree.SubElement(el, w("pitch"), {_VAL: font.pitch})
    xml: bytes = etree.tostring(root, encoding="UTF-8", standalone=True)
    return xml


_APP_NS = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"


def app_properties_xml(application: str) -> bytes:
    """``docProps/app.xml`` naming the program that wrote the file, and nothing stale
    (page and word counts of an empty template, another program's name and version)."""
    root = etree.Element(f"{{{_APP_NS}}}Properties", nsmap={None: _APP_NS})
    etree.SubElement(root, f"{{{_APP_NS}}}Application").text = application
    etree.SubElement(root, f"{{{_APP_NS}}}DocSecurity").text = "0"
    xml: bytes = etree.tostring(root, encoding="UTF-8", standalone=True)
    return xml


def core_properties_xml(
    *, title: str, author: str, when: dt.datetime, language: str = "zh-CN"
) -> bytes:
    """``docProps/core.xml`` with fixed, report-derived values (no clock, no comments)."""
    props = CoreProperties(CT_CoreProperties.new())
    props.title = _property(title)
    props.author = _property(author)
    props.last_modified_by = _property(author)
    props.created = when
    props.modified = when
    props.revision = 1
    props.language = language
    xml: bytes = etree.tostring(props._element, encoding="UTF-8", standalone=True)
    return xml


def _property(text: str) -> str:
    """A document property fits Word's limit of 255 characters (python-docx refuses more)."""
    return text if len(text) <= 255 else text[:254] + "…"


def add_hyperlink_rels(rels_xml: bytes, urls: Mapping[str, str]) -> bytes:
    """``document.xml.rels`` with one external hyperlink relationship per ``rId → url``."""
    root = etree.fromstring(rels_xml)
    for rid, url in urls.items():
        etree.SubElement(
            root,
            f"{{{_PKG_RELS_NS}}}Relationship",
            {"Id": rid, "Type": _HYPERLINK, "Target": url, "TargetMode": "External"},
        )
    xml: bytes = etree.tostring(root, encoding="UTF-8", standalone=True)
    return xml


def free_rel_ids(rels_xml: bytes) -> Iterator[str]:
    """Relationship ids ``rIdN`` not yet used in ``rels_xml``, in increasing order."""
    root = etree.fromstring(rels_xml)
    used = {el.get("Id") for el in root}
    n = 1
    while True:
        rid = f"rId{n}"
        if rid not in used:
            yield rid
        n += 1


# --------------------------------------------------------------------------- body


@functools.lru_cache(maxsize=8)
def split_document(document_xml: bytes) -> tuple[bytes, bytes]:
    """Cut an empty ``document.xml`` where body content goes: just before the body's
    ``w:sectPr``.  The root is made to bind ``w:`` and ``r:`` as the body text expects."""
    root = etree.fromstring(document_xml)
    if root.nsmap.get("w") != W_NS or root.nsmap.get("r") != R_NS:
        nsmap = {k: v for k, v in root.nsmap.items() if v not in (W_NS, R_NS) and k not in "wr"}
        fresh = etree.Element(root.tag, root.attrib, nsmap={**nsmap, "w": W_NS, "r": R_NS})
        fresh.extend(list(root))
        root = fresh
    body = root.find(w("body"))
    if body is None:
        body = etree.SubElement(root, w("body"))
    marker = etree.Comment(_MARKER)
    sect = body.find(w("sectPr"))
    if sect is None:
        body.append(marker)
    else:
        sect.addprevious(marker)
    xml = etree.tostring(root, encoding="UTF-8", standalone=True)
    before, after = xml.split(f"<!--{_MARKER}-->".encode())
    return before, after


_MARKER = "nianbao body"


@dataclass(frozen=True, slots=True)
class Cell:
    """One ``w:tc`` to write: ``text`` None is a vertical-merge continuation."""

    text: str | None
    span: int = 1
    vmerge: VMerge = None
    align: Align = "center"


class BodyWriter:
    """Collects the body's paragraphs and tables as WordprocessingML text.

    The body is written, never read back, so it is produced as text with every
    report string escaped, and spliced into the template's ``document.xml``
    (``split_document``).  Building the same markup as lxml elements and then
    serialising it took three times as long; the fragments that recur in every
    report (label cells, property blocks) are cached.
    """

    def __init__(self, hyperlink_style: str | None) -> None:
        self._out: list[str] = []
        self._last, self._last_style = -1, ("", False)
        style = f"<w:rStyle w:val={quoteattr(hyperlink_style)}/>" if hyperlink_style else ""
        self._rpr = {
            (False, False): "",
            (True, False): "<w:rPr><w:b/><w:bCs/></w:rPr>",
            (False, True): f"<w:rPr>{style}</w:rPr>" if style else "",
            (True, True): f"<w:rPr>{style}<w:b/><w:bCs/></w:rPr>",
        }

    def xml(self) -> bytes:
        return "".join(self._out).encode()

    def paragraph(
        self,
        style: str,
        runs: Iterable[tuple[str, bool, str | None]] = (),
        *,
        keep_next: bool = False,
        keep_lines: bool = False,
    ) -> None:
        """A paragraph of ``(text, bold, hyperlink rId or None)`` runs.

        A run of exactly ``"\n"`` is a line break inside the paragraph, ``"\t"`` a tab.
        """
        out = self._out
        self._last, self._last_style = len(out), (style, keep_lines)
        out.append(_ppr(style, keep_next, keep_lines))
        open_link: str | None = None
        for text, bold, rid in runs:
            if not text:
                continue
            if text in _BREAKS:
                out.append(_BREAKS[text])
                continue
            if rid != open_link:
                if open_link is not None:
                    out.append("</w:hyperlink>")
                if rid is not None:
                    out.append(f"<w:hyperlink r:id={quoteattr(rid)}>")
                open_link = rid
            out.append(f"<w:r>{self._rpr[bold, rid is not None]}{_t(text)}</w:r>")
        if open_link is not None:
            out.append("</w:hyperlink>")
        out.append("</w:p>")

    def keep_last_with_next(self) -> None:
        """Make the paragraph written last keep with the next one (a 落款 must not stand alone)."""
        style, keep_lines = self._last_style
        self._out[self._last] = _ppr(style, True, keep_lines)

    def table(
        self,
        widths: Sequence[int],
        style: str,
        rows: Iterable[tuple[bool, Sequence[Cell]]],
        *,
        keep: Sequence[bool] = (),
    ) -> None:
        """A bordered, fixed-layout table; each row is ``(repeats as header, cells)``.

        Rows never break across pages (``cantSplit``); the paragraphs of row ``i`` keep
        with the next row when ``keep[i]``, so a page break can only fall after a row
        whose flag is false (see ``docx._keep_flags``).
        """
        starts = [0]
        for width in widths:
            starts.append(starts[-1] + width)
        out = self._out
        out.append(_table_start(tuple(widths)))
        rows = list(rows)
        for i, (header, cells) in enumerate(rows):
            out.append(_ROW_HEADER if header else _ROW)
            keep_row = i < len(keep) and keep[i]
            col = 0
            for cell in cells:
                width = starts[col + cell.span] - starts[col]
                out.append(
                    _tc(cell.text, cell.span, cell.vmerge, style, cell.align, width, keep_row)
                )
                col += cell.span
            out.append("</w:tr>")
        out.append("</w:tbl>")


_ROW = "<w:tr><w:trPr><w:cantSplit/></w:trPr>"
_ROW_HEADER = "<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>"
_BORDER = '<w:{0} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
_BORDERS = "".join(
    _BORDER.format(e) for e in ("top", "left", "bottom", "right", "insideH", "insideV")
)


def _t(text: str) -> str:
    if text[0].isspace() or text[-1].isspace():
        return f'<w:t xml:space="preserve">{escape(text)}</w:t>'
    return f"<w:t>{escape(text)}</w:t>"


_BREAKS = {"\n": "<w:r><w:br/></w:r>", "\t": "<w:r><w:tab/></w:r>"}


@functools.lru_cache(maxsize=64)
def _ppr(style: str, keep_next: bool = False, keep_lines: bool = False) -> str:
    keep = ("<w:keepNext/>" if keep_next else "") + ("<w:keepLines/>" if keep_lines else "")
    return f"<w:p><w:pPr><w:pStyle w:val={quoteattr(style)}/>{keep}</w:pPr>"


@functools.lru_cache(maxsize=64)
def _table_start(widths: tuple[int, ...]) -> str:
    grid = "".join(f'<w:gridCol w:w="{width}"/>' for width in widths)
    return (
        f'<w:tbl><w:tblPr><w:tblW w:w="{sum(widths)}" w:type="dxa"/><w:jc w:val="center"/>'
        f'<w:tblBorders>{_BORDERS}</w:tblBorders><w:tblLayout w:type="fixed"/>'
        '<w:tblCellMar><w:left w:w="57" w:type="dxa"/><w:right w:w="57" w:type="dxa"/>'
        '</w:tblCellMar><w:tblLook w:val="0000" w:firstRow="0" w:lastRow="0"'
        ' w:firstColumn="0" w:lastColumn="0" w:noHBand="1" w:noVBand="1"/></w:tblPr>'
        f"<w:tblGrid>{grid}</w:tblGrid>"
    )


@functools.lru_cache(maxsize=4096)
def _tc(
    text: str | None, span: int, vmerge: VMerge, style: str, align: Align, width: int, keep: bool
) -> str:
    """One ``w:tc``; labels recur in every report, so most cells come from the cache."""
    props = f'<w:tcW w:w="{width}" w:type="dxa"/>'
    if span > 1:
        props += f'<w:gridSpan w:val="{span}"/>'
    if vmerge == "restart":
        props += '<w:vMerge w:val="restart"/>'
    elif vmerge == "continue":
        props += "<w:vMerge/>"
    run = f"<w:r>{_t(text)}</w:r>" if text else ""
    keep_next = "<w:keepNext/>" if keep else ""
    return (
        f'<w:tc><w:tcPr>{props}<w:vAlign w:val="center"/></w:tcPr>'
        f"<w:p><w:pPr><w:pStyle w:val={quoteattr(style)}/>{keep_next}"
        f'<w:jc w:val="{align}"/></w:pPr>'
        f"{run}</w:p></w:tc>"
    )
