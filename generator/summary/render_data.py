"""Step 3c: the summary for machines — one JSON document and CSV files of the same tables.

CSV files are UTF-8 (no byte-order mark), comma-separated, ``\\r\\n`` line ends as
RFC 4180 says; figures are written exactly (amounts as their decimal digits).
The JSON holds everything the dashboard shows, with keys in a fixed order.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from ..errors import label_path
from ..values import format_value
from .compute import Summary
from .coverage import Status
from .ratios import Reading
from .totals import Total

__all__ = ["render_csv", "render_json"]


def _status(s: Status) -> dict[str, Any]:
    return {
        "agency": s.agency,
        "name": s.name,
        "state": s.state,
        "file": s.file,
        "published": s.published.isoformat() if s.published else None,
        "late": s.late,
        "undated": s.undated,
        "reported_last_year": s.reported_last_year,
        "on_roster": s.on_roster,
        "errors": s.errors,
        "warnings": s.warnings,
    }


def _figure(value: Any) -> Any:
    return format_value(value) if isinstance(value, Decimal) else value


def _total(t: Total) -> dict[str, Any]:
    out: dict[str, Any] = {
        "group": t.group.name,
        "origin": t.group.origin,
        "year": t.year,
        "members": list(t.members),
        "complete": t.complete,
        "missing": list(t.missing),
        "invalid": list(t.invalid),
        "formats": list(t.formats),
        "checks": [d.to_json() for d in t.checks],
        "marked": [{"agency": a, "cell": c} for a, c in t.marked],
    }
    if t.report is not None:
        out["format"] = t.report.format.id
        out["cells"] = [
            {
                "path": ".".join(p),
                "labels": label_path(c.labels),
                "value": _figure(t.report.values[p]),
            }
            for p, c in t.report.format.cells.items()
        ]
    return out


def _reading(r: Reading | None) -> dict[str, Any] | None:
    if r is None:
        return None
    return {"value": r.value, "sample": r.sample, "below_minimum": r.below_minimum}


def document(summary: Summary) -> dict[str, Any]:
    """Everything in the summary as JSON-ready data."""
    cov = summary.coverage
    return {
        "title": summary.title,
        "year": summary.year,
        "years": list(summary.years),
        "deadline": cov.deadline.isoformat(),
        "coverage": {
            "agencies": [_status(s) for s in cov.rows],
            "missing_vs_last_year": list(cov.missing_vs_last_year),
            "missing_vs_roster": list(cov.missing_vs_roster),
            "invalid": list(cov.invalid),
            "late": list(cov.late),
            "undated": list(cov.undated),
        },
        "findings": [f.to_json() for f in summary.findings],
        "matrix": {
            a: {
                c: summary.matrix.count(a, c)
                for c in summary.matrix.codes
                if summary.matrix.count(a, c)
            }
            for a in summary.matrix.agencies
        },
        "totals": [_total(summary.total(g)) for g in summary.groups],
        "trends": [
            {
                "subject": s.subject,
                "label": s.label,
                "kind": s.kind,
                "metric": s.metric.key,
                "name": s.metric.name,
                "years": {str(y): _reading(s.readings.get(y)) for y in summary.years},
                "jumps": list(s.jumps),
            }
            for s in (*summary.group_trends, *summary.agency_trends)
        ],
        "skipped": list(summary.tree.skipped),
    }


def render_json(summary: Summary) -> bytes:
    return (json.dumps(document(summary), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else _figure(v) for v in row])
    return buf.getvalue().encode("utf-8")


def _records(records: Sequence[dict[str, Any]], first: str) -> bytes:
    """A list of JSON records as CSV: one column per key, in the records' order."""
    return _csv(list(records[0]) if records else [first], [list(r.values()) for r in records])


def _figures(summary: Summary) -> bytes:
    """Every figure of the year's format, one row per valid report in that format."""
    fmt = summary.format
    cells = list(fmt.cells.values()) if fmt is not None else []
    rows = [
        (e.agency, e.agency_name, *(e.report.values[c.path] for c in cells))
        for e in summary.entries()
        if e.report is not None and fmt is not None and e.report.format.id == fmt.id
    ]
    return _csv(["agency", "name", *(".".join(c.path) for c in cells)], rows)


def render_csv(summary: Summary) -> dict[str, bytes]:
    """File name → bytes: coverage, findings (问题清单), figures, totals, trends."""
    doc = document(summary)
    totals = [
        {"group": t["group"], "year": t["year"], **c}
        for t in doc["totals"]
        for c in t.get("cells", [])
    ]
    trends = [
        {"subject": t["subject"], "kind": t["kind"], "metric": t["metric"], "year": y, **r,
         "jump": int(y) in t["jumps"]}
        for t in doc["trends"]
        for y, r in t["years"].items()
        if r is not None
    ]  # fmt: skip
    return {
        "coverage.csv": _records(doc["coverage"]["agencies"], "agency"),
        "findings.csv": _records(doc["findings"], "agency"),
        "figures.csv": _figures(summary),
        "totals.csv": _records(totals, "group"),
        "trends.csv": _records(trends, "subject"),
    }
