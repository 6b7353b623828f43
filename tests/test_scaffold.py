"""`nianbao new`: next year's file from last year's, or a complete blank one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.cli import main
from generator.source import load
from generator.spec import get_format
from generator.validate import check_file

from .conftest import EXAMPLES


@pytest.fixture
def agency(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A reports repository holding the 澜溪市司法局 2023 and 2024 reports."""
    (tmp_path / ".git").mkdir()
    shutil.copytree(EXAMPLES / "lanxi-sfj", tmp_path / "reports" / "lanxi-sfj")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "reports" / "lanxi-sfj"


def test_new_carries_over_what_last_year_left_open(agency: Path) -> None:
    """二、上年结转 is last year's 四、结转下年度继续办理, column by column."""
    assert main(["new", str(agency / "2025.yaml")]) == 0
    new = load(agency / "2025.yaml").data
    old = load(agency / "2024.yaml").data
    old_forward = {k: v for k, v in old["applications"]["carried_forward"].items() if v}
    assert {k: v for k, v in new["applications"]["carried_over"].items() if v} == old_forward


def test_new_starts_in_force_documents_from_last_year(agency: Path) -> None:
    """现行有效件数 starts at last year's figure; issued and repealed start at 0."""
    main(["new", str(agency / "2025.yaml")])
    row = load(agency / "2025.yaml").data["proactive_disclosure"]["normative_documents"]
    old = load(agency / "2024.yaml").data["proactive_disclosure"]["normative_documents"]
    assert row == {"issued": 0, "repealed": 0, "in_force": old["in_force"]}


def test_new_resets_every_other_figure(agency: Path) -> None:
    """This year's figures are all zero."""
    main(["new", str(agency / "2025.yaml")])
    data = load(agency / "2025.yaml").data
    assert set(data["applications"]["received"].values()) == {0}
    assert data["proactive_disclosure"]["licensing"] == 0
    assert set(data["review_litigation"]["review"].values()) == {0}


def test_new_keeps_metadata_and_narrative_but_not_the_year(agency: Path) -> None:
    """Agency and channels carry over, the narrative stays as a draft, the year moves on."""
    main(["new", str(agency / "2025.yaml")])
    new = load(agency / "2025.yaml").data
    old = load(agency / "2024.yaml").data
    assert (new["agency"], new["website_url"], new["year"]) == (
        old["agency"],
        old["website_url"],
        2025,
    )
    assert new["overview"]["management"] == old["overview"]["management"]
    assert "published" not in new


def test_every_key_has_its_official_label_beside_it(agency: Path) -> None:
    """Table rows are commented with the exact labels of the format."""
    main(["new", str(agency / "2025.yaml")])
    text = (agency / "2025.yaml").read_text("utf-8")
    for cell in get_format("2021").cells.values():
        assert cell.labels[-1] in text or cell.labels[-2] in text
    assert "  third_party: {" in text and "# 4.保护第三方合法权益" in text


def test_the_first_line_points_editors_at_the_schema(agency: Path) -> None:
    """yaml-language-server finds the schema relative to the file."""
    main(["new", str(agency / "2025.yaml")])
    first = (agency / "2025.yaml").read_text("utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../../schema/report.schema.json"


def test_new_refuses_to_overwrite(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An existing file is never replaced."""
    before = (agency / "2024.yaml").read_bytes()
    assert main(["new", str(agency / "2024.yaml")]) == 2
    assert "已存在" in capsys.readouterr().err
    assert (agency / "2024.yaml").read_bytes() == before


def test_without_a_previous_year_the_blank_report_is_complete(tmp_path: Path) -> None:
    """A blank report lists every table row and validates (only 五 is flagged as empty)."""
    path = tmp_path / "reports" / "new-agency" / "2024.yaml"
    assert main(["new", str(path), "--agency", "某县某局"]) == 0
    outcome = check_file(path)
    assert outcome.ok
    assert [d.code for d in outcome.diagnostics] == ["W-SECTION-EMPTY"]
    data = load(path).data
    assert data["agency"] == "某县某局"
    assert set(data["applications"]["withheld"]) == {
        "state_secret",
        "prohibited_by_law",
        "three_safeties",
        "third_party",
        "internal_affairs",
        "process_info",
        "enforcement_file",
        "inquiry",
    }


def test_new_needs_a_year_as_file_name(tmp_path: Path) -> None:
    """reports/x/next.yaml is a usage error."""
    assert main(["new", str(tmp_path / "next.yaml")]) == 2


def test_a_draft_from_the_other_format_flags_references_it_lacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """2021 from a 2020 report: paragraphs citing 2019-only figures carry a note to rewrite."""
    (tmp_path / ".git").mkdir()
    agency = tmp_path / "reports" / "yunshan-hbj"
    agency.mkdir(parents=True)
    shutil.copy(EXAMPLES / "yunshan-hbj" / "2020.yaml", agency / "2020.yaml")
    monkeypatch.chdir(tmp_path)
    assert main(["new", str(agency / "2021.yaml")]) == 0
    text = (agency / "2021.yaml").read_text("utf-8")
    assert "# 注意：2021 格式没有以下数据，请改写这一段：" in text
    assert "proactive_disclosure.procurement.amount" in text
