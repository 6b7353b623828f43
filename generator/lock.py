"""The lock that serialises manifest updates and ``clean`` between concurrent runs.

``make -j`` may start several nianbao processes on one output directory; each merges
what it wrote into the manifest under this lock.  POSIX uses ``flock``, Windows a
byte-range lock; both are imported only on their platform.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import UsageError

__all__ = ["LOCK", "locked"]

LOCK = ".nianbao-lock"
_ATTEMPTS = 100


@contextlib.contextmanager
def locked(outdir: Path) -> Iterator[None]:
    """Serialises updates of the manifest (and clean) between concurrent nianbao runs.

    The lock file is never opened through a symbolic link.  ``clean`` removes it while
    holding it, so a run that waited checks it still holds the file now in place.
    """
    path = outdir / LOCK
    for attempt in range(_ATTEMPTS):
        try:
            outdir.mkdir(parents=True, exist_ok=True)  # again after a clean removed it
        except OSError as exc:
            raise UsageError(f"{outdir}: 无法创建输出目录（{exc.strerror}）") from None
        fd = _open_lock(path, last=attempt == _ATTEMPTS - 1)
        if fd < 0:
            continue  # the folder went away between mkdir and open
        try:
            _lock(fd)
            if sys.platform == "win32" or _same_file(fd, path):
                break
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
    else:
        raise UsageError(f"{path}: 无法取得锁（输出目录被反复删除）")
    try:
        yield
    finally:
        _unlock(fd)
        os.close(fd)


def _open_lock(path: Path, last: bool) -> int:
    """The lock file, opened without following a link; -1 if its folder vanished."""
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        if not hasattr(os, "O_NOFOLLOW") and os.path.islink(path):
            raise OSError(errno.ELOOP, "symbolic link")
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0), 0o644)
    except FileNotFoundError:
        if not last:
            return -1
        raise UsageError(f"{path}: 无法创建锁文件（输出目录被删除）") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP or os.path.islink(path):
            raise UsageError(f"{path}: 是符号链接，nianbao 不会经由它创建锁文件") from None
        raise UsageError(f"{path}: 无法创建锁文件（{exc.strerror}）") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise UsageError(f"{path}: 不是普通文件，无法用作锁文件")
    return fd


def _same_file(fd: int, path: Path) -> bool:
    try:
        here, there = os.fstat(fd), os.lstat(path)
    except OSError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def _lock(fd: int) -> None:
    """An exclusive lock: flock on POSIX, a byte-range lock on Windows (imported lazily)."""
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        while True:
            try:
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
                return
            except OSError:
                time.sleep(0.05)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX)


def _unlock(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        with contextlib.suppress(OSError):
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)
