"""The 勾稽关系: arithmetic and cross-year rules, run once the schema has passed.

Totals an author leaves out are computed here; totals an author writes (often copied
from a statistics system) are checked, never silently replaced.  Every rule has a
stable id from the format data, and every diagnostic lists the location of each
value the rule read, so the author can find the wrong cell.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .errors import Diagnostic, Location, Severity, label_path
from .source import Source
from .spec import Cell, CrossYearLink, Equation, Format, Path, Table
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


@dataclass(frozen=True, slots=True)
class _Figures:
    """One report's figures, and how a finding about one of its cells is told."""

    fmt: Format
    source: Source
    values: Values

    def finding(
        self,
        severity: Severity,
        code: str,
        path: Path,
        message: str,
        *,
        expected: str,
        hint: str | None = None,
        related: tuple[tuple[Location, str], ...] = (),
    ) -> Diagnostic:
        """A diagnostic at the cell ``path``, labelled as the table labels it."""
        return Diagnostic(
            severity,
            code,
            self.source.locate(path),
            message,
            labels=self.fmt.cells[path].labels,
            expected=expected,
            found=format_value(self.values[path]),
            hint=hint,
            related=related,
        )

    def written(self, paths: Iterable[Path]) -> tuple[tuple[Location, str], ...]:
        """Where each written cell among ``paths`` is, with its label and value."""
        return tuple(
            (self.source.locate(p), f"{_cell_labels(self.fmt, p)} = {format_value(self.values[p])}")
            for p in paths
            if self.source.written(p)
        )


def check_sums(fmt: Format, source: Source, values: Values) -> list[Diagnostic]:
    """Written totals against their parts, and the per-column equations (表三 一+二=三+四)."""
    figures = _Figures(fmt, source, values)
    out: list[Diagnostic] = []
    for table in fmt.tables.values():
        found, broken = _sum_rules(figures, table)
        out.extend(found)
        # A column holding a wrong written total would only echo that error here.
        for eq in table.equations:
            out.extend(_equation(figures, table, eq, skip=broken))
        out.extend(_table_checks(figures, table))
    return out


def _sum_rules(figures: _Figures, table: Table) -> tuple[list[Diagnostic], set[str]]:
    """Findings about written totals, and the keys of the columns whose total is wrong."""
    fmt, values = figures.fmt, figures.values
    out: list[Diagnostic] = []
    broken: set[str] = set()
    for rule in table.sums:
        expected = total(values[p] for p in rule.operands)
        if not figures.source.written(rule.target) or values[rule.target] == expected:
            continue
        broken.add(rule.target[-1])
        parts = "、".join(_part_label(fmt, rule.target, p) for p in rule.operands[:3])
        more = "等" if len(rule.operands) > 3 else ""
        out.append(
            figures.finding(
                "error",
                rule.id,
                rule.target,
                f"合计数与各项之和不符（{parts}{more}共 {len(rule.operands)} 项之和）",
                expected=format_value(expected),
                hint="删去这个合计数即可自动计算；若各项有误，请改正各项",
                related=figures.written(rule.operands),
            )
        )
    return out, broken


def _table_checks(figures: _Figures, table: Table) -> list[Diagnostic]:
    fmt, values = figures.fmt, figures.values
    out: list[Diagnostic] = []
    for check in table.checks:
        for row in check.rows:
            here, bound = (table.key, row, check.cell), (table.key, row, check.bound)
            if values[here] >= values[bound]:
                continue
            out.append(
                figures.finding(
                    check.severity,
                    check.id,
                    here,
                    check.label,
                    expected=f"不少于 {format_value(values[bound])}"
                    f"（{fmt.cells[bound].labels[-1]}）",
                    related=((figures.source.locate(bound), _cell_labels(fmt, bound)),),
                )
            )
    return out


def _equation(figures: _Figures, table: Table, eq: Equation, skip: set[str]) -> list[Diagnostic]:
    fmt, source, values = figures.fmt, figures.source, figures.values
    out: list[Diagnostic] = []
    columns = [c.path[-1] for c in table.cells if c.path[1:-1] == eq.left[0]]
    for col in columns:
        if col in skip:
            continue
        left = [(table.key, *row, col) for row in eq.left]
        right = [(table.key, *row, col) for row in eq.right]
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
                related=figures.written(involved),
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
    figures = _Figures(fmt, source, values)
    out: list[Diagnostic] = []
    for rule in fmt.cross_year:
        for link in rule.links:
            expected = expected_from_last_year(link, values, prev_values)
            if expected is None or values[link.here] == expected:
                continue
            there = _cell_labels(prev_fmt, link.there)
            if rule.kind == "carry":
                why = f"{format_value(expected)}（{previous.name} 的 {there}）"
            else:
                why = f"{format_value(expected)}（{_roll_terms(link, values, prev_values)}）"
            out.append(
                figures.finding(
                    rule.severity,
                    rule.id,
                    link.here,
                    rule.label,
                    expected=why,
                    hint=None if rule.kind == "carry" else _ROLL_HINT,
                    related=((previous.locate(link.there), f"上年 {there}"),),
                )
            )
    return out


_ROLL_HINT = "若有文件因其他原因失效或重新计数，请在叙述中说明"


def _roll_terms(link: CrossYearLink, values: Values, prev_values: Values) -> str:
    """How a rolled-forward figure is made up: 上年 5 + 2 − 1."""
    return (
        f"上年 {format_value(prev_values[link.there])}"
        + (f" + {format_value(values[link.plus])}" if link.plus else "")
        + (f" − {format_value(values[link.minus])}" if link.minus else "")
        + (_signed_term(prev_values[link.change]) if link.change else "")
    )
