"""``nianbao check``: published reports imported in memory, validated, findings told in their terms.

A reviewer holds the published document, not our YAML; so each finding of the
validator is carried back to where the figure or sentence was printed: the file, the
table, the row and column labels as printed there (and the page of a PDF), or the
quoted sentence of the narrative.  The YAML text is validated with the ordinary
pipeline (``source.loads`` + ``validate.check_source``), so the rules are the same
as for authored reports.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import Imported, Unreadable, import_file
from .yaml_out import to_yaml

__all__ = ["Finding", "SourceResult", "check_one", "check_sources", "render", "write_summary"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding, located in the published document."""

    file: str
    agency: str
    year: int | None
    severity: str
    code: str
    message: str
    table: str = ""
    row: str = ""
    column: str = ""
    page: int | None = None
    section: str = ""
    quote: str = ""
    labels: str = ""
    expected: str | None = None
    found: str | None = None
    fingerprint: str | None = None

    @property
    def where(self) -> str:
        bits = [self.file]
        if self.table:
            bits.append(self.table)
        if self.row:
            bits.append(f"行“{self.row}”")
        if self.column:
            bits.append(f"列“{self.column}”")
        if self.page:
            bits.append(f"第 {self.page} 页")
        if self.section:
            bits.append(self.section)
        return " › ".join(bits)


@dataclass(slots=True)
class SourceResult:
    file: str
    agency: str = ""
    year: int | None = None
    error: str | None = None
    """Why the source could not be read at all (exit 2)."""
    findings: list[Finding] = field(default_factory=list)
    figures: int = 0
    unreadable: int = 0


def check_one(path: str) -> SourceResult:
    """Import one source in memory and validate it; never raises for a bad source."""
    from ..cli import display_path

    shown = display_path(Path(path))
    try:
        imp = import_file(Path(path), name=shown)
    except Unreadable as exc:
        return SourceResult(shown, error=str(exc))
    return _validate(imp)


def _validate(imp: Imported) -> SourceResult:
    from ..source import loads
    from ..validate import check_source

    text = to_yaml(imp)
    source = loads(text, imp.name)
    outcome = check_source(source, None)
    result = SourceResult(
        imp.name, imp.meta.agency or "", imp.meta.year, figures=len(imp.tables.figures),
        unreadable=imp.unreadable,
    )  # fmt: skip
    cells = {pos: tuple(str(p) for p in path) for path, pos in source.positions.items()}
    lines = text.split("\n")
    parts = _part_lines(imp, source)
    for d in outcome.diagnostics:
        result.findings.append(_locate(imp, d, cells, parts, lines))
    return result


def _part_lines(imp: Imported, source: Any) -> list[tuple[int, str]]:
    out = []
    for section in imp.fmt.sections:
        for part in section.parts:
            pos = source.positions.get((section.key, part.key))
            if pos:
                out.append((pos[0], section.heading + (part.heading or "")))
        pos = source.positions.get((section.key,))
        if pos:
            out.append((pos[0], section.heading))
    return sorted(out)


def _locate(
    imp: Imported, d: Any, cells: dict[tuple[int, int], tuple[str, ...]],
    parts: list[tuple[int, str]], lines: list[str],
) -> Finding:  # fmt: skip
    from ..errors import label_path

    loc = d.location
    base = {
        "file": imp.name, "agency": imp.meta.agency or "", "year": imp.meta.year,
        "severity": d.severity, "code": d.code, "message": d.message,
        "labels": label_path(d.labels), "expected": d.expected, "found": d.found,
        "fingerprint": getattr(d, "fingerprint", None),
    }  # fmt: skip
    subject = getattr(d, "subject", None)  # the cell a rule is about, when it says so
    path = tuple(subject.split(".")) if isinstance(subject, str) else None
    if path not in imp.fmt.cells:
        path = cells.get((loc.line, loc.column))
    placed = imp.tables.figures.get(path) if path else None
    if path and path[0] in imp.fmt.tables:
        table = imp.fmt.tables[path[0]]
        cell = imp.fmt.cells.get(path)
        official = cell.labels[1:] if cell else ()
        return Finding(
            **base, table=table.title,
            row=placed.row_label if placed else (official[0] if official else ""),
            column=placed.col_label if placed else (official[-1] if len(official) > 1 else ""),
            page=placed.page if placed else None,
        )  # fmt: skip
    section = ""
    for line, name in parts:
        if line <= loc.line:
            section = name
    quote = _quote(d.message, lines[loc.line - 1] if 0 < loc.line <= len(lines) else "", loc.column)
    page = next((p.page for p in imp.doc.paras() if quote and quote in p.text), None)
    return Finding(**base, section=section, quote=quote if section else "", page=page)


_SENTENCE = re.compile(r"[^。；！？!?;]+[。；！？!?;]?")


def _quote(message: str, line: str, column: int) -> str:
    """The sentence a narrative finding is about: the one its message quotes, or at its column."""
    text = line.strip()
    if not line.startswith("  ") or not text:
        return ""
    for said in re.findall(r"“([^”]{4,})”", message):
        if said in text:
            return str(said)
    offset = max(column - 1 - (len(line) - len(line.lstrip())), 0)
    for m in _SENTENCE.finditer(text):
        if m.start() <= offset < m.end() and offset:
            return m.group(0)
    return text if len(text) <= 120 else text[:120] + "…"


def check_sources(paths: Sequence[str], jobs: int) -> list[SourceResult]:
    """Check every source, in parallel when there are several; results in the given order."""
    if jobs <= 1 or len(paths) <= 1:
        return [check_one(p) for p in paths]
    with ProcessPoolExecutor(max_workers=min(jobs, len(paths))) as pool:
        return list(pool.map(check_one, paths))


# --------------------------------------------------------------------------- output


def render(results: Sequence[SourceResult], fmt: str) -> str:
    if fmt == "json":
        return json.dumps([_json(r) for r in results], ensure_ascii=False, indent=2) + "\n"
    if fmt == "github":
        return "".join(_github(r) for r in results)
    if fmt == "sarif":
        return json.dumps(_sarif(results), ensure_ascii=False, indent=2) + "\n"
    return "".join(_text(r) for r in results)


def _json(r: SourceResult) -> dict[str, Any]:
    return {
        "file": r.file, "agency": r.agency, "year": r.year, "error": r.error,
        "figures": r.figures, "unreadable": r.unreadable,
        "findings": [asdict(f) for f in r.findings],
    }  # fmt: skip


def _text(r: SourceResult) -> str:
    if r.error:
        return f"{r.error}\n"
    out = []
    for f in r.findings:
        sev = "错误" if f.severity == "error" else "警告"
        out.append(f"{f.where}: {sev}[{f.code}] {f.message}")
        if f.quote:
            out.append(f"    原文：{f.quote}")
        if f.expected is not None:
            out.append(f"    应为：{f.expected}")
        if f.found is not None:
            out.append(f"    实为：{f.found}")
    tail = f"，无法读出 {r.unreadable} 个" if r.unreadable else ""
    errors = sum(f.severity == "error" for f in r.findings)
    out.append(
        f"{r.file}: 读出数字 {r.figures} 个{tail}；{errors} 个错误，"
        f"{len(r.findings) - errors} 个警告"
    )
    return "\n".join(out) + "\n"


def _escape_gh(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github(r: SourceResult) -> str:
    if r.error:
        return f"::error file={_escape_gh(r.file)}::{_escape_gh(r.error)}\n"
    return "".join(
        f"::{'error' if f.severity == 'error' else 'warning'} file={_escape_gh(f.file)},"
        f"title={f.code}::{_escape_gh(f.where + '：' + f.message)}\n"
        for f in r.findings
    )


def _sarif(results: Sequence[SourceResult]) -> dict[str, Any]:
    rules: dict[str, dict[str, Any]] = {}
    out = []
    for r in results:
        if r.error:
            rules.setdefault("IMPORT", {"id": "IMPORT"})
            where = {"physicalLocation": {"artifactLocation": {"uri": r.file}}}
            out.append(
                {"ruleId": "IMPORT", "level": "error", "message": {"text": r.error},
                 "locations": [where]}
            )  # fmt: skip
            continue
        for f in r.findings:
            rules.setdefault(f.code, {"id": f.code})
            result: dict[str, Any] = {
                "ruleId": f.code,
                "level": "error" if f.severity == "error" else "warning",
                "message": {"text": f"{f.where}：{f.message}"},
                "locations": [{
                    "physicalLocation": {"artifactLocation": {"uri": f.file}},
                    "logicalLocations": [{"fullyQualifiedName": f.where}],
                }],
            }  # fmt: skip
            if f.fingerprint:
                result["partialFingerprints"] = {"nianbao/v1": f.fingerprint}
            out.append(result)
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "nianbao", "rules": list(rules.values())}},
                  "results": out}],
    }  # fmt: skip


_EPOCH = __import__("datetime").datetime(2000, 1, 1)

SUMMARY_COLUMNS = (
    "file", "agency", "year", "severity", "code", "table", "row", "column", "page",
    "section", "quote", "message", "expected", "found", "fingerprint",
)  # fmt: skip


def summary_rows(results: Sequence[SourceResult]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for r in results:
        if r.error:
            rows.append([r.file, r.agency, r.year, "error", "IMPORT", "", "", "", "", "", "",
                         r.error, "", "", ""])  # fmt: skip
        for f in r.findings:
            d = asdict(f)
            rows.append(["" if d[c] is None else d[c] for c in SUMMARY_COLUMNS])
    return rows


def write_summary(results: Sequence[SourceResult], target: Path) -> None:
    """One row per finding, with agency and year: CSV (UTF-8 with BOM, for Excel) or XLSX."""
    from ..errors import UsageError
    from ..output import write_atomic

    rows = summary_rows(results)
    suffix = target.suffix.lower()
    if suffix == ".csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(SUMMARY_COLUMNS)
        writer.writerows(rows)
        write_atomic(target, ("\ufeff" + buf.getvalue()).encode("utf-8"))
    elif suffix == ".xlsx":
        from openpyxl import Workbook

        book = Workbook()
        book.properties.created = book.properties.modified = _EPOCH  # reproducible bytes
        sheet = book.active
        assert sheet is not None
        sheet.append(list(SUMMARY_COLUMNS))
        for row in rows:
            sheet.append(row)
        data = io.BytesIO()
        book.save(data)
        write_atomic(target, data.getvalue())
    else:
        raise UsageError(f"--summary {target}: 只支持 .csv 或 .xlsx")
