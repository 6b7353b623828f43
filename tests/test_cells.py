"""Cells as published: blank, dash and unreadable cells, and the forms real tables use."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.build import Target, render_target
from generator.config import Config
from generator.render import RenderOptions
from generator.scaffold import new_report
from generator.validate import Outcome, check_file, unpublishable
from generator.values import Blank, Dash, Unreadable, format_value, read_cell, suggest_number

from .conftest import MINIMAL
from .support import (
    docx_figures,
    html_figures,
    markdown_cells,
    markdown_expected,
    printed_figures,
)

Write = Callable[..., Path]


def check(write_report: Write, extra: str, name: str = "2022.yaml") -> Outcome:
    return check_file(write_report(MINIMAL.replace("2022", name[:4]) + extra, name))


def found(outcome: Outcome, code: str) -> list[str]:
    """The subjects (cell paths) of the diagnostics of ``code``."""
    return [str(d.subject) for d in outcome.diagnostics if d.code == code]


# ------------------------------------------------------------------------- the YAML spelling


@pytest.mark.parametrize("text", ["~", "null", ""])
def test_null_tilde_and_nothing_are_a_blank_cell(write_report: Write, text: str) -> None:
    """`business: ~`, `business: null` and `business:` all mean a cell printed blank."""
    outcome = check(write_report, f"applications:\n  received:\n    business: {text}\n")
    assert outcome.report is not None
    assert outcome.report.marks[("applications", "received", "business")] == Blank()


@pytest.mark.parametrize("dash", ["-", "/", "—", "－"])
def test_every_dash_is_kept_as_written(write_report: Write, dash: str) -> None:
    outcome = check(write_report, f'applications:\n  received: {{business: "{dash}"}}\n')
    assert outcome.report is not None
    assert outcome.report.marks[("applications", "received", "business")] == Dash(dash)


def test_a_question_mark_is_an_unreadable_cell(write_report: Write) -> None:
    outcome = check(write_report, 'applications:\n  received: {business: "?"}\n')
    assert outcome.report is not None
    assert outcome.report.marks[("applications", "received", "business")] == Unreadable()


def test_a_key_left_out_is_still_zero_and_totals_still_computed(write_report: Write) -> None:
    """The author's convenience stays: only written nulls are blanks."""
    extra = "applications:\n  received: {business: 2}\n  granted: {business: 2}\n"
    outcome = check(write_report, extra)
    assert outcome.report is not None and outcome.diagnostics == []
    assert outcome.report.values[("applications", "received", "total")] == 2
    assert outcome.report.marks == {}


def test_marks_print_as_written_and_count_zero_in_arithmetic() -> None:
    assert (format_value(Blank()), format_value(Dash("—")), format_value(Unreadable())) == (
        "",
        "—",
        "?",
    )
    assert read_cell(None) == Blank() and read_cell("/") == Dash("/")
    assert read_cell("12.50", "amount") == Decimal("12.50")


@pytest.mark.parametrize(
    ("extra", "path"),
    [
        ('proactive_disclosure:\n  fees: "-"\n', ("proactive_disclosure", "fees")),
        ("proactive_disclosure:\n  licensing: ~\n", ("proactive_disclosure", "licensing")),
        (
            'review_litigation:\n  review: {upheld: "/"}\n',
            ("review_litigation", "review", "upheld"),
        ),
    ],
)
def test_amounts_and_every_table_accept_the_marks(
    write_report: Write, extra: str, path: tuple[str, ...]
) -> None:
    outcome = check(write_report, extra)
    assert outcome.errors == []
    assert outcome.report is not None and path in outcome.report.marks


# ------------------------------------------------------------------------------ the rules


def test_a_blank_total_is_an_error_that_names_the_sum(write_report: Write) -> None:
    """禁止猜测性补零: a blank total whose parts sum to 272 is "blank, expected 272"."""
    outcome = check(
        write_report,
        "applications:\n  received: {natural_person: 270, business: 2, total: ~}\n"
        "  granted: {natural_person: 270, business: 2}\n",
    )
    (diag,) = [d for d in outcome.errors if d.code == "T3-ROW-TOTAL"]
    assert diag.subject == "applications.received.total"
    assert (diag.found, diag.expected) == ("空白", "272")
    assert "空白" in diag.message and "272" in diag.message
    assert outcome.report is None


def test_a_blank_a_rule_needs_is_a_warning_and_counts_zero(write_report: Write) -> None:
    outcome = check(write_report, "applications:\n  received: {business: ~}\n")
    assert outcome.errors == []
    assert found(outcome, "R-BLANK") == ["applications.received.business"]
    (diag,) = outcome.warnings
    assert "按 0 计算" in diag.message and diag.found == "空白"


def test_a_dash_is_treated_like_a_blank_and_the_message_says_so(write_report: Write) -> None:
    outcome = check(write_report, 'applications:\n  received: {business: "—"}\n')
    (diag,) = outcome.warnings
    assert diag.code == "R-DASH" and "“—”（不适用）" in diag.message and "按 0" in diag.message


def test_a_blank_is_reported_once_however_many_rules_read_it(write_report: Write) -> None:
    """received.business is read by its row total, its column's balance: one warning."""
    outcome = check(write_report, "applications:\n  received: {business: ~, natural_person: 1}\n")
    assert [d.code for d in outcome.diagnostics if d.code.startswith("R-")] == ["R-BLANK"]


def test_a_blank_read_through_a_computed_total_is_needed_too(write_report: Write) -> None:
    """（七）总计 is computed from the outcome rows; the balance reads the blank through it."""
    outcome = check(write_report, "applications:\n  withheld:\n    state_secret: {business: ~}\n")
    assert found(outcome, "R-BLANK") == ["applications.withheld.state_secret.business"]


def test_arithmetic_still_runs_over_blanks(write_report: Write) -> None:
    """A blank counts 0, so a balance that fails with 0 is still an error."""
    outcome = check(
        write_report, "applications:\n  received: {business: ~}\n  granted: {business: 3}\n"
    )
    assert {d.code for d in outcome.errors} == {"T3-BALANCE"}
    assert "R-BLANK" in [d.code for d in outcome.warnings]


def test_an_unreadable_cell_skips_only_the_checks_that_need_it(write_report: Write) -> None:
    """One R-UNASSESSABLE per skipped check; the other checks still find their errors."""
    outcome = check(
        write_report,
        'applications:\n  received: {business: "?", natural_person: 1, total: 1}\n'
        "  granted: {natural_person: 1}\n"
        "review_litigation:\n  review: {upheld: 1, total: 3}\n",
    )
    skipped = found(outcome, "R-UNASSESSABLE")
    assert "T3-ROW-TOTAL:applications.received.total" in skipped
    assert all(d.severity == "warning" for d in outcome.diagnostics if d.code == "R-UNASSESSABLE")
    assert len(skipped) == len(set(skipped))
    assert [d.code for d in outcome.errors] == ["T4-GROUP-TOTAL"]  # the rest still ran
    assert "T3-ROW-TOTAL" not in [d.code for d in outcome.errors]


def test_an_unreadable_report_validates_with_warnings_but_does_not_build(
    write_report: Write, tmp_path: Path
) -> None:
    path = write_report(MINIMAL + 'applications:\n  received: {business: "?"}\n')
    outcome = check_file(path)
    assert outcome.ok and "W-UNREADABLE" in [d.code for d in outcome.warnings]
    target = Target(path, str(path), {"md": tmp_path / "out.md"})
    result, outputs = render_target(target, RenderOptions())
    assert outputs is None and result.failed
    (blocker,) = [d for d in result.diagnostics if d.code == "BUILD-UNREADABLE"]
    assert blocker.severity == "error" and "不能按原样发布" in blocker.message


def test_cross_year_rules_skip_an_unreadable_previous_cell(write_report: Write) -> None:
    write_report(
        MINIMAL.replace("2022", "2021") + 'applications:\n  carried_forward: {business: "?"}\n',
        "2021.yaml",
    )
    outcome = check(
        write_report, "applications:\n  carried_over: {business: 1}\n  granted: {business: 1}\n"
    )
    skipped = [d for d in outcome.diagnostics if d.code == "R-UNASSESSABLE"]
    assert {d.subject for d in skipped} == {
        "X-CARRY:applications.carried_over.business",
        "X-CARRY:applications.carried_over.total",  # computed from the unreadable cell
    }
    assert "上年报告" in skipped[0].message
    assert "X-CARRY" not in [d.code for d in outcome.diagnostics]


def test_cross_year_rules_report_a_blank_they_need(write_report: Write) -> None:
    write_report(
        MINIMAL.replace("2022", "2021")
        + "proactive_disclosure:\n  regulations: {issued: 1, in_force: 4}\n",
        "2021.yaml",
    )
    outcome = check(
        write_report, "proactive_disclosure:\n  regulations: {issued: ~, in_force: 4}\n"
    )
    assert found(outcome, "R-BLANK") == ["proactive_disclosure.regulations.issued"]
    assert outcome.errors == []


# ------------------------------------------------------------------------ the narrative


@pytest.mark.parametrize("cell", ["~", '"-"', '"?"'])
def test_a_reference_to_a_marked_cell_is_a_clear_narrative_error(
    write_report: Write, cell: str
) -> None:
    outcome = check_file(
        write_report(
            MINIMAL.replace(
                "本年度工作情况如下。", "收到申请{{ applications.received.business }}件。"
            )
            + f"applications:\n  received: {{business: {cell}}}\n"
        )
    )
    (diag,) = [d for d in outcome.errors if d.code == "NARRATIVE-TEMPLATE"]
    assert "applications.received.business" in diag.message and "没有数字" in diag.message


def test_arithmetic_on_a_blank_in_the_narrative_is_refused(write_report: Write) -> None:
    text = (
        "共{{ applications.received.business + 1 }}件，"
        "占{{ applications.received.business | pct(applications.total.total) }}。"
    )
    outcome = check_file(
        write_report(
            MINIMAL.replace("本年度工作情况如下。", text)
            + "applications:\n  received: {business: ~}\n"
        )
    )
    (diag,) = [d for d in outcome.errors if d.code == "NARRATIVE-TEMPLATE"]
    assert "空白" in diag.message


# ---------------------------------------------------------------- messages for real forms


@pytest.mark.parametrize(
    ("written", "hint"),
    [
        ('"+1"', "写成 1（不加引号和加号）"),
        ('"＋1"', "写成 1（不加引号和加号，用半角数字和符号）"),
        ('"447,228"', "写成 447228（不加引号和千位分隔符）"),
        ('"１２"', "写成 12（不加引号，用半角数字和符号）"),
        ('"？"', '写成 "?"（用半角符号）'),
        ('"−2"', "件数不能为负数"),
    ],
)
def test_forms_real_tables_use_get_a_hint_saying_what_to_write(
    write_report: Write, written: str, hint: str
) -> None:
    outcome = check(write_report, f"applications:\n  received: {{business: {written}}}\n")
    (diag,) = outcome.errors
    assert diag.hint is not None and diag.hint.startswith(hint), diag.hint


def test_yuan_in_a_wan_yuan_cell_names_the_unit_and_the_converted_figure(
    write_report: Write,
) -> None:
    outcome = check(write_report, 'proactive_disclosure:\n  fees: "251000元"\n')
    (diag,) = outcome.errors
    assert diag.hint == "这一格的单位是万元，251000元 即 25.1万元：写成 25.1（不加引号和单位）"


def test_a_signed_change_with_a_unicode_minus_is_told_to_use_the_ascii_one() -> None:
    assert suggest_number("−2", "signed") == "写成 -2（不加引号，减号用半角 -）"


def test_words_that_are_no_number_get_no_made_up_suggestion() -> None:
    assert suggest_number("二", "count") is None and suggest_number("1.5", "count") is None


# ------------------------------------------------------------------------------ renderers


def test_renderers_print_blanks_blank_and_dashes_as_written(
    write_report: Write, tmp_path: Path
) -> None:
    path = write_report(
        MINIMAL
        + 'applications:\n  received: {natural_person: 3, business: ~, research: "—"}\n'
        + '  granted: {natural_person: 3, business: "/", research: ~}\n'
        + 'proactive_disclosure:\n  fees: "-"\n  regulations: {issued: ~, repealed: "－"}\n'
    )
    outcome = check_file(path)
    assert outcome.report is not None
    expected = printed_figures(outcome.report)
    assert expected[("applications", "received", "business")] == ""
    assert expected[("applications", "granted", "business")] == "/"
    assert expected[("proactive_disclosure", "fees")] == "-"
    assert docx_figures(outcome.report) == expected
    assert html_figures(outcome.report) == expected
    assert markdown_cells(outcome.report) == markdown_expected(outcome.report)


# ------------------------------------------------------------------------------ nianbao new


def test_new_carries_last_years_blank_and_dash_as_printed(tmp_path: Path) -> None:
    """二、上年结转 is last year's 四 as printed: a blank stays blank, never 0."""
    reports = tmp_path / "reports" / "a"
    reports.mkdir(parents=True)
    (reports / "2021.yaml").write_text(
        MINIMAL.replace("2022", "2021")
        + 'applications:\n  carried_forward: {natural_person: ~, business: "-", research: 2}\n'
        + "  received: {research: 2}\n",
        encoding="utf-8",
    )
    config = Config(root=tmp_path, source=tmp_path / "reports", output=tmp_path / "build")
    new_report(reports / "2022.yaml", config)
    text = (reports / "2022.yaml").read_text(encoding="utf-8")
    line = next(ln for ln in text.splitlines() if ln.strip().startswith("carried_over:"))
    assert 'natural_person: null, business: "-", research: 2' in line
    outcome = check_file(reports / "2022.yaml")  # the 2 carried still wait for their outcome
    assert {d.code for d in outcome.errors} == {"T3-BALANCE"}
    assert "R-BLANK" in [d.code for d in outcome.warnings]


def test_a_cross_year_mismatch_says_last_years_cell_was_blank(write_report: Write) -> None:
    write_report(
        MINIMAL.replace("2022", "2021") + "applications:\n  carried_forward: {business: ~}\n",
        "2021.yaml",
    )
    outcome = check(
        write_report, "applications:\n  carried_over: {business: 2}\n  granted: {business: 2}\n"
    )
    (diag,) = [d for d in outcome.errors if d.code == "X-CARRY" and d.subject.endswith("business")]
    assert "上年此格是空白，按 0 计算" in str(diag.expected)


# ------------------------------------------------------------------------ a property


_CELL = st.one_of(
    st.integers(0, 30).map(str),
    st.sampled_from(["~", '"-"', '"/"', '"—"', '"－"', '"?"', "null", ""]),
)
_PLACES = [
    ("received", "natural_person"),
    ("received", "business"),
    ("received", "total"),
    ("granted", "natural_person"),
    ("granted", "business"),
    ("total", "natural_person"),
    ("carried_forward", "business"),
]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cells=st.lists(_CELL, min_size=len(_PLACES), max_size=len(_PLACES)))
def test_any_mix_of_marks_is_checked_and_printed_as_written(
    write_report: Write, cells: list[str]
) -> None:
    """Whatever mix of figures, blanks, dashes and "?": no crash, every mark printed as written,
    an unreadable report never built, and each blank or dash reported at most once."""
    rows: dict[str, list[str]] = {}
    for (row, col), text in zip(_PLACES, cells, strict=True):
        rows.setdefault(row, []).append(f"{col}: {text}")
    extra = "applications:\n" + "".join(f"  {r}: {{{', '.join(c)}}}\n" for r, c in rows.items())
    outcome = check(write_report, extra)
    subjects = [(d.code, d.subject) for d in outcome.diagnostics]
    assert len(subjects) == len(set(subjects))
    if outcome.report is None:
        return
    printed = printed_figures(outcome.report)
    for (row, col), text in zip(_PLACES, cells, strict=True):
        shown = printed[("applications", row, col)]
        expected = "" if text in ("~", "null", "") else text.strip('"')
        assert shown == expected
    assert (unpublishable(outcome) is None) == ('"?"' not in cells)
