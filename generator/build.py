"""Building reports: validate, render every requested format in memory, then write.

Rendering happens completely before the first byte is written, so a report that
fails to render leaves every earlier output as it was.  Output paths mirror the
source tree (``reports/<agency>/<year>.yaml`` → ``build/<agency>/<year>.docx``) and
are checked to stay inside the output directory whatever the file names are.
Reports are independent, so they are built in parallel; one failure never stops
the others.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import signal
import stat
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from .errors import Diagnostic, InvalidReport, UsageError
from .lock import LOCK
from .lock import locked as _locked
from .output import read_regular, remove_stale_temps, write_atomic
from .render import FORMATS, RenderOptions, get_renderer
from .source import read_report
from .stamps import MANIFEST, Fingerprinter, Manifest, fingerprints, read_previous, report_digest
from .validate import check_file, previous_path, unpublishable

__all__ = [
    "BuildResult",
    "Summary",
    "Target",
    "build",
    "output_paths",
    "plan",
    "worker_count",
]


@dataclass(frozen=True, slots=True)
class Target:
    """One report to build: its source and the output file for each format."""

    source: Path
    name: str
    outputs: dict[str, Path]
    outdir: Path | None = None
    """The (resolved) output directory: no symbolic link below it is followed."""


@dataclass(slots=True)
class BuildResult:
    """What became of one target; small and picklable, so workers can send it back."""

    target: Target
    diagnostics: list[Diagnostic] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)
    """SHA-256 of each written output: ``clean`` deletes only files that still match."""
    failed: bool = False
    skipped: bool = False
    crash: str | None = None
    environment: bool = False
    """The failure came from the environment (unwritable output, full disk), not the report."""
    fingerprints: dict[str, str] = field(default_factory=dict)
    """Per format, the fingerprint of the inputs exactly as read for this build."""
    pdf_source: bytes | None = None
    """The DOCX its PDF is made from; PDFs are converted after the others, in one batch."""

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass(slots=True)
class Summary:
    results: list[BuildResult]
    seconds: float
    not_built: list[Target] = field(default_factory=list)
    """Reports left out because the build was stopped (a signal)."""

    @property
    def built(self) -> list[BuildResult]:
        return [r for r in self.results if r.ok and not r.skipped]

    @property
    def up_to_date(self) -> list[BuildResult]:
        return [r for r in self.results if r.skipped]

    @property
    def failed(self) -> list[BuildResult]:
        return [r for r in self.results if r.failed]


def output_paths(
    source: Path, root: Path | None, outdir: Path, formats: Sequence[str]
) -> dict[str, Path]:
    """The outputs of ``source``: its path below ``root`` (or its folder name), in ``outdir``."""
    if "\0" in str(source) or "\0" in str(outdir):
        raise UsageError(f"{str(source)!r}: 路径中含有空字符")
    try:
        resolved, out = source.resolve(), outdir.resolve()
    except (RuntimeError, OSError):  # RuntimeError: a symlink loop, before Python 3.13
        raise UsageError(f"{source}: 符号链接循环（symbolic links loop），无法读取") from None
    rel: Path | None = None
    if root is not None:
        try:
            rel = resolved.relative_to(root.resolve())
        except (ValueError, RuntimeError, OSError):
            rel = None
    if rel is None:
        rel = Path(resolved.parent.name) / source.name
    _check_utf8(rel, source)
    paths: dict[str, Path] = {}
    for suffix in formats:
        try:
            target = Path(os.path.normpath(out / rel.with_suffix(f".{suffix}")))
        except ValueError:  # a name with nothing to put a suffix on, such as "/"
            raise UsageError(f"{source}: 无法由文件名得出输出路径") from None
        if out not in target.parents:
            raise UsageError(f"{source}: 输出路径 {target} 不在输出目录 {outdir} 之内")
        paths[suffix] = target
    return paths


def _check_utf8(rel: Path, source: Path) -> None:
    """Refuse a name that is not text (bytes like ``\\xff`` on Linux) before anything is
    written: the manifest, which is text, could not record its outputs."""
    try:
        str(rel).encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(source).decode("utf-8", "backslashreplace")
        raise UsageError(
            f"{shown}: 路径含有不是 UTF-8 文字的字节，生成的文件无法记入清单；"
            "请重命名该文件夹或文件"
        ) from None


def plan(
    sources: Sequence[Path],
    names: Sequence[str],
    root: Path | None,
    outdir: Path,
    formats: Sequence[str],
) -> list[Target]:
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise UsageError(
            f"未知的输出格式：{', '.join(unknown) or '（空）'}（可选：{', '.join(FORMATS)}）"
        )
    out = outdir.resolve()
    targets = [
        Target(src, name, output_paths(src, root, outdir, formats), out)
        for src, name in zip(sources, names, strict=True)
    ]
    seen: dict[Path, str] = {}
    for t in targets:
        for path in t.outputs.values():
            if path in seen:
                raise UsageError(f"{t.name} 和 {seen[path]} 会生成同一个文件 {path}")
            seen[path] = t.name
    _refuse_sources_as_outputs(targets, outdir)
    _check_bookkeeping(outdir)
    return targets


def _check_bookkeeping(outdir: Path) -> None:
    """The lock and the manifest must be regular files, checked before anything is
    written (a link there would otherwise stop the build after its outputs are written)."""
    for name in (LOCK, MANIFEST):
        path = outdir / name
        with contextlib.suppress(OSError):
            if not stat.S_ISREG(os.lstat(path).st_mode):
                raise UsageError(
                    f"{path}: 不是普通文件（可能是符号链接），nianbao 不会使用它；请删除它"
                )


_REPORT_KEYS = (re.compile(rb"(?m)^agency[ \t]*:"), re.compile(rb"(?m)^year[ \t]*:"))


def _refuse_sources_as_outputs(targets: Sequence[Target], outdir: Path) -> None:
    """An output must never be a source, whatever the names (a YAML report named ``.md``).

    Refused: an output that is (the same file as) a report being built or a last year's
    report the build reads, or an existing file not recorded as ours that reads like a
    report.  Paths are compared resolved, existing files also by inode (hard links, links).
    """
    guarded: dict[str, str] = {}
    inodes: dict[tuple[int, int], str] = {}
    folders: dict[Path, str] = {}
    for t in targets:
        if t.source.parent not in folders:
            folders[t.source.parent] = os.path.realpath(t.source.parent)
        last_year = previous_path(t.source)
        for src in [t.source] if last_year is None else [t.source, last_year]:
            where = os.path.join(folders[t.source.parent], src.name)
            guarded[os.path.normcase(where)] = str(src)
            with contextlib.suppress(OSError):
                st = os.stat(src)
                inodes[(st.st_dev, st.st_ino)] = str(src)
    manifest: Manifest | None = None
    clashes: list[str] = []
    for t in targets:
        for path in t.outputs.values():
            hit = guarded.get(os.path.normcase(path))
            if hit is None:
                try:
                    st = os.stat(path)
                except OSError:
                    continue  # nothing there (or a dangling link, which is not written)
                hit = inodes.get((st.st_dev, st.st_ino))
                if hit is None:
                    manifest = manifest or Manifest.read(outdir)
                    if manifest.key(path) not in manifest.entries and _reads_like_report(path):
                        hit = "一份报告（不是 nianbao 生成的）"
            if hit is not None:
                clashes.append(f"  {path} 是 {hit}")
    if clashes:
        raise UsageError(
            "输出文件会覆盖报告源文件，未生成任何文件；请换一个输出目录（-o）：\n"
            + "\n".join(clashes)
        )


def _reads_like_report(path: Path) -> bool:
    data = read_regular(path, 2 * 1024 * 1024)
    return data is not None and all(k.search(data[:65536]) for k in _REPORT_KEYS)


@dataclass(frozen=True, slots=True)
class _Job:
    """What a worker needs to render one report; ``extras`` digests templates per format."""

    target: Target
    options: RenderOptions
    strict: bool
    extras: dict[str, str]


def render_target(
    target: Target,
    options: RenderOptions,
    strict: bool = False,
    extras: Mapping[str, str] | None = None,
) -> tuple[BuildResult, dict[str, bytes] | None]:
    """Validate and render one report in memory; None instead of outputs when it failed.

    The report and last year's file are read once: the fingerprints recorded for the
    outputs are those of the very bytes validated and rendered, so an edit made while
    the build runs is seen by the next build.  With ``strict``, a report with
    warnings is treated as failed and not rendered.
    """
    result = BuildResult(target)
    try:
        data = read_report(target.source, target.name)  # size and file type checked first
        previous, prev_digest = read_previous(previous_path(target.source))
        if extras is not None:
            result.fingerprints = fingerprints(report_digest(data), prev_digest, extras)
        outcome = check_file(target.source, target.name, data=data, previous_data=previous)
        result.diagnostics = outcome.diagnostics
        blocker = unpublishable(outcome)  # unreadable cells: checked, never published
        if blocker is not None:
            result.diagnostics = [*outcome.diagnostics, blocker]
        if not outcome.ok or outcome.report is None or blocker or (strict and outcome.warnings):
            result.failed = True
            return result, None
        report = outcome.report
        return result, {s: get_renderer(s).render(report, options) for s in target.outputs}
    except InvalidReport as exc:
        result.failed, result.diagnostics = True, list(exc.diagnostics)
    except UsageError as exc:
        result.failed, result.crash, result.environment = True, str(exc), True
    except Exception as exc:  # noqa: BLE001 - one broken report must not stop the others
        result.failed, result.crash = True, f"内部错误（{type(exc).__name__}: {exc}）"
    return result, None


def write_target(result: BuildResult, rendered: dict[str, bytes]) -> BuildResult:
    """Write a report's rendered outputs, each atomically; unchanged files are left alone."""
    try:
        for suffix, data in rendered.items():
            if suffix == "pdf":
                result.pdf_source = data
                continue
            path = result.target.outputs[suffix]
            changed = write_atomic(path, data, root=result.target.outdir)
            (result.written if changed else result.unchanged).append(path)
            result.sizes[suffix] = len(data)
            result.hashes[suffix] = hashlib.sha256(data).hexdigest()
    except UsageError as exc:
        result.failed, result.crash, result.environment = True, str(exc), True
    except Exception as exc:  # noqa: BLE001 - one broken report must not stop the others
        result.failed, result.crash = True, f"内部错误（{type(exc).__name__}: {exc}）"
    return result


def build_target(target: Target, options: RenderOptions, strict: bool = False) -> BuildResult:
    """Validate, render and write one report."""
    result, rendered = render_target(target, options, strict)
    return result if rendered is None else write_target(result, rendered)


Rendered = tuple[BuildResult, dict[str, bytes] | None]


def _serial(jobs: Sequence[_Job], stop: threading.Event) -> Iterator[Rendered]:
    """One report after another, in this process; a stop request ends it between reports."""
    for job in jobs:
        if stop.is_set():
            return
        yield render_target(job.target, job.options, job.strict, job.extras)


def _work(job: _Job) -> Rendered:
    return render_target(job.target, job.options, job.strict, job.extras)


def _worker_init() -> None:
    """Workers leave Ctrl-C (sent to the whole process group) to the parent, which stops them.

    A forked worker inherits the parent's handlers: SIGTERM is reset to its default,
    so the pool can still end a worker (it does so when another one died).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


_LOST = "未生成：一个并行工作进程意外终止（可能因内存不足被系统结束）"
_POLL = 0.1  # seconds between looks at the stop request while workers render


def _parallel(jobs: Sequence[_Job], workers: int, stop: threading.Event) -> Iterator[Rendered]:
    """Render in worker processes; only the parent writes, so it knows every file written.

    A stop request cancels what has not started and waits for what is rendering.  A
    worker that dies (the OOM killer, a kill) breaks the pool: every report not
    rendered yet is then a failure that says so, and nothing new starts.
    """
    with ProcessPoolExecutor(max_workers=workers, initializer=_worker_init) as pool:
        futures = {pool.submit(_work, job): job for job in jobs}
        try:
            yield from _gather(futures, stop)
        finally:  # left early (a second Ctrl-C): do not wait for the whole queue
            for future in futures:
                future.cancel()


def _gather(futures: dict[Future[Rendered], _Job], stop: threading.Event) -> Iterator[Rendered]:
    """The rendered reports as workers finish them, until done, stopped or broken."""
    pending: set[Future[Rendered]] = set(futures)
    while pending:
        done, pending = wait(pending, timeout=_POLL, return_when=FIRST_COMPLETED)
        if stop.is_set():
            for future in pending:
                future.cancel()
            done, pending = done | wait(pending).done, set()
        for future in sorted(done, key=lambda f: futures[f].target.name):
            if future.cancelled():
                continue
            try:
                yield future.result()
            except BrokenProcessPool:
                if not stop.is_set():  # stopped: not built, and said so by the caller
                    lost = BuildResult(futures[future].target, failed=True, crash=_LOST)
                    lost.environment = True
                    yield lost, None


def _written(rendered: Iterator[Rendered]) -> Iterator[BuildResult]:
    """Each report's files written while the next ones render (writes release the GIL).

    At most a few reports wait to be written, so memory stays flat.
    """
    with ThreadPoolExecutor(max_workers=_WRITERS) as writer:
        pending: deque[Future[BuildResult]] = deque()
        for result, outputs in rendered:
            if outputs is None:
                yield result
            else:
                pending.append(writer.submit(write_target, result, outputs))
            while pending and (pending[0].done() or len(pending) > _MAX_PENDING):
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


_MAX_PENDING = 8
_WRITERS = 2


def worker_count(jobs: int, reports: int) -> int:
    """Processes to start for ``-j jobs``: never more than the reports, nor than 2 per CPU.

    Rendering is CPU-bound, so more processes than CPUs only cost memory (``-j 2000``
    once started 2,002 processes); Windows allows at most 61.
    """
    cpus = os.cpu_count() or 1
    limit = min(jobs, reports, 2 * cpus, 61 if sys.platform == "win32" else jobs)
    return max(1, limit)


def build(
    targets: Sequence[Target],
    outdir: Path,
    options: RenderOptions,
    *,
    strict: bool = False,
    force: bool = False,
    jobs: int = 1,
    progress: Callable[[BuildResult], None] | None = None,
    stop: threading.Event | None = None,
) -> Summary:
    """Build the targets that are out of date; returns what happened to each.

    Setting ``stop`` (a signal handler does) ends the build promptly: nothing new
    starts, what is rendering finishes and is written and recorded, and the summary
    lists the reports that were not built.
    """
    start = time.perf_counter()
    stop = stop or threading.Event()
    results: list[BuildResult] = []
    records: list[tuple[Path, str, str, int, str]] = []
    fingerprint = Fingerprinter(options.templates, options.reference_docx, outdir)
    manifest = Manifest.read(outdir)
    todo = _out_of_date(targets, manifest, fingerprint, force, results, progress)

    def done(result: BuildResult) -> None:
        results.append(result)
        if result.ok:
            for suffix, path in result.target.outputs.items():
                if suffix not in result.sizes:  # a PDF is recorded once it is converted
                    continue
                fp = result.fingerprints[suffix]
                size, sha = result.sizes[suffix], result.hashes[suffix]
                records.append((path, result.target.name, fp, size, sha))
        if progress and (result.pdf_source is None or not result.ok):
            progress(result)

    queue = [_Job(t, options, strict, fingerprint.extras(t.outputs)) for t in todo]
    workers = worker_count(jobs, len(queue))
    try:
        rendering = _serial(queue, stop) if workers <= 1 else _parallel(queue, workers, stop)
        for result in _written(rendering):
            done(result)
        _pdfs(results, manifest, force, done, stop)
    finally:
        if records or outdir.is_dir():
            with _locked(outdir):
                if records:
                    # Builds may run side by side (make -j): merge into the newest manifest.
                    latest = Manifest.read(outdir)
                    for record in records:
                        latest.record(*record)
                    latest.write()
                # What a killed build left behind; a running build's own files are kept.
                folders = {outdir} | {p.parent for t in targets for p in t.outputs.values()}
                remove_stale_temps(sorted(folders), outdir.resolve())
    finished = {r.target.source for r in results}
    order = {t.source: i for i, t in enumerate(targets)}
    results.sort(key=lambda r: order[r.target.source])
    unbuilt = [t for t in todo if t.source not in finished]
    return Summary(results, time.perf_counter() - start, unbuilt)


def _pdfs(
    results: list[BuildResult],
    manifest: Manifest,
    force: bool,
    done: Callable[[BuildResult], None],
    stop: threading.Event,
) -> None:
    """Convert the out-of-date PDFs in one office process, then record their reports.

    Stopped before or during the conversion, those reports are left out of the
    results: the summary lists them as not built.
    """
    from . import pdf  # only builds with PDFs start LibreOffice

    waiting = [r for r in results if r.pdf_source is not None]
    for result in waiting:
        results.remove(result)
    stale = [
        (r, r.pdf_source)
        for r in waiting
        if r.ok and r.pdf_source is not None
        and (force or not manifest.up_to_date(r.target.outputs["pdf"], r.fingerprints["pdf"]))
    ]  # fmt: skip
    if not stop.is_set():
        pdf.finish(stale, stop)
    if stop.is_set():
        return
    for result in waiting:
        result.pdf_source = None
        done(result)


def _out_of_date(
    targets: Sequence[Target],
    manifest: Manifest,
    fingerprint: Fingerprinter,
    force: bool,
    results: list[BuildResult],
    progress: Callable[[BuildResult], None] | None,
) -> list[Target]:
    """The targets to build; the others are added to ``results`` as up to date."""
    todo: list[Target] = []
    for t in targets:
        fp = fingerprint(t.source, previous_path(t.source), t.outputs)
        if not force and all(manifest.up_to_date(t.outputs[s], fp[s]) for s in t.outputs):
            results.append(BuildResult(t, skipped=True))
            if progress:
                progress(results[-1])
        else:
            todo.append(t)
    return todo
