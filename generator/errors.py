"""Diagnostics and the exceptions that carry them to the command line.

A Diagnostic is one finding about one report: where (file, line, column), what the
official table calls the value (``labels``), what was expected and what was found.
Every step of the pipeline produces them; only ``cli`` prints them.  The exceptions
carry an exit code so the command line maps failures without knowing their causes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

__all__ = [
    "Diagnostic",
    "InvalidReport",
    "Location",
    "NianbaoError",
    "UsageError",
    "label_path",
    "printable",
]

Severity = Literal["error", "warning"]
SEPARATOR = " › "


def label_path(labels: Iterable[str]) -> str:
    return SEPARATOR.join(labels)


_UNPRINTABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"
)
"""C0/C1 controls, DEL, bidi marks and overrides, line/paragraph separators, BOM, lone
surrogates: a file name or a quoted value with one of these could move the cursor,
set the window title, write the clipboard, forge a "通过" line or reorder what is shown."""


def _escape(m: re.Match[str]) -> str:
    code = ord(m[0])
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` safe to show on a terminal: every unprintable character as ``\\xNN``/``\\uNNNN``.

    Applied where messages are formatted for people (never to JSON, which escapes by
    itself), so nothing read from a file, a folder name or a config reaches the
    terminal raw.  Printable text, backslashes included, is left as it is.
    """
    return _UNPRINTABLE.sub(_escape, text)


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """A place in a source file; line and column count from 1, as editors do."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One error or warning about a report.

    ``related`` holds the locations of the other values a rule read, so an author
    sees every cell that takes part in a broken sum, not just the total.  ``subject``
    is what the finding is about, independent of where it is written (a rule sets the
    cell path, the narrative checks their own key): with the code it makes the
    ``fingerprint`` an acknowledgement names.  ``acknowledged`` is the reason given
    when a warning was accepted in the report's ``acknowledged:`` block.
    """

    severity: Severity
    code: str
    location: Location
    message: str
    labels: tuple[str, ...] = ()
    expected: str | None = None
    found: str | None = None
    hint: str | None = None
    related: tuple[tuple[Location, str], ...] = field(default=())
    subject: str | None = None
    acknowledged: str | None = None

    @property
    def sort_key(self) -> tuple[Any, ...]:
        return (self.location, self.severity != "error", self.code, self.message)

    @property
    def fingerprint(self) -> str:
        """Eight hex digits from the rule and what it is about, never from the position.

        Moving unrelated text leaves it unchanged; without a ``subject`` the label path
        and the message stand in for it.
        """
        about = (
            self.subject
            if self.subject is not None
            else f"{label_path(self.labels)}|{self.message}"
        )
        return hashlib.sha256(f"{self.code}\0{about}".encode()).hexdigest()[:8]

    def format(self) -> str:
        """The human-readable form: location, severity, label path, message, details."""
        sev = "错误" if self.severity == "error" else "警告"
        if self.acknowledged is not None:
            sev = "警告（已确认）"
        head = f"{self.location}: {sev}[{self.code}]"
        where = f" {label_path(self.labels)}：" if self.labels else " "
        # Only a warning can be acknowledged, so only a warning shows what names it.
        fp = f" [fp:{self.fingerprint}]" if self.severity == "warning" else ""
        lines = [f"{head}{where}{self.message}{fp}"]
        if self.expected is not None:
            lines.append(f"    应为：{self.expected}")
        if self.found is not None:
            lines.append(f"    实为：{self.found}")
        for loc, what in self.related:
            lines.append(f"    {loc}: {what}")
        if self.hint:
            lines.append(f"    提示：{self.hint}")
        if self.acknowledged is not None:
            lines.append(f"    已确认：{self.acknowledged}")
        return "\n".join(printable(line) for line in lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "code": self.code,
            "file": self.location.file,
            "line": self.location.line,
            "column": self.location.column,
            "labels": list(self.labels),
            "label_path": label_path(self.labels),
            "message": self.message,
            "expected": self.expected,
            "found": self.found,
            "hint": self.hint,
            "related": [
                {"file": loc.file, "line": loc.line, "column": loc.column, "what": what}
                for loc, what in self.related
            ],
            "subject": self.subject,
            "fingerprint": self.fingerprint,
            "acknowledged": self.acknowledged is not None,
            "reason": self.acknowledged,
        }


class NianbaoError(Exception):
    """Root of the errors a user may see; ``exit_code`` is what the command returns."""

    exit_code: ClassVar[int] = 2


class UsageError(NianbaoError):
    """Bad arguments, missing files, unwritable directories: the environment, not a report."""

    exit_code = 2


class InvalidReport(NianbaoError):
    """A report has errors; they are all in ``diagnostics``."""

    exit_code = 1

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        super().__init__(f"{sum(d.severity == 'error' for d in diagnostics)} error(s)")
