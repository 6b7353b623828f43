"""``nianbao new``: next year's report file, written from last year's.

The author's yearly chore is copying last year's report and retyping numbers.  Here
the figures that must carry over are carried (二、上年结转 from last year's
四、结转下年度继续办理, 现行有效件数 as the starting point), every other figure is reset,
the narrative is kept as a draft, and every key has its official label beside it.
What to carry comes from the format's cross-year rules, so it works across a format
change too.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import Config
from .errors import InvalidReport, UsageError
from .model import field_values, narrative_context
from .output import write_atomic
from .references import known_names
from .rules import compute_cells
from .schema import check_value, validate_schema
from .source import load
from .spec import Field, Format, Node, Table, format_for_year
from .validate import previous_path, select_format
from .values import Mark, Values, expected_from_last_year, format_value, lookup, yaml_literal

__all__ = ["Created", "new_report", "scaffold_text"]


@dataclass(frozen=True, slots=True)
class Created:
    path: Path
    previous: Path | None


def new_report(path: Path, config: Config, agency: str | None = None) -> Created:
    """Create ``path`` (``<agency>/<year>.yaml``); never overwrites an existing file."""
    if path.exists() or path.is_symlink():
        raise UsageError(f"{path}: 文件已存在，不会覆盖")
    if not path.stem.isdigit() or path.suffix != ".yaml":
        raise UsageError(f"{path}: 文件名应为“年份.yaml”，如 reports/某局/2025.yaml")
    year = int(path.stem)
    fmt = format_for_year(year)
    if fmt is None:
        raise UsageError(f"{year} 年没有适用的年度报告格式")
    _check_agency(fmt, agency)
    prev_path = previous_path(path)
    assert prev_path is not None  # the name was checked to be a year with a format above
    previous: dict[str, Any] | None = None
    prev_values: Mapping[tuple[str, ...], Any] = {}
    if prev_path.is_file():
        source = load(prev_path, str(prev_path))
        prev_fmt, diags = select_format(source)
        diags += validate_schema(source, prev_fmt)
        errors = [d for d in diags if d.severity == "error"]
        if errors:
            raise InvalidReport(errors)
        previous = source.data
        prev_values = compute_cells(prev_fmt, source.data)  # as printed: a blank stays blank
    schema_ref = os.path.relpath(config.schema_file, path.resolve().parent)
    text = scaffold_text(fmt, year, previous, prev_values, agency, schema_ref, prev_path.name)
    # Below the reports folder no symbolic link is followed (a cloned reports/a -> ../x
    # must not make `new` create files elsewhere); a path the user names outside it is theirs.
    reports, target = Path(os.path.abspath(config.source)), Path(os.path.abspath(path))
    inside = reports in target.parents
    write_atomic(target if inside else path, text.encode("utf-8"), root=reports if inside else None)
    return Created(path, prev_path if previous is not None else None)


def scaffold_text(
    fmt: Format,
    year: int,
    previous: Mapping[str, Any] | None,
    prev_values: Mapping[tuple[str, ...], Any],
    agency: str | None,
    schema_ref: str,
    prev_name: str = "",
) -> str:
    """The YAML text of a new report, comments and all."""
    carried, what = _carried(fmt, prev_values)
    names = _known_names(fmt)
    w = _Writer()
    w.line(f"# yaml-language-server: $schema={Path(schema_ref).as_posix()}")
    name = (previous or {}).get("agency") or agency or f"（{fmt.meta_label('agency')}）"
    w.line(f"# {fmt.report_title(str(name), year)}")
    if previous is not None:
        filled = f"{'、'.join(what)}已按上年数据填好，" if what else ""
        w.line(f"# 由 nianbao new 依据 {prev_name} 生成：{filled}")
        w.line(f"# {'其余' if what else '各项'}数字已清零；叙述沿用上年文字作为草稿，请逐段修改。")
    else:
        w.line("# 由 nianbao new 生成的空白报告。没有的数字写 0 或不写；总计自动计算。")
    w.line(f"# 格式：{fmt.name}（{fmt.notice}）")
    w.line()
    for f in fmt.meta:
        _meta(w, f, fmt, year, previous, agency)
    for section in fmt.sections:
        w.line()
        w.line(f"# {section.heading}")
        if section.kind == "table":
            _table(w, fmt.tables[section.key], carried)
            continue
        w.line(f"{section.key}:")
        for f in section.fields:
            old = lookup(previous, (section.key, f.key)) if previous else None
            value = f.default if f.default is not None else 0
            note = f"（上年 {old}，已清零）" if old not in (None, 0, value) else ""
            w.line(f"  {f.key}: {value}", f"{f.label}{note}")
        for part in section.parts:
            text = lookup(previous, (section.key, part.key)) if previous else None
            w.line(f"  # {part.heading or part.label}")
            gone = sorted(set(_REFERENCE.findall(str(text or ""))) - names)
            if gone:
                w.line(f"  # 注意：{fmt.id} 格式没有以下数据，请改写这一段：{'、'.join(gone)}")
            _narrative(w, part.key, text)
    return w.text()


_REFERENCE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)")


def _known_names(fmt: Format) -> set[str]:
    """Every name a narrative of ``fmt`` can reference (to flag drafts from another format)."""
    zeros: Values = dict.fromkeys(fmt.cells, 0)
    fields = field_values(fmt, {})
    meta = {f.key: "" for f in fmt.meta}
    return set(known_names(narrative_context(fmt, meta, zeros, fields)))


def _carried(
    fmt: Format, prev_values: Mapping[tuple[str, ...], Any]
) -> tuple[dict[tuple[str, ...], Any], list[str]]:
    """Cells of the new report filled from last year's, per the format's cross-year rules.

    Also what was filled, as the tables call it, for the header: the 2021 format
    carries 上年结转 and 现行有效件数, the 2019 format 上年结转 and 上一年项目数量.
    """
    out: dict[tuple[str, ...], Any] = {}
    what: list[str] = []
    zeros = dict.fromkeys(fmt.cells, 0)  # this year's figures: nothing entered yet
    figures = {p: v for p, v in prev_values.items() if not isinstance(v, Mark)}
    for rule in fmt.cross_year:
        for link in rule.links:
            # Last year's blank, dash or "?" is carried as it was printed, never as 0.
            marks = [prev_values.get(p) for p in (link.there, link.change) if p is not None]
            mark = next((m for m in marks if isinstance(m, Mark)), None)
            value = mark if mark is not None else expected_from_last_year(link, zeros, figures)
            if value is not None:
                out[link.here] = value
                if rule.carries not in what:
                    what.append(rule.carries)
    return out, what


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def line(self, text: str = "", comment: str | None = None) -> None:
        if comment:
            pad = max(1, 40 - _width(text))
            text = f"{text}{' ' * pad}# {comment}"
        self.lines.append(text.rstrip())

    def text(self) -> str:
        return "\n".join(self.lines).rstrip("\n") + "\n"


def _width(text: str) -> int:
    """Display width: CJK characters take two columns, so comments line up in editors."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _check_agency(fmt: Format, agency: str | None) -> None:
    """``--agency`` must be a valid 机关名称 before it is written into a report."""
    field = next((f for f in fmt.meta if f.key == "agency"), None)
    if agency is None or field is None:
        return
    expected = check_value(field.value, agency)
    if expected:
        raise UsageError(f"--agency：{field.label}应为{expected}")


def _scalar(value: Any) -> str:
    if isinstance(value, str):  # JSON strings are YAML: every control character escaped
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return format_value(value) if value is not None else '""'


def _meta(
    w: _Writer,
    f: Field,
    fmt: Format,
    year: int,
    previous: Mapping[str, Any] | None,
    agency: str | None,
) -> None:
    if f.value == "year":
        w.line(f"{f.key}: {year}", f.label)
        return
    # Per-year fields are never carried over: they are offered, commented out.
    examples = {
        "format": f'"{fmt.id}"',
        "date": f'"{year + 1}-01-20"',
        "lines": _lines(fmt, year, agency),
    }
    if f.per_year:
        example = examples.get(f.value, '""')
        w.line(f"# {f.key}: {example}", f"{f.label}（可选）" + (f"：{f.help}" if f.help else ""))
        return
    value = (previous or {}).get(f.key)
    if f.key == "agency" and value is None:
        value = agency or f.example or ""
    if value is None:
        w.line(f'# {f.key}: ""', f"{f.label}（可选）")
    else:
        w.line(f"{f.key}: {_scalar(value)}", f.label)


def _lines(fmt: Format, year: int, agency: str | None) -> str:
    """The default title broken as ``title_lines`` would write it (a YAML flow list)."""
    name = agency or next((f.example for f in fmt.meta if f.key == "agency"), None) or ""
    title = fmt.report_title(name, year)
    return json.dumps([name, title[len(name) :]] if name else [title], ensure_ascii=False)


def _narrative(w: _Writer, key: str, text: Any) -> None:
    if not text:
        w.line(f'  {key}: ""')
        return
    w.line(f"  {key}: |")
    for line in str(text).rstrip("\n").split("\n"):
        w.line(f"    {line}" if line else "")


def _row_text(values: list[tuple[str, Any]]) -> str:
    return "{" + ", ".join(f"{k}: {yaml_literal(v)}" for k, v in values) + "}"


def _table(w: _Writer, table: Table, carried: Mapping[tuple[str, ...], Any]) -> None:
    w.line(f"{table.key}:", f"{table.number} {table.caption}")
    if table.layout == "blocks":
        for block in table.blocks:
            single = len(block.columns) == 1
            if not single:
                w.line("  # 各列：" + "，".join(f"{c.key} {c.label}" for c in block.columns))
            for row in block.rows:
                assert row.key
                if single:
                    col = block.columns[0]
                    value = carried.get(block.path(table.key, row, col), 0)
                    w.line(
                        f"  {row.key}: {yaml_literal(value)}",
                        f"{block.title} {row.label}（{col.label}）",
                    )
                else:
                    vals = [
                        (c.key or "", carried.get(block.path(table.key, row, c), 0))
                        for c in block.columns
                    ]
                    w.line(f"  {row.key}: {_row_text(vals)}", f"{block.title} {row.label}")
        return
    columns = [(n, p) for c in table.columns for n, p, _ in c.leaves()]
    leaf_cols = [(n, p) for n, p in columns if not n.sum]
    labels = "，".join(f"{'.'.join(p)} {n.label}" for n, p in leaf_cols if len(p) == 1)
    if labels:
        w.line(f"  # 各列：{labels}；总计列自动计算")
    if not table.rows:
        for node in table.columns:
            _column_groups(w, table, node, (), carried, indent="  ")
        return
    for node in table.rows:
        _rows(w, table, node, (), leaf_cols, carried, indent="  ")


def _column_groups(
    w: _Writer,
    table: Table,
    node: Node,
    prefix: tuple[str, ...],
    carried: Mapping[tuple[str, ...], Any],
    indent: str,
) -> None:
    if node.key is None:
        for child in node.children:
            _column_groups(w, table, child, prefix, carried, indent)
        return
    here = (*prefix, node.key)
    leaves = [n for n in node.children if not n.children and not n.sum]
    if leaves and len(leaves) == len([n for n in node.children if not n.sum]):
        vals = [(n.key or "", carried.get((table.key, *here, n.key or ""), 0)) for n in leaves]
        w.line(f"{indent}{node.key}: {_row_text(vals)}", f"{node.label}（总计自动计算）")
        return
    w.line(f"{indent}{node.key}:", node.label)
    for child in node.children:
        _column_groups(w, table, child, here, carried, indent + "  ")


def _rows(
    w: _Writer,
    table: Table,
    node: Node,
    prefix: tuple[str, ...],
    leaf_cols: list[tuple[Node, tuple[str, ...]]],
    carried: Mapping[tuple[str, ...], Any],
    indent: str,
) -> None:
    if node.sum:
        w.line(f"{indent}# {node.key}: …", f"{node.label}：自动计算，也可照统计系统填写以便核对")
        return
    if not node.children:
        assert node.key
        vals = [
            (".".join(p), carried.get((table.key, *prefix, node.key, *p), 0)) for _, p in leaf_cols
        ]
        w.line(f"{indent}{node.key}: {_row_text(vals)}", node.label)
        return
    if node.key is None:
        w.line(f"{indent}# {node.label}")
        for child in node.children:
            _rows(w, table, child, prefix, leaf_cols, carried, indent)
        return
    w.line(f"{indent}{node.key}:", node.label)
    for child in node.children:
        _rows(w, table, child, (*prefix, node.key), leaf_cols, carried, indent + "  ")
