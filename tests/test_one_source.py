"""One source of truth: no label, heading or caption of the format data is typed in code.

The official wording lives only in ``generator/formats/*.yaml``; code reads it from
``spec``.  This test walks the syntax tree of every module under ``generator/`` and
fails on any string constant (docstrings aside) that contains such a text.

Texts shorter than ``MIN_LENGTH`` characters are not looked for: two-character labels
such as 总计, 其他, 规章 or 表二 are ordinary words that messages may use on their own
("总计自动计算"), and punctuation such as （ would match everywhere.  Four characters
is the shortest wording that is specific to the format: 机关名称, 报告年度, 报告格式.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import ROOT

MIN_LENGTH = 4
WORDS = ("年度报告格式",)
"""Ordinary words that happen to contain a label: 年度报告格式 (the official format of
the annual report, as in "2018 年没有适用的年度报告格式") is not the field 报告格式."""
TEXT_KEYS = {"label", "heading", "caption", "title", "stub", "corner"}
"""The keys of the format data whose values are official wording."""

GENERATOR = ROOT / "generator"


def _texts(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in TEXT_KEYS and isinstance(value, str):
                yield value
            yield from _texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item)


def _wording() -> set[str]:
    found: set[str] = set()
    for path in sorted((GENERATOR / "formats").glob("*.yaml")):
        data = yaml.safe_load(path.read_text("utf-8"))
        found.update(t for t in _texts(data) if len(t) >= MIN_LENGTH and "{" not in t)
    return found


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string nodes that are docstrings (of modules, classes, functions, fields)."""
    out: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        for stmt in body:
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                out.add(id(stmt.value))
    return out


def _constants(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text("utf-8"), str(path))
    skip = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            text = node.value
            for word in WORDS:
                text = text.replace(word, "")
            yield node.lineno, text


def test_the_format_data_has_wording_to_look_for() -> None:
    """The test is not vacuous: it looks for the meta labels and table headings."""
    wording = _wording()
    assert {"机关名称", "报告年度", "报告格式", "现行有效件数"} <= wording


@pytest.mark.parametrize(
    "module",
    sorted(GENERATOR.rglob("*.py")),
    ids=lambda p: str(p.relative_to(GENERATOR)),
)
def test_no_module_types_the_official_wording(module: Path) -> None:
    """Labels, headings and captions come from the format data, never from code."""
    wording = _wording()
    typed = [
        f"{module.relative_to(ROOT)}:{line}: {text!r} contains {w!r}"
        for line, text in _constants(module)
        for w in wording
        if w in text
    ]
    assert not typed, "\n".join(typed)
