"""The validated report as the renderers see it.

A Report holds everything the three renderers need and nothing they would have to
recompute: the format, the metadata with the title resolved, every table figure
(written or computed), and the narrative already expanded and parsed into the
intermediate form of ``narrative``.  Renderers never look at the YAML.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from .layout import Grid, table_grid
from .local import LocalTable
from .narrative import Block
from .spec import Format, Part, Path, Section, Table
from .values import CellValue, Mark, Values, lookup, total

__all__ = ["PartView", "Report", "SectionView", "narrative_context"]


@dataclass(frozen=True, slots=True)
class PartView:
    """One narrative part as drawn: its sub-heading (None under the section heading), its blocks."""

    part: Part
    heading: str | None
    blocks: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class SectionView:
    """One of the six sections as drawn: heading, the parts that have text, the table.

    ``grid`` is the table laid out with the report's figures (None for a narrative
    section).  The DOCX renderer and the HTML and Markdown templates all draw these.
    """

    section: Section
    heading: str
    parts: tuple[PartView, ...]
    table: Table | None
    grid: Grid | None


@dataclass(frozen=True, slots=True)
class Report:
    """A validated report, everything the renderers need and nothing they must recompute.

    Built by ``validate`` only when the report has no errors, so a renderer can trust
    every figure.  ``document()`` is the document tree all three renderers walk.
    """

    format: Format
    name: str
    meta: Mapping[str, Any]
    values: Mapping[Path, int | Decimal]
    fields: Mapping[Path, Any]
    narrative: Mapping[Path, tuple[Block, ...]]
    marks: Mapping[Path, Mark] = field(default_factory=dict)
    """The cells printed blank, with a dash or ``?``; ``values`` holds them as 0."""
    local: Mapping[str, LocalTable] = field(default_factory=dict)
    """The local variants of each table (``local:`` of the report)."""
    _grids: dict[str, Grid] = field(default_factory=dict, init=False, compare=False, repr=False)
    _document: list[tuple[SectionView, ...]] = field(
        default_factory=list, init=False, compare=False, repr=False
    )

    def document(self) -> tuple[SectionView, ...]:
        """The sections in order, empty parts left out, tables laid out: built once."""
        if not self._document:
            self._document.append(tuple(self._section_view(s, t) for s, t in self.sections()))
        return self._document[0]

    def _section_view(self, section: Section, table: Table | None) -> SectionView:
        parts = tuple(
            PartView(p, p.heading, self.blocks(section, p.key))
            for p in section.parts
            if self.blocks(section, p.key)
        )
        grid = self.grid(table) if table is not None else None
        return SectionView(section, section.heading, parts, table, grid)

    def grid(self, table: Table) -> Grid:
        """The drawn layout of ``table`` with this report's figures, made once per report."""
        if table.key not in self._grids:
            printed: dict[Path, CellValue] = {**self.values, **self.marks}
            self._grids[table.key] = table_grid(table, printed, self.local.get(table.key))
        return self._grids[table.key]

    @property
    def agency(self) -> str:
        return str(self.meta["agency"])

    @property
    def year(self) -> int:
        return int(self.meta["year"])

    @property
    def title(self) -> str:
        return str(self.meta["title"])

    @property
    def title_lines(self) -> tuple[str, ...]:
        """The title as printed, line by line (GB/T 9704: lines break where the words do).

        ``title_lines`` from the report when given; else the 机关名称 on the first line
        and the rest ("2021年政府信息公开工作年度报告") on the next; else one line.
        """
        written = self.meta.get("title_lines")
        if written:
            return tuple(str(line) for line in written)
        title, agency = self.title, self.agency
        if title.startswith(agency) and len(title) > len(agency):
            return agency, title[len(agency) :]
        return (title,)

    @property
    def published(self) -> date | None:
        raw = self.meta.get("published")
        return date.fromisoformat(raw) if raw else None

    def sections(self) -> Iterator[tuple[Section, Table | None]]:
        """The six sections in order, each with its table (or None for narrative)."""
        for section in self.format.sections:
            yield section, self.format.tables.get(section.key) if section.kind == "table" else None

    def blocks(self, section: Section, part_key: str) -> tuple[Block, ...]:
        return self.narrative.get((section.key, part_key), ())


def meta_values(fmt: Format, data: Mapping[str, Any]) -> dict[str, Any]:
    """Metadata with defaults applied: the title from the format, the format id."""
    meta = {f.key: data.get(f.key, f.default) for f in fmt.meta}
    meta["format"] = fmt.id
    if not meta.get("title"):
        lines = meta.get("title_lines")
        meta["title"] = (
            "".join(map(str, lines))
            if lines
            else fmt.report_title(str(meta["agency"]), int(meta["year"]))
        )
    return meta


def field_values(fmt: Format, data: Mapping[str, Any]) -> dict[Path, Any]:
    """Section fields (the 信息处理费) with defaults; amounts as exact Decimals."""
    out: dict[Path, Any] = {}
    for section in fmt.sections:
        for f in section.fields:
            raw = lookup(data, (section.key, f.key))
            if raw is None:
                raw = f.default
            if f.value == "amount":
                raw = Decimal(str(raw if raw is not None else 0))
            out[(section.key, f.key)] = raw
    return out


def narrative_context(
    fmt: Format,
    meta: Mapping[str, Any],
    values: Values,
    fields: Mapping[Path, Any],
    marks: Mapping[Path, Mark] | None = None,
) -> dict[str, Any]:
    """The names a narrative can reference: the YAML paths, plus group sums of 表三.

    ``applications.withheld.total`` (and ``.business`` …) is the sum over the group's
    sub-rows, which the official table never prints but narratives always quote.  A
    cell printed blank, with a dash or unreadable (``marks``) is there as that mark, so
    a reference to it fails with a message rather than printing 0.
    """
    ctx: dict[str, Any] = {k: v for k, v in meta.items() if v is not None}
    for path, value in [*values.items(), *fields.items()]:
        _put(ctx, path, value)
    for table in fmt.tables.values():
        if table.layout != "cross":
            continue
        col_paths = [p for c in table.columns for _, p, _ in c.leaves()]
        for row in table.rows:
            _group_sums(ctx, table.key, (), row, col_paths, values)
    for path, mark in (marks or {}).items():
        _put(ctx, path, mark)
    return ctx


def _group_sums(
    ctx: dict[str, Any],
    table_key: str,
    prefix: tuple[str, ...],
    node: Any,
    col_paths: list[tuple[str, ...]],
    values: Values,
) -> None:
    here = prefix + ((node.key,) if node.key else ())
    if not node.children:
        return
    for child in node.children:
        _group_sums(ctx, table_key, here, child, col_paths, values)
    if not node.key:
        return
    leaves = [p for _, p, _ in node.leaves()]
    for cp in col_paths:
        _put(
            ctx,
            (table_key, *here, *cp),
            total(values[(table_key, *prefix, *lp, *cp)] for lp in leaves),
        )


def _put(ctx: dict[str, Any], path: Path, value: Any) -> None:
    node = ctx
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value
