"""libyaml's syntax errors reach authors in Chinese; a full-width colon points at itself."""

from __future__ import annotations

import pytest

from generator.errors import InvalidReport
from generator.source import loads


def _error(text: str) -> tuple[str, int, int, str]:
    with pytest.raises(InvalidReport) as caught:
        loads(text, "r.yaml")
    d = caught.value.diagnostics[0]
    return d.message, d.location.line, d.location.column, d.hint or ""


def test_a_full_width_colon_gets_its_own_message_on_its_own_line() -> None:
    """libyaml reports line 3; the colon is on line 2."""
    message, line, column, hint = _error("agency: 某局\nyear：2024\noverview:\n  summary: x\n")
    assert message == "YAML 语法错误：键后用了全角冒号“：”"
    assert (line, column) == (2, 5) and "year: 2024" in hint


@pytest.mark.parametrize(
    ("text", "chinese"),
    [
        ("a:\n\tb: 1\n", "Tab"),
        ("a:\n  b: 1\n c: 2\n", "缩进不一致"),
        ("a: b: c\n", "这里不能出现“键: 值”"),
        ('a: "abc\n', "引号或括号没有配对"),
        ("a: {b: 1, c: 2\n", "花括号"),
        ("a:\n  - 1\n  b: 2\n", "列表缩进不一致"),
    ],
)
def test_common_libyaml_messages_are_in_chinese(text: str, chinese: str) -> None:
    message = _error(text)[0]
    assert message.startswith("YAML 语法错误：") and chinese in message
    rest = message.replace("YAML", "").replace("Tab", "")
    assert not any(c.isascii() and c.isalpha() for c in rest), message
