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
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path

from .errors import UsageError

__all__ = ["TEMP_PREFIX", "normalize_zip", "remove_stale_temps", "write_atomic", "zip_parts"]

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
        # The writer's pid in the name lets a later build tell a killed build's leftovers
        # from the files a build running side by side is writing right now.
        prefix = f"{TEMP_PREFIX}{os.getpid()}-"
        fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=target.suffix, dir=target.parent)
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


def remove_stale_temps(folders: Iterable[Path]) -> list[Path]:
    """Delete the temporary files in ``folders`` whose writer is no longer running.

    Only a process killed between creating and renaming its temporary file leaves one.
    """
    removed: list[Path] = []
    for folder in folders:
        try:
            leftovers = sorted(folder.glob(f"{TEMP_PREFIX}*"))
        except OSError:
            continue
        for tmp in leftovers:
            pid = tmp.name[len(TEMP_PREFIX) :].split("-", 1)[0]
            if pid.isdigit() and _running(int(pid)):
                continue
            with contextlib.suppress(OSError):
                tmp.unlink()
                removed.append(tmp)
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:
        return True
    try:  # a killed process nobody has reaped yet is a zombie: it writes nothing more
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
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


_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01
_DOS_TIME = 0
_deflated: dict[bytes, tuple[int, bytes]] = {}
"""Compressed form of parts seen before: a DOCX template's styles, theme, settings …
are the same objects in every render, so they are compressed once per process."""


def _deflate(data: bytes) -> tuple[int, bytes]:
    hit = _deflated.get(data)
    if hit is None:
        packer = zlib.compressobj(6, zlib.DEFLATED, -15)
        hit = (zlib.crc32(data), packer.compress(data) + packer.flush())
        if len(_deflated) < 256:
            _deflated[data] = hit
    return hit


def zip_parts(parts: Mapping[str, bytes]) -> bytes:
    """A deterministic ZIP of ``parts``: the same bytes as ``normalize_zip`` would give.

    Entries in ``normalize_zip``'s order, deflated, dated 1980-01-01, mode 0644.  Parts
    that repeat from render to render are not compressed again.
    """
    first = [n for n in parts if n == "[Content_Types].xml"]
    order = first + sorted(n for n in parts if n not in first)
    out = io.BytesIO()
    central: list[bytes] = []
    for name in order:
        data = parts[name]
        crc, packed = _deflate(data)
        encoded = name.encode("utf-8")
        flags = 0 if name.isascii() else 0x800
        offset = out.tell()
        out.write(
            struct.pack(
                "<IHHHHHIIIHH", 0x04034B50, 20, flags, 8, _DOS_TIME, _DOS_DATE,
                crc, len(packed), len(data), len(encoded), 0,
            )
        )  # fmt: skip
        out.write(encoded)
        out.write(packed)
        central.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII", 0x02014B50, (3 << 8) | 20, 20, flags, 8, _DOS_TIME,
                _DOS_DATE, crc, len(packed), len(data), len(encoded), 0, 0, 0, 0,
                0o644 << 16, offset,
            )
            + encoded
        )  # fmt: skip
    start = out.tell()
    for entry in central:
        out.write(entry)
    size = out.tell() - start
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(order), len(order), size, start, 0))
    return out.getvalue()
