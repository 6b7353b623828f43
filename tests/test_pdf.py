"""``nianbao build -f pdf``: the DOCX laid out by LibreOffice, once per build.

The PDFs of every example and variant (``print_build``, one office process) carry
only embedded Chinese faces, say /Lang zh-CN, name the report and its agency, and are
byte-identical from one build to the next; a build with nothing changed does not
start LibreOffice; a missing or hanging LibreOffice is an environment error (exit 2).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from generator import pdf
from generator.errors import UsageError

from .conftest import PrintBuild, run_cli
from .printing import PDFINFO, _run, pdffonts

SEED_PDF = "shangqiu-gxj/2021"


def _pdfs(build: PrintBuild) -> list[Path]:
    return sorted((build.repo / "build").rglob("*.pdf"))


def test_every_report_gets_a_pdf(print_build: PrintBuild) -> None:
    """The build succeeds and writes one PDF per report, beside its DOCX."""
    assert print_build.code == 0
    assert len(_pdfs(print_build)) == len(print_build.reports)
    for name in print_build.reports:
        assert print_build.pdf(name).read_bytes().startswith(b"%PDF-")


def test_every_font_is_embedded_and_chinese(print_build: PrintBuild) -> None:
    """pdffonts: every font embedded (and subset); every one a Noto CJK face, none a
    Latin-only or Japanese-only one."""
    for path in _pdfs(print_build):
        fonts = pdffonts(path)
        assert fonts, path
        for font in fonts:
            assert font["emb"] == "yes" and font["sub"] == "yes", (path, font)
            assert re.match(r"[A-Z]{6}\+Noto(Serif|Sans)CJK", font["name"]), (path, font)


@pytest.mark.skipif(shutil.which("fc-match") is None, reason="fontconfig's fc-match is missing")
@pytest.mark.parametrize(
    ("family", "face"),
    [
        ("仿宋_GB2312", "Noto Serif CJK SC"),
        ("楷体_GB2312", "Noto Serif CJK SC"),
        ("方正小标宋简体", "Noto Serif CJK SC"),
        ("宋体", "Noto Serif CJK SC"),
        ("黑体", "Noto Sans CJK SC"),
    ],
)
def test_the_font_aliases_pick_the_chinese_variant(family: str, face: str) -> None:
    """With nianbao's fonts.conf, each 公文 font resolves to the SC face of Noto CJK.

    (pdffonts cannot show this: the faces of a Noto CJK collection share one CFF
    table whose internal name is the Japanese one, so every subset is named
    ``NotoSerifCJKjp-…``; the glyphs are those of the face that fontconfig chose.)
    """
    if not any("Noto Serif CJK SC" in line for line in _run("fc-list").splitlines()):
        pytest.skip("Noto CJK is not installed (apt install fonts-noto-cjk)")
    env = {**os.environ, "FONTCONFIG_FILE": str(pdf.FONTS_CONF)}
    done = subprocess.run(
        ["fc-match", "-f", "%{family}", f"{family}:lang=zh-cn"],
        env=env, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    assert face in done.stdout.split(",")


def test_pdfs_say_zh_cn_and_name_title_and_agency(print_build: PrintBuild) -> None:
    """/Lang (zh-CN), Title and Author (the agency) come from the DOCX properties."""
    assert PDFINFO is not None
    for name, report in print_build.reports.items():
        path = print_build.pdf(name)
        assert b"/Lang(zh-CN)" in path.read_bytes(), name
        info = _run(PDFINFO, str(path))
        assert re.search(rf"^Title:\s+{re.escape(report.title)}$", info, re.M), info
        assert re.search(rf"^Author:\s+{re.escape(report.agency)}$", info, re.M), info


def test_pdf_dates_are_the_publication_date(print_build: PrintBuild) -> None:
    """CreationDate and ModDate are the report's publication date, not the build's clock."""
    data = print_build.pdf(SEED_PDF).read_bytes()
    assert set(re.findall(rb"/(?:CreationDate|ModDate)\s*\(D:(\d{14})", data)) == {
        b"20220120000000"
    }


def test_two_builds_give_the_same_bytes(print_build: PrintBuild, tmp_path: Path) -> None:
    """The examples built again, elsewhere, give byte-identical PDFs."""
    from generator.cli import main

    (tmp_path / ".git").mkdir()
    shutil.copytree(print_build.repo / "reports", tmp_path / "reports")
    for extra in (tmp_path / "reports").glob("variant-*"):
        shutil.rmtree(extra)
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        assert main(["build", "-f", "pdf", "-j", "1"]) == 0
    finally:
        os.chdir(old)
    again = sorted((tmp_path / "build").rglob("*.pdf"))
    assert len(again) == 7
    for path in again:
        first = print_build.repo / "build" / path.relative_to(tmp_path / "build")
        assert path.read_bytes() == first.read_bytes(), path


def test_pdfs_are_recorded_in_the_manifest(print_build: PrintBuild) -> None:
    """Each PDF is in the manifest with its size and SHA-256, so clean can remove it."""
    manifest = json.loads((print_build.repo / "build" / ".nianbao-manifest.json").read_text())
    entries = manifest.get("outputs", manifest)
    data = print_build.pdf(SEED_PDF).read_bytes()
    (entry,) = [v for k, v in entries.items() if k.endswith(f"{SEED_PDF}.pdf")]
    assert entry["size"] == len(data)
    assert entry["sha256"] == hashlib.sha256(data).hexdigest()


def test_an_up_to_date_build_does_not_start_libreoffice(
    print_build: PrintBuild, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nothing changed: every PDF is up to date and no office process is needed
    (an unusable NIANBAO_SOFFICE would fail the build if one were started)."""
    monkeypatch.chdir(print_build.repo)
    monkeypatch.setenv("NIANBAO_SOFFICE", str(print_build.repo / "no-such-soffice"))
    before = {p: p.stat().st_mtime_ns for p in _pdfs(print_build)}
    code, err = run_cli(capsys, "build", "-f", "docx,pdf")
    assert code == 0, err  # exit 2 had LibreOffice been needed
    assert {p: p.stat().st_mtime_ns for p in _pdfs(print_build)} == before


# --------------------------------------------------------------------------- failures


def test_missing_libreoffice_is_exit_2_saying_how_to_install(
    reports_repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No LibreOffice: exit 2 with the install command, and no PDF written."""
    monkeypatch.setenv("NIANBAO_SOFFICE", str(reports_repo / "missing" / "soffice"))
    code, err = run_cli(capsys, "build", "reports/shangqiu-gxj/2021.yaml", "-f", "pdf")
    assert code == 2
    assert "apt install libreoffice-writer-nogui" in err
    assert "libreoffice.org" in err
    assert not list(reports_repo.rglob("*.pdf"))


def test_find_soffice_without_any_install_says_how_to_get_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Nothing on PATH nor in the usual places: the message names the installers."""
    monkeypatch.delenv("NIANBAO_SOFFICE", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(pdf, "_usual_places", lambda: [tmp_path / "soffice"])
    with pytest.raises(
        UsageError, match=re.escape("Windows：从 https://www.libreoffice.org/download/")
    ):
        pdf.find_soffice()


@pytest.mark.skipif(sys.platform == "win32", reason="the fake office is a shell script")
def test_a_hanging_office_process_times_out(
    reports_repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An office process that never finishes is killed after the timeout: exit 2."""
    fake = reports_repo / "soffice"
    fake.write_text("#!/bin/sh\nexec sleep 60\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("NIANBAO_SOFFICE", str(fake))
    monkeypatch.setattr(pdf, "TIMEOUT_BASE", 0.5)
    monkeypatch.setattr(pdf, "TIMEOUT_PER_FILE", 0.0)
    code, err = run_cli(capsys, "build", "reports/shangqiu-gxj/2021.yaml", "-f", "pdf")
    assert code == 2
    assert "LibreOffice 转换超时" in err


@pytest.mark.skipif(sys.platform == "win32", reason="the fake office is a shell script")
def test_a_file_the_office_cannot_convert_fails_its_report(
    reports_repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An office process that writes no PDF fails the report, naming LibreOffice."""
    fake = reports_repo / "soffice"
    fake.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("NIANBAO_SOFFICE", str(fake))
    code, err = run_cli(capsys, "build", "reports/shangqiu-gxj/2021.yaml", "-f", "docx,pdf")
    assert code == 2
    assert "LibreOffice 未能把这份报告转换为 PDF" in err
    assert not list(reports_repo.rglob("*.pdf"))


# --------------------------------------------------------------------------- bytes


def test_reproducible_fixes_dates_and_id_in_place() -> None:
    """Dates and /ID are replaced by bytes of the same length: offsets stay valid."""
    raw = (
        b"%PDF-1.6\n1 0 obj<</CreationDate(D:20261204031757Z')/ModDate(D:20261204031757Z')>>\n"
        b"trailer<</ID [ <CBECA544A2A7825877D05CFDED864ADC>\n<CBECA544A2A7825877D05CFDED864ADC> ]>>"
    )
    when = datetime(2022, 1, 20, tzinfo=UTC)
    out = pdf.reproducible(raw, when)
    assert len(out) == len(raw)
    assert out.count(b"D:20220120000000Z'") == 2
    other = raw.replace(b"CBECA544A2A7825877D05CFDED864ADC", b"0123456789ABCDEF0123456789ABCDEF")
    assert pdf.reproducible(other.replace(b"031757", b"101010"), when) == out


@pytest.mark.skipif(sys.platform == "win32", reason="the fake office is a shell script")
def test_a_stop_request_ends_the_office_process(tmp_path: Path) -> None:
    """Ctrl-C or SIGTERM during the conversion (the build sets its stop event): the
    office process is killed at once and the conversion fails saying so."""
    import threading

    pid_file = tmp_path / "pid"
    fake = tmp_path / "soffice"
    fake.write_text(f"#!/bin/sh\necho $$ > '{pid_file}'\nexec sleep 60\n", encoding="utf-8")
    fake.chmod(0o755)
    stop = threading.Event()
    stop.set()
    with pytest.raises(pdf.ConversionError, match="已停止"):
        pdf.convert(str(fake), [b"not a docx"], stop)
    if pid_file.exists():  # the shell got as far as writing its pid: it must be gone
        pid = int(pid_file.read_text())
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


@pytest.mark.skipif(sys.platform == "win32", reason="the fake office is a shell script")
def test_very_large_builds_convert_in_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More PDFs than fit on one command line: one office process per batch, every PDF
    written to its own output."""
    from generator.build import BuildResult, Target

    log = tmp_path / "calls"
    fake = tmp_path / "soffice"
    fake.write_text(
        "#!/bin/sh\n"
        f"echo call >> '{log}'\n"
        'for a in "$@"; do case "$a" in *.docx) n=$(basename "$a" .docx);'
        ' printf "%%PDF-1.4\\n%%%%EOF\\n" > "out/$n.pdf";; esac; done\n',
        encoding="utf-8",
    )
    fake.chmod(0o755)
    monkeypatch.setenv("NIANBAO_SOFFICE", str(fake))
    monkeypatch.setattr(pdf, "MAX_BATCH", 2)
    out = tmp_path / "build"
    out.mkdir()
    results = [
        BuildResult(Target(tmp_path / f"{i}.yaml", f"{i}", {"pdf": out / f"{i}.pdf"}, out))
        for i in range(5)
    ]
    pdf.finish([(r, b"docx") for r in results])
    assert log.read_text().split() == ["call"] * 3
    assert all(r.ok and r.sizes["pdf"] > 0 for r in results)
    assert sorted(p.name for p in out.iterdir()) == [f"{i}.pdf" for i in range(5)]


def test_the_page_number_sits_7_mm_under_the_text_block(print_build: PrintBuild) -> None:
    """GB/T 9704: the dashes of "— N —" 7 mm under the text block (which ends 35 mm
    above the page's foot); measured at the middle of the dash's glyph box."""
    from .printing import PDFTOTEXT

    assert PDFTOTEXT is not None
    box = _run(PDFTOTEXT, "-f", "1", "-l", "1", "-bbox", str(print_build.pdf(SEED_PDF)), "-")
    dashes = re.findall(r'yMin="([0-9.]+)" xMax="[0-9.]+" yMax="([0-9.]+)">—<', box)
    assert dashes
    middle_mm = (float(dashes[0][0]) + float(dashes[0][1])) / 2 * 25.4 / 72
    assert abs(middle_mm - (297 - 35) - 7) < 0.5, middle_mm
