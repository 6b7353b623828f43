"""The official report formats, read from their data files into typed objects.

Each format is one YAML file in ``generator/formats/``.  This module turns it into
frozen objects and derives what everybody else needs from it: the flat list of table
cells with their YAML paths and Chinese label paths, the sum rules, and the header
geometry of every table.  Nothing outside this module reads the format files, and no
other module knows a label.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml

from .resources import format_files

__all__ = [
    "Block",
    "Cell",
    "CrossYearLink",
    "CrossYearRule",
    "Equation",
    "Field",
    "Format",
    "FormatDataError",
    "NarrativeCheck",
    "Node",
    "Part",
    "Section",
    "SumRule",
    "Table",
    "TableCheck",
    "all_formats",
    "format_for_year",
    "get_format",
    "load_format",
]

ValueKind = Literal["count", "signed", "amount", "text", "year", "date", "url", "format"]
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
    """One of the report's numbered sections (一、总体情况 … 六、其他需要报告的事项).

    A ``narrative`` section holds text ``parts`` (and scalar ``fields`` such as the
    信息处理费); a ``table`` section shows the table of the same key.  The order of
    ``Format.sections`` is the order of the printed report.
    """

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

    @property
    def single(self) -> bool:
        """One value column: a row is a single number in the YAML, not a mapping."""
        return len(self.columns) == 1

    def path(self, table: str, row: Node, column: Node) -> Path:
        """The YAML path of one cell: ``(table, row)``, plus the column unless ``single``."""
        return (table, row.key or "") + (() if self.single else (column.key or "",))


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
    """One official table (表二, 表三, 表四): its header trees and everything derived from them.

    ``cross`` tables are a row tree × a column tree; ``blocks`` tables (表二) are titled
    blocks of rows.  ``cells`` (every value with its YAML path and label path) and
    ``sums`` (which cell totals which) are derived at load, so the schema, the rules
    and the layout never walk the trees themselves.
    """

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
class CrossYearLink:
    """One cell a cross-year rule reads: this year's ``here`` against last year's ``there``.

    ``plus`` and ``minus`` are this year's cells added and taken away, ``change`` is
    last year's cell added on top (``values.expected_from_last_year`` does the sum).
    """

    here: Path
    there: Path
    plus: Path | None = None
    minus: Path | None = None
    change: Path | None = None


@dataclass(frozen=True, slots=True)
class CrossYearRule:
    """A rule between this year's report and last year's (``cross_year:`` of a format).

    ``carry`` copies a whole row (二、上年结转 from last year's 四、结转下年度继续办理);
    ``roll_forward`` checks a running count in each of ``rows`` (现行有效件数: last
    year's plus this year's 制发 minus 废止).  The paths are parsed when the format
    loads, and ``links`` lists every cell the rule reads, in table order, so the rules
    and ``nianbao new`` never take the format data apart themselves.
    """

    id: str
    label: str
    kind: Literal["carry", "roll_forward"]
    severity: Literal["error", "warning"]
    this: Path
    previous: Path
    rows: tuple[Path, ...] = ()
    plus: str | None = None
    minus: str | None = None
    previous_plus: str | None = None
    """For counts that roll over: last year's figure plus last year's change."""
    links: tuple[CrossYearLink, ...] = field(default=(), compare=False)
    carries: str = ""
    """What the rule fills in next year's file, as the table calls it (上年结转, 现行有效件数)."""


@dataclass(frozen=True, slots=True)
class NarrativeCheck:
    """One ``narrative_checks`` entry of a format, compiled.

    The written number must equal the sum of one of ``alternatives``; with
    ``percent_of`` it is a percentage of that sum over the ``percent_of`` sum; with
    ``expect_zero`` the pattern has no number and claims those cells are all 0.
    """

    id: str
    label: str
    regex: re.Pattern[str]
    alternatives: tuple[tuple[Path, ...], ...] = ()
    percent_of: tuple[Path, ...] = ()
    expect_zero: tuple[Path, ...] = ()
    hint: str | None = None


@dataclass(frozen=True, slots=True)
class Format:
    """One official report format (2019 or 2021), as read from ``generator/formats``.

    The single interpreter of the format data: metadata fields, sections, tables,
    cross-year rules and narrative checks, all parsed and checked at load.  Every
    other module asks a Format rather than reading the data files or typing a label.
    """

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
    narrative_checks: tuple[NarrativeCheck, ...] = ()
    """The figures a narrative states, compiled at load: a broken pattern fails there."""
    cells: Mapping[Path, Cell] = field(default_factory=dict, compare=False)
    """Every table cell of the format by its YAML path, in table order."""

    def covers(self, year: int) -> bool:
        return year >= self.first_year and (self.last_year is None or year <= self.last_year)

    def meta_label(self, key: str) -> str:
        """The label of a metadata field (机关名称 for ``agency``): messages name fields by it."""
        return next(f.label for f in self.meta if f.key == key)

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
    if raw["layout"] == "blocks":
        return _blocks_table(key, raw, sets, default)
    return _cross_table(key, raw, sets, default)


def _blocks_table(
    key: str, raw: Mapping[str, Any], sets: Mapping[str, Any], default: Mapping[str, Any]
) -> Table:
    cells: list[Cell] = []
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
                labels = (raw["number"], row.label) + (() if b.single else (col.label,))
                cells.append(Cell(b.path(key, row, col), labels, col.value, col.unit))
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


def _cross_table(
    key: str, raw: Mapping[str, Any], sets: Mapping[str, Any], default: Mapping[str, Any]
) -> Table:
    cells: list[Cell] = []
    sums: list[SumRule] = []
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
            left=tuple(_dotted(p) for p in e["left"]),
            right=tuple(_dotted(p) for p in e["right"]),
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


def load_format(raw: Mapping[str, Any]) -> Format:
    """A format from its data (``extends`` already resolved); FormatDataError if it is broken."""
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
    cells = {c.path: c for t in tables.values() for c in t.cells}
    cross = tuple(_cross_year(r, cells) for r in raw.get("cross_year", ()) if not r.get("drop"))
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
        narrative_checks=tuple(_narrative_check(c, cells) for c in raw.get("narrative_checks", ())),
        cells=cells,
    )


def _dotted(text: str) -> Path:
    return tuple(text.split("."))


_ORDINAL = re.compile(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+\.)")
"""The numbering in front of a row label (二、, （三）, 4.): not part of the name."""


def _cross_year(raw: Mapping[str, Any], cells: Mapping[Path, Cell]) -> CrossYearRule:
    this, previous = _dotted(raw["this"]), _dotted(raw["previous"])
    rows = tuple(_dotted(r) for r in raw.get("rows", ()))
    links: list[CrossYearLink] = []
    if raw["kind"] == "carry":
        links = [
            CrossYearLink(p, (*previous, *p[len(this) :])) for p in cells if p[: len(this)] == this
        ]
        level = len(this) - 1
    else:

        def at(base: Path, key: str | None) -> Path | None:
            return (*base, key) if key else None

        for base in rows:
            here = (*base, *this)
            if here in cells:
                links.append(
                    CrossYearLink(
                        here,
                        (*base, *previous),
                        at(base, raw.get("plus")),
                        at(base, raw.get("minus")),
                        at(base, raw.get("previous_plus")),
                    )
                )
        level = -1
    carries = _ORDINAL.sub("", cells[links[0].here].labels[level]) if links else ""
    fields = {k: v for k, v in raw.items() if k not in ("this", "previous", "rows")}
    return CrossYearRule(
        **fields, this=this, previous=previous, rows=rows, links=tuple(links), carries=carries
    )


class FormatDataError(ValueError):
    """The format data contradicts itself: a bug in ``generator/formats``, found at load."""


def _narrative_check(raw: Mapping[str, Any], cells: Mapping[Path, Cell]) -> NarrativeCheck:
    cid = str(raw["id"])

    def paths(names: list[str]) -> tuple[Path, ...]:
        # A group row names the sum of its sub-rows: applications.withheld.total is every
        # （三）不予公开 sub-row's 总计, in whichever format has that group.
        found: list[Path] = []
        for name in names:
            p = _dotted(str(name))
            matches = (
                [p]
                if p in cells
                else [c for c in cells if c[: len(p) - 1] == p[:-1] and c[-1] == p[-1]]
            )
            if not matches:
                raise FormatDataError(f"narrative_checks {cid}: 表中没有单元格 {name}")
            found.extend(matches)
        return tuple(found)

    units = "|".join(re.escape(str(u)) for u in raw.get("units", ()))
    try:
        regex = re.compile(str(raw["pattern"]) + (rf"\s*(?:{units})" if units else ""))
    except re.error as exc:
        raise FormatDataError(f"narrative_checks {cid}: 模式有误（{exc}）") from None
    check = NarrativeCheck(
        id=cid,
        label=str(raw["label"]),
        regex=regex,
        alternatives=tuple(paths(a) for a in raw.get("any_of", ()))
        or ((paths(raw["cells"]),) if "cells" in raw else ()),
        percent_of=paths(raw.get("percent_of", [])),
        expect_zero=paths(raw.get("expect_zero", [])),
        hint=raw.get("hint"),
    )
    if regex.groups != (0 if check.expect_zero else 1) or not (
        check.alternatives or check.expect_zero
    ):
        raise FormatDataError(f"narrative_checks {cid}: 模式的捕获组或单元格声明不正确")
    return check


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
    for entry in format_files():
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
    fmts = [load_format(r) for r in _raw_formats().values()]
    return {f.id: f for f in sorted(fmts, key=lambda f: f.first_year)}


def get_format(format_id: str) -> Format:
    return all_formats()[format_id]


def format_for_year(year: int) -> Format | None:
    """The format in force for a report year; None for years before any format."""
    for fmt in all_formats().values():
        if fmt.covers(year):
            return fmt
    return None
