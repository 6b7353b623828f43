"""Local variants: a report's own wording, merged and extra rows, notes, on the official cells."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from generator.model import Report
from generator.render import RenderOptions, get_renderer
from generator.spec import get_format
from generator.validate import Outcome, check_file

from .conftest import MINIMAL
from .support import Package, parse

Write = Callable[..., Path]
T3 = get_format("2021").tables["applications"]


def check(write_report: Write, extra: str) -> Outcome:
    return check_file(write_report(MINIMAL + extra))


def valid(write_report: Write, extra: str) -> Report:
    outcome = check(write_report, extra)
    assert outcome.report is not None, [d.format() for d in outcome.errors]
    assert outcome.warnings == [], [d.format() for d in outcome.warnings]
    return outcome.report


def outputs(report: Report) -> dict[str, str]:
    """The text of each output: DOCX body text, the HTML page, the Markdown file."""
    docx = Package(get_renderer("docx").render(report, RenderOptions()))
    body = "\n".join(docx.body.itertext())
    html = get_renderer("html").render(report, RenderOptions()).decode("utf-8")
    text = "\n".join(t for tag in ("h2", "p", "th", "td") for t in parse(html).texts.get(tag, []))
    md = get_renderer("md").render(report, RenderOptions()).decode("utf-8")
    return {"docx": body, "html": text, "md": md}


def row_texts(report: Report, key: str) -> list[str]:
    return [
        c.text
        for row in report.grid(report.format.tables[key]).rows
        for c in row
        if c.kind == "row"
    ]


# --------------------------------------------------------------------------------- wording


WORDING = """\
local:
  proactive_disclosure:
    labels:
      rows: {normative_documents: 规范性文件}
      columns: {amount: 本年收费金额（单位：万元，保留4位小数）}
  applications:
    labels:
      rows: {withheld.prohibited_by_law: 2.其他法律法规禁止公开}
"""


def test_local_wording_replaces_the_printed_label_only(write_report: Write) -> None:
    report = valid(write_report, WORDING)
    official = report.format.tables["proactive_disclosure"].blocks[0].rows[1].label
    assert "规范性文件" in row_texts(report, "proactive_disclosure")
    assert official not in row_texts(report, "proactive_disclosure")
    assert "2.其他法律法规禁止公开" in row_texts(report, "applications")


@pytest.mark.parametrize("kind", ["docx", "html", "md"])
def test_every_output_prints_the_local_wording(write_report: Write, kind: str) -> None:
    text = outputs(valid(write_report, WORDING))[kind]
    assert "本年收费金额（单位：万元，保留4位小数）" in text
    assert "2.其他法律法规禁止公开" in text


def test_without_local_the_official_labels_are_printed(write_report: Write) -> None:
    report = valid(write_report, "")
    expected = [label for _, _, labels in T3.rows[2].leaves() for label in labels[-1:]]
    assert set(expected) <= set(row_texts(report, "applications"))


def test_a_local_label_must_name_an_official_row(write_report: Write) -> None:
    outcome = check(
        write_report, "local:\n  applications:\n    labels:\n      rows: {withheld.prohibted: 某}\n"
    )
    (diag,) = outcome.errors
    assert diag.code == "LOCAL" and "withheld.prohibited_by_law" in diag.message


def test_a_local_column_label_must_name_an_official_column(write_report: Write) -> None:
    outcome = check(
        write_report, "local:\n  review_litigation:\n    labels:\n      columns: {reviews: 某}\n"
    )
    (diag,) = outcome.errors
    assert diag.code == "LOCAL" and "review" in diag.message


def test_an_unknown_table_under_local_is_a_schema_error(write_report: Write) -> None:
    outcome = check(write_report, "local:\n  table5: {notes: [注]}\n")
    assert [d.code for d in outcome.errors] == ["SCHEMA-UNKNOWN"]


# ------------------------------------------------------------------------------ merged rows


MERGED = """\
applications:
  received: {natural_person: 5}
  granted: {natural_person: 1}
  other_handling:
    other: {natural_person: 3}
    no_correction: {natural_person: 1}
local:
  applications:
    merged_rows: [other_handling]
"""


def test_a_category_printed_as_one_row_shows_the_sum_of_its_sub_rows(write_report: Write) -> None:
    """A 2021-format table printing （六）其他处理 as one row (as 2019-format ones do)."""
    report = valid(write_report, MERGED)
    grid = report.grid(T3)
    group = next(n for n in T3.rows[2].children if n.key == "other_handling")
    (row,) = [r for r in grid.rows if any(c.text == group.label for c in r)]
    label = next(c for c in row if c.text == group.label)
    assert label.colspan == 2 and label.rowspan == 1
    assert [c.text for c in row if c.kind == "value"] == ["4", "0", "0", "0", "0", "0", "4"]
    assert not {c.label for c in group.children} & set(row_texts(report, "applications"))
    assert len(grid.rows) == len(report.format.tables["applications"].cells) // 7 + 3 - 2


def test_merged_rows_keep_the_rules_on_the_official_cells(write_report: Write) -> None:
    outcome = check(write_report, MERGED.replace("received: {natural_person: 5}", "received: {}"))
    assert "T3-BALANCE" in [d.code for d in outcome.errors]


def test_only_a_category_with_sub_rows_can_be_merged(write_report: Write) -> None:
    outcome = check(write_report, "local:\n  applications:\n    merged_rows: [granted]\n")
    (diag,) = outcome.errors
    assert diag.code == "LOCAL" and "other_handling" in str(diag.expected)


@pytest.mark.parametrize("kind", ["docx", "html", "md"])
def test_every_output_draws_the_merged_row(write_report: Write, kind: str) -> None:
    text = outputs(valid(write_report, MERGED))[kind]
    group = next(n for n in T3.rows[2].children if n.key == "other_handling")
    assert group.label in text
    assert all(child.label not in text for child in group.children)


# ------------------------------------------------------------------------------ extra rows


EXTRA = """\
local:
  proactive_disclosure:
    extra_rows:
      - after: normative_documents
        label: 其他主动公开文件
        values: {issued: 7, repealed: "-", in_force: 12}
"""


def test_an_extra_local_row_is_printed_after_its_row(write_report: Write) -> None:
    report = valid(write_report, EXTRA)
    grid = report.grid(report.format.tables["proactive_disclosure"])
    labels = row_texts(report, "proactive_disclosure")
    official = report.format.tables["proactive_disclosure"].blocks[0].rows[1].label
    assert labels.index("其他主动公开文件") == labels.index(official) + 1
    (row,) = [r for r in grid.rows if r and r[0].text == "其他主动公开文件"]
    assert [c.text for c in row[1:]] == ["7", "-", "12"]
    assert all(c.path is None for c in row)  # no official cell: no rule reads it


@pytest.mark.parametrize("kind", ["docx", "html", "md"])
def test_every_output_prints_the_extra_row(write_report: Write, kind: str) -> None:
    assert "其他主动公开文件" in outputs(valid(write_report, EXTRA))[kind]


def test_an_extra_row_cannot_take_an_official_name(write_report: Write) -> None:
    official = get_format("2021").tables["proactive_disclosure"].blocks[0].rows[0].label
    outcome = check(write_report, EXTRA.replace("其他主动公开文件", official))
    (diag,) = outcome.errors
    assert diag.code == "LOCAL" and "同名" in diag.message


def test_an_extra_row_must_follow_a_row_of_its_table(write_report: Write) -> None:
    outcome = check(write_report, EXTRA.replace("after: normative_documents", "after: normative"))
    (diag,) = outcome.errors
    assert diag.code == "LOCAL" and "normative_documents" in diag.message


def test_an_extra_row_uses_the_columns_of_its_block(write_report: Write) -> None:
    outcome = check(write_report, EXTRA.replace("in_force: 12", "decisions: 12"))
    (diag,) = outcome.errors
    assert diag.code == "LOCAL" and "in_force" in str(diag.expected)


def test_cross_tables_take_no_extra_rows(write_report: Write) -> None:
    outcome = check(
        write_report,
        "local:\n  applications:\n    extra_rows:\n      - {after: received, label: 其他}\n",
    )
    (diag,) = outcome.errors
    assert diag.code == "LOCAL" and "表二" in diag.message


# ----------------------------------------------------------------------------------- notes


NOTES = """\
local:
  review_litigation:
    notes: [注：行政复议、行政诉讼数量含上年度结转数量。]
"""


@pytest.mark.parametrize("kind", ["docx", "html", "md"])
def test_a_table_note_is_printed_under_its_table(write_report: Write, kind: str) -> None:
    text = outputs(valid(write_report, NOTES))[kind]
    note = "注：行政复议、行政诉讼数量含上年度结转数量。"
    assert note in text
    if kind == "html":
        assert '<p class="table-note">' + note in outputs_raw_html(write_report)
        return
    heading = next(s.heading for s in get_format("2021").sections if s.key == "problems")
    assert text.index(note) < text.rindex(heading)


def test_notes_are_the_grids_own(write_report: Write) -> None:
    report = valid(write_report, NOTES)
    assert report.grid(report.format.tables["review_litigation"]).notes == (
        "注：行政复议、行政诉讼数量含上年度结转数量。",
    )
    assert report.grid(report.format.tables["applications"]).notes == ()


def outputs_raw_html(write_report: Write) -> str:
    report = valid(write_report, NOTES)
    return get_renderer("html").render(report, RenderOptions()).decode("utf-8")


def test_an_extra_row_count_must_be_whole(write_report: Write) -> None:
    outcome = check(write_report, EXTRA.replace("issued: 7", "issued: 7.5"))
    (diag,) = outcome.errors
    assert diag.code == "LOCAL" and diag.found == "7.5"


def test_an_extra_row_count_prints_as_a_whole_number(write_report: Write) -> None:
    report = valid(write_report, EXTRA.replace("issued: 7", "issued: 7.0"))
    grid = report.grid(report.format.tables["proactive_disclosure"])
    (row,) = [r for r in grid.rows if r and r[0].text == "其他主动公开文件"]
    assert row[1].text == "7"
