"""Keeping the preview up to date: settings, what to build, the build, what to watch.

A rebuild is always the ordinary incremental ``build()`` over every report in scope:
it re-plans (reports may appear or vanish), fingerprints everything and renders only
what changed, so the files on disk are exactly those ``nianbao build`` would write.
Settings and planning errors (a broken ``nianbao.toml``) do not end the preview:
they are shown on every page until fixed.  Only the first load is fatal (exit 2).
"""

from __future__ import annotations

import contextlib
import glob
import os
import sys
import threading
from collections.abc import Generator, Sequence
from pathlib import Path

from ..build import BuildResult, Summary, Target, build, plan
from ..config import Config, load_config
from ..errors import NianbaoError, UsageError, printable
from ..render import FORMATS, RenderOptions
from ..source import loads
from ..stamps import TEMPLATE_SUFFIXES, read_previous
from ..validate import check_file, previous_path, unpublishable
from .site import Entry, Site

__all__ = ["Preview"]

_CONFIG_FILES = ("nianbao.toml", "pyproject.toml")
_LIVE_MS = 250
"""How soon after it starts the watcher reports that it is live (milliseconds)."""


class Preview:
    """The reports in scope and their state; rebuilds when told that files changed."""

    def __init__(self, paths: Sequence[str], output: str | None, stop: threading.Event) -> None:
        self.paths = list(paths)
        self.flags = {"output": output}
        self.stop = stop
        self.config = load_config(flags=self.flags)  # fatal the first time only
        self.outdir = self.config.output
        self.site = Site(self.outdir)
        self._entries: dict[Path, Entry] = {}

    # ------------------------------------------------------------------ settings

    def _reload(self) -> Config:
        config = load_config(flags=self.flags)
        if config.output.resolve() != self.outdir.resolve():
            raise UsageError(
                f"输出目录的设置改成了 {config.output}；预览仍在使用 {self.outdir}，"
                "请重新启动 nianbao serve"
            )
        return config

    def formats(self, config: Config) -> list[str]:
        """The configured formats, with HTML added: the preview shows the HTML."""
        wanted = set(config.formats) | {"html"}
        return [f for f in FORMATS if f in wanted]

    def targets(self, config: Config) -> list[Target]:
        from ..cli import display_path, expand_paths

        if not self.paths and not config.source.is_dir():
            raise UsageError(f"没有给出报告文件，也没有找到报告目录 {display_path(config.source)}/")
        sources = expand_paths(self.paths or [str(config.source)])
        names = [display_path(p) for p in sources]
        return plan(sources, names, config.source, self.outdir, self.formats(config))

    # ------------------------------------------------------------------ building

    def rebuild(self, jobs: int = 1, *, fatal: bool = False) -> Summary | None:
        """Build what changed and publish the new state if anything changed (pages reload).

        None when the settings or the plan are broken: the problem is then shown on every
        page, or raised with ``fatal`` (the first build: nothing to preview yet).
        """
        try:
            config = self._reload()
            targets = self.targets(config)
            if config.reference_docx is not None:
                from ..cli import _check_reference

                _check_reference(config.reference_docx)  # as build does: once per build
            keys = {t.source: read_previous(t.source) for t in targets}
            options = RenderOptions(
                templates=config.templates, reference_docx=config.reference_docx
            )
            summary = build(targets, self.outdir, options, jobs=jobs, stop=self.stop)
        except NianbaoError as exc:  # settings, planning, the lock: shown until fixed
            if fatal:
                raise
            print(printable(f"nianbao: {exc}"), file=sys.stderr)
            if str(exc) != self.site.snapshot.problem:
                self.site.publish(tuple(self._entries.values()), problem=str(exc))
            return None
        self.config = config
        results = {r.target.source: r for r in summary.results}
        entries: dict[Path, Entry] = {}
        for t in targets:
            result = results.get(t.source)
            if result is not None:
                data, digest = keys[t.source]
                key = (digest, read_previous(previous_path(t.source))[1])
                entries[t.source] = self._entry(t, result, key, data)
            elif t.source in self._entries:  # not built (stopped): as it was
                entries[t.source] = self._entries[t.source]
        built = any(not r.skipped for r in summary.results)
        snap = self.site.snapshot
        if built or entries != self._entries or snap.problem or not snap.generation:
            self.site.publish(tuple(entries.values()))
        self._entries = entries
        _tell(summary)
        return summary

    def _entry(
        self, target: Target, result: BuildResult, key: tuple[str, str], data: bytes | None
    ) -> Entry:
        """The state of one report after a build; an up-to-date one is validated only when
        its files changed since the preview last saw it (for its warnings)."""
        old = self._entries.get(target.source)
        if result.skipped:
            if old is not None and old.key == key and old.target == target:
                return old
            outcome = check_file(target.source, target.name)
            blocker = unpublishable(outcome)  # as build decides, though it was not asked
            diagnostics = [*outcome.diagnostics, *([blocker] if blocker else [])]
            failed, crash = not outcome.ok or blocker is not None, None
        else:
            diagnostics, failed, crash = result.diagnostics, result.failed, result.crash
        agency, year = _meta(target, data)
        return Entry(target, agency, year, tuple(diagnostics), crash, failed, key)

    # ------------------------------------------------------------------ watching

    def roots(self) -> list[Path]:
        """The folders to watch: the reports' (last year's files sit beside them), the
        templates, the reference DOCX's and the config file's.  Nested ones are dropped."""
        config = self.config
        found = {t.source.parent for t in (e.target for e in self._entries.values())}
        found |= {_literal_root(p) for p in self.paths} if self.paths else {config.source}
        if config.templates is not None:
            found.add(config.templates)
        if config.reference_docx is not None:
            found.add(config.reference_docx.parent)
        if config.file is not None:
            found.add(config.file.parent)
        real = sorted({p.resolve() for p in found if p.is_dir()})
        return [p for p in real if not any(q != p and q in p.parents for q in real)]

    def relevant(self, path: Path) -> bool:
        """Whether a change to ``path`` can change an output or a report's state."""
        if path.name.startswith("."):  # editors' swap and lock files, .git
            return False
        path = path.resolve()
        out = self.outdir.resolve()
        if path == out or out in path.parents:
            return False  # the build's own writes
        config = self.config
        root = (config.file.parent if config.file else config.root).resolve()
        if path.parent == root and path.name in _CONFIG_FILES:
            return True
        if config.reference_docx is not None and path == config.reference_docx.resolve():
            return True
        if config.templates is not None and path.name.endswith(TEMPLATE_SUFFIXES):
            folder = config.templates.resolve()
            if folder in path.parents:
                return True
        return path.suffix == ".yaml"

    def changes(self) -> Generator[set[Path], None, None]:
        """Batches of relevant changes (watchfiles groups what one save does) until stopped.

        The first batch of each watch, possibly empty, comes once the watcher is live: a
        rebuild then catches what changed before (during the first build, or while the
        folders were watched anew because a rebuild changed them).
        """
        from watchfiles import watch

        while not self.stop.is_set():
            roots = self.roots()
            if not roots:
                raise UsageError("没有可以监视的文件夹")
            batches = watch(
                *roots,
                watch_filter=lambda _change, p: self.relevant(Path(p)),
                stop_event=self.stop,
                raise_interrupt=False,
                debounce=800,
                step=100,
                rust_timeout=_LIVE_MS,
                yield_on_timeout=True,
            )
            with contextlib.closing(batches):  # the native watcher ends with the generator
                live = False
                for batch in batches:
                    if batch or not live:  # the first yield: watching now, catch up on edits
                        yield {Path(p) for _change, p in batch}
                    live = True
                    if self.roots() != roots:
                        break


def _literal_root(pattern: str) -> Path:
    """The folder a path argument lives in: itself, a file's folder, a glob's fixed part."""
    path = Path(pattern)
    if os.path.isdir(pattern):
        return path
    if os.path.lexists(pattern) or not glob.has_magic(pattern):
        return path.parent
    fixed: list[str] = []
    for part in path.parts:
        if glob.has_magic(part):
            break
        fixed.append(part)
    return Path(*fixed) if fixed else Path()


def _meta(target: Target, data: bytes | None) -> tuple[str, str]:
    """The agency and year an index row shows: from the report when it reads, else from
    its folder and file name."""
    agency, year = target.source.parent.name, target.source.stem
    if data:
        try:
            fields = loads(data, target.name).data
        except NianbaoError:
            return agency, year
        if isinstance(fields, dict):
            if isinstance(fields.get("agency"), str) and fields["agency"].strip():
                agency = fields["agency"].strip()
            if isinstance(fields.get("year"), int) and not isinstance(fields["year"], bool):
                year = str(fields["year"])
    return agency, year


def _tell(summary: Summary) -> None:
    """One line per report that was built or failed, its diagnostics, and a total."""
    changed = [r for r in summary.results if not r.skipped]
    for result in changed:
        for d in result.diagnostics:
            print(d.format(), file=sys.stderr)
        if result.crash:
            print(printable(f"{result.target.name}: {result.crash}"), file=sys.stderr)
        state = "有错误，页面上列出了全部问题" if result.failed else "已更新"
        print(printable(f"{result.target.name}: {state}"), file=sys.stderr)
    if changed:
        failed = sum(r.failed for r in changed)
        print(
            f"生成 {len(changed) - failed} 份，失败 {failed} 份，用时 {summary.seconds:.2f} 秒",
            file=sys.stderr,
        )
