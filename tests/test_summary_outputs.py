"""nianbao summary, what it writes: XLSX, HTML, CSV and JSON — reproducible and incremental.

The workbook is read back with openpyxl (merged 表三 header, every figure of the 汇总);
the dashboard is parsed (tables with captions and scoped headers, charts with text
alternatives, nothing from the network); two runs give the same bytes; a run with
unchanged inputs writes nothing.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from generator.summary import STAMP, run
from generator.summary.collect import collect
from generator.summary.compute import Summary, summarize

from . import summary_tree as gen
from .conftest import ROOT, run_cli
from .support import parse

OUTPUTS = {
    "summary.html",
    "summary.xlsx",
    "summary.json",
    "coverage.csv",
    "findings.csv",
    "figures.csv",
    "totals.csv",
    "trends.csv",
}


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> gen.Tree:
    return gen.make_tree(tmp_path_factory.mktemp("tree") / "reports")


@pytest.fixture(scope="module")
def out(made: gen.Tree) -> Path:
    outdir = made.root.parent / "out"
    run(made.root, "reports", outdir, roster=made.roster, groups=gen.DECLARED)
    return outdir


@pytest.fixture(scope="module")
def summary(made: gen.Tree) -> Summary:
    return summarize(collect(made.root, "reports"), None, made.roster, gen.DECLARED)


def test_every_output_is_written(out: Path) -> None:
    assert {p.name for p in out.iterdir()} == OUTPUTS | {STAMP}


def test_two_runs_give_the_same_bytes(made: gen.Tree, out: Path, tmp_path: Path) -> None:
    """A second run into another folder (same relative place) writes identical files."""
    again = made.root.parent / "out2"
    run(made.root, "reports", again, roster=made.roster, groups=gen.DECLARED, force=True)
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (again / name).read_bytes(), name
    shutil.rmtree(again)


def test_unchanged_inputs_write_nothing(made: gen.Tree, out: Path) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    done = run(made.root, "reports", out, roster=made.roster, groups=gen.DECLARED)
    assert done.up_to_date and done.invalid == (gen.INVALID,)
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before


def test_a_changed_report_or_setting_runs_again(made: gen.Tree, tmp_path: Path) -> None:
    root = tmp_path / "reports"
    shutil.copytree(made.root / "north", root / "north")
    outdir = tmp_path / "out"
    assert not run(root, "reports", outdir).up_to_date
    assert run(root, "reports", outdir).up_to_date
    assert not run(root, "reports", outdir, year=gen.YEAR - 1).up_to_date
    path = root / "north" / "a02" / f"{gen.YEAR}.yaml"
    path.write_text(path.read_text("utf-8").replace("无", "没有其他事项"), "utf-8")
    assert not run(root, "reports", outdir, year=gen.YEAR - 1).up_to_date
    (outdir / "summary.html").write_text("edited", "utf-8")
    assert not run(root, "reports", outdir, year=gen.YEAR - 1).up_to_date
    assert not run(root, "../reports", outdir, year=gen.YEAR - 1).up_to_date  # other names


def _number(value: int | Decimal) -> int | float:
    return float(value) if isinstance(value, Decimal) else value


def _sheet(book: openpyxl.Workbook, start: str) -> openpyxl.worksheet.worksheet.Worksheet:
    (name,) = [n for n in book.sheetnames if n.startswith(start)]
    return book[name]


def test_the_workbook_has_a_sheet_per_table(out: Path) -> None:
    book = openpyxl.load_workbook(out / "summary.xlsx")
    names = book.sheetnames
    assert names[:3] == ["报送情况", "问题清单", "问题矩阵"]
    assert "各机关数据" in names and "趋势" in names
    assert [n for n in names if n.startswith("汇总")] == ["汇总 north", "汇总 示范片区"]


def test_the_workbook_draws_the_sum_with_the_official_merges(out: Path, summary: Summary) -> None:
    """表三's three-row header (申请人情况 over seven columns …) and every figure are there."""
    book = openpyxl.load_workbook(out / "summary.xlsx")
    ws = _sheet(book, "汇总 north")
    (group,) = [g for g in summary.groups if g.name == "north/"]
    report = summary.total(group).report
    assert report is not None
    merged = {str(r) for r in ws.merged_cells.ranges}
    for view in report.document():
        if view.grid is None or view.table is None:
            continue
        (title_row,) = [c.row for c in ws["A"] if c.value == view.table.title]
        top = title_row + 1
        for row in view.grid.rows:
            for cell in row:
                r, c = top + cell.row, 1 + cell.col
                if cell.rowspan > 1 or cell.colspan > 1:
                    first = ws.cell(r, c).coordinate
                    last = ws.cell(r + cell.rowspan - 1, c + cell.colspan - 1).coordinate
                    assert f"{first}:{last}" in merged, (cell.text, first, last)
                expected = _number(report.values[cell.path]) if cell.path else cell.text
                assert ws.cell(r, c).value == expected, (cell.text, r, c)
    t3 = report.format.tables["applications"]
    head = t3.columns[0]
    (cell,) = [c for row in ws.iter_rows() for c in row if c.value == head.label]
    assert any(str(r).startswith(f"{cell.coordinate}:") for r in ws.merged_cells.ranges)


def test_the_workbook_has_one_row_per_agency_with_every_figure(out: Path, summary: Summary) -> None:
    ws = openpyxl.load_workbook(out / "summary.xlsx")["各机关数据"]
    rows = list(ws.iter_rows(values_only=True))
    assert len(rows) == 1 + len(summary.entries())
    fmt = summary.format
    assert fmt is not None
    by_agency = {row[1]: row for row in rows[1:]}
    for entry in summary.entries():
        if entry.report is None:
            assert by_agency[entry.agency][2] == "校验未通过"
            continue
        figures = list(by_agency[entry.agency][4:])
        assert figures == [_number(entry.report.values[p]) for p in fmt.cells], entry.agency


def test_the_workbook_properties_are_fixed(out: Path) -> None:
    book = openpyxl.load_workbook(out / "summary.xlsx")
    assert book.properties.creator == "nianbao"
    assert book.properties.modified is not None and book.properties.modified.year == 2000


def test_the_issue_list_csv_has_one_row_per_finding(out: Path, summary: Summary) -> None:
    rows = list(csv.DictReader(io.StringIO((out / "findings.csv").read_text("utf-8"))))
    assert len(rows) == len(summary.findings)
    (bad,) = [r for r in rows if r["code"] == "T3-ROW-TOTAL"]
    assert bad["agency"] == gen.INVALID and bad["file"].endswith(f"{gen.INVALID}/{gen.YEAR}.yaml")
    assert int(bad["line"]) > 0 and int(bad["column"]) > 0 and bad["acknowledged"] == "False"


def test_the_json_holds_coverage_totals_and_trends(out: Path) -> None:
    doc = json.loads((out / "summary.json").read_text("utf-8"))
    assert doc["coverage"]["late"] == [gen.LATE]
    north = next(t for t in doc["totals"] if t["group"] == "north/")
    assert north["complete"] and len(north["cells"]) > 100
    assert any(t["subject"] == gen.JUMP and t["jumps"] for t in doc["trends"])


def test_the_dashboard_is_accessible_and_self_contained(out: Path) -> None:
    """Tables have captions and scoped headers; charts have title and desc; no script, no URL."""
    html = (out / "summary.html").read_text("utf-8")
    page = parse(html)
    assert page.tables and all(t.caption.strip() for t in page.tables)
    for tag, attrs in page.tags:
        assert tag not in ("script", "link", "img", "iframe"), tag
        if tag == "th":
            assert attrs.get("scope") or attrs.get("class") in ("title", "corner"), attrs
    svgs = html.count("<svg")
    assert svgs > 10 and html.count("<desc") >= 1
    assert re.findall(r"(?:src|href)=\"(?:https?:)?//", html) == []
    assert "aria-labelledby" in html and 'role="img"' in html


def test_the_dashboard_links_each_finding_to_its_file(out: Path, summary: Summary) -> None:
    html = (out / "summary.html").read_text("utf-8")
    link = f'href="../reports/{gen.INVALID}/{gen.YEAR}.yaml"'
    assert link in html
    page = parse(html)
    ids = {a["id"]: i for i, (_, a) in enumerate(page.tags) if "id" in a}
    targets = [a["href"][1:] for _, a in page.tags if re.fullmatch(r"#f\d+", a.get("href", ""))]
    assert len(targets) == len({(f.agency, f.code) for f in summary.findings})
    assert all(t in ids for t in targets)


def test_the_dashboard_says_why_a_sum_is_missing(out: Path) -> None:
    html = (out / "summary.html").read_text("utf-8")
    assert f"缺少 {gen.MISSING} 的报告" in html and f"{gen.INVALID} 的报告未通过校验" in html


def test_the_command_reads_roster_and_groups_from_nianbao_toml(
    made: gen.Tree,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    shutil.copytree(made.root, tmp_path / "reports")
    (tmp_path / ".git").mkdir()
    (tmp_path / "nianbao.toml").write_text(
        f"roster = {json.dumps(list(made.roster))}\n"
        '[groups]\n"示范片区" = ["north/a01", "north/a02"]\n',
        "utf-8",
    )
    monkeypatch.chdir(tmp_path)
    code, err = run_cli(capsys, "summary")
    assert code == 1 and gen.INVALID in err and gen.NEVER in err  # an invalid report: exit 1
    doc = json.loads((tmp_path / "build" / "summary" / "summary.json").read_text("utf-8"))
    assert doc["coverage"]["missing_vs_roster"] == [gen.MISSING, gen.NEVER]
    assert any(t["group"] == "示范片区" and t["complete"] for t in doc["totals"])
    code, err = run_cli(capsys, "summary")
    assert code == 1 and "已是最新" in err


@pytest.mark.parametrize(
    "toml",
    ['roster = "east/a01"\n', "roster = [1]\n", 'groups = ["a"]\n', "[groups]\nx = []\n"],
)
def test_a_malformed_roster_or_group_is_a_usage_error(
    toml: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "reports").mkdir()
    (tmp_path / ".git").mkdir()
    (tmp_path / "nianbao.toml").write_text(toml, "utf-8")
    monkeypatch.chdir(tmp_path)
    code, err = run_cli(capsys, "summary")
    assert code == 2 and "nianbao.toml: 配置项" in err


def test_a_path_that_is_not_a_folder_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run_cli(capsys, "summary", str(tmp_path / "nope"))
    assert code == 2 and "不是报告目录" in err


def test_help_does_not_import_openpyxl() -> None:
    code = (
        "import sys; from generator.cli import main\n"
        "try: main(['--help'])\nexcept SystemExit: pass\n"
        "print('openpyxl' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    )
    assert done.stdout.strip().endswith("False")


def test_the_build_time_setting_dates_the_workbook(
    made: gen.Tree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SOURCE_DATE_EPOCH dates the workbook; the same epoch gives the same bytes."""
    root = tmp_path / "reports"
    shutil.copytree(made.root / "north", root / "north")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    run(root, "reports", tmp_path / "a")
    run(root, "reports", tmp_path / "b")
    data = (tmp_path / "a" / "summary.xlsx").read_bytes()
    assert data == (tmp_path / "b" / "summary.xlsx").read_bytes()
    book = openpyxl.load_workbook(tmp_path / "a" / "summary.xlsx")
    assert book.properties.modified is not None and book.properties.modified.year == 2023


def test_a_tree_without_reports_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "reports" / "a").mkdir(parents=True)
    (tmp_path / "reports" / "a" / "notes.yaml").write_text("x: 1\n", "utf-8")
    code, err = run_cli(capsys, "summary", str(tmp_path / "reports"), "-o", str(tmp_path / "o"))
    assert code == 2 and "没有找到任何" in err


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges on Windows")
def test_a_linked_report_is_not_read(made: gen.Tree, tmp_path: Path) -> None:
    """reports/x/2023.yaml -> a file outside the tree is skipped, not summed."""
    root = tmp_path / "reports"
    shutil.copytree(made.root / "north", root / "north")
    outside = tmp_path / "outside.yaml"
    outside.write_bytes((made.root / "east" / "a01" / "2023.yaml").read_bytes())
    (root / "north" / "x").mkdir()
    (root / "north" / "x" / "2023.yaml").symlink_to(outside)
    run(root, "reports", tmp_path / "o")
    doc = json.loads((tmp_path / "o" / "summary.json").read_text("utf-8"))
    assert doc["skipped"] == ["reports/north/x/2023.yaml"]
    assert all(a["agency"] != "north/x" for a in doc["coverage"]["agencies"])


@pytest.mark.office
def test_libreoffice_opens_the_workbook_and_keeps_every_merge(out: Path, tmp_path: Path) -> None:
    """LibreOffice Calc reads the workbook, and saving it again keeps every sheet and merge."""
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) not installed")
    shutil.copy(out / "summary.xlsx", tmp_path / "summary.xlsx")

    def convert(to: str, folder: Path) -> Path:
        subprocess.run(
            [
                soffice,
                "--headless",
                "--norestore",
                f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
                "--convert-to",
                to,
                "--outdir",
                str(folder),
                str(tmp_path / "summary.xlsx"),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        found = sorted(folder.glob("summary.*"))
        if not found:
            pytest.skip("LibreOffice has no Calc here (apt install libreoffice-calc-nogui)")
        return found[0]

    text = convert("csv:Text - txt - csv (StarCalc):44,34,76,1", tmp_path / "csv").read_text(
        "utf-8"
    )
    assert gen.LATE in text and gen.MISSING in text
    ours = openpyxl.load_workbook(out / "summary.xlsx")
    theirs = openpyxl.load_workbook(convert("xlsx", tmp_path / "xlsx"))
    assert theirs.sheetnames == ours.sheetnames
    for name in ours.sheetnames:
        merged = {str(r) for r in ours[name].merged_cells.ranges}
        assert {str(r) for r in theirs[name].merged_cells.ranges} == merged, name


@pytest.mark.parametrize("year", ["1899", "3000", "9999"])
def test_a_year_out_of_range_is_a_usage_error(
    year: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from .conftest import EXAMPLES

    code, err = run_cli(capsys, "summary", str(EXAMPLES), "-o", str(tmp_path), "--year", year)
    assert code == 2 and "年度应在" in err


def test_a_year_without_reports_is_summarized_as_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from .conftest import EXAMPLES

    code, _ = run_cli(capsys, "summary", str(EXAMPLES), "-o", str(tmp_path), "--year", "1990")
    assert code == 0
    doc = json.loads((tmp_path / "summary.json").read_text("utf-8"))
    assert doc["coverage"]["agencies"] == [] and doc["findings"] == []


@pytest.mark.skipif(sys.platform != "linux", reason="needs a file system that takes any bytes")
def test_a_folder_name_that_is_not_utf8_is_refused_before_writing(
    made: gen.Tree, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "reports"
    shutil.copytree(made.root / "north", root / "north")
    bad = os.fsencode(root) + b"/\xff"
    os.mkdir(bad)
    shutil.copy(made.root / "north" / "a01" / "2023.yaml", os.fsdecode(bad) + "/2023.yaml")
    code, err = run_cli(capsys, "summary", str(root), "-o", str(tmp_path / "o"))
    assert code == 2 and "不是 UTF-8" in err and "\\xff" in err
    assert not (tmp_path / "o").exists()


def test_one_agencys_folder_is_a_tree_of_one(tmp_path: Path) -> None:
    """nianbao summary reports/yunshan-hbj: its three years, with their trends."""
    from .conftest import EXAMPLES

    run(EXAMPLES / "yunshan-hbj", "yunshan-hbj", tmp_path)
    doc = json.loads((tmp_path / "summary.json").read_text("utf-8"))
    assert doc["years"] == [2019, 2020, 2021]
    assert [a["agency"] for a in doc["coverage"]["agencies"]] == ["yunshan-hbj"]


def test_other_hash_seeds_give_the_same_bytes(made: gen.Tree, tmp_path: Path) -> None:
    """Two processes with different PYTHONHASHSEED (set orders differ) write identical files."""
    root = tmp_path / "reports"
    shutil.copytree(made.root / "north", root / "north")
    shutil.copytree(made.root / "west", root / "west")
    for seed in ("1", "2"):
        subprocess.run(
            [sys.executable, "-m", "generator", "summary", "reports", "-o", f"out{seed}"],
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": seed},
            capture_output=True,
            check=False,
            timeout=120,
        )
    for name in OUTPUTS:
        assert (tmp_path / "out1" / name).read_bytes() == (tmp_path / "out2" / name).read_bytes()
