"""The 勾稽关系: computed totals, checked totals, equations and cross-year rules."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from generator.validate import Outcome, check_file

from .conftest import MINIMAL, SEED

Write = Callable[..., Path]


def check(write_report: Write, extra: str, name: str = "2022.yaml") -> Outcome:
    return check_file(write_report(MINIMAL.replace("2022", name[:4]) + extra, name))


def codes(outcome: Outcome) -> list[str]:
    return [d.code for d in outcome.diagnostics]


def test_the_seed_example_is_valid() -> None:
    """商丘市工业和信息化局 2021 passes with no error."""
    outcome = check_file(SEED)
    assert outcome.errors == []
    assert outcome.report is not None


def test_omitted_cells_are_zero_and_totals_are_computed(write_report: Write) -> None:
    """Only leaves are written; row totals, （七）总计 and 表四 totals follow."""
    outcome = check(
        write_report,
        "applications:\n  received: {natural_person: 2, business: 1}\n"
        "  granted: {natural_person: 2}\n  withheld:\n    third_party: {business: 1}\n"
        "review_litigation:\n  review: {upheld: 1, pending: 2}\n",
    )
    assert outcome.errors == []
    values = outcome.report.values  # type: ignore[union-attr]
    assert values[("applications", "received", "total")] == 3
    assert values[("applications", "total", "natural_person")] == 2
    assert values[("applications", "total", "total")] == 3
    assert values[("applications", "carried_forward", "total")] == 0
    assert values[("review_litigation", "review", "total")] == 3


def test_a_wrong_row_total_is_an_error_listing_its_parts(write_report: Write) -> None:
    """总计 written as 4 where the applicant columns add up to 3."""
    outcome = check(
        write_report,
        "applications:\n  received: {natural_person: 2, business: 1, total: 4}\n"
        "  granted: {natural_person: 2, business: 1}\n",
    )
    (diag,) = [d for d in outcome.errors if d.code == "T3-ROW-TOTAL"]
    assert diag.format().splitlines()[:3] == [
        f"{diag.location}: 错误[T3-ROW-TOTAL] 表三 › 一、本年新收政府信息公开申请数量 › 总计："
        "合计数与各项之和不符（自然人、商业企业、科研机构等共 6 项之和）",
        "    应为：3",
        "    实为：4",
    ]
    assert diag.location.line == 10
    assert [loc.line for loc, _ in diag.related] == [10, 10]


def test_a_wrong_outcome_total_is_an_error(write_report: Write) -> None:
    """（七）总计 must be the sum of the 21 outcome rows."""
    outcome = check(
        write_report,
        "applications:\n  received: {natural_person: 2}\n"
        "  granted: {natural_person: 1}\n  total: {natural_person: 2}\n"
        "  carried_forward: {natural_person: 0}\n",
    )
    assert "T3-COLUMN-TOTAL" in codes(outcome)


def test_received_plus_carried_over_must_equal_handled_plus_carried_forward(
    write_report: Write,
) -> None:
    """一 + 二 = 三 + 四, per column, with every cell involved listed."""
    outcome = check(
        write_report,
        "applications:\n  received: {natural_person: 5}\n  carried_over: {natural_person: 1}\n"
        "  granted: {natural_person: 3}\n  carried_forward: {natural_person: 1}\n",
    )
    balance = [d for d in outcome.errors if d.code == "T3-BALANCE"]
    assert {d.labels[-1] for d in balance} == {"自然人", "总计"}
    diag = next(d for d in balance if d.labels[-1] == "自然人")
    assert (
        "一、本年新收政府信息公开申请数量（5） + 二、上年结转政府信息公开申请数量（1） = 6"
        in diag.message
    )
    assert diag.found == "相差 2"
    assert len(diag.related) == 3


def test_table4_group_totals_are_checked(write_report: Write) -> None:
    """Each 表四 group's 总计 equals its four results."""
    outcome = check(write_report, "review_litigation:\n  direct_suit: {upheld: 1, total: 2}\n")
    (diag,) = outcome.errors
    assert diag.code == "T4-GROUP-TOTAL"
    assert diag.labels == ("表四", "未经复议直接起诉", "总计")


def test_negative_counts_are_errors(write_report: Write) -> None:
    """Counts are non-negative integers."""
    outcome = check(write_report, "proactive_disclosure:\n  licensing: -3\n")
    assert codes(outcome) == ["SCHEMA-RANGE"]


def test_an_empty_problems_section_is_a_warning(write_report: Write) -> None:
    """Section 五 that says only 无 is flagged."""
    text = MINIMAL.replace("信息发布还不够及时，下一步将加强培训。", "无")
    outcome = check_file(write_report(text))
    assert codes(outcome) == ["W-SECTION-EMPTY"]
    assert outcome.ok


def test_a_fee_never_mentioned_is_a_warning(write_report: Write) -> None:
    """信息处理费 above zero with section 六 saying nothing about it."""
    text = MINIMAL.replace("other_matters:\n  text: 无", "other_matters:\n  fee: 300\n  text: 无")
    outcome = check_file(write_report(text))
    assert codes(outcome) == ["W-FEE-UNREPORTED"]


def test_a_mentioned_fee_is_fine(write_report: Write) -> None:
    """Saying how much 信息处理费 was collected clears the warning."""
    text = MINIMAL.replace(
        "other_matters:\n  text: 无",
        "other_matters:\n  fee: 300\n  text: 全年收取信息处理费300元。",
    )
    assert check_file(write_report(text)).diagnostics == []


def test_carried_over_must_match_last_years_carried_forward(write_report: Write) -> None:
    """二、上年结转 this year = 四、结转下年度继续办理 last year, per column."""
    check(
        write_report,
        "applications:\n  received: {business: 2}\n  granted: {business: 1}\n"
        "  carried_forward: {business: 1}\n",
        name="2021.yaml",
    )
    good = check(
        write_report,
        "applications:\n  carried_over: {business: 1}\n  granted: {business: 1}\n",
    )
    assert good.diagnostics == []
    bad = check(
        write_report,
        "applications:\n  received: {business: 1}\n  granted: {business: 1}\n",
    )
    carry = [d for d in bad.errors if d.code == "X-CARRY"]
    assert {d.labels[-1] for d in carry} == {"商业企业", "总计"}
    assert carry[0].expected is not None and "2021.yaml" in carry[0].expected


def test_in_force_documents_should_roll_forward(write_report: Write) -> None:
    """现行有效件数 = last year's + 本年制发 − 本年废止 (a warning, not an error)."""
    check(
        write_report,
        "proactive_disclosure:\n  normative_documents: {issued: 2, in_force: 10}\n",
        name="2021.yaml",
    )
    ok = check(
        write_report,
        "proactive_disclosure:\n  normative_documents: {issued: 3, repealed: 1, in_force: 12}\n",
    )
    assert ok.diagnostics == []
    off = check(
        write_report,
        "proactive_disclosure:\n  normative_documents: {issued: 3, repealed: 1, in_force: 13}\n",
    )
    (diag,) = off.diagnostics
    assert (diag.code, diag.severity) == ("X-IN-FORCE", "warning")
    assert diag.expected == "12（上年 10 + 3 − 1）"


def test_a_broken_previous_year_skips_cross_year_rules_with_a_warning(write_report: Write) -> None:
    """Last year's file with errors is not compared, and the author is told."""
    write_report("agency: 某局\nyear: 2021\napplications: {received: {business: x}}\n", "2021.yaml")
    outcome = check(write_report, "")
    assert codes(outcome) == ["X-PREVIOUS-INVALID"]


def test_years_before_any_format_are_errors(write_report: Write) -> None:
    """A 2015 report predates every format nianbao knows."""
    outcome = check_file(write_report(MINIMAL.replace("2022", "2015"), "2015.yaml"))
    assert codes(outcome) == ["FORMAT-NONE"]


def test_every_example_is_valid_without_a_single_warning() -> None:
    """The shipped examples are models: no error, no warning (no false positives either)."""
    from .conftest import example_reports

    for path in example_reports():
        assert check_file(path).diagnostics == [], path


def test_a_file_named_for_another_year_is_an_error(write_report: Write) -> None:
    """reports/x/2023.yaml saying year: 2022 would break the cross-year lookup."""
    outcome = check_file(write_report(MINIMAL, "2023.yaml"))
    assert [d.code for d in outcome.diagnostics] == ["YEAR-FILE"]


def test_a_wrong_written_total_is_reported_once(write_report: Write) -> None:
    """A wrong row total is one error, not also a broken balance in the 总计 column."""
    outcome = check(
        write_report,
        "applications:\n  received: {natural_person: 1, business: 1}\n"
        "  other_handling:\n    other: {natural_person: 1, business: 1, total: 3}\n",
    )
    assert [d.code for d in outcome.errors] == ["T3-ROW-TOTAL"]
