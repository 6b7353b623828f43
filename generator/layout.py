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

from .local import LocalTable
from .spec import Node, Table
from .values import Blank, CellValue, Dash, Unreadable, arithmetic, format_value, total

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
    notes: tuple[str, ...] = ()
    """Printed under the table (a report's local 注：…)."""
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

    def categories(self) -> tuple[range, ...]:
        """The body's top-level row groups, where a printed table may break first.

        A ``blocks`` table (表二) has its blocks; a cross table (表三) one group per
        top-level row label (一、二、三、本年度办理结果 with its 22 rows, 四).
        """
        if len(self.bodies) != 1 or self.head == 0:
            return self.bodies
        body = self.bodies[0]
        starts = [r for r in body if any(c.kind == "row" and c.col == 0 for c in self.rows[r])] or [
            body.start
        ]
        if starts[0] != body.start:
            starts.insert(0, body.start)
        ends = [*starts[1:], body.stop]
        return tuple(range(a, b) for a, b in zip(starts, ends, strict=True))

    def values(self) -> Iterator[GridCell]:
        for row in self.rows:
            yield from (c for c in row if c.kind == "value")


Printed = Mapping[tuple[str, ...], CellValue]


def table_grid(table: Table, values: Printed, local: LocalTable | None = None) -> Grid:
    """Lay out ``table`` with the cells in ``values`` (every cell path present).

    ``local`` rewords labels, merges category rows, adds rows and notes as the report's
    own published table has them; without it the table is the official one.
    """
    local = local or LocalTable()
    grid = (
        _blocks(table, values, local) if table.layout == "blocks" else _cross(table, values, local)
    )
    return Grid(grid.ncols, grid.rows, grid.head, grid.bodies, local.notes)


def _text(values: Printed, path: tuple[str, ...], node: Node) -> str:
    return format_value(values[path], node.value)


def merged_cell(cells: list[CellValue], kind: str) -> CellValue:
    """What a category printed as one row shows: the sum of its sub-rows.

    A lone blank, dash or unreadable sub-row (the others 0) is shown as it is; an
    unreadable one makes the sum unreadable.
    """
    marks = [c for c in cells if isinstance(c, Blank | Dash | Unreadable)]
    if any(isinstance(c, Unreadable) for c in marks):
        return Unreadable()
    rest = total(arithmetic(c, kind) for c in cells)
    if len(marks) == len(cells) or (marks and rest == 0 and len(set(marks)) == 1):
        return marks[0]
    return rest


def _blocks(table: Table, values: Printed, local: LocalTable) -> Grid:
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
            label = local.column_labels.get(node.key or "") or _with_unit(node)
            header.append(GridCell(label, start + 1, col, colspan=span, kind="stub"))
            col += span
        rows.append(tuple(header))
        for row in block.rows:
            r = len(rows)
            cells = [GridCell(local.row_labels.get(row.key or "", row.label), r, 0, kind="row")]
            col = 1
            for node, span in zip(block.columns, spans, strict=True):
                path = block.path(table.key, row, node)
                cells.append(GridCell(_text(values, path, node), r, col, colspan=span, path=path))
                col += span
            rows.append(tuple(cells))
            for extra in (e for e in local.extra_rows if e.after == row.key):
                r = len(rows)
                cells = [GridCell(extra.label, r, 0, kind="row")]
                col = 1
                for node, span in zip(block.columns, spans, strict=True):
                    shown = format_value(extra.values.get(node.key or "", 0), node.value)
                    cells.append(GridCell(shown, r, col, colspan=span))
                    col += span
                rows.append(tuple(cells))
        bodies.append(range(start, len(rows)))
    return Grid(width, tuple(rows), 0, tuple(bodies))


def _with_unit(node: Node) -> str:
    """A column's header with its unit, as the 2021 format prints 本年收费金额（单位：万元）:
    a figure such as the 2019 采购总金额 must not stand without one."""
    if node.unit and node.unit not in node.label:
        return f"{node.label}（单位：{node.unit}）"
    return node.label


def _spans(n: int, slots: int) -> list[int]:
    """One grid column per value column; the last one takes what is left (表二 rows)."""
    return [1] * (n - 1) + [slots - (n - 1)]


def _cross(table: Table, values: Printed, local: LocalTable) -> Grid:
    head = max((c.depth for c in table.columns), default=0)
    stub = max((r.depth for r in table.rows), default=0)

    def merged(path: tuple[str, ...]) -> bool:
        return ".".join(path) in local.merged

    def width(node: Node, path: tuple[str, ...]) -> int:
        here = path + ((node.key,) if node.key else ())
        if not node.children or merged(here):
            return 1
        return sum(width(c, here) for c in node.children)

    ncols = stub + sum(c.width for c in table.columns)
    cells: list[GridCell] = []
    if stub:
        cells.append(GridCell(table.corner or "", 0, 0, head, stub, kind="corner"))

    col_leaves: list[tuple[tuple[str, ...], Node]] = []

    def place_column(node: Node, level: int, col: int, path: tuple[str, ...]) -> None:
        here = path + ((node.key,) if node.key else ())
        rowspan = 1 if node.children else head - level
        label = local.column_labels.get(".".join(here), node.label) if node.key else node.label
        cells.append(GridCell(label, level, col, rowspan, node.width, kind="column"))
        if not node.children:
            col_leaves.append((here, node))
        for child in node.children:
            place_column(child, level + 1, col, here)
            col += child.width

    col = stub
    for node in table.columns:
        place_column(node, 0, col, ())
        col += node.width

    row_leaves: list[tuple[int, tuple[str, ...], Node]] = []

    def place_row(node: Node, depth: int, row: int, path: tuple[str, ...]) -> None:
        here = path + ((node.key,) if node.key else ())
        leaf = not node.children or merged(here)
        colspan = stub - depth if leaf else 1
        label = local.row_labels.get(".".join(here), node.label) if node.key else node.label
        cells.append(GridCell(label, row, depth, width(node, path), colspan, kind="row"))
        if leaf:
            row_leaves.append((row, here, node))
            return
        for child in node.children:
            place_row(child, depth + 1, row, here)
            row += width(child, here)

    row = head
    for node in table.rows:
        place_row(node, 0, row, ())
        row += width(node, ())
    if not table.rows:
        row_leaves.append((head, (), Node(None, "")))

    for r, rpath, rnode in row_leaves:
        subrows = [p for _, p, _ in rnode.leaves()] if rnode.children else [()]
        for i, (cpath, leaf) in enumerate(col_leaves):
            if rnode.children:  # a category printed as one row: its sub-rows summed
                parts = [values[(table.key, *rpath[:-1], *s, *cpath)] for s in subrows]
                text = format_value(merged_cell(parts, leaf.value), leaf.value)
                cells.append(GridCell(text, r, stub + i))
                continue
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
