"""Everything nianbao writes stays where it was told to write, and only replaces its own files.

A reports repository may be cloned from someone else: its output folder may hold
symbolic links, its manifest may be damaged on purpose, its config may point outside
it, its folder names may not be text.  A user may name a device or a pipe as the
output (``schema -o /dev/null``).  None of it may make nianbao write through a link,
replace a device, overwrite a report or crash; each case ends with exit 0 or a clean
exit 2 that names the path.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.output import TEMP_PREFIX
from generator.schema import schema_json
from generator.stamps import MANIFEST

from .conftest import run_cli

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
AS_ROOT = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="the damage needs root"
)


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink() and not p.name.startswith(".nianbao-")
    }


# --------------------------------------------------------------------------- symbolic links


def test_a_symlinked_folder_in_the_output_is_not_written_through(
    reports_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """build/qinghe-zfb -> ../victim: that report fails with exit 2 naming the link, the
    victim's files are untouched, every other report is built and recorded."""
    victim = reports_repo / "victim"
    victim.mkdir()
    (victim / "2022.md").write_text("珍贵的文件\n", encoding="utf-8")
    (reports_repo / "build").mkdir()
    (reports_repo / "build" / "qinghe-zfb").symlink_to("../victim")
    code, err = run_cli(capsys, "build", "-q", "-j", "1", "--force")
    assert code == 2, err
    assert "build/qinghe-zfb: 是符号链接，nianbao 不会经由它写入" in err, err
    assert tree(victim) == {"2022.md": "珍贵的文件\n".encode()}
    listed = json.loads((reports_repo / "build" / MANIFEST).read_text("utf-8"))["outputs"]
    assert "lanxi-sfj/2024.md" in listed and (reports_repo / "build/lanxi-sfj/2024.md").is_file()
    assert not any(k.startswith("qinghe-zfb/") for k in listed)


def test_a_symlinked_output_file_is_not_replaced(
    reports_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = reports_repo / "victim.md"
    victim.write_text("珍贵的文件\n", encoding="utf-8")
    (reports_repo / "build" / "qinghe-zfb").mkdir(parents=True)
    link = reports_repo / "build" / "qinghe-zfb" / "2022.html"
    link.symlink_to("../../victim.md")
    code, err = run_cli(capsys, "build", "-q", "-j", "1", "-f", "html", "reports/qinghe-zfb")
    assert code == 2 and "2022.html: 是符号链接，nianbao 只替换普通文件" in err, err
    assert victim.read_text(encoding="utf-8") == "珍贵的文件\n" and link.is_symlink()


@pytest.mark.parametrize("name", [".nianbao-lock", MANIFEST])
def test_a_symlinked_lock_or_manifest_is_refused_before_writing(
    reports_repo: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """build/.nianbao-lock -> ../victim/x created victim/x.  Now: exit 2 naming the file,
    nothing created there, and no output written (it could not be recorded)."""
    (reports_repo / "victim").mkdir()
    (reports_repo / "build").mkdir()
    (reports_repo / "build" / name).symlink_to("../victim/x")
    code, err = run_cli(capsys, "build", "-q", "-j", "1")
    assert code == 2 and f"build/{name}: 不是普通文件（可能是符号链接）" in err, err
    assert not os.path.lexists(reports_repo / "victim" / "x")
    assert tree(reports_repo / "build") == {}


def test_the_lock_itself_never_follows_a_link(tmp_path: Path) -> None:
    """The lock refuses a link even when called directly (clean uses it too)."""
    from generator.errors import UsageError
    from generator.lock import LOCK, locked

    (tmp_path / "out").mkdir()
    (tmp_path / "out" / LOCK).symlink_to("../x")
    with pytest.raises(UsageError, match="符号链接"), locked(tmp_path / "out"):
        pass
    assert not os.path.lexists(tmp_path / "x")


def test_the_temp_sweep_does_not_follow_a_symlinked_folder(
    reports_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file named like a dead writer's temporary file behind a link is not deleted."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    victim = reports_repo / "victim"
    victim.mkdir()
    bait = victim / f"{TEMP_PREFIX}{dead.pid}-x.md"
    bait.write_text("不是临时文件\n", encoding="utf-8")
    (reports_repo / "build").mkdir()
    (reports_repo / "build" / "qinghe-zfb").symlink_to("../victim")
    assert run_cli(capsys, "build", "-q", "-j", "1")[0] == 2
    assert run_cli(capsys, "clean")[0] == 0
    assert bait.read_text(encoding="utf-8") == "不是临时文件\n"


def test_build_modules_import_without_fcntl() -> None:
    """fcntl does not exist on Windows: the build, lock and clean modules must import."""
    code = (
        "import sys; sys.modules['fcntl'] = None\n"
        "import generator.build, generator.clean, generator.lock, generator.cli\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], env=ENV, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_new_does_not_create_through_a_symlinked_agency_folder(
    reports_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """reports/evil -> ../victim: ``new reports/evil/2025.yaml`` created victim/2025.yaml."""
    (reports_repo / "victim").mkdir()
    (reports_repo / "reports" / "evil").symlink_to("../victim")
    code, err = run_cli(capsys, "new", "reports/evil/2025.yaml", "--agency", "测试局")
    assert code == 2 and "reports/evil: 是符号链接" in err, err
    assert list((reports_repo / "victim").iterdir()) == []
    code, err = run_cli(capsys, "new", "reports/fresh/2025.yaml", "--agency", "测试局")
    assert code == 0 and (reports_repo / "reports" / "fresh" / "2025.yaml").is_file(), err


# --------------------------------------------------------------------------- special files


def _read_fifo(fifo: Path) -> tuple[threading.Thread, list[bytes]]:
    got: list[bytes] = []

    def read() -> None:
        with open(fifo, "rb") as fh:
            got.append(fh.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader, got


def _release(fifo: Path, reader: threading.Thread) -> None:
    """If nothing opened the pipe for writing, let the reader go (it gets end of file)."""
    if reader.is_alive() and stat.S_ISFIFO(os.lstat(fifo).st_mode):
        # ENXIO: the reader had its end of file and closed meanwhile.
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    reader.join(10)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("command", ["schema", "deps"])
@pytest.mark.parametrize("through_link", [False, True])
def test_a_fifo_target_is_written_into_not_replaced(
    reports_repo: Path, capsys: pytest.CaptureFixture[str], command: str, through_link: bool
) -> None:
    """``schema -o FIFO`` and ``deps --depfile FIFO`` (also through a link, as
    /dev/stdout is) send the text down the pipe; the pipe and the link stay."""
    fifo = reports_repo / "pipe"
    os.mkfifo(fifo)
    target = fifo
    if through_link:
        target = reports_repo / "link"
        target.symlink_to("pipe")
    reader, got = _read_fifo(fifo)
    argv = (
        ["schema", "-o", str(target)] if command == "schema" else ["deps", "--depfile", str(target)]
    )
    try:
        code, err = run_cli(capsys, *argv)
    finally:
        _release(fifo, reader)
    assert code == 0, err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert target.is_symlink() == through_link
    expected = schema_json().encode() if command == "schema" else b"# Generated by `nianbao deps`"
    assert got and got[0].startswith(expected), got


@AS_ROOT
def test_a_character_device_target_stays_a_device(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A null device of our own (mknod in tmp): written into, still a device afterwards."""
    null = tmp_path / "null"
    try:
        os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except OSError as exc:
        pytest.skip(f"cannot create a device here: {exc}")
    code, err = run_cli(capsys, "schema", "-o", str(null))
    assert code == 0, err
    assert stat.S_ISCHR(os.lstat(null).st_mode)


@pytest.fixture
def dev_null_and_stdout_restored() -> Iterator[None]:
    """Should a broken build replace /dev/null or /dev/stdout, put them back."""
    yield
    if not stat.S_ISCHR(os.lstat("/dev/null").st_mode):
        os.unlink("/dev/null")
        os.mknod("/dev/null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
        os.chmod("/dev/null", 0o666)
    if os.path.lexists("/dev/stdout") and not os.path.islink("/dev/stdout"):
        os.unlink("/dev/stdout")
        os.symlink("/proc/self/fd/1", "/dev/stdout")


@AS_ROOT
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux devices")
def test_schema_to_dev_null_and_dev_stdout_keeps_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], dev_null_and_stdout_restored: None
) -> None:
    """As root, ``schema -o /dev/null`` replaced the null device by a regular file.  The
    same write into a FIFO behind a link is checked first, so a broken writer fails
    there and never reaches the real devices (and the fixture repairs them anyway)."""
    fifo, link = tmp_path / "pipe", tmp_path / "stdout"
    os.mkfifo(fifo)
    link.symlink_to(fifo)
    reader, _ = _read_fifo(fifo)
    try:
        assert run_cli(capsys, "schema", "-o", str(link))[0] == 0
    finally:
        _release(fifo, reader)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and link.is_symlink(), "writer replaced a pipe"
    null = os.lstat("/dev/null")
    code, err = run_cli(capsys, "schema", "-o", "/dev/null")
    assert code == 0, err
    after = os.lstat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == null.st_rdev
    proc = subprocess.run(
        [sys.executable, "-m", "generator", "schema", "-o", "/dev/stdout"],
        env=ENV, capture_output=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout == schema_json().encode()
    assert os.path.islink("/dev/stdout")


def test_a_link_to_a_regular_file_is_not_replaced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """schema/report.schema.json -> ~/.bashrc in a cloned repository: ``nianbao schema -o
    schema/report.schema.json`` (as the README says) must not overwrite the target."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bashrc").write_text("alias ll='ls -l'\n", encoding="utf-8")
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "report.schema.json").symlink_to("../bashrc")
    code, err = run_cli(capsys, "schema", "-o", "schema/report.schema.json")
    assert code == 2 and "是符号链接" in err and "不会替换它" in err, err
    assert (tmp_path / "bashrc").read_text(encoding="utf-8") == "alias ll='ls -l'\n"


def test_a_directory_target_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "dir").mkdir()
    code, err = run_cli(capsys, "schema", "-o", str(tmp_path / "dir"))
    assert code == 2 and "是目录" in err, err
    assert (tmp_path / "dir").is_dir()


# --------------------------------------------------------------------------- outputs vs sources


def test_a_report_named_md_is_never_its_own_output(
    reports_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``build reports/a/2021.md -o reports`` overwrote the report with its rendering."""
    src = reports_repo / "reports" / "qinghe-zfb" / "2022.md"
    (reports_repo / "reports" / "qinghe-zfb" / "2022.yaml").rename(src)
    before = src.read_bytes()
    code, err = run_cli(capsys, "build", "-j", "1", "-o", "reports", str(src))
    assert code == 2 and "输出文件会覆盖报告源文件" in err and "2022.md" in err, err
    assert src.read_bytes() == before
    assert tree(reports_repo / "reports" / "qinghe-zfb") == {"2022.md": before}


@pytest.mark.parametrize("points_to", ["2022.yaml", "2021.yaml"])
def test_an_output_linked_to_a_source_or_last_year_is_refused(
    reports_repo: Path, capsys: pytest.CaptureFixture[str], points_to: str
) -> None:
    """An output path that is (a link to) the report or the last year's report it reads."""
    sources = reports_repo / "reports" / "qinghe-zfb"
    (sources / "2021.yaml").write_bytes((sources / "2022.yaml").read_bytes())
    before = tree(sources)
    (reports_repo / "build" / "qinghe-zfb").mkdir(parents=True)
    (reports_repo / "build" / "qinghe-zfb" / "2022.md").symlink_to(
        f"../../reports/qinghe-zfb/{points_to}"
    )
    code, err = run_cli(capsys, "build", "-j", "1", "-f", "md", "reports/qinghe-zfb/2022.yaml")
    assert code == 2 and "输出文件会覆盖报告源文件" in err and points_to in err, err
    assert tree(sources) == before


def test_an_unrecorded_file_that_reads_like_a_report_is_not_overwritten(
    reports_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """build/qinghe-zfb/2022.md holds a report (someone kept a copy there), and no
    manifest says nianbao wrote it: refused.  Once recorded as ours, builds go on."""
    copy = reports_repo / "build" / "qinghe-zfb" / "2022.md"
    copy.parent.mkdir(parents=True)
    copy.write_bytes((reports_repo / "reports" / "qinghe-zfb" / "2022.yaml").read_bytes())
    before = copy.read_bytes()
    code, err = run_cli(capsys, "build", "-j", "1", "-f", "md")
    assert code == 2 and "一份报告（不是 nianbao 生成的）" in err, err
    assert copy.read_bytes() == before
    copy.unlink()
    assert run_cli(capsys, "build", "-q", "-j", "1", "-f", "md")[0] == 0
    assert run_cli(capsys, "build", "-q", "-j", "1", "-f", "md", "--force")[0] == 0


# --------------------------------------------------------------------------- the manifest

_OK = '{"source": "x", "fingerprint": "x", "size": 1}'
DAMAGED = {
    "nul key": f'{{"nianbao": 2, "outputs": {{"a\\u0000b.md": {_OK}}}}}',
    "long key": f'{{"nianbao": 2, "outputs": {{"{"x" * 5000}.md": {_OK}}}}}',
    "lone surrogate": f'{{"nianbao": 2, "outputs": {{"\\ud800.md": {_OK}}}}}',
    "escaping key": f'{{"nianbao": 2, "outputs": {{"../README.md": {_OK}}}}}',
    "absolute key": f'{{"nianbao": 2, "outputs": {{"/etc/passwd.md": {_OK}}}}}',
    "entry a number": '{"nianbao": 2, "outputs": {"qinghe-zfb/2022.md": 5}}',
    "size a string": '{"nianbao": 2, "outputs": {"a.md": {"source": "x", "fingerprint": "x", '
    '"size": "1"}}}',
    "size true": '{"nianbao": 2, "outputs": {"a.md": {"source": "x", "fingerprint": "x", '
    '"size": true}}}',
    "outputs a list": '{"nianbao": 2, "outputs": []}',
    "not an object": "[1]",
    "null": "null",
    "nested 100,000 deep": "[" * 100_000 + "]" * 100_000,
    "not UTF-8": b'{"nianbao": 2, "outputs": {"\xff.md": {}}}',
    "not JSON": "{",
}


@pytest.mark.parametrize("damage", DAMAGED, ids=list(DAMAGED))
def test_a_damaged_manifest_is_treated_as_absent(
    reports_repo: Path, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    """Each gave 内部错误 (or worse) until deleted by hand.  Now: one warning, the build
    rebuilds and rewrites a valid manifest, clean works."""
    assert run_cli(capsys, "build", "-q", "-j", "1", "-f", "md")[0] == 0
    manifest = reports_repo / "build" / MANIFEST
    text = DAMAGED[damage]
    manifest.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    code, err = run_cli(capsys, "build", "-q", "-j", "1", "-f", "md")
    assert code == 0, err
    assert err.count("build/.nianbao-manifest.json 已损坏") == 1, err
    assert "按不存在处理" in err
    listed = json.loads(manifest.read_text(encoding="utf-8"))["outputs"]
    assert sorted(listed) == sorted(tree(reports_repo / "build")), listed
    assert all(len(e["sha256"]) == 64 for e in listed.values())
    code, err = run_cli(capsys, "clean")
    assert code == 0 and "已损坏" not in err, err
    assert not (reports_repo / "build").exists()


# --------------------------------------------------------------------------- names and config


@pytest.mark.skipif(sys.platform != "linux", reason="file names are bytes on Linux only")
def test_a_folder_name_that_is_not_utf8_is_refused_before_writing(
    reports_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder named b'\\xff': the outputs were written, then 内部错误 and no manifest,
    and every later build failed.  Now nothing is written and the message shows the
    name escaped; once renamed, the build works."""
    seed = (reports_repo / "reports" / "qinghe-zfb" / "2022.yaml").read_bytes()
    bad = os.path.join(os.fsencode(reports_repo / "reports"), b"\xff")
    os.mkdir(bad)
    with open(os.path.join(bad, b"2022.yaml"), "wb") as fh:
        fh.write(seed)
    code, err = run_cli(capsys, "build", "-j", "1")
    assert code == 2 and "reports/\\xff/2022.yaml: 路径含有不是 UTF-8 文字的字节" in err, err
    assert not (reports_repo / "build").exists()
    os.rename(bad, reports_repo / "reports" / "renamed")
    assert run_cli(capsys, "build", "-q", "-j", "1")[0] == 0


def test_a_configured_output_outside_the_repository_is_refused(
    reports_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``output = "../site"`` in a cloned nianbao.toml: build and clean refuse and say to
    use -o; with -o given explicitly, the build goes there."""
    (reports_repo / "nianbao.toml").write_text('output = "../site"\n', encoding="utf-8")
    site = reports_repo.parent / "site"
    for command in ("build", "clean", "deps"):
        code, err = run_cli(capsys, command)
        assert code == 2 and 'output = "../site" 指向仓库之外' in err and "-o" in err, err
    assert not site.exists()
    assert run_cli(capsys, "build", "-q", "-j", "1", "-f", "md", "-o", str(site))[0] == 0
    assert (site / "qinghe-zfb" / "2022.md").is_file()
