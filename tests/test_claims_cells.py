"""Narrative claims in validated reports: where they point, and cells that cannot be read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from generator.errors import Location
from generator.validate import Outcome, check_file

from .conftest import MINIMAL

Write = Callable[..., Path]

ON_REQUEST = """\
overview:
  summary: 本年度工作情况如下。
  on_request: |
    第一段没有数字。

    本年新收政府信息公开申请十七件，其中自然人五件。
"""


def outcome(write_report: Write, cells: str, text: str = ON_REQUEST) -> Outcome:
    body = MINIMAL.replace("overview:\n  summary: 本年度工作情况如下。\n", text)
    return check_file(write_report(body + cells))


def claims(result: Outcome) -> list[tuple[str, str, Location]]:
    return [(d.severity, d.code, d.location) for d in result.diagnostics if d.code[:2] == "N-"]


def test_a_contradicted_claim_is_an_error_at_its_sentence(write_report: Write) -> None:
    """The finding points at line and column of the sentence inside the | block."""
    result = outcome(write_report, "applications:\n  received: {natural_person: 5, business: 3}\n")
    [(severity, code, where)] = claims(result)
    assert (severity, code) == ("error", "N-COUNT")
    assert (where.line, where.column) == (8, 5)  # line 8 of the file, after 4 spaces
    assert not result.ok


def test_a_claim_that_agrees_passes(write_report: Write) -> None:
    result = outcome(write_report, "applications:\n  received: {natural_person: 5, business: 12}\n")
    assert claims(result) == []


@pytest.mark.parametrize("mark", ['"?"', "null", '"-"'])
def test_a_claim_on_a_total_computed_from_an_unreadable_cell_is_not_assessed(
    write_report: Write, mark: str
) -> None:
    """总计 computed from a blank, dash or unreadable cell cannot confirm or refute 十七件."""
    result = outcome(
        write_report, f"applications:\n  received: {{natural_person: 5, business: {mark}}}\n"
    )
    assert claims(result) == []


def test_the_readable_cells_of_the_same_sentence_are_still_checked(write_report: Write) -> None:
    """自然人五件 is checked although 总计 cannot be read."""
    result = outcome(
        write_report, 'applications:\n  received: {natural_person: 4, business: "?"}\n'
    )
    assert [(s, c) for s, c, _ in claims(result)] == [("error", "N-COUNT")]


def test_an_acknowledged_claim_warning_stays_acknowledged_when_text_moves(
    write_report: Write,
) -> None:
    """受理 = 一 + 二 is a warning; accepted by fingerprint, it stays accepted below new text."""
    cells = "applications:\n  received: {natural_person: 95}\n  carried_over: {natural_person: 3}\n"
    text = ON_REQUEST.replace(ON_REQUEST[ON_REQUEST.index("    第一段") :], "    受理申请98件。\n")
    [warning] = [d for d in outcome(write_report, cells, text).diagnostics if d.code[:2] == "N-"]
    assert warning.code == "N-AMBIGUOUS"
    accepted = f"acknowledged:\n  - {{finding: {warning.fingerprint}, reason: 含上年结转}}\n"
    moved = text.replace("    受理", "    新增一段。\n\n    受理")
    result = outcome(write_report, cells + accepted, moved)
    [again] = [d for d in result.diagnostics if d.code == "N-AMBIGUOUS"]
    assert again.acknowledged == "含上年结转" and again.location.line == warning.location.line + 2
