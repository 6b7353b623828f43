"""An installed wheel works outside the checkout: templates and schema ship inside it."""

from __future__ import annotations

import shutil
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from .conftest import EXAMPLES, ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with nianbao installed from a freshly built wheel; returns its python."""
    tmp = tmp_path_factory.mktemp("wheel")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    if build.returncode != 0:
        pytest.skip(f"cannot build a wheel here (no access to hatchling?): {build.stderr[-300:]}")
    (wheel,) = tmp.glob("nianbao-*.whl")
    env = tmp / "venv"
    venv.create(env, with_pip=False)
    python = env / "bin" / "python"
    # The dependencies come from this test run's environment; nianbao only from the wheel.
    deps = ":".join(site.getsitepackages())
    target = next((env / "lib").glob("python3*/site-packages"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
    )
    (target / "_deps.pth").write_text(deps.replace(":", "\n") + "\n", encoding="utf-8")
    return python


def run(python: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), "-m", "generator", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


def test_the_wheel_carries_templates_and_schema(installed: Path) -> None:
    """generator/templates and generator/schema are inside the installed package."""
    proc = subprocess.run(
        [
            str(installed),
            "-c",
            "import generator, pathlib; p = pathlib.Path(generator.__file__).parent;"
            "print((p / 'templates/html').is_dir(),"
            " (p / 'schema/report.schema.json').is_file(), p)",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
    )
    assert proc.stdout.split()[:2] == ["True", "True"]
    assert str(ROOT) not in proc.stdout


def test_the_installed_command_validates_and_builds_the_examples(
    installed: Path, tmp_path: Path
) -> None:
    """Outside the checkout, the wheel validates every example and builds the seed."""
    shutil.copytree(EXAMPLES, tmp_path / "reports")
    (tmp_path / ".git").mkdir()
    proc = run(installed, tmp_path, "validate", "reports")
    assert proc.returncode == 0, proc.stderr
    assert "0 个错误" in proc.stdout
    proc = run(installed, tmp_path, "build", "-j", "1", "reports/shangqiu-gxj/2021.yaml")
    assert proc.returncode == 0, proc.stderr
    assert {p.name for p in (tmp_path / "build" / "shangqiu-gxj").iterdir()} == {
        "2021.docx",
        "2021.html",
        "2021.md",
    }
