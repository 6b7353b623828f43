"""The 2019 format (国办公开办函〔2019〕60号), used for the 2019 and 2020 reports.

It differs from the 2021 format in 表二 (本年新制作/新公开/对外公开总数量, 上一年项目数量 and a
signed 本年增/减, 政府集中采购) and in 表三 (（六）其他处理 is a single row, so 19 outcome rows).
The 云杉市生态环境局 examples run 2019 → 2020 → 2021, across the format change.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from generator.cli import main
from generator.layout import Grid, GridCell, table_grid
from generator.model import Report
from generator.render import RenderOptions, get_renderer
from generator.source import load
from generator.spec import get_format
from generator.validate import Outcome, check_file

from .conftest import EXAMPLES, MINIMAL, report_of
from .support import (
    CHROMIUM,
    Package,
    chromium,
    docx_table,
    expected_figures,
    figures,
    grids,
    markdown_figures,
    office_squeezed,
    office_text,
    office_tools,
    parse,
    pdf_text,
    to_pdf,
)

Write = Callable[..., Path]

YUNSHAN = EXAMPLES / "yunshan-hbj"
Y2019, Y2020, Y2021 = (YUNSHAN / f"{year}.yaml" for year in (2019, 2020, 2021))
OPTIONS = RenderOptions(timestamp=datetime(2000, 1, 1, tzinfo=UTC))
COLUMNS = ("natural_person", "business", "research", "nonprofit", "legal_service", "other_org")

# A complete, valid 2020 report that leaves every figure at 0; tests add the tables they need.
MINIMAL_2020 = MINIMAL.replace("year: 2022", "year: 2020")


def check(write_report: Write, extra: str, name: str = "2020.yaml") -> Outcome:
    """Validate the minimal report for the year in ``name`` with ``extra`` YAML appended."""
    text = MINIMAL_2020.replace("year: 2020", f"year: {Path(name).stem}")
    return check_file(write_report(text + extra, name))


def codes(outcome: Outcome) -> list[str]:
    return [d.code for d in outcome.diagnostics]


def find(grid: Grid, text: str) -> GridCell:
    (cell,) = [c for row in grid.rows for c in row if c.text == text]
    return cell


def shown_figures(report: Report, suffix: str) -> dict[tuple[str, ...], str]:
    """Every table figure as read back from the rendered file, by its YAML path."""
    data = get_renderer(suffix).render(report, OPTIONS)
    if suffix == "html":
        return dict(figures(parse(data.decode("utf-8")), report.format))
    if suffix == "md":
        return markdown_figures(data.decode("utf-8"), report.format)
    out: dict[tuple[str, ...], str] = {}
    for tbl, (_, grid) in zip(Package(data).tables(), grids(report), strict=True):
        squares, _ = docx_table(tbl)
        for cell in grid.values():
            assert cell.path is not None
            out[cell.path] = squares[(cell.row, cell.col)].text
    return out


# --------------------------------------------------------------------------- choosing the format


@pytest.mark.parametrize(
    ("year", "format_id"), [(2019, "2019"), (2020, "2019"), (2021, "2021"), (2022, "2021")]
)
def test_the_year_selects_the_format(write_report: Write, year: int, format_id: str) -> None:
    """Without ``format:``, 2019 and 2020 reports use the 2019 format, 2021 on the 2021 one."""
    outcome = check(write_report, "", name=f"{year}.yaml")
    assert outcome.report is not None
    assert outcome.report.format.id == format_id
    assert outcome.diagnostics == []


def test_the_2019_format_names_its_notice() -> None:
    """The 2019 format is the 格式（试行） of 国办公开办函〔2019〕60号, for 2019–2020."""
    fmt = get_format("2019")
    assert fmt.name == "中华人民共和国政府信息公开工作年度报告格式（试行）"
    assert fmt.notice == "国办公开办函〔2019〕60号"
    assert (fmt.first_year, fmt.last_year) == (2019, 2020)


def test_format_2019_written_out_is_used(write_report: Write) -> None:
    """``format: "2019"`` on a 2020 report selects the 2019 format without any remark."""
    outcome = check(write_report, 'format: "2019"\n')
    assert outcome.report is not None
    assert outcome.report.format.id == "2019"
    assert outcome.report.meta["format"] == "2019"
    assert outcome.diagnostics == []


def test_format_2019_on_a_2021_report_is_used_with_a_warning(write_report: Write) -> None:
    """``format: "2019"`` on a 2021 report is honoured, with W-FORMAT-YEAR naming 2021."""
    outcome = check(write_report, 'format: "2019"\n', name="2021.yaml")
    assert outcome.report is not None
    assert outcome.report.format.id == "2019"
    (warning,) = outcome.diagnostics
    assert (warning.code, warning.severity) == ("W-FORMAT-YEAR", "warning")
    assert (warning.expected, warning.found) == ("2021", "2019")


# --------------------------------------------------------------------------- the examples


@pytest.mark.parametrize("path", [Y2019, Y2020, Y2021], ids=lambda p: p.name)
def test_the_yunshan_examples_have_no_findings(path: Path) -> None:
    """Each 云杉市生态环境局 report validates with no error and no warning."""
    outcome = check_file(path)
    assert outcome.report is not None
    assert [d.format() for d in outcome.diagnostics] == []


@pytest.mark.parametrize("path", [Y2020, Y2021], ids=lambda p: p.name)
def test_later_yunshan_years_are_compared_with_the_year_before(path: Path) -> None:
    """2020 is checked against 2019 and 2021 (2021 format) against 2020 (2019 format)."""
    outcome = check_file(path)
    assert outcome.previous == path.with_name(f"{int(path.stem) - 1}.yaml")


def test_yunshan_carries_applications_across_the_format_change() -> None:
    """二、上年结转 of 2020 and 2021 equal 四、结转下年度继续办理 of the year before, per column."""
    r2019, r2020, r2021 = (report_of(p) for p in (Y2019, Y2020, Y2021))
    for before, after in ((r2019, r2020), (r2020, r2021)):
        for col in (*COLUMNS, "total"):
            carried = after.values[("applications", "carried_over", col)]
            assert carried == before.values[("applications", "carried_forward", col)]
    assert r2020.values[("applications", "carried_over", "total")] == 5
    assert r2021.values[("applications", "carried_over", "total")] == 3


def test_yunshan_item_counts_roll_forward_from_2019_to_2020() -> None:
    """2020's 上一年项目数量 is 2019's plus 2019's 本年增/减, for every row that has one."""
    r2019, r2020 = report_of(Y2019), report_of(Y2020)
    rolled = {
        row: r2019.values[("proactive_disclosure", row, "previous_items")]
        + r2019.values[("proactive_disclosure", row, "change")]
        for row in ("licensing", "other_services", "penalties", "coercion", "fees")
    }
    assert rolled == {
        row: r2020.values[("proactive_disclosure", row, "previous_items")] for row in rolled
    }
    assert rolled == {
        "licensing": 10,
        "other_services": 9,
        "penalties": 192,
        "coercion": 4,
        "fees": 2,
    }


def test_yunshan_uses_every_2019_block_with_both_signs() -> None:
    """Across 2019–2020 every 表二 block has a figure, and 本年增/减 is both + and −."""
    reports = [report_of(Y2019), report_of(Y2020)]
    table = get_format("2019").tables["proactive_disclosure"]
    for block in table.blocks:
        rows = {row.key for row in block.rows}
        assert any(v for r in reports for p, v in r.values.items() if p[1] in rows), block.title
    changes = {v for r in reports for p, v in r.values.items() if p[-1] == "change"}
    assert min(changes) < 0 < max(changes)
    amounts = [r.values[("proactive_disclosure", "procurement", "amount")] for r in reports]
    assert [str(a) for a in amounts] == ["3865420.50", "2790316.8"]


# --------------------------------------------------------------------------- geometry


def test_table_three_has_26_rows_with_results_spanning_20() -> None:
    """2019 表三: 26 rows; 三、本年度办理结果 spans rows 6–25; （六）其他处理 spans 2 columns."""
    report = report_of(Y2019)
    grid = table_grid(report.format.tables["applications"], report.values)
    assert (len(grid.rows), grid.ncols, grid.head) == (26, 10, 3)
    results = find(grid, "三、本年度办理结果")
    assert (results.row, results.col, results.rowspan, results.colspan) == (5, 0, 20, 1)
    other = find(grid, "（六）其他处理")
    assert (other.row, other.col, other.rowspan, other.colspan) == (23, 1, 1, 2)
    figures_23 = [c.text for c in grid.rows[23] if c.kind == "value"]
    assert figures_23 == ["2", "1", "0", "0", "0", "0", "3"]
    total = find(grid, "（七）总计")
    assert (total.row, total.col, total.colspan) == (24, 1, 2)
    forward = find(grid, "四、结转下年度继续办理")
    assert (forward.row, forward.col, forward.colspan) == (25, 0, 3)


def test_table_three_of_2021_keeps_28_rows() -> None:
    """For contrast, the 2021 表三 has 28 rows and 三、本年度办理结果 spans 22."""
    report = report_of(Y2021)
    grid = table_grid(report.format.tables["applications"], report.values)
    assert len(grid.rows) == 28
    assert find(grid, "三、本年度办理结果").rowspan == 22
    assert find(grid, "（六）其他处理").rowspan == 3


def test_table_two_has_the_five_2019_blocks() -> None:
    """2019 表二: five 第二十条 blocks with their own column headers and rows."""
    report = report_of(Y2019)
    grid = table_grid(report.format.tables["proactive_disclosure"], report.values)
    assert grid.ncols == 4
    lines = [[c.text for c in row] for row in grid.rows]
    assert lines == [
        ["第二十条第（一）项"],
        ["信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量"],
        ["规章", "0", "0", "0"],
        ["规范性文件", "2", "2", "9"],
        ["第二十条第（五）项"],
        ["信息内容", "上一年项目数量", "本年增/减", "处理决定数量"],
        ["行政许可", "12", "-2", "286"],
        ["其他对外管理服务事项", "6", "+3", "41"],
        ["第二十条第（六）项"],
        ["信息内容", "上一年项目数量", "本年增/减", "处理决定数量"],
        ["行政处罚", "180", "+12", "63"],
        ["行政强制", "4", "0", "7"],
        ["第二十条第（八）项"],
        ["信息内容", "上一年项目数量", "本年增/减"],
        ["行政事业性收费", "3", "-1"],
        ["第二十条第（九）项"],
        ["信息内容", "采购项目数量", "采购总金额（单位：元）"],
        ["政府集中采购", "14", "3865420.50"],
    ]


@pytest.mark.parametrize(
    ("title", "headers", "row"),
    [
        ("第二十条第（八）项", ("上一年项目数量", "本年增/减"), "行政事业性收费"),
        ("第二十条第（九）项", ("采购项目数量", "采购总金额（单位：元）"), "政府集中采购"),
    ],
)
def test_two_column_blocks_let_the_last_column_span_two(
    title: str, headers: tuple[str, str], row: str
) -> None:
    """In （八） and （九） the second value column, header and figure, spans grid columns 3–4."""
    report = report_of(Y2019)
    grid = table_grid(report.format.tables["proactive_disclosure"], report.values)
    start = find(grid, title).row
    head, values = grid.rows[start + 1], grid.rows[start + 2]
    assert [(c.text, c.col, c.colspan) for c in head] == [
        ("信息内容", 0, 1),
        (headers[0], 1, 1),
        (headers[1], 2, 2),
    ]
    assert values[0].text == row
    assert [(c.col, c.colspan) for c in values[1:]] == [(1, 1), (2, 2)]
    assert find(grid, title).colspan == 4


def test_docx_draws_the_2019_table_three_merges() -> None:
    """In the DOCX, 三、本年度办理结果 merges 20 rows and （六）其他处理 two columns."""
    report = report_of(Y2020)
    package = Package(get_renderer("docx").render(report, OPTIONS))
    tables = dict(zip([k for k, _ in grids(report)], package.tables(), strict=True))
    squares, _ = docx_table(tables["applications"])
    by_text = {s.text: s for s in squares.values()}
    assert (by_text["三、本年度办理结果"].rowspan, by_text["（六）其他处理"].colspan) == (20, 2)
    assert max(s.row for s in squares.values()) == 25


# --------------------------------------------------------------------------- rules


OUTCOMES_2019 = """\
applications:
  received: {natural_person: 19}
  granted: {natural_person: 1}
  partial: {natural_person: 1}
  withheld:
    state_secret: {natural_person: 1}
    prohibited_by_law: {natural_person: 1}
    three_safeties: {natural_person: 1}
    third_party: {natural_person: 1}
    internal_affairs: {natural_person: 1}
    process_info: {natural_person: 1}
    enforcement_file: {natural_person: 1}
    inquiry: {natural_person: 1}
  unavailable:
    not_held: {natural_person: 1}
    needs_creation: {natural_person: 1}
    unclear: {natural_person: 1}
  not_processed:
    petition: {natural_person: 1}
    repeated: {natural_person: 1}
    publication: {natural_person: 1}
    excessive: {natural_person: 1}
    confirmation: {natural_person: 1}
  other_handling: {natural_person: 1}
"""
"""One application in each of the 19 outcome rows of the 2019 表三."""


def test_the_outcome_total_sums_19_rows(write_report: Write) -> None:
    """（七）总计 is the sum of the 19 outcome rows, （六）其他处理 included."""
    outcome = check(write_report, OUTCOMES_2019 + "  total: {natural_person: 19, total: 19}\n")
    assert outcome.report is not None
    assert outcome.diagnostics == []
    assert outcome.report.values[("applications", "total", "total")] == 19


def test_an_outcome_total_missing_other_handling_is_an_error(write_report: Write) -> None:
    """A written （七）总计 that leaves out （六）其他处理 fails T3-COLUMN-TOTAL over 19 rows."""
    extra = OUTCOMES_2019.replace(
        "received: {natural_person: 19}", "received: {natural_person: 18}"
    )
    outcome = check(write_report, extra + "  total: {natural_person: 18, total: 18}\n")
    assert outcome.report is None
    assert codes(outcome) == ["T3-COLUMN-TOTAL", "T3-COLUMN-TOTAL"]
    by_column = {e.labels: (e.expected, e.found) for e in outcome.errors}
    assert by_column == {
        ("表三", "（七）总计", "自然人"): ("19", "18"),
        ("表三", "（七）总计", "总计"): ("19", "18"),
    }
    assert all("共 19 项之和" in e.message for e in outcome.errors)
    (error,) = [e for e in outcome.errors if e.labels[-1] == "自然人"]
    assert len(error.related) == 19
    assert error.related[-1][1] == "表三 › （六）其他处理 › 自然人 = 1"


def test_other_handling_row_total_is_checked(write_report: Write) -> None:
    """The single （六）其他处理 row: a written 总计 must equal its six columns (T3-ROW-TOTAL)."""
    extra = """\
applications:
  received: {natural_person: 1, business: 1}
  other_handling: {natural_person: 1, business: 1, total: 3}
"""
    outcome = check(write_report, extra)
    (error,) = [e for e in outcome.errors if e.code == "T3-ROW-TOTAL"]
    assert error.labels == ("表三", "（六）其他处理", "总计")
    assert (error.expected, error.found) == ("2", "3")
    assert "共 6 项之和" in error.message


def test_balance_counts_other_handling(write_report: Write) -> None:
    """一 + 二 = 三（七）总计 + 四 per column, with （六）其他处理 on the right-hand side."""
    rows = "applications:\n  received: {research: 2}\n  carried_forward: {research: 1}\n"
    fine = check(write_report, rows + "  other_handling: {research: 1}\n")
    assert fine.diagnostics == []
    broken = check(write_report, rows + "  other_handling: {research: 2}\n")
    assert sorted(set(codes(broken))) == ["T3-BALANCE"]
    assert {e.labels[-1] for e in broken.errors} == {"科研机构", "总计"}


def test_table_four_group_totals_hold_in_2019(write_report: Write) -> None:
    """表四 is unchanged: a written 总计 must equal 维持 + 纠正 + 其他 + 尚未审结."""
    outcome = check(
        write_report, "review_litigation:\n  review: {upheld: 1, pending: 1, total: 3}\n"
    )
    (error,) = outcome.errors
    assert error.code == "T4-GROUP-TOTAL"
    assert (error.expected, error.found) == ("2", "3")


def test_total_published_below_new_published_is_a_warning(write_report: Write) -> None:
    """对外公开总数量 < 本年新公开数量 gives the T2-PUBLISHED warning; the report still builds."""
    extra = """\
proactive_disclosure:
  normative_documents: {new_made: 4, new_published: 3, total_published: 2}
"""
    outcome = check(write_report, extra)
    assert outcome.report is not None
    (warning,) = outcome.diagnostics
    assert (warning.code, warning.severity) == ("T2-PUBLISHED", "warning")
    assert warning.labels == ("表二", "规范性文件", "对外公开总数量")
    assert warning.expected == "不少于 3（本年新公开数量）"
    assert warning.found == "2"


def test_total_published_equal_to_new_published_is_fine(write_report: Write) -> None:
    """对外公开总数量 = 本年新公开数量 (first year of publishing) raises nothing."""
    extra = """\
proactive_disclosure:
  regulations: {new_made: 1, new_published: 1, total_published: 1}
"""
    assert check(write_report, extra).diagnostics == []


def test_change_may_be_negative_but_item_counts_may_not(write_report: Write) -> None:
    """本年增/减 accepts −5; a negative 上一年项目数量 is a SCHEMA-RANGE error."""
    fine = check(
        write_report, "proactive_disclosure:\n  penalties: {previous_items: 9, change: -5}\n"
    )
    assert fine.diagnostics == []
    assert fine.report is not None
    assert fine.report.values[("proactive_disclosure", "penalties", "change")] == -5
    bad = check(write_report, "proactive_disclosure:\n  penalties: {previous_items: -1}\n")
    assert codes(bad) == ["SCHEMA-RANGE"]


def test_procurement_amount_keeps_its_digits(write_report: Write) -> None:
    """采购总金额 is an exact decimal in 元: 1200.50 stays 1200.50."""
    extra = "proactive_disclosure:\n  procurement: {projects: 2, amount: 1200.50}\n"
    outcome = check(write_report, extra)
    assert outcome.report is not None
    amount = outcome.report.values[("proactive_disclosure", "procurement", "amount")]
    assert (amount, str(amount)) == (Decimal("1200.50"), "1200.50")


ITEMS_2019 = "proactive_disclosure:\n  licensing: {previous_items: 12, change: -2}\n"


def test_item_counts_that_roll_forward_pass(write_report: Write) -> None:
    """上一年项目数量 = last year's 上一年项目数量 + 本年增/减 raises nothing (X-ITEMS)."""
    check(write_report, ITEMS_2019, name="2019.yaml")
    outcome = check(write_report, "proactive_disclosure:\n  licensing: {previous_items: 10}\n")
    assert outcome.previous is not None
    assert outcome.diagnostics == []


def test_item_counts_that_do_not_roll_forward_are_a_warning(write_report: Write) -> None:
    """上一年项目数量 ≠ last year's + 本年增/减 gives the X-ITEMS warning showing the sum."""
    check(write_report, ITEMS_2019, name="2019.yaml")
    outcome = check(write_report, "proactive_disclosure:\n  licensing: {previous_items: 12}\n")
    assert outcome.report is not None
    (warning,) = outcome.diagnostics
    assert (warning.code, warning.severity) == ("X-ITEMS", "warning")
    assert warning.labels == ("表二", "行政许可", "上一年项目数量")
    assert (warning.expected, warning.found) == ("10（上年 12 − 2）", "12")


CARRIED_2020 = "applications:\n  received: {business: 2}\n  carried_forward: {business: 2}\n"


def test_carry_across_the_format_change_passes(write_report: Write) -> None:
    """A 2021 report carrying over exactly what the 2020 (2019 format) report carried forward."""
    check(write_report, CARRIED_2020)
    extra = "applications:\n  carried_over: {business: 2}\n  granted: {business: 2}\n"
    outcome = check(write_report, extra, name="2021.yaml")
    assert outcome.previous is not None
    assert outcome.diagnostics == []


def test_carry_across_the_format_change_is_checked(write_report: Write) -> None:
    """2021's 二、上年结转 ≠ 2020's 四、结转下年度继续办理 is an X-CARRY error, per column."""
    check(write_report, CARRIED_2020)
    extra = "applications:\n  carried_over: {business: 1}\n  granted: {business: 1}\n"
    outcome = check(write_report, extra, name="2021.yaml")
    assert outcome.report is None
    assert sorted(set(codes(outcome))) == ["X-CARRY"]
    by_column = {e.labels[-1]: (e.expected, e.found) for e in outcome.errors}
    assert by_column.keys() == {"商业企业", "总计"}
    expected, found = by_column["商业企业"]
    assert expected.startswith("2（") and "四、结转下年度继续办理" in expected
    assert found == "1"


# --------------------------------------------------------------------------- mixing formats


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ("proactive_disclosure:\n  normative_documents: {issued: 1}\n", "issued"),
        (
            "applications:\n  other_handling:\n    no_correction: {natural_person: 1}\n",
            "no_correction",
        ),
    ],
    ids=["issued", "no_correction"],
)
def test_2021_keys_in_a_2020_report_name_the_2021_format(
    write_report: Write, extra: str, key: str
) -> None:
    """A 2021-format key in a 2020 report is SCHEMA-UNKNOWN, and the hint names the 2021 format."""
    outcome = check(write_report, extra)
    (error,) = outcome.errors
    assert error.code == "SCHEMA-UNKNOWN"
    assert error.found == f"“{key}”"
    assert error.hint is not None
    assert "是 2021 格式（国办公开办函〔2021〕30号" in error.hint
    assert "本报告使用 2019 格式" in error.hint


def test_2019_keys_in_a_2021_report_name_the_2019_format(write_report: Write) -> None:
    """政府集中采购 in a 2021 report is SCHEMA-UNKNOWN whose hint names the 2019 format."""
    outcome = check(
        write_report, "proactive_disclosure:\n  procurement: {projects: 1}\n", name="2021.yaml"
    )
    (error,) = outcome.errors
    assert (error.code, error.found) == ("SCHEMA-UNKNOWN", "“procurement”")
    assert error.hint is not None
    assert "是 2019 格式（国办公开办函〔2019〕60号，2019—2020 年使用）" in error.hint


# --------------------------------------------------------------------------- rendering


SIGNED = {
    ("proactive_disclosure", "licensing", "change"): "-2",
    ("proactive_disclosure", "other_services", "change"): "+3",
    ("proactive_disclosure", "penalties", "change"): "+12",
    ("proactive_disclosure", "coercion", "change"): "0",
    ("proactive_disclosure", "fees", "change"): "-1",
}


@pytest.mark.parametrize("suffix", ["docx", "html", "md"])
def test_signed_changes_keep_their_sign(suffix: str) -> None:
    """本年增/减 prints as +3, -2 and 0 in the DOCX, the HTML and the Markdown."""
    shown = shown_figures(report_of(Y2019), suffix)
    assert {path: shown[path] for path in SIGNED} == SIGNED


@pytest.mark.parametrize("suffix", ["docx", "html", "md"])
@pytest.mark.parametrize("path", [Y2019, Y2020], ids=lambda p: p.name)
def test_every_figure_round_trips(path: Path, suffix: str) -> None:
    """Read back from each output, every table figure equals report.values at its own labels."""
    report = report_of(path)
    shown = shown_figures(report, suffix)
    assert shown == expected_figures(report)
    assert len(shown) == len(report.values) == len(report.format.cells)


def test_round_trip_covers_the_2019_only_cells() -> None:
    """The figures read back include 政府集中采购 and 其他对外管理服务事项 as the YAML has them."""
    shown = shown_figures(report_of(Y2020), "md")
    assert shown[("proactive_disclosure", "procurement", "amount")] == "2790316.8"
    assert shown[("proactive_disclosure", "procurement", "projects")] == "11"
    assert shown[("proactive_disclosure", "other_services", "decisions")] == "57"
    assert shown[("applications", "other_handling", "total")] == "3"


# --------------------------------------------------------------------------- nianbao new


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A reports repository with copies of the 云杉市生态环境局 2019 and 2020 reports."""
    (tmp_path / ".git").mkdir()
    agency = tmp_path / "reports" / "yunshan-hbj"
    agency.mkdir(parents=True)
    for path in (Y2019, Y2020):
        shutil.copy(path, agency / path.name)
    monkeypatch.chdir(tmp_path)
    return agency


def test_new_2021_carries_over_what_2020_left_open(repo: Path) -> None:
    """``nianbao new`` for 2021 fills 二、上年结转 from 2020's 四、结转下年度继续办理."""
    assert main(["new", str(repo / "2021.yaml")]) == 0
    new = load(repo / "2021.yaml").data
    assert new["applications"]["carried_over"] == {
        "natural_person": 2,
        "business": 0,
        "research": 0,
        "nonprofit": 0,
        "legal_service": 1,
        "other_org": 0,
    }
    assert new["proactive_disclosure"]["licensing"] == 0
    assert "procurement" not in new["proactive_disclosure"]


def test_new_2020_starts_item_counts_from_2019(repo: Path) -> None:
    """``nianbao new`` for 2020 starts 上一年项目数量 at 2019's plus 本年增/减, change at 0."""
    (repo / "2020.yaml").unlink()
    assert main(["new", str(repo / "2020.yaml")]) == 0
    table = load(repo / "2020.yaml").data["proactive_disclosure"]
    assert table["licensing"] == {"previous_items": 10, "change": 0, "decisions": 0}
    assert table["other_services"] == {"previous_items": 9, "change": 0, "decisions": 0}
    assert table["fees"] == {"previous_items": 2, "change": 0}
    assert table["procurement"] == {"projects": 0, "amount": 0}


# --------------------------------------------------------------------------- real clients


LABELS_2019 = (
    "本年新制作数量",
    "对外公开总数量",
    "其他对外管理服务事项",
    "上一年项目数量",
    "本年增/减",
    "第二十条第（九）项",
    "政府集中采购",
    "采购总金额",
)


def assert_2020_tables_printed(report: Report, lines: list[str]) -> None:
    """表二's rows and 表三's （六）其他处理 each print as one line: label, then figures."""
    rows = [line.split() for line in lines]
    grid = table_grid(report.format.tables["proactive_disclosure"], report.values)
    for row in grid.rows:
        if row[-1].kind == "value":
            assert [c.text for c in row] in rows, row[0].text
    t3 = table_grid(report.format.tables["applications"], report.values)
    other = [c.text for c in t3.rows[23] if c.kind == "value"]
    assert ["（六）其他处理", *other] in rows
    assert other == ["1", "1", "0", "0", "0", "1", "3"]


@pytest.fixture(scope="module")
def office_pdf(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The 2020 report rendered to DOCX and converted to PDF by LibreOffice, as in test_office."""
    tools = office_tools()
    work = tmp_path_factory.mktemp("office2019")
    docx = work / "2020.docx"
    docx.write_bytes(get_renderer("docx").render(report_of(Y2020), OPTIONS))
    return to_pdf(docx, tools), tools


@pytest.mark.office
def test_libreoffice_shows_the_2019_tables(office_pdf: tuple[Path, dict[str, str]]) -> None:
    """LibreOffice's PDF of the 2020 DOCX has the 2019-only labels and every 表二 figure."""
    report = report_of(Y2020)
    text = office_squeezed(office_pdf)
    for label in LABELS_2019:
        assert label in text
    assert "1.申请人无正当理由逾期不补正" not in text
    assert_2020_tables_printed(report, office_text(office_pdf, "-layout").splitlines())


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not on PATH (apt install chromium)")
def test_chromium_prints_the_2019_tables(tmp_path: Path) -> None:
    """Chromium's print of the 2020 HTML has the 2019-only labels and every 表二 figure."""
    report = report_of(Y2020)
    page = tmp_path / "2020.html"
    page.write_bytes(get_renderer("html").render(report, OPTIONS))
    pdf = tmp_path / "2020.pdf"
    chromium(tmp_path, page, "--no-pdf-header-footer", f"--print-to-pdf={pdf}")
    printed = pdf_text(pdf)
    squeezed = "".join(printed.split())
    for label in LABELS_2019:
        assert label in squeezed
    assert "1.申请人无正当理由逾期不补正" not in squeezed
    assert_2020_tables_printed(report, printed.splitlines())
