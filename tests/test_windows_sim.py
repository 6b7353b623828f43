"""nianbao on Windows, simulated: the build, clean and deps suites pass without POSIX.

Most agency PCs run Windows, where ``fcntl`` does not exist and ``os.kill(pid, 0)``
sends CTRL_C_EVENT.  tests/winsim/sitecustomize.py makes a Linux Python refuse the
POSIX-only modules, spawn worker processes as Windows does, and show nianbao a
``sys.platform`` of "win32" (with kernel32's process calls answered from /proc), so
every Windows branch runs.  The suites then run unchanged inside that Python.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import types

import pytest

from .support import ROOT

WINSIM = ROOT / "tests" / "winsim"
POSIX_ONLY = {"fcntl", "resource", "pwd", "grp", "termios", "pty", "tty"}


def _winsim_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": f"{WINSIM}{os.pathsep}{ROOT}", "NIANBAO_WINSIM": "1"}


def test_the_simulation_takes_effect() -> None:
    """Inside it, nianbao sees win32 and an ``import fcntl`` fails."""
    code = (
        "import generator.output as o\n"
        "print(o.sys.platform)\n"
        "try:\n    import fcntl\nexcept ImportError:\n    print('no fcntl')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], env=_winsim_env(), capture_output=True, text=True
    )
    assert proc.stdout.split("\n")[:2] == ["win32", "no fcntl"], proc.stderr


def test_build_clean_and_deps_suites_pass_on_simulated_windows() -> None:
    """test_build, test_clean and test_deps, run whole in the simulated Windows."""
    suites = [f"tests/{name}" for name in ("test_build.py", "test_clean.py", "test_deps.py")]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *suites],
        env=_winsim_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and " failed" not in proc.stdout


def _top_level_imports(tree: ast.Module) -> set[str]:
    """Modules imported where no ``if``, ``try`` or function guards the import."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_no_posix_only_module_is_imported_unconditionally() -> None:
    """Every module of generator/ and nianbao/, read as code: no bare fcntl, pwd, …"""
    found = {}
    for package in ("generator", "nianbao"):
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            bad = _top_level_imports(tree) & POSIX_ONLY
            if bad:
                found[str(path.relative_to(ROOT))] = sorted(bad)
    assert found == {}


def test_the_liveness_test_sends_no_signal_on_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    """On Windows ``os.kill(pid, 0)`` would send CTRL_C_EVENT: it must not be called."""
    from generator import output

    def kill(pid: int, sig: int) -> None:
        raise AssertionError("os.kill called on Windows")

    monkeypatch.setattr(output, "sys", types.SimpleNamespace(platform="win32"))
    monkeypatch.setattr(output.os, "kill", kill)
    assert output._running(os.getpid())  # no kernel32 here: unsure, so the file is kept
