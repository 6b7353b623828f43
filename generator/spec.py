"""The official report formats, read from their data files into typed objects.

Each format is one YAML file in ``generator/formats/``.  This module turns it into
frozen objects and derives what everybody else needs from it: the flat list of table
cells with their YAML paths and Chinese label paths, the sum rules, and the header
geometry of every table.  Nothing outside this module reads the format files, and no
other module knows a label.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal

import yaml

__all__ = [
    "Block",
    "Cell",
    "CrossYearRule",
    "Equation",
    "Field",
    "Format",
    "Node",
    "Part",
    "Section",
    "SumRule",
    "Table",
    "TableCheck",
    "all_formats",
    "format_for_year",
    "get_format",
]

ValueKind = Literal["count", "signed", "amount", "text", "name", "year", "date", "url", "format"]
Path = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Field:
    """A scalar field outside the tables: metadata, or a figure such as the fee."""

    key: str
    label: str
    value: ValueKind = "text"
    required: bool = False
    default: Any = None
    help: str | None = None
    example: str | None = None
    unit: str | None = None
    mention: str | None = None
    """When the value is above zero, the section's text should contain this word."""
    per_year: bool = False
    """Belongs to one year's report only; ``nianbao new`` does not carry it over."""


@dataclass(frozen=True, slots=True)
class Part:
    """One piece of narrative; ``heading`` is None for text shown under the section heading."""

    key: str
    label: str
    heading: str | None


@dataclass(frozen=True, slots=True)
class Section:
    key: str
    heading: str
    kind: Literal["narrative", "table"]
    parts: tuple[Part, ...] = ()
    fields: tuple[Field, ...] = ()
    warn_if_empty: str | None = None
    """What the section should say; when set, an empty section (or just 无) is a warning."""


@dataclass(frozen=True, slots=True)
class Node:
    """A row or column of a table; groups have children, leaves hold values.

    ``key`` is None for a group that exists only in the printed header (such as
    申请人情况), which adds no level to the YAML.  ``sum == "siblings"`` marks a total
    computed from the leaves of its siblings.
    """

    key: str | None
    label: str
    children: tuple[Node, ...] = ()
    sum: str | None = None
    rule: str | None = None
    value: ValueKind = "count"
    unit: str | None = None

    def leaves(self) -> Iterator[tuple[Node, Path, tuple[str, ...]]]:
        """Yield (leaf, key path, label path) for the leaves under this node, itself included."""
        yield from _leaves((self,), (), ())

    @property
    def depth(self) -> int:
        return 1 + max((c.depth for c in self.children), default=0)

    @property
    def width(self) -> int:
        return sum(c.width for c in self.children) if self.children else 1


def _leaves(
    nodes: Sequence[Node], path: Path, labels: tuple[str, ...]
) -> Iterator[tuple[Node, Path, tuple[str, ...]]]:
    for node in nodes:
        p = path + ((node.key,) if node.key else ())
        lab = labels + ((node.label,) if node.key else ())
        if node.children:
            yield from _leaves(node.children, p, lab)
        else:
            yield node, p, lab


@dataclass(frozen=True, slots=True)
class Block:
    """A block of the 表二 kind: a title row, a header row, and rows of values."""

    title: str
    columns: tuple[Node, ...]
    rows: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Equation:
    """Per data column: the sum of the ``left`` rows equals the sum of the ``right`` rows."""

    id: str
    label: str
    left: tuple[Path, ...]
    right: tuple[Path, ...]


@dataclass(frozen=True, slots=True)
class TableCheck:
    """A comparison within each of ``rows``: ``cell`` must be at least ``bound``."""

    id: str
    label: str
    kind: Literal["at_least"]
    severity: Literal["error", "warning"]
    rows: tuple[str, ...]
    cell: str
    bound: str


@dataclass(frozen=True, slots=True)
class Cell:
    """One value of a table: where it lives in the YAML and what the table calls it."""

    path: Path
    labels: tuple[str, ...]
    value: ValueKind
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class SumRule:
    """``target`` must equal the sum of ``operands``; the target is computed when omitted."""

    id: str
    target: Path
    operands: tuple[Path, ...]


@dataclass(frozen=True, slots=True)
class Table:
    key: str
    number: str
    caption: str
    layout: Literal["blocks", "cross"]
    unit: str | None = None
    corner: str | None = None
    columns: tuple[Node, ...] = ()
    rows: tuple[Node, ...] = ()
    blocks: tuple[Block, ...] = ()
    grid: int = 0
    stub: str | None = None
    equations: tuple[Equation, ...] = ()
    checks: tuple[TableCheck, ...] = ()
    cells: tuple[Cell, ...] = field(default=(), compare=False)
    sums: tuple[SumRule, ...] = field(default=(), compare=False)

    @property
    def title(self) -> str:
        return f"{self.number} {self.caption}"


@dataclass(frozen=True, slots=True)
class CrossYearRule:
    id: str
    label: str
    kind: Literal["carry", "roll_forward"]
    severity: Literal["error", "warning"]
    this: str
    previous: str
    rows: tuple[str, ...] = ()
    plus: str | None = None
    minus: str | None = None
    previous_plus: str | None = None
    """For counts that roll over: last year's figure plus last year's change."""


@dataclass(frozen=True, slots=True)
class Format:
    id: str
    name: str
    notice: str
    first_year: int
    last_year: int | None
    title: str
    meta: tuple[Field, ...]
    sections: tuple[Section, ...]
    tables: Mapping[str, Table]
    cross_year: tuple[CrossYearRule, ...]
    narrative_checks: tuple[Mapping[str, Any], ...] = ()
    cells: Mapping[Path, Cell] = field(default_factory=dict, compare=False)
    """Every table cell of the format by its YAML path, in table order."""

    def covers(self, year: int) -> bool:
        return year >= self.first_year and (self.last_year is None or year <= self.last_year)

    def report_title(self, agency: str, year: int) -> str:
        return self.title.format(agency=agency, year=year)


# --------------------------------------------------------------------------- reading


def _node(raw: Mapping[str, Any], sets: Mapping[str, Any], default: Mapping[str, Any]) -> Node:
    children = raw.get("children", ())
    if isinstance(children, str):
        children = sets[children]
    return Node(
        key=raw.get("key"),
        label=raw["label"],
        children=tuple(_node(c, sets, default) for c in children),
        sum=raw.get("sum"),
        rule=raw.get("rule"),
        value=raw.get("value", default.get("value", "count")),
        unit=raw.get("unit", default.get("unit")),
    )


def _nodes(raw: Any, sets: Mapping[str, Any], default: Mapping[str, Any]) -> tuple[Node, ...]:
    if isinstance(raw, str):
        raw = sets[raw]
    return tuple(_node(r, sets, default) for r in raw or ())


def _sibling_sums(
    nodes: Sequence[Node], prefix: Path
) -> Iterator[tuple[str, Path, tuple[Path, ...]]]:
    """Yield (target key path, operand key paths) for every ``sum: siblings`` node."""
    for node in nodes:
        here = prefix + ((node.key,) if node.key else ())
        if node.sum == "siblings":
            operands = tuple(
                p for sib in nodes if sib is not node for _, p, _ in _leaves((sib,), prefix, ())
            )
            yield node.rule or "SUM", here, operands
        yield from _sibling_sums(node.children, here)


def _table(key: str, raw: Mapping[str, Any]) -> Table:
    sets = raw.get("column_sets", {})
    default = {"value": raw.get("value", "count"), "unit": raw.get("unit")}
    cells: list[Cell] = []
    sums: list[SumRule] = []
    if raw["layout"] == "blocks":
        blocks = tuple(
            Block(
                title=b["title"],
                columns=_nodes(b["columns"], sets, default),
                rows=_nodes(b["rows"], sets, default),
            )
            for b in raw["blocks"]
        )
        for b in blocks:
            for row in b.rows:
                for col in b.columns:
                    path = (key, row.key or "") + ((col.key or "",) if len(b.columns) > 1 else ())
                    labels = (raw["number"], row.label) + (
                        (col.label,) if len(b.columns) > 1 else ()
                    )
                    cells.append(Cell(path, labels, col.value, col.unit))
        return Table(
            key=key,
            number=raw["number"],
            caption=raw["caption"],
            layout="blocks",
            unit=raw.get("unit"),
            blocks=blocks,
            grid=raw["grid"],
            stub=raw.get("stub"),
            checks=_checks(raw),
            cells=tuple(cells),
        )

    columns = _nodes(raw["columns"], sets, default)
    rows = _nodes(raw.get("rows", ()), sets, default)
    row_leaves = [((), ())] if not rows else [(p, lab) for r in rows for _, p, lab in r.leaves()]
    col_leaves = [(n, p, lab) for c in columns for n, p, lab in c.leaves()]
    for rp, rlab in row_leaves:
        for col, cp, clab in col_leaves:
            cells.append(Cell((key, *rp, *cp), (raw["number"], *rlab, *clab), col.value, col.unit))
    for rule, target, operands in _sibling_sums(columns, ()):
        for rp, _ in row_leaves:
            sums.append(
                SumRule(
                    rule,
                    (key, *rp, *target),
                    tuple((key, *rp, *o) for o in operands),
                )
            )
    for rule, target, operands in _sibling_sums(rows, ()):
        for _, cp, _ in col_leaves:
            sums.append(
                SumRule(
                    rule,
                    (key, *target, *cp),
                    tuple((key, *o, *cp) for o in operands),
                )
            )
    equations = tuple(
        Equation(
            id=e["id"],
            label=e["label"],
            left=tuple(tuple(p.split(".")) for p in e["left"]),
            right=tuple(tuple(p.split(".")) for p in e["right"]),
        )
        for e in raw.get("equations", ())
    )
    return Table(
        key=key,
        number=raw["number"],
        caption=raw["caption"],
        layout="cross",
        unit=raw.get("unit"),
        corner=raw.get("corner"),
        columns=columns,
        rows=rows,
        equations=equations,
        checks=_checks(raw),
        cells=tuple(cells),
        sums=tuple(sums),
    )


def _checks(raw: Mapping[str, Any]) -> tuple[TableCheck, ...]:
    return tuple(TableCheck(**{**c, "rows": tuple(c["rows"])}) for c in raw.get("checks", ()))


def _field(raw: Mapping[str, Any]) -> Field:
    return Field(**raw)


def _format(raw: Mapping[str, Any]) -> Format:
    sections = tuple(
        Section(
            key=s["key"],
            heading=s["heading"],
            kind=s["kind"],
            parts=tuple(Part(**p) for p in s.get("parts", ())),
            fields=tuple(_field(f) for f in s.get("fields", ())),
            warn_if_empty=s.get("warn_if_empty"),
        )
        for s in raw["sections"]
    )
    tables = {k: _table(k, t) for k, t in raw["tables"].items()}
    cross = tuple(
        CrossYearRule(**{**r, "rows": tuple(r.get("rows", ()))})
        for r in raw.get("cross_year", ())
        if not r.get("drop")
    )
    return Format(
        id=str(raw["id"]),
        name=raw["name"],
        notice=raw["notice"],
        first_year=raw["years"]["first"],
        last_year=raw["years"].get("last"),
        title=raw["title"],
        meta=tuple(_field(f) for f in raw["meta"]),
        sections=sections,
        tables=tables,
        cross_year=cross,
        narrative_checks=tuple(raw.get("narrative_checks", ())),
        cells={c.path: c for t in tables.values() for c in t.cells},
    )


def _identity(item: Any) -> Any:
    if isinstance(item, Mapping):
        return item.get("id", item.get("key"))
    return None


def _merge(base: Any, over: Any) -> Any:
    """Overlay a format on the one it ``extends``, so a revision states only what changed.

    Mappings merge key by key, and ``null`` deletes a key (``children: null`` turns a
    group into a single row).  Lists of items that have an ``id`` or ``key`` merge item
    by item, new items are appended, and ``drop: true`` removes one; any other list
    replaces the base list.
    """
    if isinstance(base, Mapping) and isinstance(over, Mapping):
        out = dict(base)
        for k, v in over.items():
            if v is None:
                out.pop(k, None)
            elif k in out:
                out[k] = _merge(out[k], v)
            else:
                out[k] = v
        return out
    if (
        isinstance(base, list)
        and isinstance(over, list)
        and over
        and all(_identity(i) is not None for i in over)
    ):
        merged = list(base)
        index = {_identity(i): n for n, i in enumerate(merged) if _identity(i) is not None}
        dropped = {_identity(i) for i in over if isinstance(i, Mapping) and i.get("drop")}
        for item in over:
            n = index.get(_identity(item))
            if n is None:
                merged.append(item)
            else:
                merged[n] = _merge(merged[n], item)
        return [i for i in merged if _identity(i) not in dropped]
    return over


@functools.cache
def _raw_formats() -> dict[str, dict[str, Any]]:
    raws: dict[str, dict[str, Any]] = {}
    folder = resources.files("generator") / "formats"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            raw = yaml.load(entry.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
            raws[str(raw["id"])] = raw
    resolved: dict[str, dict[str, Any]] = {}

    def resolve(fid: str) -> dict[str, Any]:
        if fid not in resolved:
            raw = raws[fid]
            parent = raw.get("extends")
            resolved[fid] = _merge(resolve(str(parent)), raw) if parent else raw
            resolved[fid].pop("extends", None)
        return resolved[fid]

    for fid in raws:
        resolve(fid)
    return resolved


@functools.cache
def all_formats() -> dict[str, Format]:
    """Every known format by id, oldest first."""
    fmts = [_format(r) for r in _raw_formats().values()]
    return {f.id: f for f in sorted(fmts, key=lambda f: f.first_year)}


def get_format(format_id: str) -> Format:
    return all_formats()[format_id]


def format_for_year(year: int) -> Format | None:
    """The format in force for a report year; None for years before any format."""
    for fmt in all_formats().values():
        if fmt.covers(year):
            return fmt
    return None
