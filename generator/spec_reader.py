"""Reading the format data files into ``spec``'s types: the other half of ``spec``.

``spec`` declares what a format is; this module reads ``generator/formats/*.yaml``
(resolving ``extends``), parses every path, links every cross-year rule to its cells,
compiles every narrative check and derives the cells and sums of every table, so that
a contradiction in the data fails here, when the format loads.  Only ``spec`` (and
tests of broken format data) call it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import yaml

from .claims_vocab import compile_vocabulary
from .resources import format_files
from .spec import (
    Block,
    Cell,
    CrossYearLink,
    CrossYearRule,
    Equation,
    Field,
    Format,
    Node,
    Part,
    Path,
    Section,
    SumRule,
    Table,
    TableCheck,
    _leaves,
)

__all__ = ["load_format", "raw_formats"]


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
        cells=cells,
        claims=compile_vocabulary(raw.get("claims"), tables.values(), sections),
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
def raw_formats() -> dict[str, dict[str, Any]]:
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
