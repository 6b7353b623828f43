"""Reading a DOCX file: paragraphs and tables straight from ``word/document.xml``.

python-docx repeats a merged cell's text in every grid position it covers, which
would read one 三、本年度办理结果 as 22 labels and a horizontally merged figure as three
figures; so the table grid is rebuilt here from ``w:gridSpan`` (columns) and
``w:vMerge`` (rows), each printed cell once, with lxml on the safely opened package.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .document import (
    MAX_GRID_CELLS,
    MAX_SPAN,
    Document,
    GridCell,
    Inline,
    Para,
    SourceTable,
    Unreadable,
)
from .safezip import Package

__all__ = ["read_docx"]

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_HEADING = re.compile(r"heading|title|标题", re.IGNORECASE)
_MARKER = re.compile(r"^(?:\d{1,3}[.．、]|[·•●▪])$")


def w(tag: str) -> str:
    return f"{{{W}}}{tag}"


def read_docx(path: Path, raw: bytes) -> Document:
    name = str(path)
    pkg = Package(raw, name)
    root = pkg.xml("word/document.xml")
    if root is None:
        raise Unreadable(f"{name}: 不是 Word 文档（没有 word/document.xml）")
    body = root.find(w("body"))
    if body is None:
        raise Unreadable(f"{name}: Word 文档没有正文")
    doc = Document(name, "docx")
    links = _links(pkg)
    _core_title(pkg, doc)
    _walk(body, doc, links, _numbering(pkg))
    return doc


def _numbering(pkg: Package) -> dict[str, str]:
    """numId → the number format of its first level (decimal, bullet …), from numbering.xml."""
    root = pkg.xml("word/numbering.xml")
    if root is None:
        return {}
    abstract = {}
    for node in root.findall(w("abstractNum")):
        lvl = node.find(w("lvl"))
        fmt = lvl.find(w("numFmt")) if lvl is not None else None
        abstract[node.get(w("abstractNumId"))] = (
            fmt.get(w("val")) if fmt is not None else ""
        ) or ""
    out = {}
    for num in root.findall(w("num")):
        ref = num.find(w("abstractNumId"))
        if ref is not None:
            out[num.get(w("numId")) or ""] = abstract.get(ref.get(w("val")), "")
    return out


def _links(pkg: Package) -> dict[str, str]:
    rels = pkg.xml("word/_rels/document.xml.rels")
    out: dict[str, str] = {}
    if rels is None:
        return out
    for rel in rels:
        if (rel.get("TargetMode") or "") == "External" and rel.get("Id"):
            out[rel.get("Id")] = rel.get("Target") or ""
    return out


def _core_title(pkg: Package, doc: Document) -> None:
    core = pkg.xml("docProps/core.xml")
    if core is None:
        return
    for el in core.iter("{http://purl.org/dc/elements/1.1/}title"):
        if el.text and el.text.strip():
            doc.extra_titles.append(el.text.strip())


def _walk(container: Any, doc: Document, links: dict[str, str], numbering: dict[str, str]) -> None:
    for child in container:
        if child.tag == w("p"):
            para = _para(child, links, doc, numbering)
            if para is not None:
                doc.blocks.append(para)
        elif child.tag == w("tbl"):
            doc.blocks.append(_table(child, doc))
        elif child.tag == w("sdt"):
            content = child.find(w("sdtContent"))
            if content is not None:
                _walk(content, doc, links, numbering)


def _para(p: Any, links: dict[str, str], doc: Document, numbering: dict[str, str]) -> Para | None:
    runs: list[Inline] = []
    for node in p.iter(w("r")):
        href = None
        parent = node.getparent()
        if parent is not None and parent.tag == w("hyperlink"):
            href = links.get(parent.get(f"{{{R}}}id") or "")
        if node.find(f".//{w('drawing')}") is not None or node.find(w("pict")) is not None:
            doc.images += 1
        text = "".join(_run_text(node))
        if text:
            runs.append(Inline(text, _bold(node), href))
    if not "".join(r.text for r in runs).strip():
        return None
    style = p.find(f"{w('pPr')}/{w('pStyle')}")
    kind = "heading" if style is not None and _HEADING.search(style.get(w("val")) or "") else "p"
    num = p.find(f"{w('pPr')}/{w('numPr')}/{w('numId')}")
    if num is not None:
        fmt = numbering.get(num.get(w("val")) or "", "bullet")
        kind = "bullet" if fmt in ("bullet", "none", "") else "ordered"
    if _MARKER.match(runs[0].text.strip()) and len(runs) > 1:
        kind = "bullet" if not runs[0].text.strip()[0].isdigit() else "ordered"
        runs = runs[1:]
    return Para(tuple(_joined(runs)), kind)  # type: ignore[arg-type]


def _run_text(run: Any) -> list[str]:
    out = []
    for node in run:
        if node.tag == w("t"):
            out.append(node.text or "")
        elif node.tag == w("tab"):
            out.append(" ")
    return out


def _bold(run: Any) -> bool:
    b = run.find(f"{w('rPr')}/{w('b')}")
    return b is not None and (b.get(w("val")) or "true").lower() not in ("0", "false", "off")


def _joined(runs: list[Inline]) -> list[Inline]:
    """Runs of one look merged; the （address） printed after a link dropped (it is the link)."""
    out: list[Inline] = []
    for run in runs:
        if out and out[-1].href and not run.href:
            shown = f"（{out[-1].href}）"
            if run.text.startswith(shown):
                run = Inline(run.text[len(shown) :], run.bold, run.href)
                if not run.text:
                    continue
        if out and out[-1].bold == run.bold and out[-1].href == run.href:
            out[-1] = Inline(out[-1].text + run.text, run.bold, run.href)
        else:
            out.append(run)
    if out:
        out[0] = Inline(out[0].text.lstrip(), out[0].bold, out[0].href)
        out[-1] = Inline(out[-1].text.rstrip(), out[-1].bold, out[-1].href)
    return [r for r in out if r.text]


def _table(tbl: Any, doc: Document) -> SourceTable:
    """The grid of a w:tbl: gridSpan widens a cell, vMerge="continue" lengthens the one above."""
    cells: list[dict[str, Any]] = []
    below: dict[int, int] = {}  # grid column → index of the cell open downwards there
    area = 0
    images = 0
    for r, tr in enumerate(tbl.findall(w("tr"))):
        before = tr.find(f"{w('trPr')}/{w('gridBefore')}")
        col = _int(before.get(w("val")) if before is not None else None, 0)
        opened: dict[int, int] = {}
        for tc in tr.findall(w("tc")):
            pr = tc.find(w("tcPr"))
            span = _int(_val(pr, "gridSpan"), 1)
            merge = pr.find(w("vMerge")) if pr is not None else None
            continues = merge is not None and (merge.get(w("val")) or "continue") == "continue"
            text = "".join("".join(_run_text(run)) for run in tc.iter(w("r")))
            picture = tc.find(f".//{w('drawing')}") is not None
            images += picture
            if continues and col in below:
                cells[below[col]]["rowspan"] += 1
                opened[col] = below[col]
            else:
                cells.append(
                    {"row": r, "col": col, "text": text, "rowspan": 1, "colspan": span,
                     "image": picture and not text.strip()}
                )  # fmt: skip
                opened[col] = len(cells) - 1
            area += span
            if area > MAX_GRID_CELLS:
                raise Unreadable(f"{doc.name}: 表格过大（超过 {MAX_GRID_CELLS} 格），不像年度报告")
            col += span
        below = opened
    out = tuple(
        GridCell(c["row"], c["col"], " ".join(c["text"].split()), min(c["rowspan"], MAX_SPAN),
                 c["colspan"], c["image"])
        for c in cells
    )  # fmt: skip
    return SourceTable(out, images=images)


def _val(pr: Any, tag: str) -> str | None:
    if pr is None:
        return None
    el = pr.find(w(tag))
    return None if el is None else el.get(w("val"))


def _int(value: str | None, default: int) -> int:
    if value is None or not value.strip().isdigit():
        return default
    return max(1, min(int(value), MAX_SPAN)) if default else min(int(value), MAX_SPAN)
