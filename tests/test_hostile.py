"""Hostile reports and hostile environments: a clear error, in bounded time and memory.

Every case here is something an attacker or an unlucky author could hand nianbao.
Each must end with exit 1 (the report is wrong) or 2 (the file or the environment is
wrong), a message that names the problem and the file, and no code run on the
report's behalf.  Bounds, measured in each test and asserted with wide margins:

* in-process cases: under ``SECONDS`` (2 s) wall time and ``PEAK`` (64 MiB) of Python
  allocations (tracemalloc peak) each;
* subprocess cases (deep nesting, pipes, symlink loops, huge files): under 20 s and
  ``CHILD_RSS`` (300 MiB) maximum resident size of the child (``os.wait4``), with no
  signal death (a crash in libyaml would show as a negative return code).

Output safety: output paths never leave the output directory, and an output that
cannot be written (a file where a folder should be, /proc, a full disk) is exit 2 with
the previous outputs untouched and no temporary files left.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.build import output_paths, plan
from generator.cli import main
from generator.errors import UsageError
from generator.output import TEMP_PREFIX

from .conftest import EXAMPLES

ROOT = Path(__file__).resolve().parent.parent
REPORT_2022 = EXAMPLES / "qinghe-zfb" / "2022.yaml"
SECONDS = 2.0
PEAK = 64 * 2**20
CHILD_SECONDS = 20.0
CHILD_RSS = 300 * 2**20


MEASURED: dict[str, list[float]] = {"seconds": [], "peak": [], "child_s": [], "child_rss": []}


@pytest.fixture(scope="module", autouse=True)
def _report_measurements() -> Iterator[None]:
    """Print the largest time and memory measured (visible with ``pytest -s``)."""
    yield
    m = {k: max(v, default=0.0) for k, v in MEASURED.items()}
    print(
        f"\nhostile cases: {len(MEASURED['seconds'])} in-process runs, max {m['seconds']:.2f} s,"
        f" max tracemalloc peak {m['peak'] / 2**20:.1f} MiB; {len(MEASURED['child_s'])} child"
        f" runs, max {m['child_s']:.2f} s, max RSS {m['child_rss'] / 2**20:.0f} MiB"
    )


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path) -> Iterator[None]:
    """Run from the test's own directory: relative paths, no config of the checkout."""
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield
    finally:
        os.chdir(old)


def report_data() -> dict[str, Any]:
    data = yaml.safe_load(REPORT_2022.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10**6)


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8", "surrogatepass")
    path.write_bytes(content)
    return path


def measured(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, float, int]:
    """Run the command in-process: exit code, stderr, seconds, tracemalloc peak bytes."""
    capsys.readouterr()
    tracemalloc.start()
    start = time.perf_counter()
    try:
        code = main(list(argv))
    finally:
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert "内部错误" not in err, err
    MEASURED["seconds"].append(seconds)
    MEASURED["peak"].append(peak)
    return code, err, seconds, peak


def within_bounds(seconds: float, peak: int) -> None:
    assert seconds < SECONDS, f"took {seconds:.2f} s"
    assert peak < PEAK, f"allocated {peak / 2**20:.1f} MiB"


def child(*argv: str, timeout: float = CHILD_SECONDS) -> tuple[int, str, float, int]:
    """Run ``python -m generator`` as a child: exit code, stderr, seconds, max RSS bytes.

    The child is reaped with ``os.wait4``, which reports its own peak resident size."""
    start = time.perf_counter()
    with open(os.devnull, "wb") as null, tempfile_pair() as (out, err):
        proc = subprocess.Popen(
            [sys.executable, "-m", "generator", *argv],
            stdin=null,
            stdout=out,
            stderr=err,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - start > timeout:
                proc.kill()
                os.wait4(proc.pid, 0)
                proc.returncode = -9
                pytest.fail(f"nianbao {' '.join(argv)} did not finish in {timeout} s")
            time.sleep(0.01)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, text = out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
    assert proc.returncode >= 0, f"killed by signal {-proc.returncode}: {text}"
    assert "Traceback" not in text + stdout
    MEASURED["child_s"].append(seconds)
    MEASURED["child_rss"].append(usage.ru_maxrss * 1024)
    return proc.returncode, text, seconds, usage.ru_maxrss * 1024


@contextlib.contextmanager
def tempfile_pair() -> Iterator[tuple[Any, Any]]:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        yield out, err


# --------------------------------------------------------------------------- narrative


def narrative_report(tmp_path: Path, template: str) -> Path:
    data = report_data()
    data["problems"]["text"] = f"存在的问题：{template}"
    return write(tmp_path / "ag" / "2022.yaml", dump(data))


CANARY = "nianbao-canary"
SANDBOX_ESCAPES = [
    ("{{ ''.__class__.__mro__ }}", "__class__"),
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "__class__"),
    ("{{ ().__class__.__base__.__subclasses__()[0] }}", "__class__"),
    ("{{ cycler.__init__.__globals__.os.popen('touch " + CANARY + "') }}", "cycler"),
    ("{{ joiner.__init__.__globals__.os.system('touch " + CANARY + "') }}", "joiner"),
    ("{{ self._TemplateReference__context }}", "_TemplateReference__context"),
    ("{{ self.__init__.__globals__ }}", "__init__"),
    ("{{ lipsum.__globals__['os'].system('touch " + CANARY + "') }}", "lipsum"),
    ("{{ request.application.__globals__ }}", "request"),
    ("{{ config.items() }}", "config"),
    ("{{ namespace.__init__ }}", "namespace"),
    ("{{ year|attr('__class__') }}", "attr"),
    ("{{ applications.__class__ }}", "applications.__class__"),
    ("{{ applications.received.total.__class__ }}", "__class__"),
    ("{{ pct.__globals__ }}", "__globals__"),
    ("{{ range.__self__ }}", "__self__"),
    ("{% for x in [1] %}{{ loop.__class__ }}{% endfor %}", "__class__"),
    ("{{ '{0.__class__}'.format(year) }}", "format"),
    ("{{ '%s' % year }}", "%"),
    ("{% include '/etc/passwd' %}", "{% include %}"),
    ("{% import '/etc/passwd' as p %}", "{% import %}"),
    ("{% extends '/etc/passwd' %}", "{% extends %}"),
    ("{% from '/etc/passwd' import x %}", "{% from … import %}"),
    ("{% for i in range(10**9) %}x{% endfor %}", "range()"),
    ("{% for i in range(9999) %}{% for j in range(9999) %}{% endfor %}{% endfor %}", "100000"),
    ("{% macro f(n) %}{{ f(n) }}{{ f(n) }}{% endmacro %}{{ f(1) }}", "{% macro %}"),
    ("{{ 'a' * 10**9 }}", "过长"),
    ("{{ ('a' * 100000) * 100000 }}", "过长"),
    ("{{ [[1] * 9999] * 9999 }}", "列表"),
    ("{{ ([1] * 10000) * 10000 }}", "过长"),
    ("{{ 9 ** 999999 }}", "过大"),
    ("{% set s = 'x' * 199999 %}{{ s|max }}", "100000"),
    ("{% set s = 'x' * 99999 %}{% for i in range(9999) %}{% if s == s ~ '' %}{% endif %}"
     "{% endfor %}", "~"),
    ("{% for i in range(9999) %}{% set t = 'x' * 199999 %}{% endfor %}", "100000"),
    ("{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}", "嵌套"),
    ("{{ '\\x07' }}", "U+0007"),
    ("{{ '\\ud800' }}", "U+D800"),
    ("{{ '\\uffff' }}", "U+FFFF"),
]  # fmt: skip


@pytest.mark.parametrize(("template", "named"), SANDBOX_ESCAPES)
def test_narrative_templates_cannot_escape_or_run_away(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], template: str, named: str
) -> None:
    """Python internals, other files, huge loops, macros, giant values and characters a
    DOCX cannot hold: one located NARRATIVE-TEMPLATE error naming the problem, within
    2 s and 64 MiB, and nothing executed (the canary file is never created)."""
    path = narrative_report(tmp_path, template)
    code, err, seconds, peak = measured(capsys, "validate", str(path.relative_to(tmp_path)))
    assert code == 1, err
    assert re.search(r"ag/2022\.yaml:\d+:\d+: 错误\[NARRATIVE-TEMPLATE\]", err), err
    assert named in err, err
    within_bounds(seconds, peak)
    assert not (tmp_path / CANARY).exists()


def test_script_in_a_report_is_text_in_every_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``<script>``, event handlers and ``javascript:`` links from the YAML are escaped in the
    HTML (no element from the report), escaped in Markdown, and plain text in the DOCX."""
    data = report_data()
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    data["agency"] = f"某局{attack}"
    data["problems"]["text"] = (
        f"问题{attack}\n\n[点我](javascript:alert(1)) <javascript:alert(2)> "
        "[图](data:text/html,<script>alert(3)</script>)"
    )
    data["wechat"] = "</title><script>alert(4)</script>"
    path = write(tmp_path / "ag" / "2022.yaml", dump(data))
    code, err, _, _ = measured(capsys, "build", "-q", "-j", "1", "-o", "out", str(path))
    assert code == 0, err
    clean = write(tmp_path / "clean" / "2022.yaml", REPORT_2022.read_text(encoding="utf-8"))
    assert main(["build", "-q", "-j", "1", "-o", "out-clean", str(clean)]) == 0

    html = (tmp_path / "out" / "ag" / "2022.html").read_text(encoding="utf-8")
    baseline = (tmp_path / "out-clean" / "clean" / "2022.html").read_text(encoding="utf-8")
    tags, links = _elements(html), _elements(baseline)
    assert tags["script"] == links["script"], "a <script> element came from the report"
    assert tags["img"] == links["img"]
    assert not re.search(r"""(?:href|src)\s*=\s*["']?\s*(?:javascript|data):""", html, re.I)
    assert _attr_text(html) == _attr_text(baseline), "an event handler came from the report"
    assert "&lt;script&gt;" in html

    md = (tmp_path / "out" / "ag" / "2022.md").read_text(encoding="utf-8")
    assert "<script>" not in md and not re.search(r"(?<!\\)\]\((?:javascript|data):", md)
    with zipfile.ZipFile(tmp_path / "out" / "ag" / "2022.docx") as z:
        parts = {n: z.read(n) for n in z.namelist()}
    assert b"&lt;script&gt;" in parts["word/document.xml"]
    assert not any(b"javascript:" in body for n, body in parts.items() if n.endswith(".rels"))


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: dict[str, int] = {}
        self.attrs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self.attrs += [name for name, _ in attrs]


def _elements(html: str) -> dict[str, int]:
    p = _Collect()
    p.feed(html)
    return {"script": p.tags.get("script", 0), "img": p.tags.get("img", 0)}


def _attr_text(html: str) -> str:
    p = _Collect()
    p.feed(html)
    return " ".join(a for a in p.attrs if a.startswith("on"))


# --------------------------------------------------------------------------- YAML


def laughs(levels: int = 9) -> str:
    lines = ['a0: &a0 "lol"']
    for i in range(1, levels + 1):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


YAML_ATTACKS = [
    ("python-apply", f"agency: !!python/object/apply:os.system ['touch {CANARY}']\n", "标签"),
    ("python-new", f"agency: !!python/object/new:subprocess.Popen [['touch', '{CANARY}']]\n",
     "标签"),
    ("python-name", "agency: !!python/name:os.system\n", "标签"),
    ("python-module", "agency: !!python/module:os\n", "标签"),
    ("verbatim-tag", "agency: !<tag:yaml.org,2002:python/object/apply:os.system> ['id']\n",
     "标签"),
    ("python-map", "? !!python/tuple [1, 2]\n: x\n", "键"),
    ("local-tag", "agency: !secret x\n", "标签"),
    ("billion-laughs", laughs(), "别名"),
    ("merge-key", "base: &b {x: 1}\nother:\n  <<: *b\n", "合并键"),
    ("flow-depth-10000", "a: " + "[" * 10000 + "]" * 10000 + "\n", "嵌套"),
    ("map-depth-10000", "a: " + "{a: " * 10000 + "1" + "}" * 10000 + "\n", "嵌套"),
    ("block-depth-10000", "- " * 10000 + "x\n", "嵌套"),
    ("indent-depth-600", "".join(" " * i + "a:\n" for i in range(600)) + " " * 600 + "b\n",
     "嵌套"),
    ("depth-40", "a: " + "[" * 40 + "]" * 40 + "\n", "嵌套"),
    ("int-5000-digits", "year: " + "9" * 5000 + "\n", "位数过多"),
    ("float-huge-exponent", "fees: 1.0e+999999999\n", "位数过多"),
    ("float-tiny-exponent", "fees: 1.0e-999999999\n", "位数过多"),
    ("octal-5000-digits", "year: 0" + "7" * 5000 + "\n", "位数过多"),
    ("escaped-bel", 'agency: "\\u0007"\n', "U+0007"),
    ("escaped-x01", 'agency: "局\\x01"\n', "U+0001"),
    ("escaped-fffe", 'agency: "\\uFFFE"\n', "U+FFFE"),
    ("escaped-nel", 'agency: "\\N"\n', "U+0085"),
    ("escaped-surrogate", 'agency: "\\uD800"\n', "Unicode"),
    ("raw-ffff", "agency: \uffff\n", "U+FFFF"),
    ("raw-c1", "agency: \x9b31m\n", "U+009B"),
    ("raw-nul", "agency: a\x00\n", "U+0000"),
    ("raw-escape", "agency: \x1b[2J\n", "U+001B"),
    ("empty", "", "空"),
    ("only-comments", "# 只有注释\n# 没有内容\n", "空"),
    ("only-whitespace", "   \n\n\t\n", "空"),
    ("only-document-marker", "---\n...\n", "空"),
    ("only-bom", "\ufeff", "空"),
    ("top-level-list", "- a\n- b\n", "映射"),
    ("top-level-text", "报告\n", "映射"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "named"), [c[1:] for c in YAML_ATTACKS], ids=[c[0] for c in YAML_ATTACKS]
)
def test_hostile_yaml_is_a_located_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, named: str
) -> None:
    """Tags, aliases, deep nesting, giant numbers, escaped control characters and empty
    files: exit 1 with a located LOAD error naming the problem, within 2 s and 64 MiB."""
    path = write(tmp_path / "ag" / "2022.yaml", text)
    code, err, seconds, peak = measured(capsys, "validate", "ag/2022.yaml")
    assert code == 1, err
    assert re.search(r"^ag/2022\.yaml:\d+:\d+: 错误\[", err, re.M), err
    assert named in err, err
    within_bounds(seconds, peak)
    assert not (tmp_path / CANARY).exists()
    assert path.exists()


@pytest.mark.parametrize(
    "name", ["flow-depth-10000", "map-depth-10000", "block-depth-10000", "billion-laughs"]
)
def test_deep_nesting_and_aliases_in_a_real_process(tmp_path: Path, name: str) -> None:
    """libyaml's composer is recursive: 10 000 levels must be an error, never a crash.

    Checked in a child process (a segfault would be a negative return code), under 20 s
    and 300 MiB resident."""
    text = {c[0]: c[1] for c in YAML_ATTACKS}[name]
    write(tmp_path / "ag" / "2022.yaml", text)
    code, err, seconds, rss = child("validate", "ag/2022.yaml")
    assert code == 1, err
    assert "ag/2022.yaml:" in err
    assert seconds < CHILD_SECONDS and rss < CHILD_RSS


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


# --------------------------------------------------------------------------- huge numbers


@pytest.mark.parametrize(
    ("value", "expected_exit"),
    [("1000000000000000000", (0, 1)), ("-1", (1,)), ("9" * 41, (1,)), (".inf", (1,)),
     (".nan", (1,)), ("１２", (1,)), ("true", (1,)), ("1.5", (1,)), ("0x10", (1,))],
)  # fmt: skip
def test_odd_numbers_in_a_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str, expected_exit: tuple[int, ...]
) -> None:
    """10^18, negatives, 41 digits, non-finite, full-width digits, booleans: located, fast."""
    text = REPORT_2022.read_text(encoding="utf-8").replace("licensing: 2317", f"licensing: {value}")
    assert f"licensing: {value}" in text
    write(tmp_path / "ag" / "2022.yaml", text)
    code, err, seconds, peak = measured(
        capsys, "build", "-q", "-j", "1", "-o", "out", "ag/2022.yaml"
    )
    assert code in expected_exit, err
    if code == 1:
        assert re.search(r"ag/2022\.yaml:\d+:\d+: 错误", err), err
    within_bounds(seconds, peak)


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


# --------------------------------------------------------------------------- LibreOffice


@pytest.mark.office
def test_a_docx_with_odd_characters_opens_in_libreoffice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """RTL marks and overrides, zero-width spaces and joiners, emoji, astral CJK, full-width
    digits, NBSP and line separators in the narrative and the agency: LibreOffice converts
    the DOCX to a PDF (private profile, 120 s limit)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) not installed")
    odd = "\u200f\u202e\u200b\u200d😀👩\u200d👩\u200d👧𠀀１２\u00a0\u2028\u2029e\u0301\ufeff"
    data = report_data()
    data["agency"] = f"清河{odd}办公室"
    data["problems"]["text"] = f"**一是{odd}。**问题{odd}。\n\n- 条目{odd}\n- <b>{odd}</b>"
    src = write(tmp_path / "ag" / "2022.yaml", dump(data))
    code, err, _, _ = measured(
        capsys, "build", "-q", "-j", "1", "-f", "docx", "-o", "out", str(src)
    )
    assert code == 0, err
    docx = tmp_path / "out" / "ag" / "2022.docx"
    proc = subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"), str(docx)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    pdf = tmp_path / "pdf" / "2022.pdf"
    assert proc.returncode == 0 and pdf.is_file(), proc.stderr
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000


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
