"""DOCX → PDF with LibreOffice headless: the real office engine, one process per build.

Starting an office process costs seconds, converting a report in a running one a
fraction of that, so a build collects the DOCX of every PDF that is out of date and
converts them in one ``soffice --convert-to pdf`` call.  That process gets its own
profile directory (a user's open LibreOffice is neither used nor disturbed), a
timeout, and a fontconfig file (``fonts.conf`` beside this module) that maps the 公文
fonts to installed Chinese faces (Noto Serif/Sans CJK SC), never to the Japanese
variant that fontconfig would otherwise pick first.

LibreOffice stamps each PDF with the clock, ids and per-process font numbers;
``pdf_bytes.reproducible`` puts the DOCX's own date (the report's publication date)
and numbers derived from the file in their place, so the same sources give the same
bytes however many reports the office process converted before.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import UsageError
from .output import write_atomic
from .pdf_bytes import reproducible

if TYPE_CHECKING:
    from .build import BuildResult

__all__ = ["ConversionError", "convert", "find_soffice", "finish", "reproducible"]

FONTS_CONF = Path(__file__).with_name("fonts.conf")
TIMEOUT_BASE = 120.0  # seconds: starting the office process, first-run profile setup
TIMEOUT_PER_FILE = 20.0
MAX_BATCH = 2000  # files per office process: its command line stays under Windows' 32K
_POLL = 0.1  # seconds between looks at the stop request

_INSTALL = (
    "生成 PDF 需要 LibreOffice（soffice），但没有找到。请安装后重试：\n"
    "  Debian/Ubuntu：sudo apt install libreoffice-writer-nogui\n"
    "  Fedora：sudo dnf install libreoffice-writer\n"
    "  macOS：brew install --cask libreoffice\n"
    "  Windows：从 https://www.libreoffice.org/download/ 下载安装程序\n"
    "已安装在别处时，用环境变量 NIANBAO_SOFFICE 指明 soffice 的完整路径。"
)


class ConversionError(Exception):
    """The office process failed as a whole (it could not start, crashed or timed out)."""


def find_soffice() -> str:
    """The LibreOffice program to run; UsageError (exit 2) saying how to install it."""
    named = os.environ.get("NIANBAO_SOFFICE", "").strip()
    if named:
        if Path(named).is_file():
            return named
        raise UsageError(f"NIANBAO_SOFFICE={named}：文件不存在\n{_INSTALL}")
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for candidate in _usual_places():
        if candidate.is_file():
            return str(candidate)
    raise UsageError(_INSTALL)


def _usual_places() -> list[Path]:
    if sys.platform == "win32":
        roots = [os.environ.get(v, "") for v in ("ProgramFiles", "ProgramFiles(x86)")]
        return [Path(r) / "LibreOffice" / "program" / "soffice.exe" for r in roots if r]
    if sys.platform == "darwin":
        return [Path("/Applications/LibreOffice.app/Contents/MacOS/soffice")]
    return [Path("/opt/libreoffice/program/soffice"), Path("/usr/lib/libreoffice/program/soffice")]


def convert(
    soffice: str, docx: Sequence[bytes], stop: threading.Event | None = None
) -> list[bytes | None]:
    """Each DOCX as reproducible PDF bytes (None for a file LibreOffice could not convert).

    Raises ConversionError when the office process itself fails, times out or is
    stopped (``stop`` set, as the build's signal handler does).
    """
    with tempfile.TemporaryDirectory(prefix="nianbao-pdf-") as tmp:
        work = Path(tmp)
        inputs = work / "in"
        outputs = work / "out"
        inputs.mkdir()
        outputs.mkdir()
        names = [f"{i:05d}" for i in range(len(docx))]
        for name, data in zip(names, docx, strict=True):
            (inputs / f"{name}.docx").write_bytes(data)
        fonts = work / "fonts.conf"
        fonts.write_text(_fonts_conf(), encoding="utf-8")
        command = [
            soffice,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            "--invisible",
            "--nologo",
            "--nodefault",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "pdf:writer_pdf_Export",
            "--outdir",
            "out",
            *(f"in/{n}.docx" for n in names),  # relative to cwd: short, for Windows' 32K limit
        ]
        env = {**os.environ, "FONTCONFIG_FILE": str(fonts), "TZ": "UTC"}
        env.pop("SOURCE_DATE_EPOCH", None)  # dates are fixed below, from the DOCX
        _run(command, env, TIMEOUT_BASE + TIMEOUT_PER_FILE * len(docx), work, stop)
        found = [outputs / f"{name}.pdf" for name in names]
        jobs = [
            (p.read_bytes(), _docx_date(d)) for p, d in zip(found, docx, strict=True) if p.is_file()
        ]
        fixed = iter(_fix_all(jobs))
        return [next(fixed) if p.is_file() else None for p in found]


def _fix_all(jobs: list[tuple[bytes, datetime]]) -> list[bytes]:
    """``reproducible`` over every PDF, on all cores when there are several (it is a
    pure-Python pass over each embedded font: about 0.2 s a report)."""
    workers = min(len(jobs), os.cpu_count() or 1)
    if workers < 2 or len(jobs) < 4:
        return [reproducible(pdf, when) for pdf, when in jobs]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_fix, jobs, chunksize=max(1, len(jobs) // (4 * workers))))


def _fix(job: tuple[bytes, datetime]) -> bytes:
    return reproducible(*job)


def _fonts_conf() -> str:
    """The shipped aliases, on top of the user's fontconfig file if one is set."""
    text = FONTS_CONF.read_text(encoding="utf-8")
    user = os.environ.get("FONTCONFIG_FILE", "").strip()
    if user:
        text = text.replace("/etc/fonts/fonts.conf", _xml_text(user), 1)
    return text


def _xml_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _run(
    command: list[str],
    env: dict[str, str],
    timeout: float,
    cwd: Path,
    stop: threading.Event | None,
) -> None:
    """Run the office process in its own process group, so that a timeout or a stop
    request ends all of it (soffice starts a second process)."""
    posix = sys.platform != "win32"
    try:
        proc = subprocess.Popen(
            command,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=posix,
        )
    except OSError as exc:
        raise ConversionError(f"无法启动 LibreOffice（{command[0]}）：{exc.strerror}") from None
    try:
        log = _wait(proc, timeout, stop)
    except BaseException:  # timeout, stop, Ctrl-C: never leave an office process behind
        _kill(proc, posix)
        raise
    if proc.returncode != 0:
        tail = log.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise ConversionError(
            f"LibreOffice 转换失败（退出码 {proc.returncode}）" + "：" + " / ".join(tail)
        )


def _wait(proc: subprocess.Popen[bytes], timeout: float, stop: threading.Event | None) -> bytes:
    """The process's output once it ends; ConversionError after ``timeout`` or on stop."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return proc.communicate(timeout=_POLL)[0]
        except subprocess.TimeoutExpired:
            if stop is not None and stop.is_set():
                raise ConversionError("已停止，PDF 未生成") from None
            if time.monotonic() > deadline:
                raise ConversionError(f"LibreOffice 转换超时（{timeout:.0f} 秒），已终止") from None


def _kill(proc: subprocess.Popen[bytes], posix: bool) -> None:
    with contextlib.suppress(OSError):
        if posix:
            os.killpg(proc.pid, getattr(signal, "SIGKILL", signal.SIGTERM))
        else:
            proc.kill()
    proc.communicate()  # reaps it and closes the pipe


_MODIFIED = re.compile(rb"<dcterms:modified[^>]*>([^<]+)</dcterms:modified>")


def _docx_date(docx: bytes) -> datetime:
    """The DOCX's modification date (the report's publication date), else 2000-01-01."""
    with contextlib.suppress(KeyError, ValueError, zipfile.BadZipFile):
        with zipfile.ZipFile(BytesIO(docx)) as z:
            found = _MODIFIED.search(z.read("docProps/core.xml"))
        if found:
            return datetime.fromisoformat(found.group(1).decode().replace("Z", "+00:00"))
    return datetime(2000, 1, 1, tzinfo=UTC)


def finish(
    pending: Sequence[tuple[BuildResult, bytes]], stop: threading.Event | None = None
) -> None:
    """Convert the DOCX of every pending PDF in one office process (one per 2,000), then
    write each PDF atomically and note it in its result (``written``, ``sizes``, ``hashes``).

    A file LibreOffice could not convert fails its report; a failing office process
    fails them all, each with the reason.
    """
    if not pending:
        return
    try:
        soffice = find_soffice()
    except UsageError as exc:
        for result, _ in pending:
            result.failed, result.crash, result.environment = True, str(exc), True
        return
    for start in range(0, len(pending), MAX_BATCH):
        batch = pending[start : start + MAX_BATCH]
        try:
            pdfs = convert(soffice, [docx for _, docx in batch], stop)
        except ConversionError as exc:
            for result, _ in pending[start:]:
                result.failed, result.crash, result.environment = True, str(exc), True
            return
        _write(batch, pdfs)


def _write(batch: Sequence[tuple[BuildResult, bytes]], pdfs: Sequence[bytes | None]) -> None:
    for (result, _), pdf in zip(batch, pdfs, strict=True):
        if pdf is None:
            result.failed, result.environment = True, True
            result.crash = "LibreOffice 未能把这份报告转换为 PDF"
            continue
        path = result.target.outputs["pdf"]
        try:
            changed = write_atomic(path, pdf, root=result.target.outdir)
        except UsageError as exc:
            result.failed, result.crash, result.environment = True, str(exc), True
            continue
        (result.written if changed else result.unchanged).append(path)
        result.sizes["pdf"] = len(pdf)
        result.hashes["pdf"] = hashlib.sha256(pdf).hexdigest()
