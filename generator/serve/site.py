"""What the preview knows about each report, replaced as a whole after every rebuild.

The watcher (main thread) builds and then publishes a new, immutable ``Snapshot``;
request threads only ever read the snapshot in force, so a page is never drawn from
a half-updated state.  Every publication bumps ``generation``, which the reload
script in the served pages compares with the one it was served with.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

from ..build import Target
from ..errors import Diagnostic

__all__ = ["Entry", "Site", "Snapshot", "Status"]

Status = Literal["ok", "warnings", "invalid"]


@dataclass(frozen=True, slots=True)
class Entry:
    """One report as the preview shows it: where its outputs are and what validation said."""

    target: Target
    agency: str
    year: str
    diagnostics: tuple[Diagnostic, ...] = ()
    crash: str | None = None
    """Why the build failed when it was not the report's content (an unwritable output)."""
    failed: bool = False
    key: tuple[str, str] = ("", "")
    """Digests of the report and last year's file as read: an up-to-date report whose key
    did not change keeps its diagnostics without being validated again."""

    @property
    def status(self) -> Status:
        if self.failed:
            return "invalid"
        return "warnings" if self.warnings else "ok"

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        """The open warnings: those accepted in the report's ``acknowledged:`` do not count."""
        return [d for d in self.diagnostics if d.severity == "warning" and d.acknowledged is None]

    def url(self, outdir: Path, suffix: str) -> str | None:
        """The URL path of the output of kind ``suffix`` (below ``outdir``), if it is built."""
        path = self.target.outputs.get(suffix)
        return None if path is None else url_of(path, outdir)


def url_of(path: Path, outdir: Path) -> str | None:
    """``/agency/2021.html`` for ``<outdir>/agency/2021.html``; None outside ``outdir``."""
    try:
        rel = path.relative_to(outdir)
    except ValueError:
        return None
    return "/" + PurePosixPath(*rel.parts).as_posix()


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The preview's whole state at one moment."""

    generation: int
    outdir: Path
    """The resolved output directory: the only folder requests can read from."""
    entries: tuple[Entry, ...] = ()
    problem: str | None = None
    """A settings or planning error (a broken config file): shown on every page."""
    pages: Mapping[str, Entry] = field(default_factory=dict)
    """The URL path of each report's HTML page → its entry."""


def snapshot(
    generation: int, outdir: Path, entries: Sequence[Entry], problem: str | None
) -> Snapshot:
    pages: dict[str, Entry] = {}
    for entry in entries:
        url = entry.url(outdir, "html")
        if url is not None:
            pages[url] = entry
    return Snapshot(generation, outdir, tuple(entries), problem, pages)


class Site:
    """The snapshot in force, and a way for request threads to wait for the next one."""

    def __init__(self, outdir: Path) -> None:
        self._cond = threading.Condition()
        self._snapshot = Snapshot(0, outdir.resolve())
        self._closed = False

    @property
    def snapshot(self) -> Snapshot:
        with self._cond:
            return self._snapshot

    @property
    def closed(self) -> bool:
        with self._cond:
            return self._closed

    def publish(self, entries: Sequence[Entry], problem: str | None = None) -> Snapshot:
        """Replace the state; every page waiting for a change is told."""
        with self._cond:
            old = self._snapshot
            self._snapshot = snapshot(old.generation + 1, old.outdir, entries, problem)
            self._cond.notify_all()
            return self._snapshot

    def wait_change(self, seen: int | None, timeout: float) -> int | None:
        """The generation once it differs from ``seen`` (at once for None), else ``seen``
        after ``timeout`` seconds; None when the site is closed."""
        with self._cond:
            self._cond.wait_for(lambda: self._closed or self._snapshot.generation != seen, timeout)
            return None if self._closed else self._snapshot.generation

    def close(self) -> None:
        """Wake every waiting page so its request thread ends."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
