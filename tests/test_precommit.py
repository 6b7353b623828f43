"""pre-commit: an edit to last year's report that breaks this year's is not committed.

A real pre-commit (from the test extras) runs the hook that ``nianbao init`` writes,
in a real git repository; nianbao is reached as the ``nianbao`` command on PATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .support import ROOT

PRE_COMMIT = shutil.which("pre-commit") or str(Path(sys.executable).with_name("pre-commit"))
pytestmark = [
    pytest.mark.skipif(not Path(PRE_COMMIT).is_file(), reason="没有安装 pre-commit"),
    pytest.mark.skipif(shutil.which("git") is None, reason="没有 git"),
    pytest.mark.skipif(sys.platform == "win32", reason="the nianbao shim below is a shell script"),
]


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    from generator.init_repo import init_repo

    repo = tmp_path / "repo"
    init_repo(repo)
    shutil.copytree(ROOT / "examples" / "reports" / "lanxi-sfj", repo / "reports" / "lanxi-sfj")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "nianbao"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m generator "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(ROOT),
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "GIT_AUTHOR_NAME": "测试",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "测试",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    for argv in (
        ["git", "init", "-q", "-b", "main"],
        ["git", "add", "."],
        ["git", "commit", "-q", "-m", "init"],
        [PRE_COMMIT, "install"],
    ):
        subprocess.run(argv, cwd=repo, env=env, check=True, capture_output=True)
    return repo, env


def _commit(repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    subprocess.run(["git", "add", "-A"], cwd=repo, env=env, check=True)
    return subprocess.run(
        ["git", "commit", "-m", "edit"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_editing_last_year_is_blocked_when_it_breaks_this_year(
    repo: tuple[Path, dict[str, str]],
) -> None:
    """One 2023 application moved from 予以公开 to 结转下年度: 2023 still balances, but
    2024's 上年结转 no longer equals it (X-CARRY)."""
    root, env = repo
    last = root / "reports" / "lanxi-sfj" / "2023.yaml"
    text = last.read_text(encoding="utf-8")
    text = text.replace("granted: {natural_person: 15,", "granted: {natural_person: 14,")
    text = text.replace(
        "carried_forward: {natural_person: 3,", "carried_forward: {natural_person: 4,"
    )
    last.write_text(text, encoding="utf-8")
    alone = subprocess.run(
        [sys.executable, "-m", "generator", "validate", str(last)], cwd=root, env=env
    )
    assert alone.returncode == 0
    done = _commit(root, env)
    assert done.returncode != 0, done.stdout + done.stderr
    assert "2024.yaml" in done.stdout + done.stderr and "X-CARRY" in done.stdout + done.stderr


def test_a_harmless_edit_is_committed(repo: tuple[Path, dict[str, str]]) -> None:
    root, env = repo
    last = root / "reports" / "lanxi-sfj" / "2023.yaml"
    last.write_text(last.read_text(encoding="utf-8") + "# 注释\n", encoding="utf-8")
    done = _commit(root, env)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_yml_report_is_checked_too(repo: tuple[Path, dict[str, str]]) -> None:
    root, env = repo
    (root / "reports" / "b").mkdir()
    (root / "reports" / "b" / "2022.yml").write_text("agency: 某局\nyear: 2022\nx: 1\n", "utf-8")
    done = _commit(root, env)
    assert done.returncode != 0 and "2022.yml" in done.stdout + done.stderr
