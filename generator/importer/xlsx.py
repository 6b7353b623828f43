"""Reading an XLSX workbook: each sheet one table, merged ranges as spans (openpyxl).

The package is checked for zip bombs (``safezip``) before openpyxl opens it.  Figures
are printed as the cell shows them: an integer as digits, a decimal with its digits
(openpyxl keeps the float the file stored; ``repr`` gives its shortest spelling).
"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

from .document import MAX_GRID_CELLS, Document, GridCell, SourceTable, Unreadable
from .safezip import Package

__all__ = ["read_xlsx"]


def _printed(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f") if not value.is_integer() else str(int(value))
    return str(value).strip()


def read_xlsx(path: Path, raw: bytes) -> Document:
    name = str(path)
    Package(raw, name)  # sizes and ratios checked before anything is inflated
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(raw), data_only=True, read_only=False)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise Unreadable(f"{name}: 无法读取 Excel 文件（{type(exc).__name__}）") from None
    doc = Document(name, "xlsx")
    for sheet in book.worksheets:
        doc.extra_titles.append(sheet.title)
        rows, cols = sheet.max_row or 0, sheet.max_column or 0
        if rows * cols > MAX_GRID_CELLS:
            raise Unreadable(f"{name}: 工作表 {sheet.title} 过大（{rows}×{cols}），不像年度报告")
        spans: dict[tuple[int, int], tuple[int, int]] = {}
        covered: set[tuple[int, int]] = set()
        for rng in sheet.merged_cells.ranges:
            spans[(rng.min_row, rng.min_col)] = (
                rng.max_row - rng.min_row + 1,
                rng.max_col - rng.min_col + 1,
            )
            for r in range(rng.min_row, rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    if (r, c) != (rng.min_row, rng.min_col):
                        covered.add((r, c))
        cells = []
        for r, row in enumerate(sheet.iter_rows(min_row=1, max_row=rows, max_col=cols), 1):
            for c, cell in enumerate(row, 1):
                if (r, c) in covered:
                    continue
                rs, cs = spans.get((r, c), (1, 1))
                cells.append(GridCell(r - 1, c - 1, _printed(cell.value), rs, cs))
        texts = [c.text for c in cells if c.text and not c.text.replace(".", "").isdigit()]
        doc.extra_titles.extend(t for t in texts[:3] if len(t) < 120)
        doc.blocks.append(SourceTable(tuple(cells)))
    return doc
