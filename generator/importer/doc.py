"""Reading a legacy .doc file: LibreOffice converts it to DOCX, then the DOCX reader runs.

The real engine is the only faithful reader of the binary Word format.  It runs
headless with a profile directory of its own (so it neither touches nor waits for the
user's running LibreOffice), on a copy of the file in a private temporary directory,
under a time limit.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from .document import Document, Unreadable

__all__ = ["TIMEOUT", "find_soffice", "read_doc"]

TIMEOUT = 120


def find_soffice() -> str | None:
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    return None


def convert(raw: bytes, name: str, suffix: str, target: str) -> bytes:
    """The bytes of ``raw`` converted by LibreOffice to ``target`` (docx)."""
    soffice = find_soffice()
    if soffice is None:
        raise Unreadable(
            f"{name}: 读取 {suffix} 文件需要 LibreOffice（soffice），但没有找到；"
            "请安装 LibreOffice，或先把文件另存为 .docx 再导入"
        )
    with tempfile.TemporaryDirectory(prefix="nianbao-import-") as tmp:
        folder = Path(tmp)
        source = folder / f"source{suffix}"
        source.write_bytes(raw)
        profile = (folder / "profile").as_uri()
        cmd = [
            soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore",
            "--convert-to", target, "--outdir", str(folder / "out"), str(source),
        ]  # fmt: skip
        try:
            subprocess.run(cmd, capture_output=True, timeout=TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            raise Unreadable(f"{name}: LibreOffice 转换超时（{TIMEOUT} 秒）") from None
        except OSError as exc:
            raise Unreadable(f"{name}: 无法运行 LibreOffice（{exc}）") from None
        out = folder / "out" / f"source.{target}"
        if not out.is_file():
            raise Unreadable(f"{name}: LibreOffice 无法转换这个文件（文件损坏或不是 Word 文档）")
        return out.read_bytes()


def read_doc(path: Path, raw: bytes) -> Document:
    from .docx import read_docx

    converted = convert(raw, str(path), ".doc", "docx")
    doc = read_docx(path, converted)
    doc.kind = "doc"
    return doc
