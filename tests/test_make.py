"""GNU make over a reports repository settles: after a build, ``make -q`` has nothing to do.

nianbao leaves identical outputs alone, so a touched report stayed newer than its
outputs for ever; ``build --touch`` (used by examples/Makefile) renews them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .support import ROOT

MAKE = shutil.which("make")
pytestmark = pytest.mark.skipif(MAKE is None, reason="没有 GNU make")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "examples" / "reports", tmp_path / "reports")
    shutil.copy(ROOT / "examples" / "Makefile", tmp_path / "Makefile")
    (tmp_path / ".git").mkdir()
    return tmp_path


def make(tree: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert MAKE is not None
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SOURCE_DATE_EPOCH": "1700000000"}
    return subprocess.run(
        [MAKE, f"NIANBAO={sys.executable} -m generator", *args],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _touch(path: Path) -> None:
    """Make a report newer than its outputs without dating it in the future.

    A source dated ahead of the clock stays newer than outputs that ``--touch`` renews to
    the present, and make then never settles; instead the report's own outputs are dated
    back, so the report is clearly newer whatever the clock's grain.
    """
    past = time.time() - 2
    agency = path.parent.name
    for out in (path.parents[2] / "build" / agency).glob(f"{path.stem}.*"):
        os.utime(out, (past, past))
    os.utime(path)


def test_make_settles_after_a_build_and_after_a_touch(tree: Path) -> None:
    first = make(tree, "-j2")
    assert first.returncode == 0, first.stderr
    assert make(tree, "-q").returncode == 0
    _touch(tree / "reports" / "lanxi-sfj" / "2023.yaml")
    again = make(tree)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("build -q --touch") == 1  # one nianbao run for all stale reports
    assert make(tree, "-q").returncode == 0


def test_deleting_last_years_report_does_not_break_make(tree: Path) -> None:
    assert make(tree, "-j2").returncode == 0
    deps = (tree / "build" / "deps.mk").read_text(encoding="utf-8")
    assert "\nreports/lanxi-sfj/2023.yaml:\n" in deps  # -MP: an empty rule per prerequisite
    (tree / "reports" / "lanxi-sfj" / "2023.yaml").unlink()
    after = make(tree)
    assert after.returncode == 0, after.stderr
    assert "No rule to make target" not in after.stderr


def test_the_depfile_names_no_file_inside_nianbao(tree: Path) -> None:
    assert make(tree, "build/deps.mk").returncode == 0
    deps = (tree / "build" / "deps.mk").read_text(encoding="utf-8")
    assert "site-packages" not in deps and "generator/" not in deps and ".j2" not in deps
