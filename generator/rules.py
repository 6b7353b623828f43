"""The 勾稽关系: arithmetic and cross-year rules, run once the schema has passed.

Totals an author leaves out are computed here; totals an author writes (often copied
from a statistics system) are checked, never silently replaced.  Every rule has a
stable id from the format data, and every diagnostic lists the location of each
value the rule read, so the author can find the wrong cell.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from dataclasses import field as dc_field
from decimal import Decimal
from typing import Any

from .errors import Diagnostic, Location, Severity, label_path
from .source import Source
from .spec import CrossYearLink, CrossYearRule, Equation, Format, Path, SumRule, Table
from .values import (
    MISSING,
    Blank,
    CellValue,
    CellValues,
    Dash,
    Unreadable,
    Value,
    Values,
    arithmetic,
    describe_mark,
    expected_from_last_year,
    find,
    format_value,
    lookup,
    read_cell,
    total,
)

# Values and lookup live in values.py; they stay importable from here for validate.py.
__all__ = [
    "Values",
    "check_cross_year",
    "check_sections",
    "check_sums",
    "compute_cells",
    "compute_values",
    "lookup",
    "numeric",
]


def compute_cells(fmt: Format, data: Mapping[str, Any]) -> CellValues:
    """Every cell of every table as printed: as written, computed from its sum rule, or 0.

    A computed total is the sum of its parts, blanks and dashes counting 0; when a part
    is unreadable the total cannot be known and is unreadable too.  A total written
    blank stays blank: it is never filled in (the rules report it).
    """
    written: CellValues = {}
    for path, cell in fmt.cells.items():
        raw = find(data, path)
        if raw is not MISSING:
            written[path] = read_cell(raw, cell.value)
    rules = {r.target: r for t in fmt.tables.values() for r in t.sums}
    cells: CellValues = {}

    def value(path: Path) -> CellValue:
        if path in cells:
            return cells[path]
        kind = fmt.cells[path].value
        result: CellValue
        if path in written:
            result = written[path]
        elif path in rules:
            parts = [value(p) for p in rules[path].operands]
            unknown = any(isinstance(v, Unreadable) for v in parts)
            result = Unreadable() if unknown else total(arithmetic(v, kind) for v in parts)
        else:
            result = arithmetic(Blank(), kind)
        cells[path] = result
        return result

    for path in fmt.cells:
        value(path)
    return cells


def numeric(fmt: Format, cells: Mapping[Path, CellValue]) -> Values:
    """The figures the arithmetic uses: marks count as 0 (the rules report each one)."""
    return {p: arithmetic(v, fmt.cells[p].value) for p, v in cells.items()}


def compute_values(fmt: Format, data: Mapping[str, Any]) -> Values:
    """Every cell of every table as a figure: as written, computed from its sum rule, or 0."""
    return numeric(fmt, compute_cells(fmt, data))


def _part_label(fmt: Format, target: Path, operand: Path) -> str:
    """What tells an operand apart from the total: its row, or its column."""
    labels, mine = fmt.cells[operand].labels, fmt.cells[target].labels
    return labels[-2] if labels[-1] == mine[-1] else labels[-1]


def _cell_labels(fmt: Format, path: Path) -> str:
    return label_path(fmt.cells[path].labels)


@dataclass(frozen=True, slots=True)
class _Figures:
    """One report's figures, and how a finding about one of its cells is told.

    ``cells`` holds each cell as printed; ``needed`` collects the blank and dash cells
    the rules that ran had to count as 0, so each is reported once, by ``marks``.
    """

    fmt: Format
    source: Source
    values: Values
    cells: Mapping[Path, CellValue] = dc_field(default_factory=dict)
    sums: Mapping[Path, SumRule] = dc_field(default_factory=dict)
    """The rule each computed total is computed by."""
    memo: dict[Path, list[Path]] = dc_field(default_factory=dict)
    needed: dict[Path, None] = dc_field(default_factory=dict)
    told: set[Path] = dc_field(default_factory=set)

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
            found=describe_mark(self.cells.get(path, self.values[path])),
            hint=hint,
            related=related,
            subject=".".join(path),
        )

    def written(self, paths: Iterable[Path]) -> tuple[tuple[Location, str], ...]:
        """Where each written cell among ``paths`` is, with its label and value."""
        return tuple(
            (
                self.source.locate(p),
                f"{_cell_labels(self.fmt, p)} = {describe_mark(self.cells.get(p, self.values[p]))}",
            )
            for p in paths
            if find(self.source.data, p) is not MISSING
        )

    def assessable(self, code: str, anchor: Path, paths: Sequence[Path]) -> Diagnostic | None:
        """None when every cell of a check can be read; else the not-assessable warning.

        Blank and dash cells among ``paths`` are noted as needed on the way.
        """
        read = dict.fromkeys(q for p in paths for q in self.reads(p))
        lost = [p for p in read if isinstance(self.cells.get(p), Unreadable) and self.wrote(p)]
        if not lost:
            self.needed.update(
                (p, None) for p in read if isinstance(self.cells.get(p), Blank | Dash)
            )
            return None
        return self.unassessable(code, anchor, [(self.source.locate(p), p) for p in lost])

    def wrote(self, path: Path) -> bool:
        return find(self.source.data, path) is not MISSING

    def reads(self, path: Path) -> list[Path]:
        """``path`` and, for a computed total, every cell it was computed from."""
        if path in self.memo:
            return self.memo[path]
        rule = None if self.wrote(path) else self.sums.get(path)
        found = (
            [path] if rule is None else [path, *(q for p in rule.operands for q in self.reads(p))]
        )
        self.memo[path] = found
        return found

    def unassessable(
        self, code: str, anchor: Path, lost: Sequence[tuple[Location, Path]], where: str = ""
    ) -> Diagnostic:
        """The warning for one check skipped because cells it needs cannot be read."""
        diag = self.finding(
            "warning",
            "R-UNASSESSABLE",
            anchor,
            f"无法核对（{code}）：{where}有单元格无法辨认，这项核对已跳过",
            expected="可辨认的数字",
            related=tuple((loc, f"{where}{_cell_labels(self.fmt, p)}") for loc, p in lost[:5]),
            hint="其余核对照常进行；补上无法辨认的数字后再核对",
        )
        return replace(diag, subject=f"{code}:{'.'.join(anchor)}", found=f"{len(lost)} 格是 “?”")

    def marks(self) -> list[Diagnostic]:
        """One warning per blank or dash cell a rule counted as 0 (and not already an error)."""
        out: list[Diagnostic] = []
        for path in self.needed:
            if path in self.told:
                continue
            cell = self.cells[path]
            dash = isinstance(cell, Dash)
            out.append(
                self.finding(
                    "warning",
                    "R-DASH" if dash else "R-BLANK",
                    path,
                    (f"印的是 “{cell.text}”（不适用），" if isinstance(cell, Dash) else "空白格，")
                    + "核对时按 0 计算",
                    expected="数字（没有就写 0）",
                    hint="原表确实如此印出的，可保留并在 acknowledged 中说明理由",
                )
            )
        return out


def _figures(fmt: Format, source: Source, values: Values, cells: CellValues | None) -> _Figures:
    sums = {r.target: r for t in fmt.tables.values() for r in t.sums}  # as compute_cells picks
    cells = compute_cells(fmt, source.data) if cells is None else cells
    return _Figures(fmt, source, values, cells, sums)


def check_sums(
    fmt: Format, source: Source, values: Values, cells: CellValues | None = None
) -> list[Diagnostic]:
    """Written totals against their parts, and the per-column equations (表三 一+二=三+四).

    ``cells`` (from ``compute_cells``) saves computing them again.
    """
    figures = _figures(fmt, source, values, cells)
    out: list[Diagnostic] = []
    for table in fmt.tables.values():
        found, broken = _sum_rules(figures, table)
        out.extend(found)
        # A column holding a wrong written total would only echo that error here.
        for eq in table.equations:
            out.extend(_equation(figures, table, eq, skip=broken))
        out.extend(_table_checks(figures, table))
    return out + figures.marks()


def _sum_rules(figures: _Figures, table: Table) -> tuple[list[Diagnostic], set[str]]:
    """Findings about written totals, and the keys of the columns whose total is wrong."""
    fmt, values, cells = figures.fmt, figures.values, figures.cells
    out: list[Diagnostic] = []
    broken: set[str] = set()
    for rule in table.sums:
        if find(figures.source.data, rule.target) is MISSING:
            continue
        lost = figures.assessable(rule.id, rule.target, (rule.target, *rule.operands))
        if lost is not None:
            out.append(lost)
            continue
        expected = total(values[p] for p in rule.operands)
        mark = cells[rule.target]
        if isinstance(mark, Blank | Dash):
            if expected == 0:
                continue  # a blank total of blank or zero parts: one R-BLANK warning
            figures.told.add(rule.target)
            message = "合计数" + ("空白" if isinstance(mark, Blank) else f"印的是 “{mark.text}”")
            message += f"，各项之和为 {format_value(expected)}"
        elif values[rule.target] == expected:
            continue
        else:
            parts = "、".join(_part_label(fmt, rule.target, p) for p in rule.operands[:3])
            more = "等" if len(rule.operands) > 3 else ""
            message = f"合计数与各项之和不符（{parts}{more}共 {len(rule.operands)} 项之和）"
        broken.add(rule.target[-1])
        out.append(
            figures.finding(
                "error",
                rule.id,
                rule.target,
                message,
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
            lost = figures.assessable(check.id, here, (here, bound))
            if lost is not None:
                out.append(lost)
                continue
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
        involved = left + right
        anchor = next((p for p in involved if source.written(p)), involved[0])
        lost = figures.assessable(eq.id, anchor, involved)
        if lost is not None:
            out.append(lost)
            continue
        lsum = total(values[p] for p in left)
        rsum = total(values[p] for p in right)
        if lsum == rsum:
            continue

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
                subject=f"{table.key}.{col}",
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
                    subject=section.key,
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
                        subject=f"{section.key}.{field.key}",
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
    cells: CellValues | None = None,
    prev_cells: CellValues | None = None,
) -> list[Diagnostic]:
    """Rules between this year's report and last year's (per format's ``cross_year``)."""
    figures = _figures(fmt, source, values, cells)
    if prev_cells is None:
        prev_cells = compute_cells(prev_fmt, previous.data)
    out: list[Diagnostic] = []
    for rule in fmt.cross_year:
        for link in rule.links:
            expected = expected_from_last_year(link, values, prev_values)
            if expected is None:
                continue
            here = [p for p in (link.here, link.plus, link.minus) if p is not None]
            there = [p for p in (link.there, link.change) if p is not None]
            lost = [(source.locate(p), p) for p in here if isinstance(figures.cells[p], Unreadable)]
            lost_there = [
                (previous.locate(p), p) for p in there if isinstance(prev_cells[p], Unreadable)
            ]
            if lost or lost_there:
                where = "" if lost else f"上年报告 {previous.name} "
                out.append(figures.unassessable(rule.id, link.here, lost or lost_there, where))
                continue
            figures.needed.update(
                (p, None) for p in here if isinstance(figures.cells[p], Blank | Dash)
            )
            if values[link.here] == expected:
                continue
            out.append(
                _cross_finding(
                    figures, rule, link, expected, previous, prev_fmt, prev_values, prev_cells
                )
            )
    return out + figures.marks()


def _cross_finding(
    figures: _Figures,
    rule: CrossYearRule,
    link: CrossYearLink,
    expected: Value,
    previous: Source,
    prev_fmt: Format,
    prev_values: Values,
    prev_cells: Mapping[Path, CellValue],
) -> Diagnostic:
    """A cross-year mismatch, saying so when last year's cell was printed blank or a dash."""
    there = _cell_labels(prev_fmt, link.there)
    if rule.kind == "carry":
        why = f"{format_value(expected)}（{previous.name} 的 {there}）"
    else:
        why = f"{format_value(expected)}（{_roll_terms(link, figures.values, prev_values)}）"
    if isinstance(prev_cells[link.there], Blank | Dash):
        why += f"；上年此格是{describe_mark(prev_cells[link.there])}，按 0 计算"
    return figures.finding(
        rule.severity,
        rule.id,
        link.here,
        rule.label,
        expected=why,
        hint=None if rule.kind == "carry" else _ROLL_HINT,
        related=((previous.locate(link.there), f"上年 {there}"),),
    )


_ROLL_HINT = "若有文件因其他原因失效或重新计数，请在叙述中说明"


def _roll_terms(link: CrossYearLink, values: Values, prev_values: Values) -> str:
    """How a rolled-forward figure is made up: 上年 5 + 2 − 1."""
    return (
        f"上年 {format_value(prev_values[link.there])}"
        + (f" + {format_value(values[link.plus])}" if link.plus else "")
        + (f" − {format_value(values[link.minus])}" if link.minus else "")
        + (_signed_term(prev_values[link.change]) if link.change else "")
    )
