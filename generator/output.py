"""Writing outputs so that nothing is ever half-written and nothing changes needlessly.

Each file is written to a temporary sibling, flushed to disk and renamed over the
target, so a reader (or a killed build) sees the old file or the new one, never a
mix.  A file whose bytes did not change is not touched at all, which keeps make and
git quiet.  DOCX files are re-packed with fixed timestamps so the same report always
gives the same bytes.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import zipfile
from pathlib import Path

from .errors import UsageError

__all__ = ["TEMP_PREFIX", "normalize_zip", "write_atomic"]

TEMP_PREFIX = ".nianbao-tmp-"
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def write_atomic(target: Path, data: bytes) -> bool:
    """Replace ``target`` with ``data`` atomically; returns False when it already held them."""
    try:
        if target.is_file() and target.stat().st_size == len(data) and target.read_bytes() == data:
            return False
    except OSError:
        pass
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=target.suffix, dir=target.parent)
    except OSError as exc:
        raise UsageError(f"{target.parent}: 无法写入（{exc.strerror}）") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise UsageError(f"{target}: 写入失败（{exc.strerror}）") from None
        raise
    return True


def normalize_zip(data: bytes, order: list[str] | None = None) -> bytes:
    """Re-pack a ZIP with fixed entry times and attributes, ``[Content_Types].xml`` first.

    python-docx stamps every entry with the wall clock; this makes the archive depend
    only on its contents.
    """
    src = zipfile.ZipFile(io.BytesIO(data))
    names = src.namelist()
    if order is None:
        first = [n for n in names if n == "[Content_Types].xml"]
        order = first + sorted(n for n in names if n not in first)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as dst:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            dst.writestr(info, src.read(name), compresslevel=6)
    return buf.getvalue()
