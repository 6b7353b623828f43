"""Acknowledged findings: a warning accepted, with a reason, in the report itself.

A reviewer who has checked a warning (a blank cell the published table really has, a
sentence that reads like a contradiction but is not) writes it into the report's
``acknowledged:`` list, so ``--strict`` passes and the acceptance is reviewed in git
like every other change.  An entry names a finding by its fingerprint (``fp`` shown
after every warning) or by its code and subject (``R-BLANK applications.received.business``);
both stay the same when unrelated text moves.  Errors cannot be accepted: an entry
naming one is itself an error, and an entry that matches nothing is a warning, so a
stale acceptance does not outlive the finding it was written for.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from .errors import Diagnostic
from .source import Source

__all__ = ["SCHEMA", "apply"]

SCHEMA: dict[str, Any] = {
    "title": "已确认的警告",
    "description": "逐条写明接受的警告及理由；错误不能接受",
    "type": "array",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["finding", "reason"],
        "properties": {
            "finding": {
                "title": "警告的指纹（fp:后的 8 位）或“代码 对象”",
                "type": "string",
                "minLength": 1,
            },
            "reason": {"title": "接受的理由", "type": "string", "minLength": 1},
        },
    },
    "x-kind": "object",
}

_FINGERPRINT = re.compile(r"(?:fp:)?([0-9a-f]{8})")


def _names(entry: str, diag: Diagnostic) -> bool:
    text = entry.strip()
    m = _FINGERPRINT.fullmatch(text)
    if m:
        return m[1] == diag.fingerprint
    code, _, subject = text.partition(" ")
    return code == diag.code and diag.subject is not None and subject.strip() == diag.subject


def apply(source: Source, diagnostics: Sequence[Diagnostic]) -> list[Diagnostic]:
    """The diagnostics with accepted warnings marked, plus the findings about the entries."""
    entries = source.data.get("acknowledged") or []
    out = list(diagnostics)
    extra: list[Diagnostic] = []
    for i, entry in enumerate(entries):
        finding, reason = str(entry["finding"]), str(entry["reason"]).strip()
        where = source.locate(("acknowledged", i, "finding"))
        matched = [n for n, d in enumerate(out) if _names(finding, d)]
        errors = [out[n] for n in matched if out[n].severity == "error"]
        if errors:
            extra.append(
                Diagnostic(
                    "error",
                    "ACK-ERROR",
                    where,
                    f"错误不能确认接受：{errors[0].code} {errors[0].message}",
                    expected="只接受警告；错误必须改正",
                    found=finding,
                    related=tuple((e.location, e.code) for e in errors[:5]),
                    subject=f"acknowledged.{finding}",
                )
            )
        elif not matched:
            extra.append(
                Diagnostic(
                    "warning",
                    "W-ACK-UNUSED",
                    where,
                    f"已确认的 “{finding}” 不再对应任何警告",
                    hint="警告已不存在（已改正或内容变了）：请删除这一条，或按新的警告重写",
                    subject=f"acknowledged.{finding}",
                )
            )
        else:
            for n in matched:
                out[n] = replace(out[n], acknowledged=reason)
    return out + extra
