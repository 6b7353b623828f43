"""A DOCX full of odd characters still opens in LibreOffice.

Every case must end with exit 1 (the report is wrong) or 2 (the file or the environment
is wrong), a message that names the problem and the file, and no code run on the
report's behalf, within the bounds of ``tests/support.py`` (``SECONDS``, ``PEAK`` for
in-process runs; ``CHILD_SECONDS``, ``CHILD_RSS`` for child processes).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from .support import dump, measured, report_data, write

pytestmark = pytest.mark.usefixtures("in_tmp", "hostile_measurements")


# --------------------------------------------------------------------------- LibreOffice


@pytest.mark.office
def test_a_docx_with_odd_characters_opens_in_libreoffice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """RTL marks and overrides, zero-width spaces and joiners, emoji, astral CJK, full-width
    digits, NBSP and line separators in the narrative and the agency: LibreOffice converts
    the DOCX to a PDF (private profile, 120 s limit)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) not installed")
    odd = "\u200f\u202e\u200b\u200d😀👩\u200d👩\u200d👧𠀀１２\u00a0\u2028\u2029e\u0301\ufeff"
    data = report_data()
    data["agency"] = f"清河{odd}办公室"
    data["problems"]["text"] = f"**一是{odd}。**问题{odd}。\n\n- 条目{odd}\n- <b>{odd}</b>"
    src = write(tmp_path / "ag" / "2022.yaml", dump(data))
    code, err, _, _ = measured(
        capsys, "build", "-q", "-j", "1", "-f", "docx", "-o", "out", str(src)
    )
    assert code == 0, err
    docx = tmp_path / "out" / "ag" / "2022.docx"
    proc = subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"), str(docx)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    pdf = tmp_path / "pdf" / "2022.pdf"
    assert proc.returncode == 0 and pdf.is_file(), proc.stderr
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000
