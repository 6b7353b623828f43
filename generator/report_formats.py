"""Diagnostics for machines: JSON (versioned), GitHub annotations and SARIF 2.1.0.

``validate`` and ``build`` print findings for people by default; CI wants them in a
form it can read.  Every format is made from the same :class:`FileResult` list, so
the four never disagree.  Fields another part of nianbao may add to Diagnostic later
(end positions, the machine key path, a fingerprint) are read defensively: a format
shows them when they are there and leaves them out when not.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from . import __version__
from .errors import Diagnostic, label_path

__all__ = ["FORMATS", "JSON_VERSION", "FileResult", "error_document", "render"]

FORMATS = ("text", "json", "github", "sarif")
JSON_VERSION = 1
"""Bumped when a key changes meaning or goes away; new keys may appear without a bump."""

_SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


@dataclass(slots=True)
class FileResult:
    """One checked file: its name as shown, whether it passed, its format, its findings."""

    file: str
    valid: bool
    format: str | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    acknowledged: int = 0
    """Warnings the report acknowledges (``acknowledged:``): not shown, only counted."""


def render(kind: str, results: Sequence[FileResult]) -> str:
    """``results`` as ``kind`` (json, github or sarif), ending with a newline."""
    if kind == "json":
        return _dump(json_document(results))
    if kind == "github":
        shown = (d for r in results for d in r.diagnostics if not _accepted(d))
        return "".join(_annotation(d) + "\n" for d in shown)
    if kind == "sarif":
        return _dump(sarif_document(results))
    raise ValueError(kind)


def error_document(kind: str, message: str, exit_code: int) -> str:
    """A usage or environment error (a missing file) in the machine format asked for."""
    if kind == "github":
        return f"::error title=nianbao::{_data(message)}\n"
    if kind == "sarif":
        doc = sarif_document([])
        doc["runs"][0]["invocations"] = [
            {
                "executionSuccessful": False,
                "exitCode": exit_code,
                "toolExecutionNotifications": [{"level": "error", "message": {"text": message}}],
            }
        ]
        return _dump(doc)
    doc = json_document([])
    doc["error"] = {"message": message, "exit_code": exit_code}
    return _dump(doc)


def _dump(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def _optional(d: Diagnostic, *names: str) -> Any:
    """The first of ``names`` that ``d`` has and that is set; None otherwise."""
    for name in names:
        value = getattr(d, name, None)
        if value not in (None, "", ()):
            return value
    return None


def _end(d: Diagnostic) -> tuple[int | None, int | None]:
    loc = d.location
    line = getattr(loc, "end_line", None) or _optional(d, "end_line")
    column = getattr(loc, "end_column", None) or _optional(d, "end_column")
    return line, column


def _key_path(d: Diagnostic) -> list[str | int] | None:
    value = _optional(d, "key_path", "path", "keys")
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    return list(value)


def fingerprint(d: Diagnostic) -> str:
    """The finding's own fingerprint if it has one; else a hash of what identifies it.

    Line numbers are left out on purpose: a finding moved by an edit above it is the
    same finding to code scanning.
    """
    own = _optional(d, "fingerprint")
    if isinstance(own, str):
        return own
    ident = "\0".join([d.code, d.location.file, label_path(d.labels), d.message])
    return hashlib.sha256(ident.encode("utf-8")).hexdigest()[:32]


def _diagnostic_json(d: Diagnostic) -> dict[str, Any]:
    doc = d.to_json()
    end_line, end_column = _end(d)
    doc["end_line"] = end_line
    doc["end_column"] = end_column
    doc["key_path"] = _key_path(d)
    doc["fingerprint"] = fingerprint(d)
    return doc


def json_document(results: Sequence[FileResult]) -> dict[str, Any]:
    """The JSON of ``--format json``; its keys are listed in the README."""
    diags = [d for r in results for d in r.diagnostics]
    return {
        "version": JSON_VERSION,
        "tool": {"name": "nianbao", "version": __version__},
        "files": [
            {
                "file": r.file,
                "valid": r.valid,
                "format": r.format,
                "diagnostics": [_diagnostic_json(d) for d in r.diagnostics],
            }
            for r in results
        ],
        "errors": sum(d.severity == "error" for d in diags),
        "warnings": sum(d.severity == "warning" and not _accepted(d) for d in diags),
        "acknowledged": sum(r.acknowledged for r in results),
    }


def _accepted(d: Diagnostic) -> str | None:
    """The reason a warning was acknowledged in the report, if it was."""
    reason = getattr(d, "acknowledged", None)
    return reason if isinstance(reason, str) else None


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _message(d: Diagnostic) -> str:
    """The message with what was expected and found, as one text."""
    parts = [d.message]
    if d.expected is not None:
        parts.append(f"应为：{d.expected}")
    if d.found is not None:
        parts.append(f"实为：{d.found}")
    if d.hint:
        parts.append(f"提示：{d.hint}")
    return "\n".join(parts)


def _annotation(d: Diagnostic) -> str:
    """``::error file=…,line=…,col=…,endLine=…,endColumn=…,title=…::message``."""
    loc = d.location
    props = [f"file={_prop(_posix(loc.file))}"]
    if loc.line:
        props.append(f"line={loc.line}")
        if loc.column:
            props.append(f"col={loc.column}")
        end_line, end_column = _end(d)
        if end_line:
            props.append(f"endLine={end_line}")
        if end_column:
            props.append(f"endColumn={end_column}")
    title = f"{d.code} {label_path(d.labels)}".strip()
    props.append(f"title={_prop(title)}")
    return f"::{d.severity} {','.join(props)}::{_data(_message(d))}"


def _posix(path: str) -> str:
    return path.replace(os.sep, "/") if os.sep != "/" else path


def _sarif_result(d: Diagnostic) -> dict[str, Any]:
    location: dict[str, Any] = {
        "physicalLocation": {"artifactLocation": {"uri": _posix(d.location.file)}}
    }
    if d.location.line:
        region: dict[str, int] = {"startLine": d.location.line}
        if d.location.column:
            region["startColumn"] = d.location.column
        end_line, end_column = _end(d)
        if end_line:
            region["endLine"] = end_line
        if end_column:
            region["endColumn"] = end_column
        location["physicalLocation"]["region"] = region
    if d.labels:
        location["logicalLocations"] = [{"fullyQualifiedName": label_path(d.labels)}]
    result: dict[str, Any] = {
        "ruleId": d.code,
        "level": "error" if d.severity == "error" else "warning",
        "message": {"text": _message(d)},
        "locations": [location],
        "partialFingerprints": {"nianbaoFinding/v1": fingerprint(d)},
    }
    reason = _accepted(d)
    if reason is not None:  # acknowledged in the report: code scanning shows it as suppressed
        result["suppressions"] = [{"kind": "inSource", "justification": reason}]
    return result


def sarif_document(results: Sequence[FileResult]) -> dict[str, Any]:
    """SARIF 2.1.0, as GitHub code scanning uploads it: one run, one rule per code."""
    diags = [d for r in results for d in r.diagnostics]
    codes = sorted({d.code for d in diags})
    return {
        "$schema": _SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "nianbao",
                        "version": __version__,
                        "rules": [
                            {"id": code, "shortDescription": {"text": code}} for code in codes
                        ],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": [_sarif_result(d) for d in diags],
            }
        ],
    }
