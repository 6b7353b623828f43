"""Writing outputs so that nothing is ever half-written and nothing changes needlessly.

Each file is written to a temporary sibling, flushed to disk and renamed over the
target, so a reader (or a killed build) sees the old file or the new one, never a
mix.  A file whose bytes did not change is not touched at all, which keeps make and
git quiet.  DOCX files are re-packed with fixed timestamps so the same report always
gives the same bytes.

A repository may be hostile (cloned from someone else), so writing never follows a
symbolic link below the output directory: every folder on the way is created or
checked to be a real directory, and only a regular file is ever replaced.  A file the
user names (``schema -o``) may be a device or a pipe (``/dev/null``, ``/dev/stdout``):
it is written to, never replaced.  The checks are made with ``lstat`` just before
each step; a concurrent attacker on the same machine racing them is out of scope.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import struct
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path

from .errors import UsageError

__all__ = [
    "TEMP_PREFIX",
    "ensure_real_dirs",
    "normalize_zip",
    "read_regular",
    "real_dirs_below",
    "remove_stale_temps",
    "write_atomic",
    "zip_parts",
]

TEMP_PREFIX = ".nianbao-tmp-"
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_RETRIES = 5
"""How often a write is retried when a concurrent ``clean`` removed its empty folder."""


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UsageError(f"{path}: 无法访问（{exc.strerror}）") from None


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "是符号链接"
    if stat.S_ISDIR(mode):
        return "是目录"
    if stat.S_ISBLK(mode):
        return "是块设备"
    return "不是普通文件"


def ensure_real_dirs(root: Path, folder: Path) -> None:
    """Create ``folder`` below ``root`` one component at a time, each a real directory.

    ``root`` itself may be a symbolic link (the user chose it, e.g. a bigger disk); a
    link *below* it could point anywhere, so it is refused, naming the link.
    """
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{root}: 无法创建输出目录（{exc.strerror}）") from None
    try:
        parts = folder.relative_to(root).parts
    except ValueError:
        raise UsageError(f"{folder}: 不在输出目录 {root} 之内") from None
    current = root
    for part in parts:
        current = current / part
        st = _lstat(current)
        if st is None:
            try:
                os.mkdir(current)
                continue
            except FileExistsError:
                st = _lstat(current)
            except OSError as exc:
                raise UsageError(f"{current}: 无法创建目录（{exc.strerror}）") from None
        if st is not None and stat.S_ISLNK(st.st_mode):
            raise UsageError(f"{current}: 是符号链接，nianbao 不会经由它写入或删除；请换成真实目录")
        if st is None or not stat.S_ISDIR(st.st_mode):
            raise UsageError(f"{current}: 不是目录，无法在其中写入")


def real_dirs_below(root: Path, folder: Path) -> bool:
    """Whether every component of ``folder`` below ``root`` exists and is a real directory."""
    try:
        parts = folder.relative_to(root).parts
    except ValueError:
        return False
    current = root
    for part in parts:
        current = current / part
        try:
            if not stat.S_ISDIR(os.lstat(current).st_mode):
                return False
        except OSError:
            return False
    return True


def read_regular(path: Path, limit: int) -> bytes | None:
    """The bytes of ``path`` if it is a regular file (not followed if a link) of at most
    ``limit`` bytes; None otherwise.  Never blocks on a pipe."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    with open(fd, "rb") as fh:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
            return None
        if not _NOFOLLOW and os.path.islink(path):
            return None
        return fh.read(limit + 1)


def write_atomic(target: Path, data: bytes, *, root: Path | None = None) -> bool:
    """Replace ``target`` with ``data`` atomically; returns False when it already held them.

    With ``root`` (an output directory), no symbolic link below it is followed and only
    a regular file is replaced.  Without, ``target`` is a file the user named: a device
    or a pipe (also through a link, like ``/dev/stdout``) is written to directly, a
    link to a regular file, a directory or a block device is refused.
    """
    if root is not None:
        ensure_real_dirs(root, target.parent)
    st = _lstat(target)
    if st is not None and root is None and _special_target(target, st):
        _write_through(target, data)
        return True
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise UsageError(f"{target}: {_kind(st.st_mode)}，nianbao 只替换普通文件")
    if st is not None and st.st_size == len(data) and read_regular(target, len(data)) == data:
        return False
    for attempt in range(_RETRIES):
        try:
            if root is None:
                target.parent.mkdir(parents=True, exist_ok=True)
            elif attempt:
                ensure_real_dirs(root, target.parent)
            # The writer's pid in the name lets a later build tell a killed build's leftovers
            # from the files a build running side by side is writing right now.
            prefix = f"{TEMP_PREFIX}{os.getpid()}-"
            fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=target.suffix, dir=target.parent)
            break
        except FileNotFoundError:  # a concurrent clean removed the empty folder: again
            if attempt == _RETRIES - 1:
                raise UsageError(f"{target.parent}: 无法写入（目录被删除）") from None
        except OSError as exc:
            raise UsageError(f"{target.parent}: 无法写入（{exc.strerror}）") from None
    _finish(fd, tmp, target, data)
    return True


def _special_target(target: Path, st: os.stat_result) -> bool:
    """Whether a user-named ``target`` is a character device or a pipe, to write into."""
    if stat.S_ISLNK(st.st_mode):
        try:
            st = os.stat(target)
        except OSError as exc:
            raise UsageError(f"{target}: 是无法解析的符号链接（{exc.strerror}）") from None
        if stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode):
            raise UsageError(
                f"{target}: 是符号链接（指向 {os.path.realpath(target)}），nianbao 不会替换它；"
                "请直接给出要写入的文件"
            )
    return stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode)


def _write_through(target: Path, data: bytes) -> None:
    """Write into a device or a pipe as a shell redirection would (a pipe waits for a reader)."""
    try:
        fd = os.open(target, os.O_WRONLY | getattr(os, "O_BINARY", 0))
        with open(fd, "wb") as fh:
            mode = os.fstat(fd).st_mode
            if not (stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)):
                raise UsageError(f"{target}: 不是设备或管道，未写入")
            fh.write(data)
    except OSError as exc:
        raise UsageError(f"{target}: 写入失败（{exc.strerror}）") from None


def _finish(fd: int, tmp: str, target: Path, data: bytes) -> None:
    """Fill the temporary file, flush it and rename it over ``target`` (a regular file)."""
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        st = _lstat(target)  # again: it may have changed while the data was written
        if st is not None and not stat.S_ISREG(st.st_mode):
            raise UsageError(f"{target}: {_kind(st.st_mode)}，nianbao 只替换普通文件")
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise UsageError(f"{target}: 写入失败（{exc.strerror}）") from None
        raise


def remove_stale_temps(folders: Iterable[Path], root: Path | None = None) -> list[Path]:
    """Delete the temporary files in ``folders`` whose writer is no longer running.

    Only a process killed between creating and renaming its temporary file leaves one.
    With ``root``, a folder reached through a symbolic link below it is left alone.
    """
    removed: list[Path] = []
    for folder in folders:
        if root is not None and folder.resolve() != root and not real_dirs_below(root, folder):
            continue
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
    """Whether process ``pid`` may still be writing; when unsure, yes (its file is kept).

    ``os.kill(pid, 0)`` probes a process on POSIX but on Windows *sends* CTRL_C_EVENT,
    so Windows asks the kernel through ``OpenProcess`` instead.
    """
    if sys.platform == "win32":
        return _running_windows(pid)
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


_STILL_ACTIVE = 259
_QUERY_LIMITED_INFORMATION = 0x1000
_INVALID_PARAMETER = 87


def _running_windows(pid: int) -> bool:
    """Windows: a process that cannot be opened because it does not exist is not running."""
    import ctypes

    windll = getattr(ctypes, "windll", None)
    if windll is None or pid <= 0 or pid > 0xFFFFFFFF:
        return pid > 0 and pid <= 0xFFFFFFFF  # cannot ask (simulated Windows): keep the file
    kernel32 = windll.kernel32
    handle = kernel32.OpenProcess(_QUERY_LIMITED_INFORMATION, False, pid)
    if not handle:
        return bool(kernel32.GetLastError() != _INVALID_PARAMETER)  # e.g. access denied
    try:
        code = ctypes.c_ulong()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True
        return code.value == _STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


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
