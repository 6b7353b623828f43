"""The typed intermediate every reader produces: one shape for HTML, DOCX, DOC, PDF and XLSX.

A published report is, for import, a sequence of blocks in reading order: text
paragraphs (with their inline bold runs and links, and whether the source marked them
as a heading or a list item) and tables.  A table is a list of cells, each placed on
the grid with its row and column spans, its text exactly as printed.  The mapper
(``tables``, ``sections``) reads only this, so each format needs one reader and no
reader knows anything about the official format.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from ..errors import NianbaoError

__all__ = [
    "MAX_GRID_CELLS",
    "MAX_SPAN",
    "Block",
    "Document",
    "GridCell",
    "Inline",
    "Para",
    "SourceTable",
    "Unreadable",
]

MAX_SPAN = 1000
"""A row or column span is cut to this (HTML allows colspan up to 1000)."""
MAX_GRID_CELLS = 200_000
"""A table larger than this, once spans are expanded, is refused: no report is that big."""


class Unreadable(NianbaoError):
    """The source cannot be imported at all (not a report, image-only, damaged, unsupported)."""

    exit_code = 2


@dataclass(frozen=True, slots=True)
class Inline:
    """A run of text; ``bold`` and ``href`` as the source marked them."""

    text: str
    bold: bool = False
    href: str | None = None


ParaKind = Literal["p", "heading", "bullet", "ordered"]


@dataclass(frozen=True, slots=True)
class Para:
    """A paragraph as printed; ``kind`` says whether the source marked it heading or list item."""

    inlines: tuple[Inline, ...]
    kind: ParaKind = "p"
    page: int | None = None

    @property
    def text(self) -> str:
        return "".join(i.text for i in self.inlines)


@dataclass(frozen=True, slots=True)
class GridCell:
    """One printed cell: where it starts on the grid, how far it spans, what it says.

    ``image`` marks a cell that holds a picture and no text: its figure cannot be read.
    """

    row: int
    col: int
    text: str
    rowspan: int = 1
    colspan: int = 1
    image: bool = False
    page: int | None = None


@dataclass(frozen=True, slots=True)
class SourceTable:
    """A table as printed.  ``grid()`` expands the spans: every position names its cell."""

    cells: tuple[GridCell, ...]
    page: int | None = None
    images: int = 0
    """Pictures inside the table (a table pasted as an image has pictures and no cells)."""
    caption: str | None = None

    @property
    def n_rows(self) -> int:
        return max((c.row + c.rowspan for c in self.cells), default=0)

    @property
    def n_cols(self) -> int:
        return max((c.col + c.colspan for c in self.cells), default=0)

    def grid(self) -> list[list[GridCell | None]]:
        rows, cols = self.n_rows, self.n_cols
        out: list[list[GridCell | None]] = [[None] * cols for _ in range(rows)]
        for cell in self.cells:
            for r in range(cell.row, cell.row + cell.rowspan):
                for c in range(cell.col, cell.col + cell.colspan):
                    if out[r][c] is None:
                        out[r][c] = cell
        return out


Block: TypeAlias = Para | SourceTable


@dataclass(slots=True)
class Document:
    """A whole source document: its title (when the source marks one) and its blocks."""

    name: str
    kind: str
    blocks: list[Block] = field(default_factory=list)
    title: str | None = None
    extra_titles: list[str] = field(default_factory=list)
    """Other texts that may hold the title (an HTML page's <title>, its headings)."""
    dates: list[str] = field(default_factory=list)
    """Publication dates the page states outside the body (发布时间 in portal pages)."""
    images: int = 0
    """Pictures in the body: a report whose tables are pictures has these and no tables."""
    image_pages: list[int] = field(default_factory=list)
    """Pages (PDF) that hold pictures and no text: their tables cannot be read."""

    def tables(self) -> Iterator[SourceTable]:
        return (b for b in self.blocks if isinstance(b, SourceTable))

    def paras(self) -> Iterator[Para]:
        return (b for b in self.blocks if isinstance(b, Para))


class GridBuilder:
    """Places cells row by row, skipping positions taken by a span from above (HTML, DOCX).

    Bounded: spans are cut to ``MAX_SPAN`` and the whole grid to ``MAX_GRID_CELLS``.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.cells: list[GridCell] = []
        self._taken: set[tuple[int, int]] = set()
        self._area = 0
        self.row = -1

    def new_row(self) -> None:
        self.row += 1

    def add(self, text: str, rowspan: int = 1, colspan: int = 1, *, image: bool = False) -> None:
        rowspan = max(1, min(rowspan, MAX_SPAN))
        colspan = max(1, min(colspan, MAX_SPAN))
        col = 0
        while (self.row, col) in self._taken:
            col += 1
        self._area += rowspan * colspan
        if self._area > MAX_GRID_CELLS:
            raise Unreadable(f"{self.name}: 表格过大（超过 {MAX_GRID_CELLS} 格），不像年度报告")
        for r in range(self.row, self.row + rowspan):
            for c in range(col, col + colspan):
                self._taken.add((r, c))
        self.cells.append(GridCell(self.row, col, text, rowspan, colspan, image))

    def table(self, **kw: object) -> SourceTable:
        rows = self.row + 1
        cells = tuple(c if c.row + c.rowspan <= rows else _cut(c, rows - c.row) for c in self.cells)
        return SourceTable(cells, **kw)  # type: ignore[arg-type]


def _cut(cell: GridCell, rowspan: int) -> GridCell:
    return GridCell(cell.row, cell.col, cell.text, rowspan, cell.colspan, cell.image, cell.page)
