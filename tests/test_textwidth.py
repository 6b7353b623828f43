"""The progress line fits the terminal, counting a Chinese character as two columns."""

from __future__ import annotations

import pytest

from generator.textwidth import display_width, truncate


def test_chinese_counts_two_columns() -> None:
    assert display_width("reports/测试县民政局/2025.yaml") == 8 + 12 + 10
    assert display_width("ａ") == 2 and display_width("é") == 1


@pytest.mark.parametrize("columns", [10, 20, 31, 79])
def test_truncated_text_fits(columns: int) -> None:
    line = "[####      ] 3/504 reports/测试县民政局/2025.yaml"
    cut = truncate(line, columns)
    assert display_width(cut) <= columns
    assert cut == line or cut.endswith("…")


def test_the_progress_line_fits_a_narrow_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import os

    from generator import cli

    monkeypatch.setattr("shutil.get_terminal_size", lambda fallback: os.terminal_size((40, 24)))
    line = cli._fit("[####################] 504/504 " + "很长的机关名称" * 10 + "/2025.yaml")
    assert display_width(line) <= 39
