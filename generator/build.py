"""Building reports: validate, render every requested format in memory, then write.

Rendering happens completely before the first byte is written, so a report that
fails to render leaves every earlier output as it was.  Output paths mirror the
source tree (``reports/<agency>/<year>.yaml`` → ``build/<agency>/<year>.docx``) and
are checked to stay inside the output directory whatever the file names are.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .errors import UsageError
from .output import write_atomic
from .render import FORMATS, RenderOptions, get_renderer
from .validate import Outcome, check_file

__all__ = ["BuildResult", "Target", "build_target", "output_paths", "plan"]


@dataclass(frozen=True, slots=True)
class Target:
    """One report to build: its source and the output file for each format."""

    source: Path
    name: str
    outputs: dict[str, Path]


@dataclass(slots=True)
class BuildResult:
    target: Target
    outcome: Outcome
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    strict: bool = False

    @property
    def ok(self) -> bool:
        return self.outcome.ok and not (self.strict and self.outcome.warnings)


def output_paths(source: Path, root: Path | None, outdir: Path, formats: Sequence[str]) -> dict[str, Path]:
    """The outputs of ``source``: its path below ``root`` (or its folder name), in ``outdir``."""
    rel: Path | None = None
    if root is not None:
        try:
            rel = source.resolve().relative_to(root.resolve())
        except ValueError:
            rel = None
    if rel is None:
        rel = Path(source.resolve().parent.name) / source.name
    out = outdir.resolve()
    paths: dict[str, Path] = {}
    for suffix in formats:
        target = (out / rel).with_suffix(f".{suffix}")
        resolved = Path(os.path.normpath(target))
        if out != resolved and out not in resolved.parents:
            raise UsageError(f"{source}: 输出路径 {target} 不在输出目录 {outdir} 之内")
        paths[suffix] = resolved
    return paths


def plan(
    sources: Sequence[Path], names: Sequence[str], root: Path | None, outdir: Path, formats: Sequence[str]
) -> list[Target]:
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise UsageError(f"未知的输出格式：{', '.join(unknown)}（可选：{', '.join(FORMATS)}）")
    return [
        Target(src, name, output_paths(src, root, outdir, formats))
        for src, name in zip(sources, names, strict=True)
    ]


def build_target(target: Target, options: RenderOptions, *, strict: bool = False) -> BuildResult:
    """Validate and render one report; write its outputs only if every format rendered.

    With ``strict``, a report with warnings is treated as failed and not rendered.
    """
    outcome = check_file(target.source, target.name)
    result = BuildResult(target, outcome, strict=strict)
    if not result.ok or outcome.report is None:
        return result
    rendered = {
        suffix: get_renderer(suffix).render(outcome.report, options)
        for suffix in target.outputs
    }
    for suffix, data in rendered.items():
        path = target.outputs[suffix]
        if write_atomic(path, data):
            result.written.append(path)
        else:
            result.unchanged.append(path)
    return result
