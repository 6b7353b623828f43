"""Step 3b: the summary as an XLSX workbook (openpyxl), one sheet per table.

Sheets: 报送情况 (coverage), 问题清单 (the issue list), 问题矩阵, 各机关数据 (every
figure of the year, one row per agency), 趋势, and one 汇总 sheet per group whose
汇总 is complete, drawn from ``layout.Grid`` with the official merges.  The file is
byte-reproducible: document properties carry ``build_time()`` (``SOURCE_DATE_EPOCH``
or a fixed date), and the package is re-packed by ``output.zip_parts``.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..errors import label_path
from ..layout import Grid
from ..output import zip_parts
from ..render import build_time
from ..values import Value
from .charts import show
from .compute import Summary

__all__ = ["render_xlsx"]

_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD = PatternFill("solid", fgColor="F2F2F2")
_BOLD = Font(bold=True)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
_STATE = {"ok": "已报送", "invalid": "校验未通过", "missing": "未报送"}
_BAD_CHARS = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(text: str, taken: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique."""
    base = _BAD_CHARS.sub("_", text)[:31] or "表"
    title, n = base, 1
    while title in taken:
        n += 1
        title = f"{base[: 31 - len(str(n)) - 1]}_{n}"
    taken.add(title)
    return title


def _number(value: Value) -> int | float:
    """A figure as a spreadsheet number: Excel holds doubles, so an amount becomes one."""
    return float(value) if isinstance(value, Decimal) else value


def _rows(ws: Worksheet, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    ws.append(list(header))
    for cell in ws[1]:
        cell.font, cell.fill, cell.border, cell.alignment = _BOLD, _HEAD, _BORDER, _CENTER
    for row in rows:
        ws.append(list(row))
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = ws.dimensions  # reviewers filter the lists by agency or rule
    for i, title in enumerate(header, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(8, min(40, 2 * len(title) + 2))


def _coverage(wb: Workbook, s: Summary, taken: set[str]) -> None:
    ws = wb.create_sheet(_sheet_title("报送情况", taken))
    rows = (
        (
            r.name,
            r.agency,
            _STATE[r.state],
            r.published.isoformat() if r.published else "",
            "逾期" if r.late else ("未注明" if r.undated else ""),
            "是" if r.reported_last_year else "否",
            "" if r.on_roster is None else ("是" if r.on_roster else "否"),
            r.errors,
            r.warnings,
            r.file or "",
        )
        for r in s.coverage.rows
    )
    header = (
        "机关",
        "目录",
        "状态",
        s.labels["published"],
        "按期",
        "上年已报",
        "在册",
        "错误",
        "警告",
        "文件",
    )
    _rows(ws, header, rows)


def _findings(wb: Workbook, s: Summary, taken: set[str]) -> None:
    ws = wb.create_sheet(_sheet_title("问题清单", taken))
    header = ("机关", "目录", "规则", "级别", "位置", "单元格或语句", "说明", "状态", "指纹")
    rows = (
        (
            f.name,
            f.agency,
            f.code,
            "错误" if f.severity == "error" else "警告",
            f.location,
            f.where,
            f.message,
            f"已确认：{f.reason}" if f.acknowledged else "待处理",
            f.fingerprint,
        )
        for f in s.findings
    )
    _rows(ws, header, rows)
    m = s.matrix
    ws = wb.create_sheet(_sheet_title("问题矩阵", taken))
    _rows(
        ws,
        ("机关", *m.codes, "合计"),
        [(a, *(m.count(a, c) for c in m.codes), m.row_total(a)) for a in m.agencies]
        + [("合计", *(m.column_total(c) for c in m.codes), len(s.findings))],
    )


def _figures(wb: Workbook, s: Summary, taken: set[str]) -> None:
    """Every figure of the year's format, one row per agency (another format: its id only)."""
    ws = wb.create_sheet(_sheet_title("各机关数据", taken))
    fmt = s.format
    cells = list(fmt.cells.values()) if fmt is not None else []
    header = ("机关", "目录", "状态", s.labels["format"], *(label_path(c.labels) for c in cells))
    rows = []
    for entry in s.entries():
        report = entry.report
        same = report is not None and fmt is not None and report.format.id == fmt.id
        values = [_number(report.values[c.path]) for c in cells] if same and report else []
        state = "已报送" if entry.ok else "校验未通过"
        rows.append(
            (entry.agency_name, entry.agency, state, report.format.id if report else "", *values)
        )
    _rows(ws, header, rows)
    for i in range(5, len(header) + 1):
        ws.column_dimensions[get_column_letter(i)].width = 14


def _trends(wb: Workbook, s: Summary, taken: set[str]) -> None:
    ws = wb.create_sheet(_sheet_title("趋势", taken))
    header = ("对象", "类别", "指标", *(str(y) for y in s.years), "跳变年份")
    rows = []
    for series in (*s.group_trends, *s.agency_trends):
        cells = []
        for year in s.years:
            r = series.readings.get(year)
            if r is None:
                cells.append("")
            elif r.below_minimum:
                cells.append(f"样本不足（{r.sample}）")
            else:
                cells.append(show(r.value, series.metric.kind) if r.value is not None else "")
        kind = "组" if series.kind == "group" else "机关"
        jumps = "、".join(str(y) for y in series.jumps)
        rows.append((series.label, kind, series.metric.name, *cells, jumps))
    _rows(ws, header, rows)


def _grid(ws: Worksheet, grid: Grid, values: Any, title: str, top: int) -> int:
    """Draw ``grid`` from row ``top`` (1-based) under a merged title row; return the next row."""
    ws.cell(top, 1, title).font = _BOLD
    ws.cell(top, 1).alignment = _CENTER
    if grid.ncols > 1:
        ws.merge_cells(start_row=top, start_column=1, end_row=top, end_column=grid.ncols)
    start = top + 1
    for row in grid.rows:
        for c in row:
            r, col = start + c.row, 1 + c.col
            cell = ws.cell(r, col, _number(values[c.path]) if c.path is not None else c.text)
            cell.border, cell.alignment = _BORDER, _CENTER if c.kind != "row" else _LEFT
            if c.header:
                cell.fill = _HEAD
            if c.rowspan > 1 or c.colspan > 1:
                ws.merge_cells(
                    start_row=r, start_column=col, end_row=r + c.rowspan - 1,
                    end_column=col + c.colspan - 1,
                )  # fmt: skip
                for rr in range(r, r + c.rowspan):
                    for cc in range(col, col + c.colspan):
                        ws.cell(rr, cc).border = _BORDER
    return start + len(grid.rows) + 1


def _totals(wb: Workbook, s: Summary, taken: set[str]) -> None:
    for group in s.groups:
        total = s.total(group)
        if total.report is None:
            continue
        ws = wb.create_sheet(_sheet_title(f"汇总 {group.name.rstrip('/')}", taken))
        row = 1
        for view in total.report.document():
            if view.grid is not None and view.table is not None:
                row = _grid(ws, view.grid, total.report.values, view.table.title, row)
        ws.page_setup.orientation = "landscape"  # printed like the report: one table wide
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.column_dimensions["A"].width = 24
        for i in range(2, 20):
            ws.column_dimensions[get_column_letter(i)].width = 11


def _reproducible(data: bytes) -> bytes:
    """Fixed document dates (openpyxl stamps the save time) and a deterministic ZIP."""
    when = build_time().strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    core = parts.get("docProps/core.xml")
    if core is not None:
        for tag in (rb"dcterms:created", rb"dcterms:modified"):
            core = re.sub(
                rb"(<" + tag + rb"[^>]*>)[^<]*(</" + tag + rb">)",
                rb"\g<1>" + when + rb"\g<2>",
                core,
            )
        parts["docProps/core.xml"] = core
    return zip_parts(parts)


def render_xlsx(summary: Summary) -> bytes:
    wb = Workbook()
    if wb.active is not None:
        wb.remove(wb.active)
    stamp = build_time().replace(tzinfo=None)
    wb.properties.creator = "nianbao"
    wb.properties.lastModifiedBy = "nianbao"
    wb.properties.title = summary.title
    wb.properties.created = stamp
    wb.properties.modified = stamp
    taken: set[str] = set()
    _coverage(wb, summary, taken)
    _findings(wb, summary, taken)
    _totals(wb, summary, taken)
    _figures(wb, summary, taken)
    _trends(wb, summary, taken)
    buf = io.BytesIO()
    wb.save(buf)
    return _reproducible(buf.getvalue())
