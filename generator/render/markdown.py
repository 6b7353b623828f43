"""Report → Markdown (``templates/markdown/report.md.j2``), for review and diffs.

Pipe tables cannot merge cells, so each official table becomes one pipe table per
header block (表二: one per 第二十条 block).  A column's header is the path of the
header cells above it and a row's first cell the path of the header cells to its
left, both read from ``layout.Grid`` and joined with " / ".  Every official label
survives, each figure sits on its own data row (changing one number changes one
line), and GitHub and GitLab render the result.  See ``templates/markdown/README-tables.md``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import RenderOptions
from ._jinja import render
from .context import MarkdownContext, template_context

if TYPE_CHECKING:
    from ..layout import Grid, GridCell
    from ..model import Report

__all__ = ["JOIN", "RENDERER", "MarkdownRenderer", "PipeTable", "pipe_tables"]

TEMPLATE = "report.md.j2"
JOIN = " / "
"""Separator between the levels of a label path."""


@dataclass(frozen=True, slots=True)
class PipeTable:
    """One pipe table: bold lines above it, header cells, right-aligned columns, rows."""

    titles: tuple[str, ...]
    header: tuple[str, ...]
    numeric: tuple[bool, ...]
    rows: tuple[tuple[str, ...], ...]


def pipe_tables(grid: Grid) -> list[PipeTable]:
    """Flatten ``grid`` into pipe tables; a title or header row after data starts a new one."""
    covered = grid.covered()
    head = list(range(grid.head))
    out: list[PipeTable] = []
    for body in grid.bodies:
        titles: list[str] = []
        headers: list[int] = []
        data: list[int] = []
        for r in body:
            cells = grid.rows[r]
            if any(not c.header for c in cells):
                data.append(r)
                continue
            if data:
                out.append(_flatten(grid, covered, titles, head + headers, data))
                titles, headers, data = [], [], []
            if cells and all(c.kind == "title" for c in cells):
                titles.extend(c.text for c in cells if c.text)
            else:
                headers.append(r)
        if data or titles:
            out.append(_flatten(grid, covered, titles, head + headers, data))
    return out


def _path(cells: Iterable[GridCell]) -> str:
    """The distinct non-empty texts of ``cells``, in order, joined into one label path."""
    seen: set[tuple[int, int]] = set()
    texts: list[str] = []
    for cell in cells:
        if (cell.row, cell.col) not in seen:
            seen.add((cell.row, cell.col))
            if cell.text:
                texts.append(cell.text)
    return JOIN.join(texts)


def _flatten(
    grid: Grid,
    covered: dict[tuple[int, int], GridCell],
    titles: Sequence[str],
    headers: Sequence[int],
    data: Sequence[int],
) -> PipeTable:
    stub = sorted(
        {c for r in data for c in range(grid.ncols) if (r, c) in covered and covered[r, c].header}
    )
    values = sorted({c.col for r in data for c in grid.rows[r] if not c.header})

    def above(col: int) -> str:
        return _path(covered[h, col] for h in headers if (h, col) in covered)

    header: list[str] = []
    if stub:
        header.append(_path(covered[h, c] for h in headers for c in stub if (h, c) in covered))
    header.extend(above(c) for c in values)
    rows = []
    for r in data:
        row = [_path(covered[r, c] for c in stub)] if stub else []
        row.extend(covered[r, c].text if (r, c) in covered else "" for c in values)
        rows.append(tuple(row))
    numeric = (False,) * bool(stub) + (True,) * len(values)
    return PipeTable(tuple(titles), tuple(header), numeric, tuple(rows))


_TRAILING = re.compile(r"[ \t]+$", re.MULTILINE)
_BLANKS = re.compile(r"\n{3,}")


def tidy(text: str) -> str:
    """LF only, no trailing spaces, no runs of blank lines, exactly one final newline."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _TRAILING.sub("", text)
    text = _BLANKS.sub("\n\n", text)
    return text.strip("\n") + "\n"


class MarkdownRenderer:
    """Renders a Report as UTF-8 Markdown (CommonMark + GitHub pipe tables)."""

    suffix = "md"

    def render(self, report: Report, options: RenderOptions) -> bytes:
        common = template_context(report)
        tables = {
            view.section.key: pipe_tables(view.grid)
            for view in common["sections"]
            if view.grid is not None
        }
        context: MarkdownContext = {**common, "tables": tables}
        text = render("markdown", options.templates, TEMPLATE, **context)
        return tidy(text).encode("utf-8")


RENDERER = MarkdownRenderer()
