"""Synthetic published reports for the import tests: one grid description, several writers.

``report_grids`` lays out the official tables of a format the way portals and Word
documents print them (表二 one table with block title rows, 表三 with a three-row header
and row groups spanning their rows, 表四 with a two-level header), with every figure
given as printed text.  ``to_html``, ``to_docx`` and ``to_xlsx`` write the same grids
(and a few paragraphs) as a portal page, a Word file with gridSpan/vMerge, a workbook
with merged ranges.  Labels may be replaced to imitate local wordings.
"""

from __future__ import annotations

import html as html_lib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from generator.spec import Format, Node, get_format

Cell = tuple[str, int, int]  # text, rowspan, colspan
Grid = list[list[Cell]]


@dataclass
class Report:
    title: str
    paragraphs_before: list[tuple[str, str]]  # (heading, text)
    grids: list[tuple[str, Grid]]  # (section heading, grid)
    paragraphs_after: list[tuple[str, str]]
    signature: tuple[str, str]


def _label(label: str, labels: Mapping[str, str]) -> str:
    return labels.get(label, label)


def _t2(fmt: Format, values: Mapping[tuple[str, ...], str], labels: Mapping[str, str]) -> Grid:
    table = fmt.tables["proactive_disclosure"]
    width = table.grid
    grid: Grid = []
    for block in table.blocks:
        grid.append([(_label(block.title, labels), 1, width)])
        span = (width - 1) // len(block.columns)
        head: list[Cell] = [(table.stub or "", 1, 1)]
        head += [(_label(c.label, labels), 1, span) for c in block.columns]
        grid.append(head)
        for row in block.rows:
            cells: list[Cell] = [(_label(row.label, labels), 1, 1)]
            for c in block.columns:
                path = block.path(table.key, row, c)
                cells.append((values.get(path, "0"), 1, span))
            grid.append(cells)
    return grid


def _rows(nodes: tuple[Node, ...], depth: int) -> list[list[tuple[Node, int]]]:
    """Each leaf row as the (node, depth) labels starting on it."""
    out: list[list[tuple[Node, int]]] = []
    for node in nodes:
        if node.children:
            sub = _rows(node.children, depth + 1)
            sub[0].insert(0, (node, depth))
            out.extend(sub)
        else:
            out.append([(node, depth)])
    return out


def _count(node: Node) -> int:
    return sum(_count(c) for c in node.children) if node.children else 1


def _t3(fmt: Format, values: Mapping[tuple[str, ...], str], labels: Mapping[str, str]) -> Grid:
    table = fmt.tables["applications"]
    cols = [(path, lab) for col in table.columns for _, path, lab in col.leaves()]
    grid: Grid = [
        [(table.corner or "", 3, 3), (_label(table.columns[0].label, labels), 1, len(cols))]
    ]
    second: list[Cell] = []
    third: list[Cell] = []
    for child in table.columns[0].children:
        if child.children:
            second.append((_label(child.label, labels), 1, len(child.children)))
            third += [(_label(c.label, labels), 1, 1) for c in child.children]
        else:
            second.append((_label(child.label, labels), 2, 1))
    grid += [second, third]
    for leaf_row in _rows(table.rows, 0):
        cells: list[Cell] = []
        leaf = leaf_row[-1][0]
        for node, depth in leaf_row:
            rows = _count(node)
            if node.children:
                cells.append((_label(node.label, labels), rows, 1))
            else:
                cells.append((_label(node.label, labels), 1, 3 - depth))
        path = _path(table.rows, leaf)
        for cpath, _ in cols:
            cells.append((values.get(("applications", *path, *cpath), "0"), 1, 1))
        grid.append(cells)
    return grid


def _path(nodes: tuple[Node, ...], leaf: Node) -> tuple[str, ...]:
    for node in nodes:
        _, path, _ = next(
            ((n, p, lab) for n, p, lab in node.leaves() if n is leaf), (None, None, None)
        )
        if path is not None:
            return path
    raise KeyError(leaf.label)


def _t4(fmt: Format, values: Mapping[tuple[str, ...], str], labels: Mapping[str, str]) -> Grid:
    table = fmt.tables["review_litigation"]
    first: list[Cell] = []
    second: list[Cell] = []
    third: list[Cell] = []
    data: list[Cell] = []
    for col in table.columns:
        width = col.width
        if col.key:  # 行政复议: its outcomes straight below
            first.append((_label(col.label, labels), 2, width))
            third += [(_label(c.label, labels), 1, 1) for c in col.children]
        else:
            first.append((_label(col.label, labels), 1, width))
            for sub in col.children:
                second.append((_label(sub.label, labels), 1, sub.width))
                third += [(_label(c.label, labels), 1, 1) for c in sub.children]
    for _, path, _ in (leaf for col in table.columns for leaf in col.leaves()):
        data.append((values.get(("review_litigation", *path), "0"), 1, 1))
    return [first, second, third, data]


def report(
    format_id: str = "2021",
    *,
    agency: str = "某市测试局",
    year: int = 2022,
    values: Mapping[tuple[str, ...], str] | None = None,
    labels: Mapping[str, str] | None = None,
    notes: Mapping[str, str] | None = None,
) -> Report:
    """A published report of ``format_id``; ``values`` are printed texts by YAML path."""
    fmt = get_format(format_id)
    values = values or {}
    labels = labels or {}
    heads = {s.key: s.heading for s in fmt.sections}
    grids = [
        (heads["proactive_disclosure"], _t2(fmt, values, labels)),
        (heads["applications"], _t3(fmt, values, labels)),
        (heads["review_litigation"], _t4(fmt, values, labels)),
    ]
    if notes:
        for i, (heading, grid) in enumerate(grids):
            key = list(fmt.tables)[i]
            if key in notes:
                width = sum(c[2] for c in grid[0])
                grid.append([(notes[key], 1, width)])
                grids[i] = (heading, grid)
    before = [
        (heads["overview"], f"{year}年，本局认真贯彻《条例》。全年收到申请若干件。"),
        ("（一）主动公开", "全年主动公开政府信息120条。"),
        ("（二）依申请公开", "依法办理政府信息公开申请。"),
    ]
    after = [
        (heads["problems"], "信息发布还不够及时，下一步将加强培训。"),
        (heads["other_matters"], "无"),
    ]
    return Report(
        fmt.report_title(agency, year), before, grids, after, (agency, f"{year + 1}年1月20日")
    )


# --------------------------------------------------------------------------- writers


def _html_cell(text: str, split: bool) -> str:
    if split and len(text) >= 4 and not text.isdigit():
        half = len(text) // 2
        first, second = html_lib.escape(text[:half]), html_lib.escape(text[half:])
        return f"<p>{first}&nbsp;&nbsp;</p><p>{second}</p>"
    return html_lib.escape(text) if text else "&nbsp;"


def to_html(rep: Report, *, split_labels: bool = True, page_noise: bool = True) -> str:
    """A portal page: navigation and scripts around the TRS_Editor body, labels split over <p>."""
    out = ["<html><head><title>", html_lib.escape(rep.title), "_门户网站</title>"]
    out.append(
        "<script>var dict = {'a': '一、总体情况 规范性文件 政府信息'};</script></head><body>"
    )
    if page_noise:
        out.append(
            "<div class=nav><ul>"
            + "".join(f"<li><a href='/x{i}'>栏目{i}</a></li>" for i in range(50))
            + "</ul></div>"
        )
    out.append(f"<div class=title>{html_lib.escape(rep.title)}</div><div class=TRS_Editor>")
    for heading, text in rep.paragraphs_before:
        out.append(
            f"<p><span>{html_lib.escape(heading)}&nbsp;</span></p><p>{html_lib.escape(text)}</p>"
        )
    for heading, grid in rep.grids:
        out.append(f"<p><span>{html_lib.escape(heading)}</span></p><table border=1><tbody>")
        for row in grid:
            out.append("<tr>")
            for text, rs, cs in row:
                attrs = (f' rowspan="{rs}"' if rs > 1 else "") + (
                    f' colspan="{cs}"' if cs > 1 else ""
                )
                out.append(f"<td{attrs}>{_html_cell(text, split_labels)}</td>")
            out.append("</tr>")
        out.append("</tbody></table>")
    for heading, text in rep.paragraphs_after:
        out.append(f"<p>{html_lib.escape(heading)}</p><p>{html_lib.escape(text)}</p>")
    out.append(f"<p>{rep.signature[0]}</p><p>{rep.signature[1]}</p></div>")
    out.append("<div class=footer><p>版权所有</p></div></body></html>")
    return "".join(out)


def to_docx(rep: Report, path: Path) -> Path:
    """A Word file whose merged cells are real gridSpan/vMerge merges (python-docx merge)."""
    import docx

    document = docx.Document()
    document.add_paragraph(rep.title)
    for heading, text in rep.paragraphs_before:
        document.add_paragraph(heading)
        document.add_paragraph(text)
    for heading, grid in rep.grids:
        document.add_paragraph(heading)
        width = sum(c[2] for c in grid[0])
        table = document.add_table(rows=len(grid), cols=width)
        table.style = "Table Grid"
        taken: set[tuple[int, int]] = set()
        for r, row in enumerate(grid):
            c = 0
            for text, rs, cs in row:
                while (r, c) in taken:
                    c += 1
                cell = table.cell(r, c)
                if rs > 1 or cs > 1:
                    cell = cell.merge(table.cell(r + rs - 1, c + cs - 1))
                cell.text = text
                for rr in range(r, r + rs):
                    for cc in range(c, c + cs):
                        taken.add((rr, cc))
                c += cs
    for heading, text in rep.paragraphs_after:
        document.add_paragraph(heading)
        document.add_paragraph(text)
    document.add_paragraph(rep.signature[0])
    document.add_paragraph(rep.signature[1])
    document.save(str(path))
    return path


def to_xlsx(rep: Report, path: Path) -> Path:
    """A workbook: the title in the first row, then each table's grid, merged ranges for spans."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.cell(1, 1, rep.title)
    top = 3
    for _, grid in rep.grids:
        taken: set[tuple[int, int]] = set()
        for r, row in enumerate(grid):
            c = 0
            for text, rs, cs in row:
                while (r, c) in taken:
                    c += 1
                value: object = int(text) if text.isdigit() else (text or None)
                sheet.cell(top + r, 1 + c, value)
                if rs > 1 or cs > 1:
                    sheet.merge_cells(
                        start_row=top + r, start_column=1 + c,
                        end_row=top + r + rs - 1, end_column=c + cs,
                    )  # fmt: skip
                for rr in range(r, r + rs):
                    for cc in range(c, c + cs):
                        taken.add((rr, cc))
                c += cs
        top += len(grid) + 2
    book.save(str(path))
    return path


# --------------------------------------------------------------------------- reading back


def validate_text(text: str, name: str = "imported.yaml") -> object:
    """The validator's outcome for imported YAML text (the ordinary load + check pipeline)."""
    from generator.source import loads
    from generator.validate import check_source

    return check_source(loads(text, name), None)


def convert(source: Path, target: str) -> Path:
    """LibreOffice's conversion of ``source`` to ``target`` (pdf, doc), beside it."""
    import subprocess

    from .support import TIMEOUT, office_tools

    tools = office_tools()
    profile = source.parent / f"lo-profile-{source.stem}-{target}"
    outdir = source.parent / f"as-{target}"
    command = [
        tools["soffice"], "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}",
        "--convert-to", target, "--outdir", str(outdir), str(source),
    ]  # fmt: skip
    subprocess.run(command, check=True, timeout=TIMEOUT, capture_output=True)
    out = outdir / f"{source.stem}.{target}"
    assert out.is_file(), f"LibreOffice wrote no {target}"
    return out


# The corpus truth (../shared/corpus/truth/*.json, see its README) by YAML path.
T3_ROWS = {
    "new": ("received",), "carried_over": ("carried_over",), "granted": ("granted",),
    "partly_granted": ("partial",),
    "withheld_state_secret": ("withheld", "state_secret"),
    "withheld_prohibited_by_law": ("withheld", "prohibited_by_law"),
    "withheld_three_safeties": ("withheld", "three_safeties"),
    "withheld_third_party": ("withheld", "third_party"),
    "withheld_internal_affairs": ("withheld", "internal_affairs"),
    "withheld_process_info": ("withheld", "process_info"),
    "withheld_enforcement_files": ("withheld", "enforcement_file"),
    "withheld_query_matters": ("withheld", "inquiry"),
    "unavailable_not_held": ("unavailable", "not_held"),
    "unavailable_needs_creation": ("unavailable", "needs_creation"),
    "unavailable_unclear": ("unavailable", "unclear"),
    "not_processed_petition": ("not_processed", "petition"),
    "not_processed_repeated": ("not_processed", "repeated"),
    "not_processed_publications": ("not_processed", "publication"),
    "not_processed_massive_repeated": ("not_processed", "excessive"),
    "not_processed_confirm_reissue": ("not_processed", "confirmation"),
    "other_no_correction": ("other_handling", "no_correction"),
    "other_fee_unpaid": ("other_handling", "unpaid_fee"),
    "other_misc": ("other_handling", "other"),
    "other": ("other_handling",),
    "total": ("total",), "carry_forward": ("carried_forward",),
}  # fmt: skip
T3_COLUMNS = ("natural_person", "business", "research", "nonprofit", "legal_service",
              "other_org", "total")  # fmt: skip
T4_ROWS = {"review": "review", "litigation_direct": "direct_suit",
           "litigation_after_review": "suit_after_review"}  # fmt: skip
T4_COLUMNS = ("upheld", "corrected", "other", "pending", "total")
T2_2021 = {"punishment": "penalties", "fees_wan_yuan": "fees"}
T2_2019_COLUMNS = {"made": "new_made", "published": "new_published",
                   "total_public": "total_published", "prev_items": "previous_items",
                   "change": "change", "decisions": "decisions", "items": "projects",
                   "amount": "amount"}  # fmt: skip


def truth_figures(truth: dict[str, object]) -> dict[tuple[str, ...], object]:
    """Every figure of a truth file by the YAML path nianbao uses for it."""
    out: dict[tuple[str, ...], object] = {}
    t2 = truth["t2"]
    assert isinstance(t2, dict)
    for key, value in t2.items():
        row = T2_2021.get(key, key)
        if isinstance(value, dict):
            for col, v in value.items():
                out[("proactive_disclosure", row, T2_2019_COLUMNS.get(col, col))] = v
        else:
            out[("proactive_disclosure", row)] = value
    t3 = truth["t3"]
    assert isinstance(t3, dict)
    for key, values in t3["rows"].items():
        for col, v in zip(T3_COLUMNS, values, strict=True):
            out[("applications", *T3_ROWS[key], col)] = v
    t4 = truth["t4"]
    assert isinstance(t4, dict)
    for key, values in t4.items():
        for col, v in zip(T4_COLUMNS, values, strict=True):
            out[("review_litigation", T4_ROWS[key], col)] = v
    return out


def as_truth(figure: object) -> object:
    """An imported figure in the truth's convention: int, None for blank, else the text."""
    kind = getattr(figure, "kind", None)
    printed = getattr(figure, "printed", None)
    if kind == "blank":
        return None
    if kind == "unreadable":
        return "?"
    if kind == "number" and isinstance(printed, str) and printed.lstrip("+-").isdigit():
        return int(printed)
    return printed
