"""Loading a report: strict YAML, exact numbers, positions, and every trap named."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from generator.errors import InvalidReport, UsageError
from generator.source import MAX_BYTES, load, loads


def load_errors(text: str | bytes) -> list[str]:
    with pytest.raises(InvalidReport) as info:
        loads(text, "r.yaml")
    return [d.format() for d in info.value.diagnostics]


def test_positions_are_one_based_line_and_column() -> None:
    """Each value's position is recorded as editors count: line 1, column 1."""
    src = loads("agency: 某局\napplications:\n  received: {business: 3}\n", "r.yaml")
    assert src.positions[("agency",)] == (1, 9)
    assert src.positions[("applications", "received", "business")] == (3, 24)
    assert str(src.locate(("applications", "received", "business"))) == "r.yaml:3:24"


def test_locate_falls_back_to_the_nearest_written_ancestor() -> None:
    """A value that was never written is located at its closest written parent."""
    src = loads("applications:\n  received: {business: 3}\n", "r.yaml")
    assert str(src.locate(("applications", "received", "total"))) == "r.yaml:2:13"


def test_floats_become_exact_decimals() -> None:
    """Money is never a binary float: 4068.208 stays exactly 4068.208."""
    assert loads("fees: 4068.208\n").data["fees"] == Decimal("4068.208")


def test_dates_stay_text() -> None:
    """YAML 1.1 would make a date object; the author wrote text."""
    assert loads("published: 2022-01-20\n").data["published"] == "2022-01-20"


@pytest.mark.parametrize("word", ["no", "yes", "on", "off", "No", "YES"])
def test_yaml11_booleans_stay_text(word: str) -> None:
    """yes/no/on/off are read as the words written, never as booleans."""
    assert loads(f"x: {word}\n").data["x"] == word


def test_true_and_false_are_booleans() -> None:
    """Only true/false are booleans (YAML 1.2)."""
    assert loads("x: true\n").data["x"] is True


def test_duplicate_keys_name_both_lines() -> None:
    """A repeated key is an error at the second occurrence, naming the first."""
    (msg,) = load_errors("agency: 甲\nyear: 2021\nagency: 乙\n")
    assert msg.startswith("r.yaml:3:1: 错误[LOAD] 键 “agency” 重复出现，第一次在第 1 行")
    assert "r.yaml:1:1: 第一次出现" in msg


def test_octal_looking_numbers_are_errors() -> None:
    """010 would silently be 8 in YAML 1.1; the author is told to drop the zero."""
    (msg,) = load_errors("x: 010\n")
    assert "r.yaml:1:4" in msg and "八进制" in msg and "应为：十进制数 10" in msg


def test_all_load_errors_are_reported_at_once() -> None:
    """Duplicate keys and octal numbers in one file come out together."""
    assert len(load_errors("a: 010\nb: 1\nb: 2\nc: 007\n")) == 3


def test_aliases_are_refused() -> None:
    """Anchors and aliases cannot be used to build huge documents ("billion laughs")."""
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8)
    )
    msgs = load_errors(bomb)
    assert msgs and all("别名" in m for m in msgs)


def test_python_tags_are_refused_without_running_code() -> None:
    """!!python/object tags are an error; nothing is constructed."""
    (msg,) = load_errors("x: !!python/object/apply:os.system ['echo hacked']\n")
    assert "不支持的 YAML 标签" in msg


def test_merge_keys_are_refused() -> None:
    """<< merges hide where a value came from."""
    assert any("合并键" in m for m in load_errors("a: {x: 1}\nb:\n  <<: {x: 2}\n"))


def test_gbk_file_gets_a_conversion_hint() -> None:
    """A file saved as GBK by Windows Notepad is named as such, with an iconv command."""
    (msg,) = load_errors("agency: 商丘市工业和信息化局\n".encode("gbk"))
    assert "GBK/GB18030" in msg and "iconv -f GB18030 -t UTF-8 r.yaml" in msg


def test_utf8_bom_is_accepted() -> None:
    """Windows editors add a BOM to UTF-8; it is skipped."""
    assert loads(b"\xef\xbb\xbfagency: \xe6\x9f\x90\n").data == {"agency": "某"}


def test_utf16_is_named() -> None:
    """UTF-16 files are recognised by their BOM."""
    (msg,) = load_errors("agency: 某\n".encode("utf-16"))
    assert "UTF-16" in msg


def test_control_characters_are_located() -> None:
    """Invisible control characters are reported with their line and column."""
    (msg,) = load_errors("a: 1\nb: x\x07y\n")
    assert msg.startswith("r.yaml:2:5:") and "U+0007" in msg


def test_syntax_error_points_at_the_line() -> None:
    """A YAML syntax error names the place libyaml stopped."""
    (msg,) = load_errors("a: [1, 2\nb: 3\n")
    assert msg.startswith("r.yaml:2:") and "YAML 语法错误" in msg


@pytest.mark.parametrize("text", ["", "# only a comment\n", "\n\n"])
def test_empty_files_are_explained(text: str) -> None:
    """An empty file says so and suggests nianbao new."""
    (msg,) = load_errors(text)
    assert "文件是空的" in msg and "nianbao new" in msg


def test_top_level_must_be_a_mapping() -> None:
    """A list at the top is not a report."""
    (msg,) = load_errors("- a\n- b\n")
    assert "映射" in msg


def test_deep_nesting_is_refused() -> None:
    """Absurd nesting is an error, not a crash."""
    assert load_errors("a: " + "[" * 100 + "]" * 100 + "\n")


def test_oversized_files_are_refused(tmp_path: Path) -> None:
    """Files over the size limit are not read."""
    path = tmp_path / "big.yaml"
    path.write_bytes(b"a: " + b"x" * (MAX_BYTES + 10))
    with pytest.raises(InvalidReport) as info:
        load(path)
    assert "文件过大" in info.value.diagnostics[0].message


def test_a_directory_is_a_usage_error(tmp_path: Path) -> None:
    """Pointing at a directory where a file is expected is the user's mistake, exit 2."""
    with pytest.raises(UsageError, match="是目录"):
        load(tmp_path)


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    """A path that does not exist is a usage error."""
    with pytest.raises(UsageError, match="文件不存在"):
        load(tmp_path / "nope.yaml")


def test_thousands_of_errors_are_cut_short() -> None:
    """A file of 5,000 octal-looking numbers lists 200 errors and says how many more."""
    msgs = load_errors("".join(f"k{i}: 010\n" for i in range(5000)))
    assert len(msgs) == 201
    assert "另有 4800 个同类错误未列出" in msgs[-1]
