"""Hostile input that is read: pathological narrative, symlinked reports, odd values.

Each test is one attack or accident from issue 9, reproduced on the command line
first; the bounds are generous safety limits, not performance assertions.
"""

from __future__ import annotations

import json
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from generator import narrative
from generator.validate import check_file

TWO_MB = 2_000_000
MINIMAL = """\
agency: 测试局
year: 2022
overview:
  summary: 本年度工作情况如下。
problems:
  text: 无
other_matters:
  text: 无
"""
PATHOLOGICAL = ["[", "<strong>", "[a](x", "[[]", "**a", "<http://a", "{{", "\\*"]


@pytest.mark.parametrize("pattern", PATHOLOGICAL)
def test_pathological_narrative_parses_in_linear_time(pattern: str) -> None:
    started = time.perf_counter()
    narrative.parse(pattern * (TWO_MB // len(pattern)))
    assert time.perf_counter() - started < 30  # was 120 s for 80 KB of "["


@pytest.mark.parametrize("pattern", ["[", "<strong>"])
def test_pathological_narrative_parses_in_bounded_memory(pattern: str) -> None:
    text = pattern * (TWO_MB // len(pattern))
    tracemalloc.start()
    try:
        narrative.parse(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20  # was 447 MB for "<strong>"


@pytest.mark.parametrize("pattern", ["[", "<strong>", "[a](x", "{{", "{%a"])
def test_a_report_of_unclosed_markup_validates_in_bounded_time(
    pattern: str, write_report: Callable[..., Path]
) -> None:
    body = pattern * (TWO_MB // len(pattern.encode()))
    path = write_report(MINIMAL.replace("本年度工作情况如下。", json.dumps(body)))
    started = time.perf_counter()
    check_file(path)
    assert time.perf_counter() - started < 60  # "<strong>": 92 s; "[a](x": never ended


def test_a_link_before_unclosed_brackets_still_parses() -> None:
    blocks = narrative.parse("见[网站](https://example.org)[[(")
    assert blocks == (
        narrative.Paragraph(
            (
                narrative.Text("见"),
                narrative.Link("https://example.org", (narrative.Text("网站"),)),
                narrative.Text("[[("),
            )
        ),
    )


def test_unclosed_strong_is_kept_as_text() -> None:
    blocks = narrative.parse("<strong>a<strong>b")
    assert blocks == (narrative.Paragraph((narrative.Text("<strong>a<strong>b"),)),)
