"""The printed geometry of the official tables, derived from the format data.

Every renderer draws a table from the same ``Grid``: a list of rows of cells, each
cell with its text, its position and its row/column span.  The merges of the
official tables (表三's three-row header, the vertical 三、本年度办理结果, 表四's
three-level header, 表二's full-width 第二十条 rows) all follow from two generic
layouts in the format data, so no renderer knows a label or a merge.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from .spec import Node, Table
from .values import Value, format_value

__all__ = ["Grid", "GridCell", "format_value", "table_grid"]

CellKind = Literal["corner", "title", "column", "row", "stub", "value"]
Scope = Literal["col", "colgroup", "row", "rowgroup"]


@dataclass(frozen=True, slots=True)
class GridCell:
    """One drawn cell: it starts at (row, col) and covers rowspan × colspan grid squares."""

    text: str
    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1
    kind: CellKind = "value"
    path: tuple[str, ...] | None = None

    @property
    def header(self) -> bool:
        return self.kind != "value"

    @property
    def scope(self) -> Scope | None:
        """The HTML ``scope`` of a header cell: whom it labels."""
        if self.kind in ("column", "stub"):
            return "colgroup" if self.colspan > 1 else "col"
        if self.kind == "row":
            return "rowgroup" if self.rowspan > 1 else "row"
        return None


@dataclass(frozen=True, slots=True)
class Grid:
    """A table as drawn: ``head`` rows repeat on every page, ``bodies`` are row groups.

    ``rows`` holds, per grid row, the cells that start in that row, left to right.
    """

    ncols: int
    rows: tuple[tuple[GridCell, ...], ...]
    head: int
    bodies: tuple[range, ...]
    _covered: dict[tuple[int, int], GridCell] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def covered(self) -> dict[tuple[int, int], GridCell]:
        """Map every grid square to the cell that covers it (computed once per grid)."""
        if self._covered:
            return self._covered
        out = self._covered
        for row in self.rows:
            for cell in row:
                for r in range(cell.row, cell.row + cell.rowspan):
                    for c in range(cell.col, cell.col + cell.colspan):
                        out[(r, c)] = cell
        return out

    def values(self) -> Iterator[GridCell]:
        for row in self.rows:
            yield from (c for c in row if c.kind == "value")


def table_grid(table: Table, values: Mapping[tuple[str, ...], Value]) -> Grid:
    """Lay out ``table`` with the figures in ``values`` (every cell path present)."""
    if table.layout == "blocks":
        return _blocks(table, values)
    return _cross(table, values)


def _text(values: Mapping[tuple[str, ...], Value], path: tuple[str, ...], node: Node) -> str:
    return format_value(values[path], node.value)


def _blocks(table: Table, values: Mapping[tuple[str, ...], Value]) -> Grid:
    width = table.grid
    rows: list[tuple[GridCell, ...]] = []
    bodies: list[range] = []
    for block in table.blocks:
        start = len(rows)
        spans = _spans(len(block.columns), width - 1)
        rows.append((GridCell(block.title, start, 0, colspan=width, kind="title"),))
        header = [GridCell(table.stub or "", start + 1, 0, kind="stub")]
        col = 1
        for node, span in zip(block.columns, spans, strict=True):
            header.append(GridCell(node.label, start + 1, col, colspan=span, kind="stub"))
            col += span
        rows.append(tuple(header))
        for row in block.rows:
            r = len(rows)
            cells = [GridCell(row.label, r, 0, kind="row")]
            col = 1
            for node, span in zip(block.columns, spans, strict=True):
                path = block.path(table.key, row, node)
                cells.append(GridCell(_text(values, path, node), r, col, colspan=span, path=path))
                col += span
            rows.append(tuple(cells))
        bodies.append(range(start, len(rows)))
    return Grid(width, tuple(rows), 0, tuple(bodies))


def _spans(n: int, slots: int) -> list[int]:
    """One grid column per value column; the last one takes what is left (表二 rows)."""
    return [1] * (n - 1) + [slots - (n - 1)]


def _cross(table: Table, values: Mapping[tuple[str, ...], Value]) -> Grid:
    head = max((c.depth for c in table.columns), default=0)
    stub = max((r.depth for r in table.rows), default=0)
    ncols = stub + sum(c.width for c in table.columns)
    cells: list[GridCell] = []
    if stub:
        cells.append(GridCell(table.corner or "", 0, 0, head, stub, kind="corner"))

    col_leaves: list[tuple[tuple[str, ...], Node]] = []

    def place_column(node: Node, level: int, col: int, path: tuple[str, ...]) -> None:
        here = path + ((node.key,) if node.key else ())
        rowspan = 1 if node.children else head - level
        cells.append(GridCell(node.label, level, col, rowspan, node.width, kind="column"))
        if not node.children:
            col_leaves.append((here, node))
        for child in node.children:
            place_column(child, level + 1, col, here)
            col += child.width

    col = stub
    for node in table.columns:
        place_column(node, 0, col, ())
        col += node.width

    row_leaves: list[tuple[int, tuple[str, ...]]] = []

    def place_row(node: Node, depth: int, row: int, path: tuple[str, ...]) -> None:
        here = path + ((node.key,) if node.key else ())
        colspan = 1 if node.children else stub - depth
        cells.append(GridCell(node.label, row, depth, node.width, colspan, kind="row"))
        if not node.children:
            row_leaves.append((row, here))
        for child in node.children:
            place_row(child, depth + 1, row, here)
            row += child.width

    row = head
    for node in table.rows:
        place_row(node, 0, row, ())
        row += node.width
    if not table.rows:
        row_leaves.append((head, ()))

    for r, rpath in row_leaves:
        for i, (cpath, leaf) in enumerate(col_leaves):
            path = (table.key, *rpath, *cpath)
            cells.append(GridCell(_text(values, path, leaf), r, stub + i, path=path))

    nrows = head + max(len(row_leaves), 1)
    return Grid(ncols, _by_row(cells, nrows), head, (range(head, nrows),))


def _by_row(cells: Sequence[GridCell], nrows: int) -> tuple[tuple[GridCell, ...], ...]:
    key: Callable[[GridCell], int] = lambda c: c.col  # noqa: E731
    rows: list[list[GridCell]] = [[] for _ in range(nrows)]
    for cell in cells:
        rows[cell.row].append(cell)
    return tuple(tuple(sorted(r, key=key)) for r in rows)
