"""nianbao summary, what it computes: coverage, findings, the 汇总, trends, text checks.

All on the generated tree of ``tests/summary_tree.py`` (30 agencies, 2021–2023, with a
missing, a late, an undated, an invalid and a copied report among them).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from generator.summary import totals as totals_module
from generator.summary.collect import Tree, collect
from generator.summary.compute import Summary, summarize
from generator.summary.ratios import METRICS, read_metric
from generator.summary.textcheck import COPY_THRESHOLD, similarity
from generator.summary.totals import ALL, group_total
from generator.validate import check_file

from . import summary_tree as gen


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[gen.Tree, Tree]:
    made = gen.make_tree(tmp_path_factory.mktemp("tree") / "reports")
    return made, collect(made.root, "reports")


@pytest.fixture(scope="module")
def summary(tree: tuple[gen.Tree, Tree]) -> Summary:
    made, collected = tree
    return summarize(collected, None, made.roster, gen.DECLARED, title="t")


def _group(summary: Summary, name: str) -> totals_module.Total:
    (group,) = [g for g in summary.groups if g.name == name]
    return summary.total(group)


def test_the_tree_is_dozens_of_valid_reports_but_one(tree: tuple[gen.Tree, Tree]) -> None:
    """The generator's reports are valid, except the one made invalid on purpose."""
    made, collected = tree
    assert len(made.agencies) == 30 and len(collected.entries) == 89
    bad = [k for k, e in collected.entries.items() if not e.ok]
    assert bad == [(gen.INVALID, gen.YEAR)]


def test_the_year_is_the_latest_with_a_report(summary: Summary) -> None:
    assert summary.year == gen.YEAR and summary.years == gen.YEARS


def test_coverage_names_missing_invalid_late_and_undated(summary: Summary) -> None:
    """Each special case is reported under its heading, and nothing else is."""
    cov = summary.coverage
    assert cov.missing_vs_last_year == (gen.MISSING,)
    assert cov.missing_vs_roster == (gen.MISSING, gen.NEVER)
    assert cov.invalid == (gen.INVALID,)
    assert cov.late == (gen.LATE,)
    assert cov.undated == (gen.UNDATED,)
    assert len(cov.reported) == 29 and len(cov.rows) == 31


def test_without_a_roster_only_last_years_list_is_expected(tree: tuple[gen.Tree, Tree]) -> None:
    cov = summarize(tree[1]).coverage
    assert cov.missing == (gen.MISSING,) and cov.missing_vs_roster == ()


def test_the_deadline_is_31_january_of_the_next_year(summary: Summary) -> None:
    assert summary.coverage.deadline.isoformat() == f"{gen.YEAR + 1}-01-31"


def test_findings_are_the_validators_plus_the_text_checks(summary: Summary) -> None:
    """The matrix counts exactly the special cases, by agency and rule."""
    counts = Counter((f.agency, f.code) for f in summary.findings)
    parts = 6  # the six parts of 一、总体情况, all copied
    assert counts == {
        (gen.INVALID, "T3-ROW-TOTAL"): 1,
        (gen.COPIED, "S-COPIED"): parts,
        (gen.NO_FOLLOWUP, "S-FOLLOWUP"): 1,
        (gen.PLACEHOLDER, "S-PLACEHOLDER"): 1,
        (gen.EMPTY_PART, "S-PART-EMPTY"): 1,
    }
    m = summary.matrix
    assert all(m.count(a, c) == n for (a, c), n in counts.items())
    assert sum(m.row_total(a) for a in m.agencies) == len(summary.findings)


def test_a_validator_finding_keeps_its_file_line_and_column(
    summary: Summary, tree: tuple[gen.Tree, Tree]
) -> None:
    """The 问题清单 row points where nianbao validate points, and names the cell."""
    (row,) = [f for f in summary.findings if f.code == "T3-ROW-TOTAL"]
    path = tree[0].files[(gen.INVALID, gen.YEAR)]
    (diag,) = check_file(path, row.file).errors
    assert row.location == str(diag.location) and row.line > 0 and row.column > 0
    assert row.file == f"reports/{gen.INVALID}/{gen.YEAR}.yaml"
    assert diag.labels[-1] in row.where and row.message == diag.message


def test_acknowledged_findings_are_shown_as_such(summary: Summary) -> None:
    """A warning accepted in the report keeps its fingerprint and shows the reason."""
    from generator.errors import Diagnostic, Location
    from generator.summary.findings import finding

    entry = summary.entries()[0]
    diag = Diagnostic("warning", "X", Location("f.yaml", 1, 2), "m", acknowledged="已核对原表")
    row = finding(entry, diag)
    assert row.acknowledged and row.reason == "已核对原表" and row.fingerprint == diag.fingerprint
    plain = finding(entry, Diagnostic("warning", "X", Location("f.yaml", 1, 2), "m"))
    assert not plain.acknowledged and plain.reason is None


def test_a_report_can_accept_a_text_check(tree: tuple[gen.Tree, Tree], tmp_path: Path) -> None:
    """acknowledged: naming an S-FOLLOWUP fingerprint marks it, and is not called stale."""
    import shutil

    root = tmp_path / "reports"
    shutil.copytree(tree[0].root / "east", root / "east")
    s = summarize(collect(root, "reports"))
    (open_one,) = [f for f in s.findings if f.code == "S-FOLLOWUP"]
    path = root / gen.NO_FOLLOWUP / f"{gen.YEAR}.yaml"
    text = path.read_text("utf-8")
    text += f'acknowledged:\n- {{finding: "fp:{open_one.fingerprint}", reason: 上年无问题}}\n'
    path.write_text(text, "utf-8")
    assert any(d.code == "W-ACK-UNUSED" for d in check_file(path).diagnostics)  # validate alone
    again = summarize(collect(root, "reports"))
    rows = [f for f in again.findings if f.agency == gen.NO_FOLLOWUP]
    assert [(f.code, f.acknowledged, f.reason) for f in rows] == [
        ("S-FOLLOWUP", True, "上年无问题")
    ]
    assert again.matrix.acknowledged == {(gen.NO_FOLLOWUP, "S-FOLLOWUP"): 1}


def test_the_copied_narrative_is_above_the_threshold_and_the_others_below(
    tree: tuple[gen.Tree, Tree],
) -> None:
    collected = tree[1]
    scores = {
        a: similarity(
            collected.entries[(a, gen.YEAR)].data["overview"]["summary"],
            collected.entries[(a, gen.YEAR - 1)].data["overview"]["summary"],
        )
        for a in ("east/a01", "east/a02", gen.COPIED)
    }
    assert scores[gen.COPIED] == 1.0
    assert scores["east/a01"] < COPY_THRESHOLD and scores["east/a02"] < COPY_THRESHOLD


def test_the_sum_of_a_complete_folder_equals_its_members_cell_by_cell(
    summary: Summary, tree: tuple[gen.Tree, Tree]
) -> None:
    total = _group(summary, "north/")
    assert total.complete and total.report is not None and not total.checks
    members = [tree[1].entries[(a, gen.YEAR)].report for a in total.members]
    assert len(members) == gen.FOLDERS["north"]
    for path in total.report.format.cells:
        assert total.report.values[path] == sum(m.values[path] for m in members if m), path


def test_a_declared_group_is_summed_too(summary: Summary) -> None:
    total = _group(summary, "示范片区")
    assert total.complete and total.members == gen.DECLARED["示范片区"]


def test_no_sum_when_a_member_is_missing_or_invalid(summary: Summary) -> None:
    """The whole tree lacks east/a03 and has an invalid west/a06: it says so, and sums nothing."""
    total = _group(summary, ALL)
    assert not total.complete and total.report is None
    assert total.missing == (gen.MISSING,) and total.invalid == (gen.INVALID,)
    assert _group(summary, "east/").missing == (gen.MISSING,)
    assert _group(summary, "west/").invalid == (gen.INVALID,)


def test_the_sum_is_checked_by_the_same_rules(
    summary: Summary, tree: tuple[gen.Tree, Tree], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A broken sum (one cell off by one) is caught by the 勾稽关系 of the rules."""
    real = totals_module.summed

    def off_by_one(reports: list) -> dict:  # type: ignore[type-arg]
        values = real(reports)
        values[("applications", "granted", "business")] += 1
        return values

    monkeypatch.setattr(totals_module, "summed", off_by_one)
    (group,) = [g for g in summary.groups if g.name == "north/"]
    total = group_total(tree[1], group, gen.YEAR)
    assert not total.complete
    assert {d.code for d in total.checks} >= {"T3-ROW-TOTAL"}


def test_a_fivefold_jump_in_new_applications_is_flagged(summary: Summary) -> None:
    (received,) = [
        s for s in summary.agency_trends if s.subject == gen.JUMP and s.metric.key == "received"
    ]
    assert gen.YEAR in received.jumps
    steady = [s for s in summary.agency_trends if s.metric.key == "received" and not s.jumps]
    assert steady, "most agencies have no jump"


def test_ratios_below_the_minimum_sample_are_not_computed(summary: Summary) -> None:
    """行政复议 counts are tiny: 复议纠错率 says 样本不足 rather than 100 %."""
    (review,) = [m for m in METRICS if m.key == "review_corrected"]
    for s in summary.agency_trends:
        if s.metric is review:
            for r in s.readings.values():
                assert r.value is None and r.below_minimum and r.sample < review.min_sample


def test_substantive_disclosure_rate_is_granted_plus_partial_over_the_total() -> None:
    (rate,) = [m for m in METRICS if m.key == "substantive"]
    values = {
        ("applications", "granted", "total"): 6,
        ("applications", "partial", "total"): 3,
        ("applications", "total", "total"): 12,
    }
    assert read_metric(rate, values).value == 0.75
    values[("applications", "total", "total")] = 9  # below the minimum sample of 10
    reading = read_metric(rate, values)
    assert reading.value is None and reading.below_minimum and reading.sample == 9


def test_group_trends_exist_only_for_complete_years(summary: Summary) -> None:
    (north,) = [
        s for s in summary.group_trends if s.subject == "north/" and s.metric.key == "received"
    ]
    assert set(north.readings) == set(gen.YEARS)
    (everyone,) = [
        s for s in summary.group_trends if s.subject == ALL and s.metric.key == "received"
    ]
    assert gen.YEAR not in everyone.readings


def test_examples_have_a_complete_2021_sum(tmp_path: Path) -> None:
    """Over examples/ the 2021 reports (shangqiu-gxj, yunshan-hbj) add up."""
    from .conftest import EXAMPLES

    s = summarize(collect(EXAMPLES, "examples/reports"), 2021)
    total = _group(s, ALL)
    assert total.complete and total.members == ("shangqiu-gxj", "yunshan-hbj")


def test_the_sum_is_checked_against_last_years_sum(
    summary: Summary, tree: tuple[gen.Tree, Tree], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 汇总 whose 上年结转 is not last year's 汇总's 结转 fails X-CARRY, and only that."""
    (group,) = [g for g in summary.groups if g.name == "north/"]
    previous = group_total(tree[1], group, gen.YEAR - 1)
    real = totals_module.summed

    def shifted(reports: list) -> dict:  # type: ignore[type-arg]
        values = real(reports)
        for column in ("business", "total"):  # one application moved from 一 to 二
            values[("applications", "carried_over", column)] += 1
            values[("applications", "received", column)] -= 1
        return values

    monkeypatch.setattr(totals_module, "summed", shifted)
    total = group_total(tree[1], group, gen.YEAR, previous)
    assert {d.code for d in total.checks} == {"X-CARRY"}


def test_an_unreadable_report_is_invalid_and_its_error_a_finding(
    tree: tuple[gen.Tree, Tree], tmp_path: Path
) -> None:
    """A file that is not even YAML (GBK bytes) counts as reported but invalid, named by LOAD."""
    import shutil

    root = tmp_path / "reports"
    shutil.copytree(tree[0].root / "north", root / "north")
    (root / "north" / "a02" / f"{gen.YEAR}.yaml").write_bytes("机关：某局".encode("gbk"))
    s = summarize(collect(root, "reports"))
    assert s.coverage.invalid == ("north/a02",)
    (row,) = [f for f in s.findings if f.agency == "north/a02"]
    assert row.code.startswith("LOAD") and row.severity == "error"
    assert _group(s, "north/").invalid == ("north/a02",)


def test_a_members_dash_counts_as_zero_and_the_sum_says_so(
    tree: tuple[gen.Tree, Tree], tmp_path: Path
) -> None:
    """A member printing 行政许可 as “-” (不适用): the 汇总 adds 0 and names the cell."""
    import shutil

    import yaml

    root = tmp_path / "reports"
    shutil.copytree(tree[0].root / "north", root / "north")
    path = root / "north" / "a03" / f"{gen.YEAR}.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    data["proactive_disclosure"]["licensing"] = "-"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    s = summarize(collect(root, "reports"))
    total = _group(s, "north/")
    assert total.complete and total.report is not None
    (marked,) = total.marked
    assert marked[0] == "north/a03" and marked[1].endswith("行政许可")
    members = [s.tree.entries[(a, gen.YEAR)].report for a in total.members]
    licensing = ("proactive_disclosure", "licensing")
    assert total.report.values[licensing] == sum(m.values[licensing] for m in members if m)
