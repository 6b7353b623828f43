"""Hostile YAML: tags, aliases, deep nesting, traps and numbers too big to handle.

Every case must end with exit 1 (the report is wrong) or 2 (the file or the environment
is wrong), a message that names the problem and the file, and no code run on the
report's behalf, within the bounds of ``tests/support.py`` (``SECONDS``, ``PEAK`` for
in-process runs; ``CHILD_SECONDS``, ``CHILD_RSS`` for child processes).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .support import (
    CANARY,
    CHILD_RSS,
    CHILD_SECONDS,
    REPORT_2022,
    child,
    measured,
    within_bounds,
    write,
)

pytestmark = pytest.mark.usefixtures("in_tmp", "hostile_measurements")


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
