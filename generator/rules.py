"""The 勾稽关系: arithmetic and cross-year rules, run once the schema has passed.

Totals an author leaves out are computed here; totals an author writes (often copied
from a statistics system) are checked, never silently replaced.  Every rule has a
stable id from the format data, and every diagnostic lists the location of each
value the rule read, so the author can find the wrong cell.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .errors import Diagnostic, label_path
from .source import Source
from .spec import Cell, CrossYearLink, Format, Path
from .values import Value, Values, expected_from_last_year, format_value, lookup, total

# Values and lookup live in values.py; they stay importable from here for validate.py.
__all__ = ["Values", "check_cross_year", "check_sections", "check_sums", "compute_values", "lookup"]


def _number(cell: Cell, raw: Any) -> Value:
    if raw is None:
        return Decimal(0) if cell.value == "amount" else 0
    if cell.value == "amount":
        return raw if isinstance(raw, Decimal) else Decimal(str(raw))
    return int(raw)


def compute_values(fmt: Format, data: Mapping[str, Any]) -> Values:
    """Every cell of every table: as written, computed from its sum rule, or 0."""
    written: Values = {}
    for path, cell in fmt.cells.items():
        raw = lookup(data, path)
        if raw is not None:
            written[path] = _number(cell, raw)
    rules = {r.target: r for t in fmt.tables.values() for r in t.sums}
    values: Values = {}

    def value(path: Path) -> Value:
        if path in values:
            return values[path]
        if path in written:
            result = written[path]
        elif path in rules:
            result = total(value(p) for p in rules[path].operands)
        else:
            result = _number(fmt.cells[path], None)
        values[path] = result
        return result

    for path in fmt.cells:
        value(path)
    return values


def _part_label(fmt: Format, target: Path, operand: Path) -> str:
    """What tells an operand apart from the total: its row, or its column."""
    labels, mine = fmt.cells[operand].labels, fmt.cells[target].labels
    return labels[-2] if labels[-1] == mine[-1] else labels[-1]


def _cell_labels(fmt: Format, path: Path) -> str:
    return label_path(fmt.cells[path].labels)


def check_sums(fmt: Format, source: Source, values: Values) -> list[Diagnostic]:
    """Written totals against their parts, and the per-column equations (表三 一+二=三+四)."""
    out: list[Diagnostic] = []
    for table in fmt.tables.values():
        broken: set[str] = set()
        for rule in table.sums:
            if not source.written(rule.target):
                continue
            expected = total(values[p] for p in rule.operands)
            found = values[rule.target]
            if found == expected:
                continue
            broken.add(rule.target[-1])
            related = tuple(
                (source.locate(p), f"{_cell_labels(fmt, p)} = {format_value(values[p])}")
                for p in rule.operands
                if source.written(p)
            )
            parts = "、".join(_part_label(fmt, rule.target, p) for p in rule.operands[:3])
            more = "等" if len(rule.operands) > 3 else ""
            out.append(
                Diagnostic(
                    "error",
                    rule.id,
                    source.locate(rule.target),
                    f"合计数与各项之和不符（{parts}{more}共 {len(rule.operands)} 项之和）",
                    labels=fmt.cells[rule.target].labels,
                    expected=format_value(expected),
                    found=format_value(found),
                    hint="删去这个合计数即可自动计算；若各项有误，请改正各项",
                    related=related,
                )
            )
        for eq in table.equations:
            # A column holding a wrong written total would only echo that error here.
            out.extend(_equation(fmt, source, values, table.key, eq, skip=broken))
        for check in table.checks:
            for row in check.rows:
                here, bound = (table.key, row, check.cell), (table.key, row, check.bound)
                if values[here] >= values[bound]:
                    continue
                out.append(
                    Diagnostic(
                        check.severity,
                        check.id,
                        source.locate(here),
                        check.label,
                        labels=fmt.cells[here].labels,
                        expected=f"不少于 {format_value(values[bound])}"
                        f"（{fmt.cells[bound].labels[-1]}）",
                        found=format_value(values[here]),
                        related=((source.locate(bound), _cell_labels(fmt, bound)),),
                    )
                )
    return out


def _equation(
    fmt: Format, source: Source, values: Values, table_key: str, eq: Any, skip: set[str]
) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    table = fmt.tables[table_key]
    columns = [c.path[-1] for c in table.cells if c.path[1:-1] == eq.left[0]]
    for col in columns:
        if col in skip:
            continue
        left = [(table_key, *row, col) for row in eq.left]
        right = [(table_key, *row, col) for row in eq.right]
        lsum = total(values[p] for p in left)
        rsum = total(values[p] for p in right)
        if lsum == rsum:
            continue
        involved = left + right
        anchor = next((p for p in involved if source.written(p)), involved[0])

        def terms(paths: list[Path]) -> str:
            return " + ".join(
                f"{fmt.cells[p].labels[1]}（{format_value(values[p])}）" for p in paths
            )

        out.append(
            Diagnostic(
                "error",
                eq.id,
                source.locate(anchor),
                f"{eq.label}：{terms(left)} = {format_value(lsum)}，"
                f"而 {terms(right)} = {format_value(rsum)}",
                labels=(table.number, fmt.cells[left[0]].labels[-1]),
                expected=f"两边相等（{format_value(lsum)} = {format_value(rsum)}）",
                found=f"相差 {format_value(lsum - rsum if lsum > rsum else rsum - lsum)}",
                related=tuple(
                    (source.locate(p), f"{_cell_labels(fmt, p)} = {format_value(values[p])}")
                    for p in involved
                    if source.written(p)
                ),
            )
        )
    return out


def check_sections(fmt: Format, source: Source) -> list[Diagnostic]:
    """Sections that should not be empty, and figures the text must mention (信息处理费)."""
    out: list[Diagnostic] = []
    for section in fmt.sections:
        if section.kind != "narrative":
            continue
        texts = [
            str(lookup(source.data, (section.key, p.key)) or "").strip() for p in section.parts
        ]
        joined = "".join(texts)
        if section.warn_if_empty and joined.rstrip("。.") in ("", "无"):
            out.append(
                Diagnostic(
                    "warning",
                    "W-SECTION-EMPTY",
                    source.locate((section.key,)),
                    "这一部分没有实际内容",
                    labels=(section.heading,),
                    expected=section.warn_if_empty,
                    found="空白" if not joined else f"“{joined}”",
                )
            )
        for field in section.fields:
            raw = lookup(source.data, (section.key, field.key))
            amount = Decimal(str(raw)) if raw is not None else Decimal(0)
            if field.mention and amount > 0 and field.mention not in joined and "{{" not in joined:
                out.append(
                    Diagnostic(
                        "warning",
                        "W-FEE-UNREPORTED",
                        source.locate((section.key, field.key)),
                        f"填了{field.label} {format_value(amount)}，但本部分文字没有说明",
                        labels=(section.heading, field.label),
                        expected=f"文字中说明{field.mention}的收取情况",
                        found="未提及" if joined else "没有文字",
                    )
                )
    return out


def _signed_term(value: Value) -> str:
    return f" − {format_value(-value)}" if value < 0 else f" + {format_value(value)}"


def check_cross_year(
    fmt: Format,
    source: Source,
    values: Values,
    previous: Source,
    prev_fmt: Format,
    prev_values: Values,
) -> list[Diagnostic]:
    """Rules between this year's report and last year's (per format's ``cross_year``)."""
    out: list[Diagnostic] = []
    for rule in fmt.cross_year:
        for link in rule.links:
            expected = expected_from_last_year(link, values, prev_values)
            if expected is None or values[link.here] == expected:
                continue
            there = _cell_labels(prev_fmt, link.there)
            if rule.kind == "carry":
                why = f"{format_value(expected)}（{previous.name} 的 {there}）"
                hint = None
            else:
                why = f"{format_value(expected)}（{_roll_terms(link, values, prev_values)}）"
                hint = "若有文件因其他原因失效或重新计数，请在叙述中说明"
            out.append(
                Diagnostic(
                    rule.severity,
                    rule.id,
                    source.locate(link.here),
                    rule.label,
                    labels=fmt.cells[link.here].labels,
                    expected=why,
                    found=format_value(values[link.here]),
                    hint=hint,
                    related=((previous.locate(link.there), f"上年 {there}"),),
                )
            )
    return out


def _roll_terms(link: CrossYearLink, values: Values, prev_values: Values) -> str:
    """How a rolled-forward figure is made up: 上年 5 + 2 − 1."""
    return (
        f"上年 {format_value(prev_values[link.there])}"
        + (f" + {format_value(values[link.plus])}" if link.plus else "")
        + (f" − {format_value(values[link.minus])}" if link.minus else "")
        + (_signed_term(prev_values[link.change]) if link.change else "")
    )
