"""Make-style up-to-date checks by content, and the record of what a build wrote.

An output is up to date when the fingerprint of everything it was made from — its
YAML, last year's YAML (the cross-year rules read it), the format data and nianbao's
own code, the templates or reference DOCX it used, and the build time setting — is
the one recorded when it was written, and the file is still there.  Timestamps
play no part, so a fresh clone or a touched file does not trigger work, and a
changed template does.  The manifest also tells ``clean`` exactly what to remove.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__
from .output import write_atomic
from .resources import templates_dir

__all__ = ["MANIFEST", "Fingerprinter", "Manifest", "output_inputs"]

MANIFEST = ".nianbao-manifest.json"
_KIND = {"docx": None, "html": "html", "md": "markdown"}


def _hash_regular_file(path: Path) -> str:
    """The file's hash; "-" if it cannot be read or is not a regular file (a pipe would block)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with open(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return "-"
            return hashlib.file_digest(fh, "sha256").hexdigest()  # in chunks: any size
    except OSError:
        return "-"


def _hash_files(paths: Iterable[Path], base: Path | None = None) -> str:
    h = hashlib.sha256()
    for path in sorted(paths):
        name = str(path.relative_to(base)) if base else str(path)
        h.update(name.encode() + b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


@functools.cache
def code_hash() -> str:
    """nianbao's version, code and format data: a change to any of them rebuilds everything."""
    package = Path(__file__).resolve().parent
    files = [p for p in package.rglob("*") if p.suffix in (".py", ".yaml") and p.is_file()]
    return hashlib.sha256(f"{__version__}:{_hash_files(files, package)}".encode()).hexdigest()


def output_inputs(suffix: str, templates: Path | None, reference_docx: Path | None) -> list[Path]:
    """The non-report files an output of this kind depends on (for ``nianbao deps``)."""
    kind = _KIND[suffix]
    if kind is None:
        return [reference_docx] if reference_docx else []
    folders = [templates_dir() / kind]
    if templates is not None:
        folders.append(templates)
    return sorted(p for f in folders if f.is_dir() for p in f.rglob("*") if p.is_file())


class Fingerprinter:
    """Fingerprints of outputs; remembers file hashes for the length of one build only."""

    def __init__(self, templates: Path | None, reference_docx: Path | None) -> None:
        self.templates = templates.resolve() if templates else None
        self.reference_docx = reference_docx.resolve() if reference_docx else None
        self._files: dict[Path, str] = {}
        self._dirs: dict[Path, str] = {}

    def file(self, path: Path | None) -> str:
        if path is None:
            return "-"
        if path not in self._files:
            self._files[path] = _hash_regular_file(path)
        return self._files[path]

    def folder(self, path: Path) -> str:
        if path not in self._dirs:
            files = (p for p in path.rglob("*") if p.is_file()) if path.is_dir() else ()
            self._dirs[path] = _hash_files(files, path)
        return self._dirs[path]

    def __call__(self, source: Path, previous: Path, suffixes: Iterable[str]) -> dict[str, str]:
        """The fingerprint of each output of one report."""
        common = "|".join(
            [
                code_hash(),
                self.file(source.resolve()),
                self.file(previous.resolve()),
                str(_epoch()),
            ]
        )
        out: dict[str, str] = {}
        for suffix in suffixes:
            kind = _KIND[suffix]
            if kind is None:
                extra = self.file(self.reference_docx)
            else:
                extra = self.folder(templates_dir() / kind)
                if self.templates:
                    extra += self.folder(self.templates)
            out[suffix] = hashlib.sha256(f"{common}|{suffix}|{extra}".encode()).hexdigest()
        return out


@dataclass(slots=True)
class Manifest:
    """What the last builds wrote into an output directory, keyed by output path."""

    outdir: Path
    entries: dict[str, dict[str, Any]]

    @classmethod
    def read(cls, outdir: Path) -> Manifest:
        try:
            raw = json.loads((outdir / MANIFEST).read_text(encoding="utf-8"))
            entries = raw.get("outputs", {}) if isinstance(raw, dict) else {}
        except (OSError, ValueError):
            entries = {}
        return cls(outdir, entries if isinstance(entries, dict) else {})

    def key(self, path: Path) -> str:
        return path.resolve().relative_to(self.outdir.resolve()).as_posix()

    def up_to_date(self, path: Path, fingerprint: str) -> bool:
        entry = self.entries.get(self.key(path))
        if not entry or entry.get("fingerprint") != fingerprint:
            return False
        try:
            return path.stat().st_size == entry.get("size")
        except OSError:
            return False

    def record(self, path: Path, source: str, fingerprint: str, size: int) -> None:
        self.entries[self.key(path)] = {"source": source, "fingerprint": fingerprint, "size": size}

    def write(self) -> None:
        doc = {"nianbao": 1, "outputs": dict(sorted(self.entries.items()))}
        text = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
        write_atomic(self.outdir / MANIFEST, text.encode("utf-8"))

    def outputs(self) -> Mapping[str, dict[str, Any]]:
        return self.entries


def _epoch() -> int | str:
    """The build clock, read where the renderers read it (``""`` when unset)."""
    from .render import source_date_epoch

    epoch = source_date_epoch()
    return "" if epoch is None else epoch
