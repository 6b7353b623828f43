"""Validation of one report file, start to finish: load → schema → rules → model.

Phases run in order and each only when the one before left the data sound, so an
author sees the real problems and not their echoes: a misspelt key is reported by
the schema, not again as a wrong total.  Within a phase every finding is collected.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import acknowledge, claims_check, narrative, references, rules, schema
from .errors import Diagnostic, InvalidReport, Location
from .local import read_local
from .model import Report, field_values, meta_values, narrative_context
from .source import Source, load, loads
from .spec import Format, all_formats, format_for_year
from .values import MISSING, Blank, CellValues, Dash, Unreadable, find

__all__ = [
    "Outcome",
    "check_file",
    "check_source",
    "previous_path",
    "select_format",
    "unpublishable",
]


@dataclass(slots=True)
class Outcome:
    """What validating one file found; ``report`` is None when there were errors."""

    name: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    report: Report | None = None
    source: Source | None = None
    previous: Path | None = None

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        """The warnings still open: acknowledged ones do not count (nor fail ``--strict``)."""
        return [d for d in self.diagnostics if d.severity == "warning" and d.acknowledged is None]

    @property
    def acknowledged(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.acknowledged is not None]

    @property
    def ok(self) -> bool:
        return not self.errors


def select_format(source: Source) -> tuple[Format, list[Diagnostic]]:
    """The report's format: ``format`` if written, else the one in force for ``year``."""
    data = source.data
    formats = all_formats()
    latest = list(formats.values())[-1]
    written = data.get("format")
    if written is not None and str(written) in formats:
        fmt = formats[str(written)]
        year = data.get("year")
        if isinstance(year, int) and not fmt.covers(year):
            return fmt, [
                Diagnostic(
                    "warning",
                    "W-FORMAT-YEAR",
                    source.locate(("format",)),
                    f"{year} 年的报告一般使用 {(format_for_year(year) or latest).id} 格式",
                    labels=(fmt.meta_label("format"),),
                    expected=(format_for_year(year) or latest).id,
                    found=str(written),
                )
            ]
        return fmt, []
    year = data.get("year")
    if written is None and isinstance(year, int) and not isinstance(year, bool):
        fmt_for = format_for_year(year)
        if fmt_for is None:
            first = min(f.first_year for f in formats.values())
            return latest, [
                Diagnostic(
                    "error",
                    "FORMAT-NONE",
                    source.locate(("year",)),
                    f"{year} 年没有适用的年度报告格式",
                    labels=(latest.meta_label("year"),),
                    expected=f"{first} 年或以后",
                    found=str(year),
                )
            ]
        return fmt_for, []
    return latest, []  # the schema reports a missing year or an unknown format


def previous_path(path: Path) -> Path | None:
    """Last year's report of the same agency: ``<year - 1>.yaml`` beside ``<year>.yaml``.

    The one definition, used by validate, build (fingerprints), deps and ``new``.  It
    goes by the file name alone, so it is known before the file is read; a report
    whose ``year:`` differs from its file name is an error (YEAR-FILE), so the two
    cannot disagree in a report that builds.  None for a file not named for a year.
    """
    if not path.stem.isdigit() or int(path.stem) < 1:
        return None
    return path.with_name(f"{int(path.stem) - 1}{path.suffix}")


def check_file(
    path: Path,
    name: str | None = None,
    *,
    cross_year: bool = True,
    data: bytes | None = None,
    previous_data: bytes | None = None,
) -> Outcome:
    """Validate the file at ``path``; ``name`` is how messages show it.

    ``data`` (and ``previous_data``, last year's file) are the bytes already read by
    the caller: a build fingerprints exactly what it validates and renders.
    """
    shown = name or str(path)
    try:
        source = load(path, shown) if data is None else loads(data, shown)
    except InvalidReport as exc:
        return Outcome(shown, list(exc.diagnostics))
    source.path = path
    return check_source(source, path if cross_year else None, previous_data)


def check_source(
    source: Source, path: Path | None = None, previous_data: bytes | None = None
) -> Outcome:
    """Validate loaded data; with ``path``, last year's file beside it is compared too."""
    out = Outcome(source.name, source=source)
    fmt, diags = select_format(source)
    out.diagnostics.extend(diags)
    out.diagnostics.extend(schema.validate_schema(source, fmt))
    if out.errors:
        return _sorted(out)
    cells = rules.compute_cells(fmt, source.data)
    values = rules.numeric(fmt, cells)
    out.diagnostics.extend(rules.check_sums(fmt, source, values, cells))
    out.diagnostics.extend(rules.check_sections(fmt, source))
    local, problems = read_local(fmt, source)
    out.diagnostics.extend(problems)
    out.diagnostics.extend(_unreadable(fmt, source, cells))
    meta = meta_values(fmt, source.data)
    fields = field_values(fmt, source.data)
    blocks = _narrative(fmt, source, meta, values, fields, out.diagnostics, cells)
    if path is not None:
        if path.stem.isdigit() and int(path.stem) != meta["year"]:
            out.diagnostics.append(
                Diagnostic(
                    "error",
                    "YEAR-FILE",
                    source.locate(("year",)),
                    f"文件名是 {path.name}，但{fmt.meta_label('year')}写的是 {meta['year']}",
                    labels=(fmt.meta_label("year"),),
                    expected=path.stem,
                    found=str(meta["year"]),
                    hint="文件按“年份.yaml”命名，跨年度核对据此查找上年报告：改正其一",
                )
            )
        out.previous = _cross_year(fmt, source, cells, path, previous_data, out.diagnostics)
    out.diagnostics = acknowledge.apply(source, list(dict.fromkeys(out.diagnostics)))
    if not out.errors:
        marks = {p: v for p, v in cells.items() if isinstance(v, Blank | Dash | Unreadable)}
        out.report = Report(fmt, source.name, meta, values, fields, blocks, marks, local)
    return _sorted(out)


def _unreadable(fmt: Format, source: Source, cells: CellValues) -> list[Diagnostic]:
    """One warning for all the cells written ``?``: the report can be checked, not published."""
    lost = [p for p, v in cells.items() if isinstance(v, Unreadable) and source.written(p)]
    if not lost:
        return []
    return [
        Diagnostic(
            "warning",
            "W-UNREADABLE",
            source.locate(lost[0]),
            f"有 {len(lost)} 个单元格写的是 “?”（原件无法辨认）：可以核对，但不能生成发布",
            labels=fmt.cells[lost[0]].labels,
            expected="可辨认的数字",
            found=f"{len(lost)} 个 “?”",
            hint="需要这些单元格的核对已跳过（R-UNASSESSABLE）；补上原件的数字后即可生成",
            subject="unreadable",
        )
    ]


def unpublishable(outcome: Outcome) -> Diagnostic | None:
    """Why a valid report cannot be built as it is (cells still unreadable), or None."""
    report = outcome.report
    if report is None:
        return None
    source = outcome.source
    lost = [
        p
        for p, v in report.marks.items()
        if isinstance(v, Unreadable) and (source is None or source.written(p))
    ]
    if not lost:
        return None
    where = source.locate(lost[0]) if source else Location(outcome.name)
    return Diagnostic(
        "error",
        "BUILD-UNREADABLE",
        where,
        f"报告中有 {len(lost)} 个单元格无法辨认（?），不能按原样发布，未生成",
        labels=report.format.cells[lost[0]].labels,
        expected="每个单元格是数字、空白或原表印出的 “-”",
        found="“?”",
        hint="nianbao validate 仍可核对其余内容",
    )


def _narrative(
    fmt: Format,
    source: Source,
    meta: dict[str, Any],
    values: rules.Values,
    fields: dict[Any, Any],
    diags: list[Diagnostic],
    cells: CellValues,
) -> dict[tuple[str, ...], tuple[narrative.Block, ...]]:
    marks = {p: v for p, v in cells.items() if isinstance(v, Blank | Dash | Unreadable)}
    context = narrative_context(fmt, meta, values, fields, marks)
    lookup = claims_check.checked_values(
        {**values, **fields}, unreadable=_unassessable(fmt, source, marks)
    )
    out: dict[tuple[str, ...], tuple[narrative.Block, ...]] = {}
    for section in fmt.sections:
        for part in section.parts:
            path = (section.key, part.key)
            raw = rules.lookup(source.data, path)
            if not raw:
                continue
            where = source.locate(path)
            block = path in source.blocks
            labels = (section.heading,) + ((part.heading,) if part.heading else ())
            text, problems = references.evaluate(
                str(raw), context, where=where, labels=labels, block=block
            )
            diags.extend(problems)
            diags.extend(_claims(fmt, source, path, str(raw), lookup, labels))
            out[path] = narrative.parse(text)
    return out


def _unassessable(
    fmt: Format, source: Source, marks: Collection[tuple[str, ...]]
) -> set[tuple[str, ...]]:
    """Cells a narrative claim cannot be checked against: printed blank, dash or unreadable,
    and totals nianbao computed from such a cell (a written total is taken as printed)."""
    sums = {r.target: r for t in fmt.tables.values() for r in t.sums}
    memo: dict[tuple[str, ...], bool] = {}

    def lost(path: tuple[str, ...]) -> bool:
        if path not in memo:
            rule = None if find(source.data, path) is not MISSING else sums.get(path)
            memo[path] = path in marks or (rule is not None and any(map(lost, rule.operands)))
        return memo[path]

    return {p for p in fmt.cells if lost(p)}


def _claims(
    fmt: Format,
    source: Source,
    path: tuple[str, ...],
    raw: str,
    lookup: claims_check.Lookup,
    labels: tuple[str, ...],
) -> list[Diagnostic]:
    """What the narrative at ``path`` says about the tables, checked (format.md, rule R6)."""
    if fmt.claims is None:
        return []
    style, indent = source.styles.get(path, ("", 0))
    place = claims_check.Placement(source.locate(path), style, indent)
    return claims_check.check_narrative(raw, fmt.claims, lookup, place=place, labels=labels)


def _cross_year(
    fmt: Format,
    source: Source,
    cells: CellValues,
    path: Path,
    previous_data: bytes | None,
    diags: list[Diagnostic],
) -> Path | None:
    prev_path = previous_path(path)
    if prev_path is None or (previous_data is None and not prev_path.is_file()):
        return None
    if prev_path.resolve() == path.resolve():
        return None  # a symlink to itself is not its own previous year
    prev_name = str(Path(source.name).with_name(prev_path.name))
    try:  # a link to a file elsewhere (a .env, a key) is not last year's report: not read
        linked_away = prev_path.is_symlink() and prev_path.resolve().parent != path.resolve().parent
        if linked_away:
            previous = None
        elif previous_data is None:
            previous = load(prev_path, prev_name)
        else:
            previous = loads(previous_data, prev_name)
    except Exception:  # noqa: BLE001 - any trouble with last year's file only skips the comparison
        previous = None
    prev_fmt = None
    if previous is not None:
        prev_fmt, problems = select_format(previous)
        problems += schema.validate_schema(previous, prev_fmt)
        if any(p.severity == "error" for p in problems):
            previous = None
    if previous is None or prev_fmt is None:
        diags.append(
            Diagnostic(
                "warning",
                "X-PREVIOUS-INVALID",
                Location(prev_name),
                "上年报告无法读取或有错误，本次未做跨年度核对",
                hint=f"先运行 nianbao validate {prev_name}",
            )
        )
        return prev_path
    prev_cells = rules.compute_cells(prev_fmt, previous.data)
    prev_values, values = rules.numeric(prev_fmt, prev_cells), rules.numeric(fmt, cells)
    diags.extend(
        rules.check_cross_year(
            fmt, source, values, previous, prev_fmt, prev_values, cells, prev_cells
        )
    )
    return prev_path


def _sorted(out: Outcome) -> Outcome:
    out.diagnostics.sort(key=lambda d: d.sort_key)
    return out
