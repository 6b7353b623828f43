"""Hostile and unlucky builds: signals, dying workers, edits mid-build, odd trees.

A build stopped by Ctrl-C or SIGTERM stops promptly, records every output it wrote
and names the reports it did not build; a worker killed from outside is a named
failure, not a traceback.  What a build records as up to date is what it rendered.
Trees with alias symlinks, glob characters in folder names, a templates folder that
holds the output, a 20 GB sparse report or a report whose file name and ``year:``
disagree build (or fail) cleanly.  The signal tests run real ``python -m generator
build -j 2`` processes and wait on conditions (files appearing), never on sleeps.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import generator.build
from generator.build import worker_count
from generator.cli import main
from generator.stamps import MANIFEST

from .conftest import EXAMPLES, MINIMAL

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "SOURCE_DATE_EPOCH": "1700000000"}
MANY = 400  # reports in the signal tests: a full -j 2 build takes far longer than a stop
linux_only = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()  # stops the config search here
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- signals and dying workers -------------------------------------------------------


def many_reports(folder: Path, count: int = MANY) -> list[str]:
    """``count`` valid reports under ``folder/reports``; returns their display names."""
    seed = (EXAMPLES / "qinghe-zfb" / "2022.yaml").read_text(encoding="utf-8")
    names = []
    for i in range(count):
        path = write(folder / "reports" / f"r{i:04d}" / "2022.yaml", seed)
        names.append(str(path.relative_to(folder)))
    return names


def start_build(folder: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "generator", "build", "-j", "2", "-o", "build", "reports"],
        cwd=folder, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip


def wait_for(condition: Callable[[], bool], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def children(pid: int) -> list[int]:
    """Live child processes of ``pid``, from /proc (field 4 of /proc/N/stat is the ppid)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def outputs_on_disk(out: Path) -> set[str]:
    return {
        p.relative_to(out).as_posix()
        for p in out.rglob("*")
        if p.is_file() and not p.name.startswith(".nianbao-")
    }


def manifest_keys(out: Path) -> set[str]:
    return set(json.loads((out / MANIFEST).read_text(encoding="utf-8"))["outputs"])


def stopped_build(folder: Path, stop: Callable[[subprocess.Popen[str], list[int]], None]) -> Any:
    """Start a build, wait for its first outputs and two workers, ``stop`` it; what happened."""
    names = many_reports(folder)
    proc = start_build(folder)
    out = folder / "build"
    wait_for(lambda: len(list(out.rglob("*.md"))) >= 3 and len(children(proc.pid)) >= 2)
    workers = children(proc.pid)
    stop(proc, workers)
    signalled = time.monotonic()
    _, err = proc.communicate(timeout=60)
    seconds = time.monotonic() - signalled
    wait_for(lambda: not any(alive(w) for w in workers), timeout=10)  # no orphans left
    on_disk = outputs_on_disk(out)
    print(f"stopped {seconds:.2f} s after the signal, {len(on_disk)} of {3 * MANY} outputs")
    return proc.returncode, err, seconds, on_disk, names


def assert_clean_stop(folder: Path, err: str, on_disk: set[str], names: list[str]) -> None:
    """No traceback; every output written is in the manifest; every unbuilt report named."""
    out = folder / "build"
    assert "Traceback" not in err and "内部错误" not in err, err
    assert on_disk <= manifest_keys(out)
    assert 0 < len(on_disk) < 3 * MANY, "the build must have stopped part-way"
    unbuilt = [n for n in names if f"{n[len('reports/') : -len('.yaml')]}.md" not in on_disk]
    assert unbuilt and all(f"  {n}\n" in err for n in unbuilt)


@linux_only
def test_ctrl_c_stops_a_parallel_build_promptly_and_records_what_was_written(
    tmp_path: Path,
) -> None:
    """SIGINT to the process group (what a terminal's Ctrl-C does): exit 130, promptly."""
    code, err, seconds, on_disk, names = stopped_build(
        tmp_path, lambda proc, _: os.killpg(proc.pid, signal.SIGINT)
    )
    assert code == 130, err
    assert seconds < 20  # a full build of MANY reports takes minutes on a loaded machine
    assert "SIGINT" in err
    assert_clean_stop(tmp_path, err, on_disk, names)


@linux_only
def test_sigterm_to_the_parent_stops_it_and_its_workers(tmp_path: Path) -> None:
    """SIGTERM to the nianbao process alone: exit 143, workers gone, nothing lost."""
    code, err, seconds, on_disk, names = stopped_build(
        tmp_path, lambda proc, _: os.kill(proc.pid, signal.SIGTERM)
    )
    assert code == 143, err
    assert seconds < 20
    assert_clean_stop(tmp_path, err, on_disk, names)


@linux_only
def test_a_killed_worker_is_a_named_failure(tmp_path: Path) -> None:
    """SIGKILL to one worker (as the OOM killer does): exit 2, the lost reports named."""
    code, err, seconds, on_disk, names = stopped_build(
        tmp_path, lambda _, workers: os.kill(workers[0], signal.SIGKILL)
    )
    assert code == 2, err
    assert seconds < 20
    assert "Traceback" not in err and "内部错误" not in err and "BrokenProcessPool" not in err
    assert "工作进程意外终止" in err
    assert on_disk <= manifest_keys(tmp_path / "build")  # only the parent writes
    lost = [n for n in names if f"{n[len('reports/') : -len('.yaml')]}.md" not in on_disk]
    assert lost and all(f"  {n}: 未生成" in err for n in lost)


def test_workers_are_bounded_by_the_reports_and_the_machine(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """-j 2000 over 3 reports starts 3 worker processes, not 2,000."""
    started: list[int] = []
    real = generator.build.ProcessPoolExecutor

    def counting(max_workers: int, **kw: Any) -> Any:
        started.append(max_workers)
        return real(max_workers=max_workers, **kw)

    monkeypatch.setattr(generator.build, "ProcessPoolExecutor", counting)
    for i in range(3):
        write(repo / "reports" / f"a{i}" / "2022.yaml", MINIMAL)
    assert main(["build", "-q", "-f", "md", "-j", "2000"]) == 0
    assert started == [min(3, 2 * (os.cpu_count() or 1))] or started == []
    assert worker_count(2000, 10_000) <= 2 * (os.cpu_count() or 1)
    assert worker_count(4, 1) == 1


@pytest.mark.parametrize("jobs", ["0", "-3"])
def test_zero_or_negative_jobs_is_a_usage_error(
    repo: Path, jobs: str, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo / "reports" / "a" / "2022.yaml", MINIMAL)
    assert main(["build", "-j", jobs]) == 2
    assert "-j/--jobs 应为正整数（并行数）" in capsys.readouterr().err
    assert not (repo / "build").exists()


# --- what is recorded is what was rendered --------------------------------------------


@contextlib.contextmanager
def edit_during_build(path: Path, text: str) -> Iterator[None]:
    """Change ``path`` once the build has planned, just as it starts validating."""
    real = generator.build.check_file

    def editing(*args: Any, **kwargs: Any) -> Any:
        if path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        return real(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(generator.build, "check_file", editing)
        yield


def test_an_edit_during_a_build_is_never_marked_up_to_date(repo: Path) -> None:
    """Edited mid-build, then reverted: the next build's output is the reverted text."""
    first, second = MINIMAL.replace("测试局", "甲局"), MINIMAL.replace("测试局", "乙局")
    src = write(repo / "reports" / "a" / "2022.yaml", first)
    with edit_during_build(src, second):
        assert main(["build", "-q", "-f", "md", "-j", "1"]) == 0
    src.write_text(first, encoding="utf-8")  # the author undoes the edit
    assert main(["build", "-q", "-f", "md", "-j", "1"]) == 0
    assert "甲局" in (repo / "build" / "a" / "2022.md").read_text(encoding="utf-8")


def test_an_edit_of_last_years_file_during_a_build_is_not_lost(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Last year's 结转 wrong at the start, fixed mid-build, broken again: build says so."""
    write(repo / "reports" / "a" / "2022.yaml", MINIMAL)
    wrong = MINIMAL.replace("2022", "2021") + (
        "applications:\n  received: {natural_person: 1}\n  carried_forward: {natural_person: 1}\n"
    )
    prev = write(repo / "reports" / "a" / "2021.yaml", wrong)
    with edit_during_build(prev, MINIMAL.replace("2022", "2021")):
        main(["build", "-q", "-f", "md", "-j", "1"])
    prev.write_text(wrong, encoding="utf-8")
    capsys.readouterr()
    assert main(["build", "-f", "md", "-j", "1", "reports/a/2022.yaml"]) == 1
    assert "X-CARRY" in capsys.readouterr().err


def sparse(path: Path, size: int = 20 * 2**30) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.truncate(size)
    return path


def test_a_20_gb_sparse_report_fails_fast_with_the_loaders_message(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its size is checked before anything is hashed (it took 73 s to hash before)."""
    sparse(repo / "reports" / "big" / "2022.yaml")
    start = time.perf_counter()
    assert main(["build", "-f", "md"]) == 1
    assert time.perf_counter() - start < 10
    assert "文件过大" in capsys.readouterr().err


def test_a_20_gb_sparse_last_years_file_is_not_hashed(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo / "reports" / "a" / "2022.yaml", MINIMAL)
    sparse(repo / "reports" / "a" / "2021.yaml")
    start = time.perf_counter()
    assert main(["build", "-f", "md", "reports/a/2022.yaml"]) == 0
    assert time.perf_counter() - start < 10
    assert "X-PREVIOUS-INVALID" in capsys.readouterr().err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_as_last_years_file_or_a_template_does_not_block(repo: Path) -> None:
    """Nothing in a build opens a pipe for reading: a child finishes in bounded time."""
    write(repo / "reports" / "a" / "2022.yaml", MINIMAL)
    os.mkfifo(repo / "reports" / "a" / "2021.yaml")
    (repo / "tpl").mkdir()
    os.mkfifo(repo / "tpl" / "x.md.j2")
    argv = [sys.executable, "-m", "generator", "build", "-f", "md", "--templates", "tpl"]
    done = subprocess.run(argv, cwd=repo, env=ENV, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "X-PREVIOUS-INVALID" in done.stderr


# --- odd trees ------------------------------------------------------------------------


def test_templates_folder_holding_the_output_is_up_to_date_on_the_second_build(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--templates .``: outputs, manifest, lock and reports are not templates."""
    write(repo / "reports" / "a" / "2022.yaml", MINIMAL)
    write(repo / "reports" / "b" / "2022.yaml", MINIMAL)
    assert main(["build", "-q", "--templates", "."]) == 0
    capsys.readouterr()
    assert main(["build", "--templates", "."]) == 0
    assert "生成 0 份，已是最新 2 份" in capsys.readouterr().out
    write(repo / "notes.txt", "not a template")
    assert main(["build", "--templates", "."]) == 0
    assert "生成 0 份，已是最新 2 份" in capsys.readouterr().out
    write(repo / "markdown" / "extra.md.j2", "{# a template #}")
    assert main(["build", "--templates", "."]) == 0
    assert "生成 2 份" in capsys.readouterr().out


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_an_alias_symlink_builds_the_report_once(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``reports/b/2022.yaml -> ../a/2022.yaml``: built once, with a note; nothing aborts."""
    write(repo / "reports" / "a" / "2022.yaml", MINIMAL)
    write(repo / "reports" / "c" / "2022.yaml", MINIMAL)
    (repo / "reports" / "b").mkdir()
    (repo / "reports" / "b" / "2022.yaml").symlink_to("../a/2022.yaml")
    assert main(["build", "-f", "md"]) == 0
    err = capsys.readouterr().err
    assert "reports/b/2022.yaml 与 reports/a/2022.yaml 是同一个文件" in err
    assert sorted(p.parent.name for p in (repo / "build").rglob("*.md")) == ["a", "c"]


@pytest.mark.parametrize("folder", ["[2024]", "*", "a?b", "[!x]"])
def test_glob_characters_in_a_real_folder_name_are_taken_literally(
    repo: Path, folder: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if sys.platform == "win32" and folder != "[2024]":
        pytest.skip("not a valid Windows file name")
    path = write(repo / "reports" / folder / "2022.yaml", MINIMAL)
    write(repo / "reports" / "2" / "2022.yaml", "agency: [")  # what "[2024]" would match
    write(repo / "reports" / "x" / "2022.yaml", "agency: [")
    write(repo / "reports" / "aab" / "2022.yaml", "agency: [")
    given = str(path.relative_to(repo))
    assert main(["validate", given]) == 0, capsys.readouterr().err
    assert main(["validate", str(path.parent.relative_to(repo))]) == 0
    assert main(["build", "-f", "md", given]) == 0
    assert (repo / "build" / folder / "2022.md").is_file()


def test_a_glob_that_matches_nothing_real_is_still_a_glob(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo / "reports" / "a" / "2022.yaml", MINIMAL)
    assert main(["validate", "reports/*/2022.yaml"]) == 0
    assert "reports/a/2022.yaml: 通过" in capsys.readouterr().out


# --- pipes ----------------------------------------------------------------------------


def invalid_tree(folder: Path, count: int = 60) -> Path:
    for i in range(count):
        write(folder / "reports" / f"r{i:03d}" / "2022.yaml", MINIMAL + "bogus_key: 1\n" * 1)
    return folder / "reports"


def piped_to_head(argv: list[str], cwd: Path, *, stderr_too: bool = False) -> tuple[int, str]:
    """Run nianbao into ``head -1`` (a real pipe, no shell); its exit code and stderr."""
    head = shutil.which("head")
    if head is None:
        pytest.skip("no head(1)")
    first = subprocess.Popen(
        [sys.executable, "-m", "generator", *argv], cwd=cwd, env=ENV,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT if stderr_too else subprocess.PIPE,
    )  # fmt: skip
    assert first.stdout is not None
    second = subprocess.Popen([head, "-1"], stdin=first.stdout, stdout=subprocess.DEVNULL)
    first.stdout.close()  # head alone holds the read end: when it exits, the pipe breaks
    second.wait(timeout=60)
    _, err = first.communicate(timeout=60)
    return first.returncode, (err or b"").decode("utf-8", "replace")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX pipes and head(1)")
def test_validate_json_into_head_still_exits_1_for_invalid_reports(tmp_path: Path) -> None:
    invalid_tree(tmp_path)
    code, err = piped_to_head(["validate", "--json", "reports"], tmp_path)
    assert code == 1
    assert "Exception ignored" not in err and "Traceback" not in err, err


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX pipes and head(1)")
def test_validate_messages_into_head_still_exit_1(tmp_path: Path) -> None:
    invalid_tree(tmp_path)
    code, _ = piped_to_head(["validate", "reports"], tmp_path, stderr_too=True)
    assert code == 1


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX pipes and head(1)")
def test_deps_into_head_is_quiet(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    many_reports(tmp_path, 300)
    code, err = piped_to_head(["deps"], tmp_path)
    assert code == 0
    assert err == ""


# --- last year's file: one definition ---------------------------------------------------


def test_build_and_validate_agree_about_last_years_file(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """2023.yaml saying year: 2022 beside 2021.yaml: build cannot answer 已是最新 while
    validate fails, whatever happens to 2021's 结转 (issue 10, bug 1)."""
    write(repo / "reports" / "a" / "2021.yaml", MINIMAL.replace("2022", "2021"))
    src = write(repo / "reports" / "a" / "2023.yaml", MINIMAL)
    first = main(["build", "-f", "md", str(src.relative_to(repo))])
    prev = repo / "reports" / "a" / "2021.yaml"
    prev.write_text(
        MINIMAL.replace("2022", "2021")
        + "applications:\n  received: {natural_person: 1}\n"
        + "  carried_forward: {natural_person: 1}\n",
        encoding="utf-8",
    )
    capsys.readouterr()
    built = main(["build", "-f", "md", str(src.relative_to(repo))])
    err = "".join(capsys.readouterr())  # the findings, then the summary (on stdout)
    validated = main(["validate", str(src.relative_to(repo))])
    assert "YEAR-FILE" in capsys.readouterr().err
    assert validated == built == first == 1
    assert "已是最新 0 份" in err and "YEAR-FILE" in err


@pytest.fixture(autouse=True)
def _no_stray_children() -> Iterator[None]:
    yield
    if Path("/proc/self/stat").exists():
        wait_for(lambda: children(os.getpid()) == [], timeout=30)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX pipes and head(1)")
def test_a_build_whose_messages_go_into_head_still_builds_everything(tmp_path: Path) -> None:
    """The reader leaving stops the messages, not the build, and the exit code stays."""
    (tmp_path / ".git").mkdir()
    names = many_reports(tmp_path, 40)
    write(tmp_path / "reports" / "bad" / "2022.yaml", MINIMAL + "bogus_key: 1\n")
    code, _ = piped_to_head(["build", "-j", "1", "-f", "md", "reports"], tmp_path, stderr_too=True)
    assert code == 1
    assert all(
        (tmp_path / "build" / n[len("reports/") :]).with_suffix(".md").is_file() for n in names
    )


def test_a_stop_request_ends_a_serial_build_between_reports(repo: Path) -> None:
    """The library side of Ctrl-C: a set stop event builds nothing more and says what."""
    import threading

    from generator.build import build, plan
    from generator.render import RenderOptions

    sources = [write(repo / "reports" / f"a{i:02d}" / "2022.yaml", MINIMAL) for i in range(30)]
    targets = plan(sources, [str(s) for s in sources], repo / "reports", repo / "build", ["md"])
    stop = threading.Event()
    summary = build(
        targets, repo / "build", RenderOptions(), jobs=1, stop=stop, progress=lambda _: stop.set()
    )
    built = [r.target for r in summary.built]  # and those rendered while it was written
    assert 1 <= len(built) <= 10 and built == targets[: len(built)]
    assert summary.not_built == targets[len(built) :]


def test_a_glob_below_a_folder_with_glob_characters_in_its_name(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``reports/[2024]/*.yaml``: the folder is real, the ``*`` is a pattern."""
    write(repo / "reports" / "[2024]" / "2022.yaml", MINIMAL)
    assert main(["validate", "reports/[2024]/*.yaml"]) == 0
    assert "reports/[2024]/2022.yaml: 通过" in capsys.readouterr().out
