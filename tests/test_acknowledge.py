"""Acknowledging a finding: a warning accepted with a reason, in the report, reviewed in git."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.errors import Diagnostic, Location
from generator.validate import Outcome, check_file

from .conftest import MINIMAL, run_cli, run_cli_both

Write = Callable[..., Path]

BLANK = "applications:\n  received: {business: ~}\n"
"""A report whose one finding is the warning R-BLANK on received.business."""


def check(write_report: Write, extra: str) -> Outcome:
    return check_file(write_report(MINIMAL + extra))


def accept(finding: str, reason: str = "原表此格空白，已与原件核对") -> str:
    name = json.dumps(finding, ensure_ascii=False)
    return f"acknowledged:\n  - finding: {name}\n    reason: {reason}\n"


def blank_warning(write_report: Write) -> Diagnostic:
    (diag,) = check(write_report, BLANK).warnings
    return diag


# ----------------------------------------------------------------------------- fingerprints


def test_a_rule_finding_is_about_its_cell_path(write_report: Write) -> None:
    diag = blank_warning(write_report)
    assert diag.subject == "applications.received.business"
    assert len(diag.fingerprint) == 8 and int(diag.fingerprint, 16) >= 0


def test_the_fingerprint_does_not_change_when_unrelated_text_moves(write_report: Write) -> None:
    before = blank_warning(write_report)
    moved = "# 注释\n\n" + MINIMAL.replace("year: 2022\n", "year: 2022\nwebsite: 某局网站\n")
    extra = BLANK.replace("{", "{research: 0, ")
    (after,) = check_file(write_report(moved + "\n" + extra)).warnings
    assert after.location != before.location
    assert after.fingerprint == before.fingerprint


def test_the_fingerprint_differs_from_cell_to_cell(write_report: Write) -> None:
    outcome = check(write_report, "applications:\n  received: {business: ~, research: ~}\n")
    prints = [d.fingerprint for d in outcome.warnings]
    assert len(prints) == 2 and len(set(prints)) == 2


def test_a_finding_without_subject_is_fingerprinted_by_rule_labels_and_message() -> None:
    a = Diagnostic("warning", "N-X", Location("a.yaml", 3, 1), "“收到17件”", labels=("一",))
    b = Diagnostic("warning", "N-X", Location("a.yaml", 9, 4), "“收到17件”", labels=("一",))
    c = Diagnostic("warning", "N-X", Location("a.yaml", 3, 1), "“收到18件”", labels=("一",))
    assert a.fingerprint == b.fingerprint != c.fingerprint


def test_warnings_show_their_fingerprint_and_errors_do_not(write_report: Write) -> None:
    diag = blank_warning(write_report)
    assert diag.format().splitlines()[0].endswith(f"[fp:{diag.fingerprint}]")
    error = Diagnostic("error", "T3-BALANCE", Location("a.yaml", 1, 1), "不等")
    assert "[fp:" not in error.format()


# ---------------------------------------------------------------------------- acceptances


@pytest.mark.parametrize("how", ["fingerprint", "fp:", "code and subject"])
def test_an_acknowledged_warning_no_longer_counts(write_report: Write, how: str) -> None:
    diag = blank_warning(write_report)
    name = {
        "fingerprint": diag.fingerprint,
        "fp:": f"fp:{diag.fingerprint}",
        "code and subject": f"R-BLANK {diag.subject}",
    }[how]
    outcome = check(write_report, BLANK + accept(name))
    assert outcome.warnings == [] and outcome.ok
    (accepted,) = outcome.acknowledged
    assert accepted.acknowledged == "原表此格空白，已与原件核对"


def test_strict_passes_once_the_warning_is_acknowledged(
    write_report: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_report(MINIMAL + BLANK)
    assert run_cli(capsys, "validate", "--strict", str(path))[0] == 1
    path.write_text(
        MINIMAL + BLANK + accept("R-BLANK applications.received.business"), encoding="utf-8"
    )
    code, out, err = run_cli_both(capsys, "validate", "--strict", str(path))
    assert code == 0
    assert "警告（已确认）[R-BLANK]" in err and "已确认：原表此格空白" in err
    assert "0 个警告（另有 1 个警告已确认）" in out  # the summary is the result: stdout


def test_json_says_acknowledged_with_the_reason(
    write_report: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    from generator.cli import main

    path = write_report(MINIMAL + BLANK + accept("R-BLANK applications.received.business"))
    capsys.readouterr()
    assert main(["validate", "--json", str(path)]) == 0
    doc = json.loads(capsys.readouterr().out)
    (diag,) = doc["files"][0]["diagnostics"]
    assert diag["acknowledged"] is True and diag["reason"] == "原表此格空白，已与原件核对"
    assert diag["fingerprint"] and diag["subject"] == "applications.received.business"
    assert (doc["warnings"], doc["acknowledged"]) == (0, 1)


def test_an_acceptance_that_matches_nothing_is_a_warning(write_report: Write) -> None:
    outcome = check(write_report, accept("R-BLANK applications.received.business"))
    (diag,) = outcome.warnings
    assert diag.code == "W-ACK-UNUSED" and "applications.received.business" in diag.message
    assert diag.location.line == MINIMAL.count("\n") + 2


def test_an_error_cannot_be_acknowledged(write_report: Write) -> None:
    """Errors of arithmetic (and any error) must be corrected, never accepted."""
    extra = "applications:\n  received: {business: 1, total: 3}\n  granted: {business: 1}\n"
    outcome = check(write_report, extra + accept("T3-ROW-TOTAL applications.received.total"))
    codes = [d.code for d in outcome.errors]
    assert "T3-ROW-TOTAL" in codes and "ACK-ERROR" in codes
    assert all(d.acknowledged is None for d in outcome.diagnostics)
    assert outcome.report is None


def test_an_acceptance_needs_a_reason(write_report: Write) -> None:
    outcome = check(write_report, BLANK + "acknowledged:\n  - {finding: R-BLANK x}\n")
    assert [d.code for d in outcome.errors] == ["SCHEMA-REQUIRED"]
    outcome = check(write_report, BLANK + 'acknowledged:\n  - {finding: R-BLANK x, reason: ""}\n')
    assert outcome.errors and outcome.errors[0].code.startswith("SCHEMA")


def test_acknowledged_warnings_do_not_stop_a_strict_build(
    write_report: Write, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write_report(MINIMAL + BLANK + accept("R-BLANK applications.received.business"))
    code, err = run_cli(capsys, "build", "--strict", str(path), "-o", str(tmp_path / "out"))
    assert code == 0, err


def test_a_section_warning_is_named_by_its_section(write_report: Write) -> None:
    """W-SECTION-EMPTY is about the section: `W-SECTION-EMPTY problems` accepts it."""
    text = MINIMAL.replace("信息发布还不够及时，下一步将加强培训。", "无")
    outcome = check_file(write_report(text + accept("W-SECTION-EMPTY problems", "本年确无问题")))
    assert outcome.warnings == []
    assert [d.code for d in outcome.acknowledged] == ["W-SECTION-EMPTY"]
