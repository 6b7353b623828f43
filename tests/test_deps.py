"""`nianbao deps`: make reads the depfile as code, so hostile folder names must stay names.

The depfile of a tree whose folder names hold every character make interprets is
included in a Makefile and run through real GNU make: nothing is executed, every
output is up to date while its sources are older, and touching one hostile source
makes exactly that output stale.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator.cli import main
from generator.deps import make_word

from .conftest import MINIMAL

HOSTILE = [
    "x$(shell touch PWNED)y",
    "x`touch PWNED`y",
    "a b",
    "hash#sign",
    "co:lon",
    "per%cent",
    "back\\slash",
    "back\\ slash",
    "pipe|x",
    "eq=ual",
    "[2024]",
    "star*q?",
    "~tilde",
    "amp&",
    "quote'\"",
    "paren(x)",
]
REFUSED = ["new\nline", "tab\there", "semi;colon", "cr\rx", "esc\x1b[31m"]

needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="GNU make not installed")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()  # stops the config search here
    monkeypatch.chdir(tmp_path)
    return tmp_path


def hostile_tree(repo: Path, names: list[str]) -> list[Path]:
    sources = []
    for name in names:
        path = repo / "reports" / name / "2022.yaml"
        path.parent.mkdir(parents=True)
        path.write_text(MINIMAL, encoding="utf-8")
        sources.append(path)
    return sources


def make(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-f", "Makefile", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@needs_make
def test_hostile_folder_names_stay_names_for_real_make(repo: Path) -> None:
    """Per hostile output: make -q says up to date (0) while its sources are older, stale
    (1) once its own source is touched, make -n works, and nothing ever runs."""
    if sys.platform == "win32":
        pytest.skip("folder names with these characters are POSIX-only")
    sources = hostile_tree(repo, HOSTILE)
    assert main(["deps", "-f", "md", "--depfile", "deps.mk"]) == 0
    outputs = [repo / "build" / s.parent.name / "2022.md" for s in sources]
    for out in outputs:  # outputs newer than every source and the format data
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("x", encoding="utf-8")
    for src in sources:
        os.utime(src, (1_000_000_000, 1_000_000_000))
    for out, src in zip(outputs, sources, strict=True):
        goal = make_word(str(out.relative_to(repo)))
        (repo / "Makefile").write_text(
            f"include deps.mk\nall: {goal}\nbuild/%.md:\n\t@touch MADE\n", encoding="utf-8"
        )
        fresh = make(repo, "-q", "all")
        assert fresh.returncode == 0, (out, fresh.stderr)
        os.utime(src, None)  # now newer than the output
        stale = make(repo, "-q", "all")
        assert stale.returncode == 1, (out, stale.stderr)
        dry = make(repo, "-n", "all")
        assert dry.returncode == 0, (out, dry.stderr)
        os.utime(src, (1_000_000_000, 1_000_000_000))
    assert not (repo / "MADE").exists() and not (repo / "PWNED").exists()


@pytest.mark.parametrize("name", REFUSED)
def test_a_name_make_cannot_represent_is_refused_by_name(
    repo: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Newlines, ``;`` (a recipe would start) and control characters: exit 2, the path escaped."""
    if sys.platform == "win32":
        pytest.skip("POSIX folder names")
    hostile_tree(repo, [name])
    assert main(["deps", "-f", "md", "--depfile", "deps.mk"]) == 2
    err = capsys.readouterr().err
    assert "make 无法表示" in err and "\x1b" not in err and "\r" not in err
    assert repr(name)[1:-1].split("\\")[0] in err
    assert not (repo / "deps.mk").exists()


def test_deps_follows_last_years_file_by_the_one_definition(repo: Path) -> None:
    """deps names last year's file exactly when validate and build compare with it."""
    hostile_tree(repo, ["a"])
    (repo / "reports" / "a" / "2021.yaml").write_text(
        MINIMAL.replace("2022", "2021"), encoding="utf-8"
    )
    assert main(["deps", "-f", "md", "--depfile", "deps.mk"]) == 0
    lines = (repo / "deps.mk").read_text().splitlines()[2:]
    rules = dict(line.split(": ", 1) for line in lines if ": " in line)
    assert rules["build/a/2022.md"].split()[:2] == ["reports/a/2022.yaml", "reports/a/2021.yaml"]
    assert rules["build/a/2021.md"].split()[0] == "reports/a/2021.yaml"
    assert "reports/a/2020.yaml" not in rules["build/a/2021.md"]
