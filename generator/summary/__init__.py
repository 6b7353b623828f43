"""``nianbao summary``: the reviewer's desk over a whole reports tree.

One module per step: ``collect`` (find and validate every report) → ``coverage``,
``findings``, ``textcheck``, ``totals`` (汇总), ``trends`` (with the metric table of
``ratios``), assembled by ``compute`` → ``render_html`` (dashboard, with ``charts``),
``render_xlsx`` and ``render_data`` (CSV, JSON).  This module runs them and writes
the outputs, like a build: atomically, below the output folder only, and not at
all when the inputs are unchanged (a fingerprint of every input is kept beside the
outputs in ``.nianbao-summary.json``).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from ..output import read_regular, write_atomic
from ..render import build_time
from ..resources import templates_dir

__all__ = ["STAMP", "Written", "fingerprint", "run"]

STAMP = ".nianbao-summary.json"
_STAMP_LIMIT = 1 << 20


@dataclass(frozen=True, slots=True)
class Written:
    """What one run did: the files written (or found unchanged), and the summary's verdict."""

    outputs: tuple[Path, ...]
    up_to_date: bool
    invalid: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    findings: int = 0


def _inputs(root: Path) -> list[Path]:
    found: list[Path] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        found.extend(
            Path(folder) / f
            for f in sorted(files)
            if f.endswith(".yaml") and not os.path.islink(Path(folder) / f)
        )
    return found


def fingerprint(
    root: Path,
    shown: str,
    outdir: Path,
    year: int | None,
    roster: Sequence[str] | None,
    groups: Mapping[str, Sequence[str]],
) -> str:
    """Everything the outputs are made from: every report's bytes, the settings, the code.

    The reports' path relative to the output folder is part of it, because the
    dashboard links to them, and so is how messages name the tree (``shown``).
    """
    from ..stamps import code_hash

    h = hashlib.sha256()
    settings = {
        "year": year,
        "roster": list(roster) if roster is not None else None,
        "groups": {k: list(v) for k, v in groups.items()},
        "time": build_time().isoformat(),
        "code": code_hash(),
        "link": os.path.relpath(root.absolute(), outdir.absolute()),
        "shown": shown,
    }
    h.update(json.dumps(settings, sort_keys=True).encode())
    templates = sorted(p for p in (templates_dir() / "summary").rglob("*") if p.is_file())
    templates += sorted(p for p in (templates_dir() / "html").rglob("*") if p.is_file())
    for path in [*templates, *_inputs(root)]:
        name = str(path.relative_to(root if root in path.parents else path.parent))
        h.update(name.encode("utf-8", "surrogateescape"))
        h.update(b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def _unchanged(outdir: Path, stamp: str) -> Written | None:
    """What the last run wrote, when the stamp says it came from these inputs and is intact."""
    raw = read_regular(outdir / STAMP, _STAMP_LIMIT)
    try:
        recorded = json.loads(raw) if raw is not None else None
    except ValueError:
        return None
    if not isinstance(recorded, dict) or recorded.get("fingerprint") != stamp:
        return None
    outputs = recorded.get("outputs")
    if not isinstance(outputs, dict):
        return None
    paths: list[Path] = []
    for name, digest in sorted(outputs.items()):
        if not isinstance(name, str) or "/" in name or "\\" in name or name.startswith("."):
            return None
        data = read_regular(outdir / name, 1 << 30)
        if data is None or hashlib.sha256(data).hexdigest() != digest:
            return None
        paths.append(outdir / name)
    verdict = recorded.get("verdict")
    if not isinstance(verdict, dict):
        return None
    return Written(
        tuple(paths),
        up_to_date=True,
        invalid=tuple(str(a) for a in verdict.get("invalid", [])),
        missing=tuple(str(a) for a in verdict.get("missing", [])),
        findings=int(verdict.get("findings", 0)),
    )


def run(
    root: Path,
    shown: str,
    outdir: Path,
    *,
    year: int | None = None,
    roster: Sequence[str] | None = None,
    groups: Mapping[str, Sequence[str]] | None = None,
    force: bool = False,
) -> Written:
    """Summarize the tree at ``root`` into ``outdir``; skipped when nothing changed."""
    from .collect import YEARS, collect
    from .compute import summarize
    from .render_data import render_csv, render_json
    from .render_html import render_html
    from .render_xlsx import render_xlsx

    if year is not None and year not in YEARS:
        raise UsageError(f"--year {year}: 年度应在 {YEARS[0]} 至 {YEARS[-1]} 之间")
    declared = dict(groups or {})
    stamp = fingerprint(root, shown, outdir, year, roster, declared)
    if not force and (done := _unchanged(outdir, stamp)) is not None:
        return done
    tree = collect(root, shown)
    if not tree.entries:
        raise UsageError(f"{shown}: 没有找到任何“机关目录/年份.yaml”形式的报告")
    title = f"{Path(shown).as_posix()} 年度报告审阅"
    summary = summarize(tree, year, roster, declared, title=title)
    files = {
        "summary.html": render_html(summary, outdir),
        "summary.xlsx": render_xlsx(summary),
        "summary.json": render_json(summary),
        **render_csv(summary),
    }
    for name, data in files.items():
        write_atomic(outdir / name, data, root=outdir)
    cov = summary.coverage
    written = Written(
        tuple(outdir / n for n in files),
        up_to_date=False,
        invalid=cov.invalid,
        missing=cov.missing,
        findings=len(summary.findings),
    )
    record = {
        "fingerprint": stamp,
        "outputs": {n: hashlib.sha256(d).hexdigest() for n, d in sorted(files.items())},
        "verdict": {
            "invalid": list(written.invalid),
            "missing": list(written.missing),
            "findings": written.findings,
        },
    }
    write_atomic(outdir / STAMP, json.dumps(record, indent=1).encode(), root=outdir)
    return written
