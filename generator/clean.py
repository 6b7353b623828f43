"""``nianbao clean``: delete what builds wrote, and only what they can prove they wrote.

The manifest may come from a cloned repository, so it is evidence, not an order.  A
file is deleted only when all of these hold:

- the output directory is a folder of its own: not a file-system root, not the
  repository (or above it), not the reports' folder (or above it);
- the path lies below it with no symbolic link on the way, and is a regular file
  with one of the output suffixes (``.docx``, ``.html``, ``.md``, ``.pdf``);
- its size and SHA-256 are the ones recorded when the build wrote it.  A file edited
  by hand since is kept and reported, unless ``--force``.

Temporary files are removed only when their writer is no longer running, so a clean
during a build leaves that build's files alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import UsageError
from .lock import LOCK, locked
from .output import remove_stale_temps
from .stamps import MANIFEST, Manifest

__all__ = ["Cleaned", "check_dedicated", "clean"]

_SUFFIXES = frozenset({".docx", ".html", ".md", ".pdf"})
_EDITED = "生成后被修改过"


@dataclass(slots=True)
class Cleaned:
    removed: list[Path] = field(default_factory=list)
    kept: list[tuple[Path, str]] = field(default_factory=list)
    """Files listed in the manifest but not deleted, with the reason (in Chinese)."""


def check_dedicated(outdir: Path, protected: Iterable[Path]) -> None:
    """Refuse an output directory that holds more than outputs (before touching anything)."""
    out = outdir.resolve()
    if out.parent == out:
        raise UsageError(f"{outdir}: 是文件系统的根目录，clean 不会在其中删除文件")
    try:
        home = [Path.home()]
    except (RuntimeError, KeyError):  # no home directory known (a service account)
        home = []
    for path in [*protected, *home]:
        guarded = path.resolve()
        if out == guarded or out in guarded.parents:
            raise UsageError(
                f"{outdir}: 不是专用的输出目录（{path} 在其中），clean 不会在其中删除文件；"
                "请让输出目录只放生成的文件，或手动删除"
            )


def clean(outdir: Path, protected: Iterable[Path] = (), *, force: bool = False) -> Cleaned:
    """Remove what builds wrote into ``outdir`` (per its manifest) and nothing else.

    ``protected`` are folders the output directory must not be nor contain (the
    repository, the reports).  With ``force``, files edited since the build go too.
    """
    check_dedicated(outdir, protected)
    result = Cleaned()
    if not outdir.is_dir():
        return result
    with locked(outdir):
        manifest = Manifest.read(outdir)
        folders: set[Path] = set()
        for key, entry in list(manifest.entries.items()):
            path = outdir.joinpath(*PurePosixPath(key).parts)
            why = _not_removable(outdir, key, entry, force)
            if why is None:
                try:
                    path.unlink()
                except FileNotFoundError:
                    pass
                except OSError as exc:
                    result.kept.append((path, f"无法删除（{exc.strerror}）"))
                    continue
                result.removed.append(path)
            elif why:
                result.kept.append((path, why))
                continue
            del manifest.entries[key]  # deleted, or already gone
            folders.add(path.parent)
        folders |= _sweep_temps(outdir)
        _finish_manifest(manifest)
        _remove_empty(outdir, folders)
        if not manifest.entries:
            with contextlib.suppress(OSError):
                (outdir / LOCK).unlink()  # a run waiting for it notices and locks anew
    with contextlib.suppress(OSError):
        outdir.rmdir()  # only if empty
    return result


def _not_removable(outdir: Path, key: str, entry: Mapping[str, Any], force: bool) -> str | None:
    """Why the file of ``key`` must stay; "" if it is gone already; None to delete it."""
    parts = PurePosixPath(key).parts
    if PurePosixPath(key).suffix not in _SUFFIXES:
        return "不是 nianbao 生成的文件类型"
    current = outdir
    for i, part in enumerate(parts):
        current = current / part
        try:
            st = os.lstat(current)
        except FileNotFoundError:
            return ""
        except OSError as exc:
            return f"无法访问（{exc.strerror}）"
        if stat.S_ISLNK(st.st_mode):
            return f"{current} 是符号链接，不经由它删除"
        if i < len(parts) - 1 and not stat.S_ISDIR(st.st_mode):
            return ""
    if not stat.S_ISREG(st.st_mode):
        return "不是普通文件"
    if force:
        return None
    digest = entry.get("sha256")
    if digest is None:
        return "清单中没有内容摘要，无法确认是 nianbao 生成的（加 --force 也删除）"
    if st.st_size != entry.get("size") or _sha256(current) != digest:
        return f"{_EDITED}（加 --force 也删除）"
    return None


def _sha256(path: Path) -> str | None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
        with open(fd, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return None


def _sweep_temps(outdir: Path) -> set[Path]:
    """Temporary files of writers that are gone, in every real folder of ``outdir``."""
    folders = [Path(here) for here, _, _ in os.walk(outdir, followlinks=False)]
    return {p.parent for p in remove_stale_temps(folders)}


def _finish_manifest(manifest: Manifest) -> None:
    """Keep the record of what is left; remove the manifest when nothing is."""
    if manifest.entries:
        manifest.write()
    else:
        with contextlib.suppress(FileNotFoundError):
            (manifest.outdir / MANIFEST).unlink()


def _remove_empty(outdir: Path, folders: Iterable[Path]) -> None:
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):
            while folder != outdir and outdir in folder.parents and not any(folder.iterdir()):
                folder.rmdir()  # rmdir never follows a link: a link is "not a directory"
                folder = folder.parent
