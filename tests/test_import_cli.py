"""``nianbao import``: where it writes, what it prints, when it refuses, its exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.cli import main

from . import import_fixtures as F

RECEIVED = ("applications", "received", "natural_person")


def _page(tmp_path: Path, name: str = "page.html", **kw: object) -> Path:
    path = tmp_path / name
    path.write_text(F.to_html(F.report(**kw)), "utf-8")  # type: ignore[arg-type]
    return path


def test_writes_agency_and_year_below_the_output_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = _page(tmp_path, agency="某县水利局", year=2023)
    assert main(["import", str(page), "-o", str(tmp_path / "reports")]) == 0
    out = tmp_path / "reports" / "某县水利局" / "2023.yaml"
    assert out.is_file()
    line = capsys.readouterr().err
    assert "表格 3 个" in line and "数字 200 个" in line and "全部读出" in line


def test_with_one_source_the_output_may_name_the_yaml_file(tmp_path: Path) -> None:
    target = tmp_path / "mine.yaml"
    assert main(["import", str(_page(tmp_path)), "-o", str(target)]) == 0
    assert target.read_text("utf-8").startswith("# 由 nianbao import 导入")


def test_never_overwrites_without_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "r.yaml"
    target.write_text("keep", "utf-8")
    assert main(["import", str(_page(tmp_path)), "-o", str(target)]) == 2
    assert "--force" in capsys.readouterr().err
    assert target.read_text("utf-8") == "keep"
    assert main(["import", str(_page(tmp_path)), "-o", str(target), "--force"]) == 0
    assert target.read_text("utf-8") != "keep"


def test_agency_and_year_flags_override_the_title(tmp_path: Path) -> None:
    args = [
        "import",
        str(_page(tmp_path)),
        "-o",
        str(tmp_path / "o"),
        "--agency",
        "甲局",
        "--year",
        "2021",
    ]
    assert main(args) == 0
    text = (tmp_path / "o" / "甲局" / "2021.yaml").read_text("utf-8")
    assert 'agency: "甲局"' in text and "year: 2021" in text


def test_exit_1_when_some_figures_could_not_be_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    html = F.to_html(F.report())
    start = html.index("<p><span>四、")
    end = html.index("</table>", start) + len("</table>")
    page = tmp_path / "no-t4.html"
    page.write_text(html[:start] + html[end:], "utf-8")
    assert main(["import", str(page), "-o", str(tmp_path / "o")]) == 1
    assert "无法读出 15 个" in capsys.readouterr().err
    text = next((tmp_path / "o").rglob("*.yaml")).read_text("utf-8")
    assert 'review: {upheld: "?"' in text


def test_one_unreadable_source_does_not_stop_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.html"
    bad.write_text("<html><body><p>你好</p></body></html>", "utf-8")
    good = _page(tmp_path)
    assert main(["import", str(bad), str(good), "-o", str(tmp_path / "o")]) == 2
    assert len(list((tmp_path / "o").rglob("*.yaml"))) == 1
    assert "bad.html" in capsys.readouterr().err


def test_two_sources_cannot_share_one_yaml_file(tmp_path: Path) -> None:
    a, b = _page(tmp_path, "a.html"), _page(tmp_path, "b.html")
    assert main(["import", str(a), str(b), "-o", str(tmp_path / "x.yaml")]) == 2


def test_the_same_sources_give_the_same_bytes(tmp_path: Path) -> None:
    page = _page(tmp_path, values={RECEIVED: ""})
    main(["import", str(page), "-o", str(tmp_path / "a.yaml")])
    main(["import", str(page), "-o", str(tmp_path / "b.yaml")])
    assert (tmp_path / "a.yaml").read_bytes() == (tmp_path / "b.yaml").read_bytes()


def test_help_does_not_import_the_readers() -> None:
    import subprocess
    import sys

    heavy = "('lxml', 'pdfplumber', 'openpyxl', 'generator.importer')"
    code = (
        "import sys; from generator.cli import main\n"
        "try: main(['import', '--help'])\nexcept SystemExit: pass\n"
        f"print(sorted(m for m in sys.modules if m.startswith({heavy})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
