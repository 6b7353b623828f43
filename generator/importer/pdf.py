"""Reading a PDF with a text layer (pdfplumber): ruled tables with their spans, and the text.

pdfplumber is maintained, pure Python on pdfminer.six, and exposes each table cell's
box, so merged cells are rebuilt from the boxes: the distinct cell edges make the
grid, and a box that crosses edges spans them.  A figure that the layout broke over
two lines (21 / 8) is joined.  Tables continued on the next page are merged by the
mapper (a table that starts with figures continues the previous header).  A page with
pictures and no text is reported: its tables cannot be read.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from .document import Block, Document, GridCell, Inline, Para, SourceTable, Unreadable

__all__ = ["MAX_PAGES", "read_pdf"]

MAX_PAGES = 300
_CJK = "\u2e80-\u9fff\uff00-\uffef\u3000-\u303f"
_GAP = re.compile(rf"(?<=[{_CJK}])\s+|\s+(?=[{_CJK}])")
"""pdfplumber puts a space where the layout left a gap (2020 年); Chinese text has none."""
_PAGE_NUMBER = re.compile(r"^[—\-－\s第页]*\d{1,4}[—\-－\s页]*$")
_END = "。；：！？!?;:"
_EDGE = 2.0  # points: cell edges closer than this are the same line


def read_pdf(path: Path, raw: bytes) -> Document:
    name = str(path)
    import pdfplumber

    doc = Document(name, "pdf")
    try:
        with pdfplumber.open(io.BytesIO(raw)) as pdf:
            if len(pdf.pages) > MAX_PAGES:
                raise Unreadable(f"{name}: 页数过多（{len(pdf.pages)} 页），不像年度报告")
            image_pages = []
            chars = 0
            for number, page in enumerate(pdf.pages, 1):
                found = _page(page, number, doc)
                chars += found
                if not found and page.images:
                    image_pages.append(number)
    except Unreadable:
        raise
    except Exception as exc:  # noqa: BLE001 - pdfminer raises many kinds for a damaged file
        raise Unreadable(f"{name}: 无法读取 PDF（文件损坏：{type(exc).__name__}）") from None
    if not chars:
        what = "只有图片（扫描件）" if image_pages else "没有文字层"
        raise Unreadable(f"{name}: PDF {what}，无法读出文字和数字")
    if image_pages:
        doc.images += len(image_pages)
        doc.image_pages = image_pages
    _join_pages(doc)
    return doc


def _continues(prev: SourceTable, table: SourceTable) -> bool:
    return table.page != prev.page and table.n_cols == prev.n_cols and bool(prev.cells)


def _merge_tables(prev: SourceTable, table: SourceTable) -> SourceTable:
    """A table continued on the next page appended to its first part.

    A header row repeated at the top of the page is dropped; a row that the page
    break cut in two (its first row has text where the last row had none of its
    figures) is put back together, and a merged cell running over the break stays one.
    """
    top = [c for c in table.cells if c.row == 0]
    first_prev = [c.text for c in prev.cells if c.row == 0]
    if [c.text for c in top] == first_prev:
        return _append(prev, [c for c in table.cells if c.row != 0], 1, {})
    last = prev.n_rows - 1
    grid = prev.grid()
    value_cols = {c.col for c in prev.cells if c.row == last and _is_value(c.text)}
    blank_there = all(not c.text for c in top if c.col in value_cols)
    if not value_cols or not blank_there:
        return _append(prev, list(table.cells), 0, {})
    grown: dict[int, tuple[str, int]] = {}  # id of a cell of prev → (text added, rows added)
    rest = []
    for cell in table.cells:
        above = grid[last][cell.col] if cell.row == 0 else None
        if above is None:
            rest.append(cell)
            continue
        text, rows = grown.get(id(above), ("", 0))
        grown[id(above)] = (text + cell.text, max(rows, cell.rowspan - 1))
    return _append(prev, rest, 1, grown)


def _append(
    prev: SourceTable, cells: list[GridCell], skip: int, grown: dict[int, tuple[str, int]]
) -> SourceTable:
    out = []
    for c in prev.cells:
        text, rows = grown.get(id(c), ("", 0))
        out.append(
            GridCell(c.row, c.col, c.text + text, c.rowspan + rows, c.colspan, c.image, c.page)
        )
    offset = prev.n_rows - skip
    for c in cells:
        out.append(GridCell(c.row + offset, c.col, c.text, c.rowspan, c.colspan, c.image, c.page))
    return SourceTable(tuple(out), page=prev.page, images=prev.images)


def _is_value(text: str) -> bool:
    return bool(re.fullmatch(r"[+\-]?[\d.,]+|[-/—－]", text.strip()))


def _join_pages(doc: Document) -> None:
    """A paragraph cut by a page break (no closing punctuation) joined with its continuation."""
    out: list[Block] = []
    for block in doc.blocks:
        prev = out[-1] if out else None
        if (
            isinstance(block, SourceTable)
            and isinstance(prev, SourceTable)
            and _continues(prev, block)
        ):
            out[-1] = _merge_tables(prev, block)
            continue
        if (
            isinstance(block, Para)
            and isinstance(prev, Para)
            and prev.page != block.page
            and prev.text[-1:] not in _END
        ):
            out[-1] = Para(((Inline(prev.text + block.text)),), prev.kind, prev.page)
            continue
        out.append(block)
    doc.blocks = out


def _page(page: Any, number: int, doc: Document) -> int:
    tables = page.find_tables()
    boxes = [t.bbox for t in tables]
    outside = page.filter(lambda obj: not any(_inside(obj, b) for b in boxes))
    lines = outside.extract_text_lines(keep_blank_chars=False)
    events: list[tuple[float, Any]] = [(ln["top"], ln) for ln in lines]
    events += [(t.bbox[1], t) for t in tables]
    events.sort(key=lambda e: e[0])
    paragraph: list[dict[str, Any]] = []
    left = min((ln["x0"] for ln in lines), default=0.0)
    right = max((ln["x1"] for ln in lines), default=0.0)
    for _, item in events:
        if isinstance(item, dict):
            size = (item["x1"] - item["x0"]) / max(len(item["text"]), 1)
            if paragraph and (item["x0"] > left + size * 1.5 or _short(paragraph[-1], right, size)):
                _flush(paragraph, number, doc)
            paragraph.append(item)
        else:
            _flush(paragraph, number, doc)
            doc.blocks.append(_table(page, item, number))
    _flush(paragraph, number, doc)
    return len(page.chars)


def _short(line: dict[str, Any], right: float, size: float) -> bool:
    return bool(line["x1"] < right - size * 2)


def _flush(lines: list[dict[str, Any]], page: int, doc: Document) -> None:
    if lines:
        text = _GAP.sub("", "".join(ln["text"].strip() for ln in lines))
        if text and not _PAGE_NUMBER.match(text):
            doc.blocks.append(Para((Inline(text),), page=page))
    lines.clear()


def _inside(obj: dict[str, Any], box: tuple[float, float, float, float]) -> bool:
    x = (obj["x0"] + obj["x1"]) / 2
    y = (obj["top"] + obj["bottom"]) / 2
    return bool(box[0] <= x <= box[2] and box[1] <= y <= box[3])


def _edges(values: list[float]) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > _EDGE:
            out.append(v)
    return out


def _index(edges: list[float], v: float) -> int:
    return min(range(len(edges)), key=lambda i: abs(edges[i] - v))


def _table(page: Any, table: Any, number: int) -> SourceTable:
    boxes = [c for c in table.cells if c is not None]
    xs = _edges([b[0] for b in boxes] + [b[2] for b in boxes])
    ys = _edges([b[1] for b in boxes] + [b[3] for b in boxes])
    texts: dict[int, list[dict[str, Any]]] = {i: [] for i in range(len(boxes))}
    for char in page.chars:
        x, y = (char["x0"] + char["x1"]) / 2, (char["top"] + char["bottom"]) / 2
        inside = [
            (abs((b[2] - b[0]) * (b[3] - b[1])), i)
            for i, b in enumerate(boxes)
            if b[0] <= x <= b[2] and b[1] <= y <= b[3]
        ]
        if inside:
            texts[min(inside)[1]].append(char)
    cells = []
    for i, (x0, top, x1, bottom) in enumerate(boxes):
        r0, r1 = _index(ys, top), _index(ys, bottom)
        c0, c1 = _index(xs, x0), _index(xs, x1)
        chars = sorted(texts[i], key=lambda ch: (round(ch["top"] / 3), ch["x0"]))
        text = "".join(ch["text"] for ch in chars if not ch["text"].isspace())
        cells.append(GridCell(r0, c0, text, max(1, r1 - r0), max(1, c1 - c0), page=number))
    return SourceTable(tuple(cells), page=number)
