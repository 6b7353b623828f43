"""The official report formats, as typed objects: the one interpreter of the format data.

Each format is one YAML file in ``generator/formats/``.  This module declares what a
format is (frozen dataclasses) and hands formats out; its reading half,
``spec_reader``, turns the files into these objects and derives what everybody else
needs: the flat list of table cells with their YAML paths and Chinese label paths,
the sum rules, the cells each cross-year rule links and the compiled narrative
checks.  Nothing else reads the format files, and no other module knows a label.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .claims_vocab import Vocabulary

__all__ = [
    "Block",
    "Cell",
    "CrossYearLink",
    "CrossYearRule",
    "Equation",
    "Field",
    "Format",
    "FormatDataError",
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

ValueKind = Literal[
    "count", "signed", "amount", "text", "name", "year", "date", "url", "format", "lines"
]
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
class Format:
    """One official report format (2019 or 2021), as read from ``generator/formats``.

    The single interpreter of the format data: metadata fields, sections, tables,
    cross-year rules and the claim vocabulary, all parsed and checked at load.  Every
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
    cells: Mapping[Path, Cell] = field(default_factory=dict, compare=False)
    """Every table cell of the format by its YAML path, in table order."""
    claims: Vocabulary | None = field(default=None, compare=False)
    """The claim vocabulary (``claims:``), compiled at load for ``claims`` to read sentences."""

    def covers(self, year: int) -> bool:
        return year >= self.first_year and (self.last_year is None or year <= self.last_year)

    def meta_label(self, key: str) -> str:
        """The label of a metadata field (机关名称 for ``agency``): messages name fields by it."""
        return next(f.label for f in self.meta if f.key == key)

    def report_title(self, agency: str, year: int) -> str:
        return self.title.format(agency=agency, year=year)


class FormatDataError(ValueError):
    """The format data contradicts itself: a bug in ``generator/formats``, found at load."""


# --------------------------------------------------------------------------- the formats


@functools.cache
def all_formats() -> dict[str, Format]:
    """Every known format by id, oldest first."""
    from .spec_reader import load_format, raw_formats  # it builds this module's types

    fmts = [load_format(r) for r in raw_formats().values()]
    return {f.id: f for f in sorted(fmts, key=lambda f: f.first_year)}


def get_format(format_id: str) -> Format:
    return all_formats()[format_id]


def format_for_year(year: int) -> Format | None:
    """The format in force for a report year; None for years before any format."""
    for fmt in all_formats().values():
        if fmt.covers(year):
            return fmt
    return None
