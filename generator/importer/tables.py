"""Finding the official tables in a document's tables, by their labels, and reading each figure.

Published tables are split per block, headed in two or three rows, merged in every
way; some rows carry local wordings.  So no position is assumed.  The document's
tables are read as one stream of rows: rows of labels build up each column's header
path (reset when a new header follows data), and a row with figures is matched by its
stub labels to an official row, its cells by their column's header path to official
columns.  Every label comes from the format (``spec``); ``text.similarity`` accepts
the variants, and each mapping that was not word for word is reported.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..spec import Format, Node, Table
from .document import Document, GridCell, SourceTable
from .text import (
    THRESHOLD,
    Figure,
    looks_like_value,
    normalize,
    read_figure,
    similarity,
    squeeze,
)

__all__ = ["Placed", "TableResult", "Target", "map_tables", "targets"]

Path = tuple[str, ...]
Labels = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Target:
    """One official row: its label path and, per column, the column's label path and cell."""

    table: Table
    labels: Labels
    columns: tuple[tuple[Labels, Path], ...]
    row_key: str = ""
    """The row's key path in the table (``withheld.prohibited_by_law``), as ``local:`` names it."""
    column_keys: tuple[str, ...] = ()
    merged: bool = False
    """A category printed as one row (（六）其他处理 in 2021): figures go to its last sub-row."""


@dataclass(frozen=True, slots=True)
class Placed:
    """A figure read from the document, with where it was printed (for the reviewer)."""

    path: Path
    figure: Figure
    table_index: int
    row: int
    col: int
    page: int | None
    row_label: str
    col_label: str


@dataclass(slots=True)
class TableResult:
    figures: dict[Path, Placed] = field(default_factory=dict)
    mappings: list[str] = field(default_factory=list)
    """Printed labels that were mapped to an official one that is not word for word."""
    unplaced: list[str] = field(default_factory=list)
    """Rows with figures that match no official row, as printed."""
    notes: dict[str, list[str]] = field(default_factory=dict)
    """Notes printed in or under a table (注：……), by table key."""
    tables: int = 0
    row_labels: dict[tuple[str, str], str] = field(default_factory=dict)
    """(table key, row key path) → the wording printed, where it is not the official one."""
    column_labels: dict[tuple[str, str], str] = field(default_factory=dict)
    merged: dict[str, list[str]] = field(default_factory=dict)
    """Categories printed as one row, by table key (``local.merged_rows``)."""
    extra_rows: list[ExtraRow] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ExtraRow:
    """A 表二 row of the agency's own (其他主动公开文件), after the official row ``after``."""

    table: str
    after: str
    label: str
    values: tuple[tuple[str, Figure], ...]


def targets(fmt: Format) -> list[Target]:
    """Every official row of the format's tables, with its columns."""
    out: list[Target] = []
    for table in fmt.tables.values():
        if table.layout == "blocks":
            for block in table.blocks:
                for row in block.rows:
                    cols: tuple[tuple[Labels, Path], ...] = tuple(
                        ((c.label,), block.path(table.key, row, c)) for c in block.columns
                    )
                    keys = tuple(c.key or "" for c in block.columns)
                    out.append(Target(table, (row.label,), cols, row.key or "", keys))
            continue
        col_leaves = [(labels, path) for col in table.columns for _, path, labels in col.leaves()]
        keys = tuple(".".join(path) for _, path in col_leaves)
        row_leaves = [(labels, path) for row in table.rows for _, path, labels in row.leaves()]
        for labels, rpath in row_leaves or [((), ())]:
            cols = tuple((clabels, (table.key, *rpath, *cpath)) for clabels, cpath in col_leaves)
            out.append(Target(table, labels, cols, ".".join(rpath), keys))
        for labels, gpath, last in _groups(table.rows, (), ()):
            cols = tuple((cl, (table.key, *gpath, last, *cp)) for cl, cp in col_leaves)
            out.append(Target(table, labels, cols, ".".join(gpath), keys, merged=True))
    return out


def _groups(nodes: tuple[Node, ...], path: Path, labels: Labels) -> list[tuple[Labels, Path, str]]:
    """Every keyed category with sub-rows: its labels, key path and last sub-row's key."""
    out = []
    for node in nodes:
        if not node.children:
            continue
        p = (*path, node.key) if node.key else path
        lab = (*labels, node.label) if node.key else labels
        leaves = [c for c in node.children if not c.children and c.key]
        if node.key and leaves and len(leaves) == len(node.children):
            out.append((lab, p, leaves[-1].key or ""))
        out.extend(_groups(node.children, p, lab))
    return out


def _path_score(printed: list[str], official: Labels) -> float:
    """How well a printed label path (top to bottom) matches an official one; 0 if not at all."""
    if not official or not printed:
        return 0.0
    last = similarity(printed[-1], official[-1])
    if last < THRESHOLD:
        return 0.0
    score = last
    for label in official[:-1]:
        best = max((similarity(p, label) for p in printed[:-1]), default=0.0)
        if len(printed) > 1 and best < 0.6:
            return 0.0
        score += best if len(printed) > 1 else 0.5
    return score


class _Mapper:
    def __init__(self, fmt: Format) -> None:
        self.fmt = fmt
        self.targets = targets(fmt)
        self.columns: list[tuple[Table, Labels]] = []
        for t in self.targets:
            for labels, _ in t.columns:
                if (t.table, labels) not in self.columns:
                    self.columns.append((t.table, labels))
        self.result = TableResult()
        self.last: Target | None = None
        self.header: list[list[GridCell]] = []
        self.colmap: dict[int, tuple[Table, Labels]] = {}
        self.last_data = False

    def table(self, index: int, table: SourceTable) -> None:
        grid = table.grid()
        width = table.n_cols
        if not (self.colmap and width == len(self.header) and _starts_with_data(grid)):
            self.header = [[] for _ in range(width)]
            self.colmap = {}
        self.last_data = False
        for r, row in enumerate(grid):
            self.row(index, table, r, row)

    def row(self, index: int, table: SourceTable, r: int, row: list[GridCell | None]) -> None:
        cells = _distinct(row)
        if all(not c.text and not c.image for c in cells):  # a gap between tables (sheets)
            self.header = [[] for _ in range(len(row))]
            self.colmap = {}
            self.last_data = False
            return
        first = normalize(cells[0].text)
        if first.startswith("注") and len(cells) <= 2 and not looks_like_value(cells[-1].text):
            key = self._current_table()
            self.result.notes.setdefault(key.key if key else "", []).append(squeeze(cells[0].text))
            return
        if self._data_row(index, table, r, row, cells):
            self.last_data = True
            return
        if self._extra_row(cells):
            return
        if all(not looks_like_value(c.text, image=c.image) for c in cells):
            if self.last_data:
                self.header = [[] for _ in range(len(row))]
            self.last_data = False
            for c, cell in enumerate(row):
                if (
                    cell is not None
                    and cell.text
                    and (not self.header[c] or self.header[c][-1] is not cell)
                ):
                    self.header[c].append(cell)
            self._map_columns()
            return
        self.result.unplaced.append(" | ".join(squeeze(c.text) for c in cells))

    def _extra_row(self, cells: list[GridCell]) -> bool:
        """A 表二 row of the agency's own below an official one: kept with its figures."""
        last = self.last
        if last is None or last.table.layout != "blocks" or self._current_table() is not last.table:
            return False
        stub = [
            c for c in cells if not any(x in self.colmap for x in range(c.col, c.col + c.colspan))
        ]
        values = [c for c in cells if c not in stub]
        if len(stub) != 1 or not stub[0].text or not values:
            return False
        if not all(looks_like_value(c.text) or not c.text for c in values):
            return False
        by_label = {
            lab: c for c, (t, lab) in sorted(self.colmap.items(), reverse=True) if t is last.table
        }
        figures = []
        for (labels, _), key in zip(last.columns, last.column_keys, strict=True):
            c = by_label.get(labels)
            if c is not None:
                cell = next((v for v in values if v.col <= c < v.col + v.colspan), None)
                figures.append((key, read_figure(cell.text if cell else "")))
        self.result.extra_rows.append(
            ExtraRow(last.table.key, last.row_key, squeeze(stub[0].text), tuple(figures))
        )
        self.result.unplaced.append(" | ".join(squeeze(c.text) for c in cells))
        return True

    def _map_columns(self) -> None:
        self.colmap = {}
        for c, stack in enumerate(self.header):
            if not stack or stack[-1].col != c:
                continue  # a column is named where its lowest header cell starts
            printed = [h.text for h in stack]
            best, score = None, 0.0
            for table, labels in self.columns:
                s = _path_score(printed, labels) if len(labels) <= len(printed) else 0.0
                if s > score:
                    best, score = (table, labels), s
            if best is not None:
                self.colmap[c] = best

    def _current_table(self) -> Table | None:
        counts = Counter(t.key for t, _ in self.colmap.values())
        if not counts:
            return None
        key = counts.most_common(1)[0][0]
        return self.fmt.tables[key]

    def _data_row(
        self, index: int, table: SourceTable, r: int, row: list[GridCell | None],
        cells: list[GridCell],
    ) -> bool:  # fmt: skip
        current = self._current_table()
        stub = [
            c for c in cells if not any(x in self.colmap for x in range(c.col, c.col + c.colspan))
        ]
        if current is None:
            stub = []
            for c in cells:
                if looks_like_value(c.text, image=c.image):
                    break
                if c.text:
                    stub.append(c)
        stub = [c for c in stub if not looks_like_value(c.text, image=c.image)]
        labels = [squeeze(c.text) for c in stub if c.text]
        best, score = None, 0.0
        for target in self.targets:
            if current is not None and target.table is not current:
                continue
            if target.labels:
                s = _path_score(labels, target.labels)
            else:  # 表四 has no row labels: only under its own header
                s = 0.5 if not labels and current is target.table else 0.0
            if s > score:
                best, score = target, s
        if best is None:
            return False
        values = [c for c in cells if c not in stub]
        if not values or all(
            c.text and not looks_like_value(c.text, image=c.image) for c in values
        ):
            return False
        if current is None and not any(looks_like_value(c.text, image=c.image) for c in values):
            return False  # without a header, only figures make a row of figures
        self._read(index, table, r, row, best, labels, values)
        return True

    def _read(
        self, index: int, table: SourceTable, r: int, row: list[GridCell | None],
        target: Target, labels: list[str], values: list[GridCell],
    ) -> None:  # fmt: skip
        res = self.result
        by_label = {labels_: c for c, (t, labels_) in sorted(self.colmap.items(), reverse=True)
                    if t is target.table}  # fmt: skip
        positional = not any(lab in by_label for lab, _ in target.columns)
        if positional and len(values) != len(target.columns):
            res.unplaced.append(" | ".join(squeeze(c.text) for c in _distinct(row)))
            return
        self.last = target
        if target.merged:
            res.merged.setdefault(target.table.key, []).append(target.row_key)
            res.mappings.append(
                f"{target.table.number} “{labels[-1]}”印为一行，数字记在其最后一个子项"
            )
        if labels and normalize(labels[-1]) != normalize(target.labels[-1]):
            res.mappings.append(f"{target.table.number} 行“{labels[-1]}” → {target.labels[-1]}")
            res.row_labels[(target.table.key, target.row_key)] = labels[-1]
        for i, ((col_labels, path), key) in enumerate(
            zip(target.columns, target.column_keys, strict=True)
        ):
            if positional:
                cell: GridCell | None = values[i]
                col_label = col_labels[-1]
            elif col_labels in by_label:
                c = by_label[col_labels]
                cell = row[c] if c < len(row) else None
                printed = squeeze(self.header[c][-1].text) if self.header[c] else ""
                col_label = printed
                if normalize(printed) != normalize(col_labels[-1]):
                    res.column_labels[(target.table.key, key)] = printed
                    note = f"{target.table.number} 列“{printed}” → {col_labels[-1]}"
                    if note not in res.mappings:
                        res.mappings.append(note)
            else:
                continue
            if path in res.figures or cell is None:
                continue
            figure = read_figure(cell.text, image=cell.image)
            res.figures[path] = Placed(
                path, figure, index, r, cell.col, cell.page or table.page,
                labels[-1] if labels else "", col_label,
            )  # fmt: skip
        if len(set(res.mappings)) != len(res.mappings):
            res.mappings[:] = list(dict.fromkeys(res.mappings))


def _distinct(row: list[GridCell | None]) -> list[GridCell]:
    out: list[GridCell] = []
    for cell in row:
        if cell is not None and (not out or out[-1] is not cell) and cell not in out:
            out.append(cell)
    return out


def _starts_with_data(grid: list[list[GridCell | None]]) -> bool:
    """A table whose first row already has figures continues the previous table's header."""
    if not grid:
        return False
    return any(c is not None and looks_like_value(c.text) for c in grid[0])


def map_tables(doc: Document, fmt: Format) -> TableResult:
    """Every figure of the format's tables found in ``doc``, keyed by YAML path."""
    mapper = _Mapper(fmt)
    for index, table in enumerate(doc.tables()):
        mapper.result.tables += 1
        mapper.table(index, table)
    return mapper.result
