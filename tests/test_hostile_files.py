"""Files that are not UTF-8 text reports: other encodings, binary data, huge files, and
things that are not ordinary files (directories, FIFOs, symlink loops, devices).

Every case must end with exit 1 (the report is wrong) or 2 (the file or the environment
is wrong), a message that names the problem and the file, and no code run on the
report's behalf, within the bounds of ``tests/support.py`` (``SECONDS``, ``PEAK`` for
in-process runs; ``CHILD_SECONDS``, ``CHILD_RSS`` for child processes).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import EXAMPLES
from .support import (
    CHILD_RSS,
    CHILD_SECONDS,
    REPORT_2022,
    child,
    measured,
    within_bounds,
    write,
)

pytestmark = pytest.mark.usefixtures("in_tmp", "hostile_measurements")


ENCODINGS = [
    ("utf-16", "UTF-16"),
    ("utf-16-le", "UTF-16"),
    ("utf-16-be", "UTF-16"),
    ("utf-32", "UTF-16/UTF-32"),
    ("gbk", "GBK"),
    ("gb18030", "GBK"),
    ("big5", "UTF-8"),
    ("shift_jis", "UTF-8"),
]


@pytest.mark.parametrize(("encoding", "named"), ENCODINGS)
def test_other_encodings_are_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], encoding: str, named: str
) -> None:
    """A report saved as UTF-16 (with or without BOM), UTF-32 or GBK says which it is."""
    text = REPORT_2022.read_text(encoding="utf-8")
    write(tmp_path / "ag" / "2022.yaml", text.encode(encoding, "replace"))
    code, err, seconds, peak = measured(capsys, "validate", "ag/2022.yaml")
    assert code == 1, err
    assert named in err and "ag/2022.yaml:" in err, err
    within_bounds(seconds, peak)


BINARIES: list[tuple[str, Callable[[], bytes]]] = [
    ("random", lambda: __import__("random").Random(7).randbytes(65536)),
    ("png", lambda: b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 16),
    ("elf", lambda: Path(sys.executable).resolve().read_bytes()[:65536]),
    ("zip", lambda: _zip_bytes()),
    ("gzip", lambda: __import__("gzip").compress(REPORT_2022.read_bytes())),
    ("nul-bytes", lambda: b"\0" * 4096),
]  # fmt: skip


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", "<w:document/>" * 100)
    return buf.getvalue()


@pytest.mark.parametrize("make", [b[1] for b in BINARIES], ids=[b[0] for b in BINARIES])
def test_binary_garbage_is_not_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: Callable[[], bytes]
) -> None:
    """Random bytes, images, executables, archives: exit 1, "not UTF-8 text" (or a control
    character) with its position, within 2 s and 64 MiB."""
    write(tmp_path / "ag" / "2022.yaml", make())
    code, err, seconds, peak = measured(capsys, "validate", "ag/2022.yaml")
    assert code == 1, err
    assert re.search(r"^ag/2022\.yaml:\d+:\d+: 错误\[LOAD\]", err, re.M), err
    assert any(w in err for w in ("UTF-8", "UTF-16", "控制字符")), err
    within_bounds(seconds, peak)


def test_a_100_mb_file_is_refused_without_reading_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """100 MB (really written, not sparse): exit 1 "文件过大" in under 2 s, 64 MiB."""
    path = tmp_path / "ag" / "2022.yaml"
    path.parent.mkdir()
    chunk = ("agency: 某局\n" + "# " + "注" * 1000 + "\n") * 64
    with open(path, "w", encoding="utf-8") as fh:
        while fh.tell() < 100 * 10**6:
            fh.write(chunk)
    code, err, seconds, peak = measured(capsys, "validate", "ag/2022.yaml")
    assert code == 1 and "文件过大" in err and "ag/2022.yaml:" in err, err
    within_bounds(seconds, peak)
    code, err, seconds, peak = measured(capsys, "build", "-j", "1", "-o", "out", "ag/2022.yaml")
    assert code == 1 and "文件过大" in err, err
    within_bounds(seconds, peak)


def test_a_3_mb_report_is_refused_in_a_real_process(tmp_path: Path) -> None:
    """Just over the 2 MiB cap, valid YAML all through: refused, child under 300 MiB."""
    write(tmp_path / "ag" / "2022.yaml", "x: [" + "1," * 1_500_000 + "1]\n")
    code, err, seconds, rss = child("validate", "ag/2022.yaml")
    assert code == 1 and "文件过大" in err, err
    assert seconds < CHILD_SECONDS and rss < CHILD_RSS


# --------------------------------------------------------------------------- not files


def test_a_directory_named_like_a_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``2022.yaml`` that is a directory: exit 2 naming it, from validate and build."""
    (tmp_path / "ag" / "2022.yaml").mkdir(parents=True)
    for argv in (["validate"], ["build", "-o", "out"]):
        code, err, seconds, peak = measured(capsys, *argv, "ag/2022.yaml")
        assert code == 2 and "ag/2022.yaml" in err, err
        within_bounds(seconds, peak)


@pytest.mark.parametrize("command", ["validate", "build", "deps"])
def test_a_fifo_does_not_block(tmp_path: Path, command: str) -> None:
    """A named pipe with no writer, as the report or as last year's report: exit 2 (or the
    pipe is ignored) within 20 s; nothing waits for a writer that never comes."""
    (tmp_path / "ag").mkdir()
    os.mkfifo(tmp_path / "ag" / "2022.yaml")
    argv = [command, "ag/2022.yaml"] + (["-o", "out"] if command != "validate" else [])
    code, err, seconds, _ = child(*argv)
    assert code == (0 if command == "deps" else 2), err
    if command != "deps":
        assert "ag/2022.yaml" in err and "不是普通文件" in err, err
    # last year's file is a pipe: the cross-year check and the fingerprint skip it
    os.unlink(tmp_path / "ag" / "2022.yaml")
    shutil.copy(REPORT_2022, tmp_path / "ag" / "2022.yaml")
    os.mkfifo(tmp_path / "ag" / "2021.yaml")
    code, err, seconds, _ = child(*argv)
    assert code in (0, 1), err
    assert seconds < CHILD_SECONDS


def test_a_symlink_loop(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``a.yaml → b.yaml → a.yaml``: exit 2 naming the file and the loop."""
    (tmp_path / "ag").mkdir()
    os.symlink("2021.yaml", tmp_path / "ag" / "2022.yaml")
    os.symlink("2022.yaml", tmp_path / "ag" / "2021.yaml")
    for argv in (["validate"], ["build", "-o", "out"]):
        code, err, seconds, peak = measured(capsys, *argv, "ag/2022.yaml")
        assert code == 2 and "ag/2022.yaml" in err, err
        assert "symbolic links" in err or "符号链接" in err, err
        within_bounds(seconds, peak)
    # inside a folder, and a folder linking to itself: skipped, the walk ends
    os.symlink(".", tmp_path / "ag" / "self")
    write(tmp_path / "ag" / "sub" / "2022.yaml", REPORT_2022.read_text(encoding="utf-8"))
    code, err, seconds, _ = child("validate", "ag")
    assert code == 0, err


def test_a_device_file(capsys: pytest.CaptureFixture[str]) -> None:
    """``/dev/zero`` would never end and ``/dev/stdin`` would wait: both refused at once."""
    for dev in ("/dev/zero", "/dev/null"):
        code, err, seconds, peak = measured(capsys, "validate", dev)
        assert code == 2 and dev in err and "不是普通文件" in err, err
        within_bounds(seconds, peak)


def test_a_report_named_for_another_year_is_not_its_own_last_year(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``2023.yaml`` holding year 2024 once compared itself with itself as last year's report
    (found by the fuzzer); now only the file-name warning remains."""
    text = (EXAMPLES / "lanxi-sfj" / "2024.yaml").read_text(encoding="utf-8")
    write(tmp_path / "ag" / "2023.yaml", text)
    code, err, _, _ = measured(capsys, "validate", "ag/2023.yaml")
    assert "[X-" not in err, err
    assert code in (0, 1)
