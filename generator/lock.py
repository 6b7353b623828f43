"""The lock that serialises manifest updates and ``clean`` between concurrent runs.

``make -j`` may start several nianbao processes on one output directory; each merges
what it wrote into the manifest under this lock.  The locking itself is filelock's
(flock on POSIX, ``msvcrt`` byte locks on Windows, chosen by filelock on import), so
no POSIX-only module is imported here.  What filelock does not promise for every
version we accept is checked here first: the lock file is never a symbolic link or
anything but a regular file.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from .errors import UsageError

__all__ = ["LOCK", "locked"]

LOCK = ".nianbao-lock"
_ATTEMPTS = 100


@contextlib.contextmanager
def locked(outdir: Path) -> Iterator[None]:
    """Serialises updates of the manifest (and clean) between concurrent nianbao runs.

    The lock file is checked with ``lstat`` before filelock opens it (filelock itself
    opens with ``O_NOFOLLOW`` where the system has it) and again once it is held, so a
    link planted while we waited is refused too.  ``clean`` removes the file while
    holding it; filelock notices a removed inode and locks the new one.
    """
    from filelock import FileLock

    path = outdir / LOCK
    lock = FileLock(str(path), thread_local=False)
    for attempt in range(_ATTEMPTS):
        try:
            outdir.mkdir(parents=True, exist_ok=True)  # again after a clean removed it
        except OSError as exc:
            raise UsageError(f"{outdir}: 无法创建输出目录（{exc.strerror}）") from None
        _refuse_special(path)
        try:
            lock.acquire()
            break
        except FileNotFoundError:
            if attempt == _ATTEMPTS - 1:
                raise UsageError(f"{path}: 无法取得锁（输出目录被反复删除）") from None
        except OSError as exc:
            _refuse_special(path)
            raise UsageError(f"{path}: 无法创建锁文件（{exc.strerror or exc}）") from None
    try:
        _refuse_special(path)
        yield
    finally:
        with contextlib.suppress(OSError):
            lock.release()


def _refuse_special(path: Path) -> None:
    """A symbolic link or a non-regular file where the lock file goes is an error."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise UsageError(f"{path}: 无法读取锁文件（{exc.strerror}）") from None
    if stat.S_ISLNK(st.st_mode):
        raise UsageError(f"{path}: 是符号链接，nianbao 不会经由它创建锁文件")
    if not stat.S_ISREG(st.st_mode):
        raise UsageError(f"{path}: 不是普通文件，无法用作锁文件")
