"""Step 2d: the 汇总 — a group's 表二/表三/表四 added up, cell by cell.

A group is the whole tree, a folder of agencies (``county-a/`` holding
``county-a/lanxi-sfj/``), or a list in ``[groups]`` of ``nianbao.toml``.  For a
folder or the whole tree the members of year Y are the agencies that reported
for Y or Y − 1 (the same expectation as the coverage); a declared group's members
are its list.  The 汇总 is made only when every member's report for the year is
present and valid and all use one format — a partial sum would be a wrong
figure with an official look; otherwise it says which members are missing.

The sum becomes a report of its own (every cell written, totals included) that
goes through the same validation as any report: the schema, the 勾稽关系 of
``rules`` and, when last year's 汇总 exists, the cross-year rules.  So a 汇总 is
drawn by the same table code as a report, and a broken sum would be a finding.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from .. import rules
from ..errors import Diagnostic, label_path
from ..model import Report
from ..source import Source, loads
from ..validate import check_source
from ..values import Value, Values, total
from .collect import Tree

__all__ = ["ALL", "Group", "Total", "group_total", "groups"]

ALL = "全部机关"
"""The name of the group of every agency in the tree."""


@dataclass(frozen=True, slots=True)
class Group:
    name: str
    origin: Literal["all", "folder", "config"]
    members: tuple[str, ...] = ()
    """Declared members (config groups); folder groups find theirs per year."""
    folder: str = ""


@dataclass(frozen=True, slots=True)
class Total:
    """A group's 汇总 for one year, or why there is none."""

    group: Group
    year: int
    members: tuple[str, ...]
    missing: tuple[str, ...] = ()
    invalid: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    report: Report | None = None
    checks: tuple[Diagnostic, ...] = ()
    """Errors of the 勾稽关系 on the summed figures (none when the members are valid)."""
    marked: tuple[tuple[str, str], ...] = ()
    """(member, cell label path) of each cell a member printed blank, as a dash or ``?``:
    the sum counts it as 0, as the rules do, and the dashboard says so."""
    source: Source | None = field(default=None, compare=False)

    @property
    def complete(self) -> bool:
        return self.report is not None


def groups(tree: Tree, declared: Mapping[str, Sequence[str]]) -> list[Group]:
    """The whole tree, then each folder holding agencies, then the declared groups."""
    out = [Group(ALL, "all")]
    folders = sorted({tree.folder(a) for a in tree.agencies} - {""})
    out.extend(Group(f"{f}/", "folder", folder=f) for f in folders)
    out.extend(Group(name, "config", tuple(members)) for name, members in declared.items())
    return out


def members(tree: Tree, group: Group, year: int) -> tuple[str, ...]:
    if group.origin == "config":
        return group.members
    inside = [a for a in tree.agencies if not group.folder or a.startswith(f"{group.folder}/")]
    return tuple(a for a in inside if tree.get(a, year) or tree.get(a, year - 1))


def _yaml(node: Any) -> str:
    """Flow-style YAML (JSON with exact decimals): the 汇总 as a report file."""
    if isinstance(node, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {_yaml(v)}" for k, v in node.items()) + "}"
    if isinstance(node, Decimal):
        return format(node, "f")
    if isinstance(node, str):
        return json.dumps(node, ensure_ascii=False)
    return str(node)


def summed(reports: Sequence[Report]) -> Values:
    """Every cell of the members' format: the sum of the members' figures."""
    fmt = reports[0].format
    return {path: total(r.values[path] for r in reports) for path in fmt.cells}


def _as_data(group: Group, year: int, fmt_id: str, values: Mapping[tuple[str, ...], Value]) -> str:
    data: dict[str, Any] = {"agency": group.name, "year": year, "format": fmt_id}
    for path, value in values.items():
        node = data
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
    return _yaml(data)


def group_total(
    tree: Tree, group: Group, year: int, previous: Total | None = None, *, name: str = ""
) -> Total:
    """The 汇总 of ``group`` for ``year``; ``previous`` is last year's, for the carry rules."""
    who = members(tree, group, year)
    entries = [tree.get(a, year) for a in who]
    missing = tuple(a for a, e in zip(who, entries, strict=True) if e is None)
    invalid = tuple(a for a, e in zip(who, entries, strict=True) if e is not None and not e.ok)
    reports = [e.report for e in entries if e is not None and e.report is not None]
    formats = tuple(sorted({r.format.id for r in reports}))
    if missing or invalid or not reports or len(formats) > 1:
        return Total(group, year, who, missing, invalid, formats)
    values = summed(reports)
    marked = tuple(
        (agency, label_path(e.report.format.cells[path].labels))
        for agency, e in zip(who, entries, strict=True)
        if e is not None and e.report is not None
        for path in sorted(e.report.marks)
        if path in e.report.format.cells
    )
    source = loads(_as_data(group, year, formats[0], values), name or f"{group.name}{year}")
    outcome = check_source(source)
    checks = list(outcome.errors)
    same = previous is not None and previous.members == who  # else the carry cannot add up
    if same and previous is not None and previous.report is not None and previous.source:
        prev = previous.report
        checks += [
            d
            for d in rules.check_cross_year(
                outcome.report.format if outcome.report else reports[0].format,
                source,
                rules.compute_values(reports[0].format, source.data),
                previous.source,
                prev.format,
                dict(prev.values),
            )
            if d.severity == "error"
        ]
    return Total(
        group,
        year,
        who,
        formats=formats,
        report=outcome.report,
        checks=tuple(checks),
        marked=marked,
        source=source,
    )
