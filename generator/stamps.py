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
import re
import stat
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__
from .errors import NianbaoError, UsageError
from .output import read_regular, write_atomic
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
_KIND = {"docx": None, "html": "html", "md": "markdown", "pdf": None}  # a PDF: its DOCX


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
    files = [p for p in package.rglob("*") if p.suffix in (".py", ".yaml", ".conf") and p.is_file()]
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
    common = "|".join([code_hash(), source, previous, str(_epoch())])
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


MANIFEST_LIMIT = 64 * 1024 * 1024
_KEY_LIMIT = 4096
_SHA256 = re.compile(r"[0-9a-f]{64}")
_warned: set[tuple[str, str]] = set()


def _valid_key(key: object) -> bool:
    """A relative path below the output directory, as ``Manifest.key`` makes them."""
    if not isinstance(key, str) or not key or "\0" in key:
        return False
    try:
        if len(key.encode("utf-8")) > _KEY_LIMIT:
            return False
    except UnicodeEncodeError:  # a lone surrogate
        return False
    if sys.platform == "win32" and ("\\" in key or ":" in key):
        return False  # a separator or a drive there: no Windows build writes such a key
    parts = key.split("/")
    return not key.startswith("/") and all(p not in ("", ".", "..") for p in parts)


def _valid_entry(entry: object) -> bool:
    if not isinstance(entry, dict):
        return False
    size, digest = entry.get("size"), entry.get("sha256")
    return (
        isinstance(entry.get("source"), str)
        and isinstance(entry.get("fingerprint"), str)
        and isinstance(size, int)
        and not isinstance(size, bool)
        and size >= 0
        and (digest is None or (isinstance(digest, str) and _SHA256.fullmatch(digest) is not None))
        and all(_encodable(v) for v in entry.values() if isinstance(v, str))
    )


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _parse_manifest(raw: bytes) -> dict[str, dict[str, Any]] | str:
    """The entries of a manifest, or why it is damaged (a committed one may be hostile)."""
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return "不是有效的 JSON"
    if not isinstance(doc, dict) or doc.get("nianbao") not in (1, 2):
        return "不是 nianbao 的清单"
    entries = doc.get("outputs")
    if not isinstance(entries, dict):
        return "缺少 outputs"
    for key, entry in entries.items():
        if not _valid_key(key) or not _valid_entry(entry):
            return "有无效的条目"
    return entries


def _warn_damaged(path: Path, why: str, raw: bytes | None) -> None:
    """Say once that the manifest is ignored (a build reads it twice), for each damage."""
    seen = (os.path.abspath(path), hashlib.sha256(raw or b"").hexdigest())
    if seen in _warned:
        return
    _warned.add(seen)
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        rel = str(path)
    shown = str(path) if path.is_absolute() and rel.startswith("..") else rel
    print(f"nianbao: 警告：{shown} 已损坏（{why}），按不存在处理", file=sys.stderr)


def display_source(name: str) -> str:
    """A report's name as the manifest can store it (undecodable bytes as ``\\xff``)."""
    return os.fsencode(name).decode("utf-8", "backslashreplace") if not _encodable(name) else name


@dataclass(slots=True)
class Manifest:
    """What the last builds wrote into an output directory, keyed by output path.

    Each entry records the output's size and SHA-256, so ``clean`` deletes a file only
    when it still holds what the build wrote.  A damaged or hostile manifest (wrong
    types, odd keys, absurd nesting) is treated as absent, with one warning.
    """

    outdir: Path
    entries: dict[str, dict[str, Any]]
    _base: Path | None = None

    @classmethod
    def read(cls, outdir: Path) -> Manifest:
        path = outdir / MANIFEST
        if not os.path.lexists(path):
            return cls(outdir, {})
        raw = read_regular(path, MANIFEST_LIMIT)
        parsed = "不是普通文件或过大" if raw is None else _parse_manifest(raw)
        if isinstance(parsed, str):
            _warn_damaged(path, parsed, raw)
            return cls(outdir, {})
        return cls(outdir, parsed)

    def key(self, path: Path) -> str:
        """``path`` relative to the output directory, without resolving links in it."""
        if self._base is None:
            self._base = self.outdir.resolve()
        full, base = os.path.abspath(path), os.path.join(self._base, "")
        if full.startswith(base):  # the usual case, without pathlib's parsing (it adds up)
            key = full[len(base) :].replace(os.sep, "/")
        else:
            key = Path(full).relative_to(os.path.abspath(self.outdir)).as_posix()
        if not _valid_key(key):
            raise UsageError(f"{display_source(str(path))}: 无法记入清单的文件名")
        return key

    def up_to_date(self, path: Path, fingerprint: str) -> bool:
        entry = self.entries.get(self.key(path))
        if not entry or entry.get("fingerprint") != fingerprint:
            return False
        try:
            return path.stat().st_size == entry.get("size")
        except OSError:
            return False

    def record(
        self, path: Path, source: str, fingerprint: str, size: int, sha256: str | None = None
    ) -> None:
        entry: dict[str, Any] = {
            "source": display_source(source),
            "fingerprint": fingerprint,
            "size": size,
        }
        if sha256 is not None:
            entry["sha256"] = sha256
        self.entries[self.key(path)] = entry

    def write(self) -> None:
        doc = {"nianbao": 2, "outputs": dict(sorted(self.entries.items()))}
        text = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
        write_atomic(self.outdir / MANIFEST, text.encode("utf-8"), root=self.outdir)

    def outputs(self) -> Mapping[str, dict[str, Any]]:
        return self.entries


def _epoch() -> int | str:
    """The build clock, read where the renderers read it (``""`` when unset)."""
    from .render import source_date_epoch

    epoch = source_date_epoch()
    return "" if epoch is None else epoch
