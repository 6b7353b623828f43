"""Output safety: output paths never leave the output directory, and an output that
cannot be written (a file where a folder should be, /proc, a full disk) is exit 2 with
the previous outputs untouched and no temporary files left.

Every case must end with exit 1 (the report is wrong) or 2 (the file or the environment
is wrong), a message that names the problem and the file, and no code run on the
report's behalf, within the bounds of ``tests/support.py`` (``SECONDS``, ``PEAK`` for
in-process runs; ``CHILD_SECONDS``, ``CHILD_RSS`` for child processes).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.build import output_paths, plan
from generator.cli import main
from generator.errors import UsageError
from generator.output import TEMP_PREFIX

from .support import REPORT_2022, measured, within_bounds, write

pytestmark = pytest.mark.usefixtures("in_tmp", "hostile_measurements")


# --------------------------------------------------------------------------- output safety


HOSTILE_NAMES = [
    "../../etc/passwd.yaml",
    "../2022.yaml",
    "/etc/2022.yaml",
    "C:\\Windows\\2022.yaml",
    "C:/Windows/2022.yaml",
    "..",
    ".",
    "...yaml",
    "..\\..\\2022.yaml",
    "a/../../../2022.yaml",
    "\n.yaml",
    "-o.yaml",
    "~/2022.yaml",
    "$HOME/2022.yaml",
    "a\0b.yaml",
    "/",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
@pytest.mark.parametrize("rooted", [True, False])
def test_output_paths_never_leave_the_output_directory(
    tmp_path: Path, name: str, rooted: bool
) -> None:
    """``..``, absolute paths, drive letters, NUL, odd names: inside the output directory,
    or a UsageError — never a path elsewhere."""
    out = tmp_path / "out"
    root = tmp_path / "reports" if rooted else None
    try:
        paths = output_paths(Path(name), root, out, ["docx", "html", "md"])
    except UsageError:
        return
    for p in paths.values():
        assert out.resolve() in p.resolve().parents, p


@settings(max_examples=200, deadline=None)
@given(
    parts=st.lists(
        st.one_of(st.sampled_from(["..", ".", "", "/", "C:", "\\", "~"]), st.text(max_size=6)),
        min_size=1,
        max_size=6,
    ),
    rooted=st.booleans(),
)
def test_any_source_name_stays_inside(tmp_path_factory: pytest.TempPathFactory, parts: list[str],
                                      rooted: bool) -> None:  # fmt: skip
    """Generated source paths of any components: outputs stay inside or UsageError."""
    base = tmp_path_factory.getbasetemp() / "names"
    out = base / "out"
    source = Path("/".join(parts) + ".yaml")
    try:
        paths = output_paths(source, base / "reports" if rooted else None, out, ["docx", "md"])
    except UsageError:
        return
    for p in paths.values():
        assert out.resolve() in p.resolve().parents, (source, p)


def test_plan_refuses_two_reports_writing_one_file(tmp_path: Path) -> None:
    """Two sources mapping to the same output are a usage error, not a silent overwrite."""
    a = write(tmp_path / "x" / "ag" / "2022.yaml", "")
    b = write(tmp_path / "y" / "ag" / "2022.yaml", "")
    with pytest.raises(UsageError, match="同一个文件"):
        plan([a, b], ["a", "b"], None, tmp_path / "out", ["docx"])


def _previous_build(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[Path, dict[Path, bytes]]:
    src = write(tmp_path / "reports" / "ag" / "2022.yaml", REPORT_2022.read_text(encoding="utf-8"))
    capsys.readouterr()
    assert main(["build", "-q", "-j", "1", "-o", "out", str(src)]) == 0
    before = {p: p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()}
    text = src.read_text(encoding="utf-8").replace("清河县人民政府办公室", "清河县政府办公室")
    src.write_text(text, encoding="utf-8")
    return src, before


def _no_temps(folder: Path) -> None:
    assert not list(folder.rglob(f"{TEMP_PREFIX}*")), "temporary files left behind"


def test_output_under_a_regular_file_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``-o somefile/sub`` (root ignores chmod, so a file stands in for read-only): exit 2,
    the message names the path and the reason, nothing is created."""
    src = write(tmp_path / "ag" / "2022.yaml", REPORT_2022.read_text(encoding="utf-8"))
    (tmp_path / "somefile").write_text("not a folder")
    code, err, seconds, peak = measured(capsys, "build", "-j", "1", "-o", "somefile/sub", str(src))
    assert code == 2, err
    assert "somefile/sub" in err and "Not a directory" in err, err
    assert (tmp_path / "somefile").read_text() == "not a folder"
    within_bounds(seconds, peak)


def test_output_in_proc_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An output directory the kernel will not let anyone create: exit 2."""
    src = write(tmp_path / "ag" / "2022.yaml", REPORT_2022.read_text(encoding="utf-8"))
    code, err, _, _ = measured(capsys, "build", "-j", "1", "-o", "/proc/nianbao-test", str(src))
    assert code == 2 and "/proc/nianbao-test" in err, err


def test_a_missing_output_directory_is_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = write(tmp_path / "ag" / "2022.yaml", REPORT_2022.read_text(encoding="utf-8"))
    code, err, _, _ = measured(capsys, "build", "-q", "-j", "1", "-o", "a/b/c", str(src))
    assert code == 0, err
    assert (tmp_path / "a" / "b" / "c" / "ag" / "2022.docx").is_file()


def test_a_full_disk_keeps_the_previous_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC while writing (os.fsync made to fail): exit 2 naming the file and the reason,
    every previous output byte-identical, no temporary files, the manifest unchanged."""
    src, before = _previous_build(tmp_path, capsys)

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    code, err, _, _ = measured(capsys, "build", "-j", "1", "--force", "-o", "out", str(src))
    assert code == 2, err
    assert "No space left on device" in err and "out/ag/2022." in err, err
    after = {p: p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()}
    assert after == before
    _no_temps(tmp_path / "out")


@contextlib.contextmanager
def _tiny_tmpfs(folder: Path, size: str) -> Iterator[None]:
    folder.mkdir()
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("mount"), reason="needs root and mount")
def test_a_really_full_tmpfs_keeps_the_previous_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 1 MiB tmpfs filled up after a first build: the rebuild is exit 2, the outputs and
    the manifest are the old bytes, no temporary files remain."""
    disk = tmp_path / "disk"
    with _tiny_tmpfs(disk, "1m"):
        src = write(tmp_path / "reports" / "ag" / "2022.yaml", REPORT_2022.read_text("utf-8"))
        capsys.readouterr()
        assert main(["build", "-q", "-j", "1", "-o", str(disk / "out"), str(src)]) == 0
        before = {p: p.read_bytes() for p in (disk / "out").rglob("*") if p.is_file()}
        src.write_text(src.read_text("utf-8").replace("清河县", "清河区"), "utf-8")
        with contextlib.suppress(OSError), open(disk / "filler", "wb") as fh:
            while True:
                fh.write(b"\0" * 4096)
                fh.flush()
        code, err, _, _ = measured(capsys, "build", "-j", "1", "--force", "-o", str(disk / "out"),
                                   str(src))  # fmt: skip
        assert code == 2, err
        assert "No space left on device" in err, err
        after = {p: p.read_bytes() for p in (disk / "out").rglob("*") if p.is_file()}
        assert after == before
        _no_temps(disk / "out")
