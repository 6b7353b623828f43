"""Reading a saved HTML page (a portal's article page, or nianbao's own HTML output).

lxml's HTML parser (libxml2) is fast, tolerant of the broken markup portals publish,
and safe here: it fetches nothing (``no_network``), expands no external entity, and
``huge_tree=False`` keeps libxml2's limits on depth and text size.  The article body is
the smallest element holding the report's section headings (on the corpus page that is
``<div class=TRS_Editor>``), so navigation, footers and scripts around it are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lxml import etree, html  # type: ignore[import-untyped]

from .document import Document, GridBuilder, Inline, Para, SourceTable, Unreadable
from .text import clean

__all__ = ["MAX_HTML_BYTES", "read_html"]

MAX_HTML_BYTES = 32 * 1024 * 1024
MAX_DEPTH = 200
_SKIP = {"script", "style", "noscript", "template", "head", "iframe", "object", "svg", "select"}
_BLOCK = {
    "p", "div", "section", "article", "main", "header", "footer", "blockquote", "center",
    "ul", "ol", "li", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "form",
    "caption", "tr", "td", "th", "tbody", "thead", "tfoot", "aside", "nav", "figure", "body",
}  # fmt: skip
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_BOLD_STYLE = re.compile(r"font-weight\s*:\s*(?:bold|[6-9]00)", re.IGNORECASE)
_CJK = "\u2e80-\u9fff\uff00-\uffef\u3000-\u303f"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
_DATE = re.compile(
    r"(?:发布|成文|印发)?(?:时间|日期)\s*[:：]?\s*(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})"
)


def tag_of(el: Any) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


def read_html(path: Path, raw: bytes, is_anchor: Callable[[str], bool]) -> Document:
    """The report inside an HTML page; ``is_anchor`` says whether a text is a section heading."""
    name = str(path)
    if len(raw) > MAX_HTML_BYTES:
        raise Unreadable(f"{name}: 文件过大（{len(raw)} 字节），不像一份年度报告页面")
    parser = html.HTMLParser(
        no_network=True, huge_tree=False, remove_comments=True, remove_pis=True
    )
    try:
        root = html.document_fromstring(_decode(raw), parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise Unreadable(f"{name}: 无法解析 HTML（{exc}）") from None
    doc = Document(name, "html")
    _page_meta(root, doc)
    body = _article(root, is_anchor)
    if body is None:
        doc.images = len(root.xpath("//body//img"))
        raise Unreadable(_no_report(name, root))
    doc.images = len(body.xpath(".//img"))
    _Walker(doc).walk(body, 0)
    return doc


_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_-]+)""", re.IGNORECASE)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")


def _decode(raw: bytes) -> str:
    """The page's text: its declared charset (GBK pages are common), else UTF-8, else GB18030."""
    m = _CHARSET.search(raw[:4096])
    declared = m.group(1).decode("ascii").lower() if m else None
    if declared in ("gbk", "gb2312", "gb18030"):
        declared = "gb18030"
    for encoding in (declared, "utf-8", "gb18030"):
        if encoding is None:
            continue
        try:
            return _XML_DECL.sub("", raw.decode(encoding))
        except (LookupError, UnicodeDecodeError):
            continue
    return raw.decode("utf-8", "replace")


def _page_meta(root: Any, doc: Document) -> None:
    for el in root.iter("title", "h1", "h2", "h3"):
        text = clean("".join(_texts(el)))
        if text and len(text) < 200:
            doc.extra_titles.append(text)
    for el in root.iter():
        if isinstance(el.tag, str) and "title" in (el.get("class") or "").lower():
            text = clean("".join(_texts(el)))
            if text and len(text) < 200:
                doc.extra_titles.append(text)
    page_text = " ".join(t for t in root.itertext() if len(t) < 400)
    for m in _DATE.finditer(page_text):
        doc.dates.append(f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}")


def _texts(el: Any) -> list[str]:
    """All text below ``el`` except scripts and styles (XPath: no recursion in Python)."""
    return [str(t) for t in el.xpath(".//text()[not(ancestor::script or ancestor::style)]")]


def _article(root: Any, is_anchor: Callable[[str], bool]) -> Any | None:
    """The lowest element holding every section heading of the report, or None."""
    anchors = []
    for el in root.iter():
        tag = tag_of(el)
        if tag in _SKIP or tag in ("html", "body", "title"):
            continue
        own = clean(
            (el.text or "")
            + "".join((c.text or "") for c in el if tag_of(c) in ("span", "b", "strong", "font"))
        )
        if own and len(own) <= 40 and is_anchor(own):
            anchors.append(el)
    if len(anchors) < 2:
        return None
    common = set(_ancestors(anchors[0]))
    for el in anchors[1:]:
        common &= set(_ancestors(el))
    for el in _ancestors(anchors[0]):
        if el in common:
            return el
    return None


def _ancestors(el: Any) -> list[Any]:
    out = []
    node = el.getparent()
    while node is not None:
        out.append(node)
        node = node.getparent()
    return out


def _no_report(name: str, root: Any) -> str:
    files = [
        a.get("href") or ""
        for a in root.iter("a")
        if re.search(r"\.(?:docx?|pdf|wps|xlsx?|ofd)$", a.get("href") or "", re.IGNORECASE)
    ]
    if files:
        return (
            f"{name}: 页面正文没有报告内容（报告在附件 {files[0]} 中），无法读出数字；"
            "请下载附件后导入"
        )
    if root.xpath("//body//img"):
        return f"{name}: 页面中没有文字形式的报告（只有图片），无法读出数字"
    return f"{name}: 不是政府信息公开工作年度报告：找不到报告的章节标题和表格"


class _Walker:
    """Turns the article body into paragraphs and tables, in reading order."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.inlines: list[Inline] = []

    def flush(self, kind: str = "p") -> None:
        merged = _merge(self.inlines)
        self.inlines = []
        if merged:
            self.doc.blocks.append(Para(tuple(merged), kind))  # type: ignore[arg-type]

    def walk(self, el: Any, depth: int, bold: bool = False, href: str | None = None) -> None:
        tag = tag_of(el)
        if tag in _SKIP or not tag:
            return
        if tag == "table":
            self.flush()
            self.doc.blocks.append(read_table(el, self.doc.name))
            return
        if tag == "br":
            self.flush()
            return
        if tag == "img":
            return
        block = tag in _BLOCK
        if block:
            self.flush()
        bold = bold or tag in ("b", "strong") or bool(_BOLD_STYLE.search(el.get("style") or ""))
        if tag == "a" and el.get("href"):
            href = el.get("href")
        if el.text:
            self.inlines.append(Inline(el.text, bold, href))
        if depth > MAX_DEPTH:
            self.inlines.append(Inline("".join(_texts(el))[len(el.text or "") :], bold, href))
        else:
            for child in el:
                self.walk(child, depth + 1, bold, href)
                if child.tail:
                    self.inlines.append(Inline(child.tail, bold, href))
        if block:
            kind = "heading" if tag in _HEADINGS else "p"
            if tag == "li":
                parent = el.getparent()
                kind = "ordered" if parent is not None and tag_of(parent) == "ol" else "bullet"
            self.flush(kind)


def _merge(inlines: list[Inline]) -> list[Inline]:
    """Adjacent runs of the same look joined, layout whitespace collapsed, ends trimmed."""
    out: list[Inline] = []
    for run in inlines:
        text = run.text.replace("\u00a0", " ").replace("\u3000", " ")
        text = re.sub(r"\s+", " ", text)
        if out and out[-1].bold == run.bold and out[-1].href == run.href:
            out[-1] = Inline(out[-1].text + text, run.bold, run.href)
        elif text:
            out.append(Inline(text, run.bold, run.href))
    if out:
        out[0] = Inline(out[0].text.lstrip(), out[0].bold, out[0].href)
        out[-1] = Inline(out[-1].text.rstrip(), out[-1].bold, out[-1].href)
    out = [Inline(_CJK_GAP.sub("", r.text), r.bold, r.href) for r in out if r.text]
    return out if "".join(r.text for r in out).strip() else []


def read_table(el: Any, name: str) -> SourceTable:
    """An HTML table with its spans: a cell's text is its words joined (<p>, <br> split labels)."""
    grid = GridBuilder(name)
    caption = None
    for node in el.iter("caption"):
        caption = clean("".join(_texts(node)))
        break
    for tr in el.iter("tr"):
        if _owner_table(tr) is not el:
            continue
        grid.new_row()
        for cell in tr:
            if tag_of(cell) not in ("td", "th"):
                continue
            text = "".join(_texts(cell))
            image = not clean(text) and bool(cell.xpath(".//img"))
            grid.add(
                clean(text), _span(cell.get("rowspan")), _span(cell.get("colspan")), image=image
            )
    images = len(el.xpath(".//img"))
    return grid.table(caption=caption, images=images)


def _owner_table(tr: Any) -> Any:
    node = tr.getparent()
    while node is not None and tag_of(node) != "table":
        node = node.getparent()
    return node


def _span(value: str | None) -> int:
    if not value:
        return 1
    m = re.match(r"\s*(\d{1,6})", value)
    return int(m.group(1)) if m else 1
