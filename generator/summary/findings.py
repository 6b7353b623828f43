"""Step 2b: every finding of a year as one list (问题清单) and as an agency × rule matrix.

The findings are the validator's own diagnostics plus the reviewer's text checks
(``textcheck``), so the summary never disagrees with ``nianbao validate``.  A warning
the report acknowledges (its ``acknowledged:`` list, see ``acknowledge``) is shown as
such, with the reason; every finding keeps its ``fingerprint``, which is what such an
entry names.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import Diagnostic, label_path
from .collect import Entry

__all__ = ["Finding", "Matrix", "finding", "matrix"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One row of the 问题清单."""

    agency: str
    name: str
    year: int
    file: str
    line: int
    column: int
    severity: str
    code: str
    where: str
    """The cell or sentence: the label path, and what was found there."""
    message: str
    acknowledged: bool
    fingerprint: str
    reason: str | None = None
    """Why the warning was accepted, as the report's ``acknowledged:`` entry says."""

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}:{self.column}" if self.line else self.file

    def to_json(self) -> dict[str, Any]:
        return {
            "agency": self.agency,
            "name": self.name,
            "year": self.year,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "severity": self.severity,
            "code": self.code,
            "where": self.where,
            "message": self.message,
            "acknowledged": self.acknowledged,
            "reason": self.reason,
            "fingerprint": self.fingerprint,
        }


def finding(entry: Entry, diag: Diagnostic) -> Finding:
    where = label_path(diag.labels)
    if diag.found:
        where = f"{where}（{diag.found}）" if where else diag.found
    return Finding(
        entry.agency,
        entry.agency_name,
        entry.year,
        diag.location.file,
        diag.location.line,
        diag.location.column,
        diag.severity,
        diag.code,
        where,
        diag.message,
        diag.acknowledged is not None,
        diag.fingerprint,
        diag.acknowledged,
    )


@dataclass(frozen=True, slots=True)
class Matrix:
    """Counts of findings by agency and rule code; acknowledged ones counted apart."""

    agencies: tuple[str, ...]
    codes: tuple[str, ...]
    counts: Mapping[tuple[str, str], int]
    acknowledged: Mapping[tuple[str, str], int]
    severities: Mapping[str, str]
    """Per code, the most severe severity seen ("error" over "warning")."""

    def count(self, agency: str, code: str) -> int:
        return self.counts.get((agency, code), 0)

    def row_total(self, agency: str) -> int:
        return sum(self.count(agency, c) for c in self.codes)

    def column_total(self, code: str) -> int:
        return sum(self.count(a, code) for a in self.agencies)


def matrix(findings: Iterable[Finding], agencies: Iterable[str]) -> Matrix:
    counts: Counter[tuple[str, str]] = Counter()
    acked: Counter[tuple[str, str]] = Counter()
    severities: dict[str, str] = {}
    for f in findings:
        counts[(f.agency, f.code)] += 1
        if f.acknowledged:
            acked[(f.agency, f.code)] += 1
        if severities.get(f.code) != "error":
            severities[f.code] = f.severity
    codes = tuple(sorted(severities, key=lambda c: (severities[c] != "error", c)))
    return Matrix(tuple(sorted(set(agencies))), codes, dict(counts), dict(acked), severities)
