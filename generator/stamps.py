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
from .errors import NianbaoError
from .output import write_atomic
from .resources import templates_dir
from .source import read_report

__all__ = [
    "MANIFEST",
    "Fingerprinter",
    "Manifest",
    "fingerprints",
    "output_inputs",
    "read_previous",
    "report_digest",
    "template_files",
]

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
    """One hash of names and contents; a pipe or device among them is a name only."""
    h = hashlib.sha256()
    for path in sorted(paths):
        name = path.relative_to(base) if base else path
        h.update(os.fsencode(name) + b"\0")
        h.update(_hash_regular_file(path).encode() + b"\0")
    return h.hexdigest()


@functools.cache
def code_hash() -> str:
    """nianbao's version, code and format data: a change to any of them rebuilds everything."""
    package = Path(__file__).resolve().parent
    files = [p for p in package.rglob("*") if p.suffix in (".py", ".yaml") and p.is_file()]
    return hashlib.sha256(f"{__version__}:{_hash_files(files, package)}".encode()).hexdigest()


TEMPLATE_SUFFIXES = (".j2", ".jinja", ".jinja2", ".css")
"""What counts as a template in a ``--templates`` folder (the kinds the shipped ones use)."""


def template_files(folder: Path, exclude: Path | None = None) -> list[Path]:
    """The templates in ``folder``, sorted: what a change to must rebuild.

    ``--templates .`` is allowed, so the folder may hold the output directory, the
    reports and nianbao's own lock, manifest and temporary files: only files ending in
    a template suffix count, hidden entries (``.nianbao-*``, ``.git``) and ``exclude``
    (the output directory) are skipped, and symlinked folders are not followed.
    """
    if not folder.is_dir():
        return []
    skip = exclude.resolve() if exclude is not None else None
    found: list[Path] = []
    for here, dirs, files in os.walk(folder):
        base = Path(here)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and (base / d).resolve() != skip)
        found.extend(
            base / f for f in files if not f.startswith(".") and f.endswith(TEMPLATE_SUFFIXES)
        )
    return sorted(found)


def output_inputs(
    suffix: str, templates: Path | None, reference_docx: Path | None, outdir: Path | None = None
) -> list[Path]:
    """The non-report files an output of this kind depends on (for ``nianbao deps``)."""
    kind = _KIND[suffix]
    if kind is None:
        return [reference_docx] if reference_docx else []
    folders = [templates_dir() / kind] + ([templates] if templates is not None else [])
    return sorted(p for f in folders for p in template_files(f, outdir))


def report_digest(data: bytes | None) -> str:
    """The hash of a report's bytes as read for the build; "-" when there is no such file."""
    return "-" if data is None else hashlib.sha256(data).hexdigest()


def read_previous(path: Path | None) -> tuple[bytes | None, str]:
    """A report file as a build reads it, with its digest: "-" when absent.

    A file the loader refuses (too big, a pipe, unreadable) is read as empty bytes,
    which validation reports as last year's file being unusable, with digest "!".
    """
    if path is None or not (path.exists() or path.is_symlink()):
        return None, "-"
    try:
        data = read_report(path, str(path))
    except NianbaoError:
        return b"", "!"
    return data, report_digest(data)


def fingerprints(source: str, previous: str, extras: Mapping[str, str]) -> dict[str, str]:
    """Each output's fingerprint from the digests of the report, last year's and the rest."""
    common = "|".join([code_hash(), source, previous, os.environ.get("SOURCE_DATE_EPOCH", "")])
    return {
        suffix: hashlib.sha256(f"{common}|{suffix}|{extra}".encode()).hexdigest()
        for suffix, extra in extras.items()
    }


class Fingerprinter:
    """Fingerprints of outputs; remembers file hashes for the length of one build only.

    Reports are read with the loader's checks (a regular file within its size limit),
    so an oversized or special file is never hashed: it gets a digest that matches no
    record and fails fast when built.  The build then fingerprints the bytes it
    actually rendered (``fingerprints``), so an edit during a build is not lost.
    """

    def __init__(
        self, templates: Path | None, reference_docx: Path | None, outdir: Path | None = None
    ) -> None:
        self.templates = templates.resolve() if templates else None
        self.reference_docx = reference_docx.resolve() if reference_docx else None
        self.outdir = outdir
        self._files: dict[Path, str] = {}
        self._dirs: dict[Path, str] = {}

    def file(self, path: Path | None) -> str:
        if path is None:
            return "-"
        if path not in self._files:
            self._files[path] = _hash_regular_file(path)
        return self._files[path]

    def report(self, path: Path | None) -> str:
        """A report's digest, as ``read_previous`` gives it."""
        return read_previous(path)[1]

    def folder(self, path: Path) -> str:
        if path not in self._dirs:
            self._dirs[path] = _hash_files(template_files(path, self.outdir), path)
        return self._dirs[path]

    def extras(self, suffixes: Iterable[str]) -> dict[str, str]:
        """Per output kind, the digest of its templates or reference DOCX."""
        out: dict[str, str] = {}
        for suffix in suffixes:
            kind = _KIND[suffix]
            if kind is None:
                out[suffix] = self.file(self.reference_docx)
            else:
                out[suffix] = self.folder(templates_dir() / kind)
                if self.templates:
                    out[suffix] += self.folder(self.templates)
        return out

    def __call__(
        self, source: Path, previous: Path | None, suffixes: Iterable[str]
    ) -> dict[str, str]:
        """The fingerprint of each output of one report, as the files are now."""
        return fingerprints(self.report(source), self.report(previous), self.extras(suffixes))


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
