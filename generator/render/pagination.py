"""Where a table may break across pages, decided from its grid (the DOCX keep rules).

An office suite lays out the pages; nianbao only tells it where a break is
acceptable, by giving the paragraphs of each table row "keep with next" except after
the rows where a break may fall.  The rules a 公文 reviewer asks for:

- a table that fits on one page after its heading is never split (the whole table
  keeps together, and moves to the next page if need be);
- a longer one breaks only between categories: first between the top-level rows of
  the row tree (一、二、三、四 in 表三, the 第二十条 blocks in 表二), else between their
  sub-categories ((一)…(七) under 三、本年度办理结果), never inside a vertically merged
  label when a coarser split fits;
- never with fewer than three body rows on either side of the break; the header rows
  repeat on every page (``tblHeader``, written by the table writer).

Heights are estimates (characters per cell line from the column widths); they only
choose between keeping and allowing breaks, and err on the tall side.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence

from ..layout import Grid

__all__ = ["allowed_breaks", "html_keeps", "keep_flags", "row_heights"]

LINE_EM = 1.45  # a single-spaced line of a CJK face (Noto CJK ascent + descent)
ROW_PAD_TWIPS = 30  # borders and rounding per row
CELL_MARGIN_TWIPS = 114  # left + right cell margins
MIN_BODY_ROWS = 3


def _text_units(text: str) -> float:
    """Width in em: full-width characters count one, ASCII half."""
    return sum(0.5 if ord(ch) < 0x2E80 else 1.0 for ch in text)


def row_heights(grid: Grid, widths: Sequence[int], size_pt: float) -> list[int]:
    """Estimated height of each grid row in twips, from the one-row cells' line counts.

    A merged label spreads its lines over the rows it spans.
    """
    starts = [0]
    for width in widths:
        starts.append(starts[-1] + width)
    em = size_pt * 20
    line = math.ceil(size_pt * LINE_EM * 20)
    lines = [1.0] * len(grid.rows)
    for row in grid.rows:
        for cell in row:
            room = starts[cell.col + cell.colspan] - starts[cell.col] - CELL_MARGIN_TWIPS
            per_line = max(int(room // em), 1)
            need = max(math.ceil(_text_units(cell.text) / per_line), 1) / cell.rowspan
            for r in range(cell.row, cell.row + cell.rowspan):
                lines[r] = max(lines[r], need)
    return [math.ceil(n) * line + ROW_PAD_TWIPS for n in lines]


def _crossing(grid: Grid, boundary: int) -> Iterator[int]:
    """The stub columns of the merged labels that a break before row ``boundary`` would cut."""
    for row in grid.rows:
        for cell in row:
            if cell.kind == "row" and cell.row < boundary < cell.row + cell.rowspan:
                yield cell.col


def _candidates(grid: Grid) -> Iterator[list[int]]:
    """Sets of row boundaries where a break may fall, coarsest first.

    A boundary ``b`` is a break before grid row ``b``.  First between the top-level
    categories (``Grid.categories``: 表二's blocks, 表三's 一、二、三、四); then between rows
    whose merged labels from stub column ``depth`` on stay whole, for depth 1, 2, …;
    last of all, anywhere.
    """
    first, end = grid.head, len(grid.rows)
    inner = range(first + 1, end)
    yield [g.start for g in grid.categories()[1:]]
    depths = sorted({c.col for row in grid.rows for c in row if c.kind == "row"} - {0})
    for depth in depths:
        yield [b for b in inner if all(col < depth for col in _crossing(grid, b))]
    yield list(inner)


def allowed_breaks(grid: Grid, heights: Sequence[int], page: int) -> list[int]:
    """The row boundaries where a page break may fall (empty: the table keeps together).

    ``page`` is the room for the table on a page of its own after its heading.
    """
    end = len(grid.rows)
    if sum(heights) <= page:
        return []
    head = sum(heights[: grid.head])
    body_start = grid.head
    if grid.head == 0 and grid.bodies:  # blocks: a block's own title rows are its header
        body_start = 0
    chosen: list[int] = []
    for boundaries in _candidates(grid):
        chosen = [
            b for b in boundaries if b - body_start >= MIN_BODY_ROWS and end - b >= MIN_BODY_ROWS
        ]
        edges = [grid.head, *chosen, end]
        if all(head + sum(heights[a:b]) <= page for a, b in itertools.pairwise(edges)):
            return chosen
    return chosen


def html_keeps(grid: Grid) -> frozenset[int]:
    """Grid rows after which a printed HTML table must not break (``break-after: avoid``),
    beyond the ``tbody`` per category that CSS keeps whole: rows inside a merged
    sub-category label, and the first and last rows of the body (3 on either side)."""
    end = len(grid.rows)
    keep = {r for r in range(grid.head, end - 1) if any(True for _ in _crossing_deep(grid, r + 1))}
    body = range(grid.head, end)
    keep.update(body[: MIN_BODY_ROWS - 1])
    keep.update(body[-MIN_BODY_ROWS:-1])
    keep.update(range(grid.head))
    return frozenset(keep)


def _crossing_deep(grid: Grid, boundary: int) -> Iterator[int]:
    return (col for col in _crossing(grid, boundary) if col > 0)


def keep_flags(grid: Grid, heights: Sequence[int], page: int) -> list[bool]:
    """Per grid row: keep it on the page of the next row (every row but the last, and
    the rows just before an allowed break)."""
    breaks = set(allowed_breaks(grid, heights, page))
    end = len(grid.rows)
    return [r < end - 1 and (r + 1) not in breaks for r in range(end)]
