"""``nianbao check``: findings told in the published document's terms, in four formats."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from generator.cli import main

from . import import_fixtures as F

TOTAL = ("applications", "total", "natural_person")


def _page(tmp_path: Path, name: str = "page.html", **kw: object) -> Path:
    path = tmp_path / name
    path.write_text(F.to_html(F.report(**kw)), "utf-8")  # type: ignore[arg-type]
    return path


def _wrong(tmp_path: Path, name: str = "wrong.html") -> Path:
    """A report whose （七）总计 for 自然人 says 5 while its rows add up to 0."""
    return _page(tmp_path, name, values={TOTAL: "5"}, labels={"（七）总计": "（七）总 计"})


def test_a_clean_report_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(_page(tmp_path))]) == 0
    assert "0 个错误" in capsys.readouterr().out


def test_a_wrong_total_is_told_by_table_row_and_column_as_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--format", "json", str(_wrong(tmp_path))]) == 1
    [result] = json.loads(capsys.readouterr().out)
    located = [f for f in result["findings"] if f["row"] and f["column"]]
    assert located, result["findings"]
    finding = next(f for f in located if f["code"].startswith("T3"))
    assert finding["table"].startswith("表三")
    assert finding["row"] == "（七）总计" or "总" in finding["row"]
    assert finding["column"] in ("自然人", "总计")
    assert finding["agency"] == "某市测试局" and finding["year"] == 2022
    assert finding["file"].endswith("wrong.html")


def test_text_output_names_file_table_row_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["check", str(_wrong(tmp_path))])
    out = capsys.readouterr().out
    assert "wrong.html › 表三" in out and "行“" in out and "列“" in out and "错误[T3-" in out


def test_github_annotations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", "--format", "github", str(_wrong(tmp_path))])
    lines = capsys.readouterr().out.splitlines()
    assert lines and all(line.startswith(("::error file=", "::warning file=")) for line in lines)


def test_sarif_is_sarif(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", "--format", "sarif", str(_wrong(tmp_path))])
    doc = json.loads(capsys.readouterr().out)
    assert doc["version"] == "2.1.0"
    results = doc["runs"][0]["results"]
    assert results and all(r["ruleId"] and r["level"] in ("error", "warning") for r in results)


def test_many_sources_in_parallel_keep_their_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pages = [str(_page(tmp_path, f"p{i}.html", year=2021 + i)) for i in range(4)]
    pages.insert(2, str(_wrong(tmp_path)))
    assert main(["check", "-j", "2", "--format", "json", *pages]) == 1
    files = [Path(r["file"]).name for r in json.loads(capsys.readouterr().out)]
    assert files == [Path(p).name for p in pages]


def test_an_unreadable_source_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.html"
    bad.write_text("<p>hello</p>", "utf-8")
    assert main(["check", str(bad), str(_page(tmp_path))]) == 2
    assert "bad.html" in capsys.readouterr().out


def test_csv_summary_has_one_row_per_finding_with_agency_and_year(tmp_path: Path) -> None:
    summary = tmp_path / "summary.csv"
    main(["check", "--summary", str(summary), str(_wrong(tmp_path)), str(_page(tmp_path))])
    rows = list(csv.DictReader(summary.read_text("utf-8-sig").splitlines()))
    assert rows and all(r["agency"] == "某市测试局" and r["year"] == "2022" for r in rows)
    assert all(r["file"].endswith("wrong.html") for r in rows)


def test_xlsx_summary(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    summary = tmp_path / "summary.xlsx"
    main(["check", "--summary", str(summary), str(_wrong(tmp_path))])
    sheet = load_workbook(summary).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("file", "agency", "year") and len(rows) > 1


def test_an_unknown_summary_type_is_a_usage_error(tmp_path: Path) -> None:
    assert main(["check", "--summary", str(tmp_path / "s.txt"), str(_page(tmp_path))]) == 2


def test_a_narrative_finding_quotes_the_sentence_and_names_the_part(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rep = F.report()
    rep.paragraphs_before[2] = ("（二）依申请公开", "本年共收到政府信息公开申请17件。")
    page = tmp_path / "n.html"
    page.write_text(F.to_html(rep), "utf-8")
    assert main(["check", "--format", "json", str(page)]) == 1
    [finding] = json.loads(capsys.readouterr().out)[0]["findings"]
    assert finding["code"].startswith("N-")
    assert finding["section"] == "一、总体情况（二）依申请公开"
    assert finding["quote"] == "本年共收到政府信息公开申请17件"


def test_findings_carry_the_fingerprint_an_acknowledgement_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["check", "--format", "json", str(_wrong(tmp_path))])
    findings = json.loads(capsys.readouterr().out)[0]["findings"]
    assert findings and all(f["fingerprint"] for f in findings)
