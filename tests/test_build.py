"""Builds: outputs mirror sources, only what changed is rebuilt, clean removes only ours."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from generator.cli import main

from .conftest import EXAMPLES, MINIMAL, example_reports

N = len(example_reports())


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A reports repository (copy of the examples) as the current directory."""
    shutil.copytree(EXAMPLES, tmp_path / "reports")
    (tmp_path / ".git").mkdir()  # stops the config search here
    monkeypatch.chdir(tmp_path)
    return tmp_path


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".nianbao")
    }


def test_build_without_paths_builds_the_whole_tree(repo: Path) -> None:
    """`nianbao build` mirrors reports/<agency>/<year>.yaml into build/."""
    assert main(["build", "-j", "1"]) == 0
    names = sorted(digest(repo / "build"))
    expected = sorted(
        f"{p.relative_to(repo / 'reports').with_suffix('')}.{s}"
        for p in (repo / "reports").rglob("*.yaml")
        for s in ("docx", "html", "md")
    )
    assert names == expected


def test_a_second_build_does_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Nothing changed, so nothing is rendered or written."""
    main(["build", "-j", "1"])
    stamps = {p: p.stat().st_mtime_ns for p in (repo / "build").rglob("*.md")}
    capsys.readouterr()
    assert main(["build", "-j", "1"]) == 0
    assert f"生成 0 份，已是最新 {N} 份" in capsys.readouterr().out
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps


def test_changing_one_report_rebuilds_it_and_its_next_year(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Editing 2023 rebuilds 2023 and 2024 (whose cross-year rules read 2023), nothing else."""
    main(["build", "-j", "1"])
    src = repo / "reports" / "lanxi-sfj" / "2023.yaml"
    src.write_text(src.read_text("utf-8") + "\n# 注释\n", "utf-8")
    capsys.readouterr()
    assert main(["build", "-j", "1", "-v"]) == 0
    assert f"生成 2 份，已是最新 {N - 2} 份" in capsys.readouterr().out


def test_unchanged_output_bytes_are_not_rewritten(repo: Path) -> None:
    """A comment-only edit re-renders, but identical outputs keep their timestamps."""
    main(["build", "-j", "1"])
    src = repo / "reports" / "shangqiu-gxj" / "2021.yaml"
    out = repo / "build" / "shangqiu-gxj" / "2021.md"
    before = out.stat().st_mtime_ns
    src.write_text(src.read_text("utf-8") + "\n# 只改注释\n", "utf-8")
    assert main(["build", "-j", "1"]) == 0
    assert out.stat().st_mtime_ns == before


def test_force_rebuilds_everything(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--force ignores the manifest."""
    main(["build", "-j", "1"])
    capsys.readouterr()
    main(["build", "-j", "1", "--force"])
    assert f"生成 {N} 份" in capsys.readouterr().out


def test_parallel_and_serial_builds_give_the_same_bytes(repo: Path) -> None:
    """-j 2 and -j 1 produce identical outputs."""
    main(["build", "-j", "2", "-o", "par"])
    main(["build", "-j", "1", "-o", "ser"])
    assert digest(repo / "par") == digest(repo / "ser")


def test_outputs_are_reproducible_across_directories(tmp_path: Path) -> None:
    """The same sources built in two places give byte-identical files."""
    results = []
    for name in ("one", "two"):
        root = tmp_path / name
        shutil.copytree(EXAMPLES, root / "reports")
        (root / ".git").mkdir()
        cwd = Path.cwd()
        os.chdir(root)
        try:
            assert main(["build", "-j", "1"]) == 0
        finally:
            os.chdir(cwd)
        results.append(digest(root / "build"))
    assert results[0] == results[1]


def test_a_failing_report_does_not_stop_the_others(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One invalid report fails (exit 1) and is named; the rest are built."""
    bad = repo / "reports" / "broken" / "2022.yaml"
    bad.parent.mkdir()
    bad.write_text(MINIMAL + "applications:\n  received: {business: -1}\n", "utf-8")
    assert main(["build", "-j", "2"]) == 1
    err = capsys.readouterr().err
    assert "失败的报告（1）" in err and "reports/broken/2022.yaml: 1 个错误" in err
    assert (repo / "build" / "shangqiu-gxj" / "2021.docx").is_file()
    assert not (repo / "build" / "broken").exists()


def test_format_option_limits_outputs(repo: Path) -> None:
    """-f md builds only Markdown."""
    assert main(["build", "-f", "md", "reports/shangqiu-gxj/2021.yaml"]) == 0
    assert sorted(p.name for p in (repo / "build").rglob("2021.*")) == ["2021.md"]


def test_unknown_format_is_a_usage_error(repo: Path) -> None:
    """-f odt (an unknown format) exits 2."""
    assert main(["build", "-f", "odt"]) == 2


def test_clean_removes_only_what_the_build_made(repo: Path) -> None:
    """A file the user put in build/ survives clean."""
    main(["build", "-j", "1"])
    mine = repo / "build" / "notes.txt"
    mine.write_text("keep", "utf-8")
    assert main(["clean"]) == 0
    assert [p.relative_to(repo) for p in (repo / "build").rglob("*")] == [Path("build/notes.txt")]


def test_config_file_sets_source_output_and_formats(repo: Path) -> None:
    """nianbao.toml moves the output and narrows the formats."""
    (repo / "nianbao.toml").write_text('output = "site"\nformats = ["html"]\n', "utf-8")
    assert main(["build", "-j", "1"]) == 0
    made = {p.suffix for p in (repo / "site").rglob("*") if not p.name.startswith(".nianbao")}
    assert made == {"", ".html"}  # folders and HTML files only


def test_unknown_config_keys_are_usage_errors(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A typo in nianbao.toml is reported, not ignored."""
    (repo / "nianbao.toml").write_text('outptu = "site"\n', "utf-8")
    assert main(["build"]) == 2
    assert "未知的配置项 outptu" in capsys.readouterr().err


def test_deps_prints_make_rules(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each output depends on its YAML and last year's YAML; nianbao's own files are not named."""
    assert main(["deps", "reports/lanxi-sfj/2024.yaml"]) == 0
    lines = capsys.readouterr().out.splitlines()
    docx = next(line for line in lines if line.startswith("build/lanxi-sfj/2024.docx:"))
    assert "reports/lanxi-sfj/2024.yaml reports/lanxi-sfj/2023.yaml" in docx
    assert "gov2021.yaml" not in docx  # shipped with nianbao, not the user's file
    html = next(line for line in lines if line.startswith("build/lanxi-sfj/2024.html:"))
    assert "report.html.j2" not in html
