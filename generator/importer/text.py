"""Comparing printed labels with official ones, and reading a printed figure.

Published tables print the official labels with noise: spaces and ``&nbsp;`` where an
editor broke a line, full-width or half-width digits and brackets, numbering written
1、 or 1. or （1）, a word dropped or mistyped (其他法律行政止公开, 本年废纸件数), a shorter
local wording (规范性文件).  ``similarity`` scores a printed label against an official
one after ``normalize``; the mapper takes the best official label above ``THRESHOLD``
and reports every mapping that was not word for word.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

__all__ = ["THRESHOLD", "Figure", "clean", "normalize", "read_figure", "similarity"]

THRESHOLD = 0.75
_SPACE = re.compile(r"\s+")
_NUMBERING = re.compile(
    r"^(?:[（(]\s*([一二三四五六七八九十\d]+)\s*[)）]|([一二三四五六七八九十]+)\s*[、.．]"
    r"|(\d+)\s*[、.．,，]?)"
)
_TRAIL = re.compile(r"[。：:；;，,\s]+$")
_UNIT = re.compile(r"\([^()]*\)$")


def clean(text: str) -> str:
    """Text as printed, with layout whitespace collapsed: runs of spaces become one."""
    text = text.replace("\u00a0", " ").replace("\u3000", " ").replace("\u200b", "")
    return _SPACE.sub(" ", text).strip()


_CJK = "\u2e80-\u9fff\uff00-\uffef\u3000-\u303f"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")


def squeeze(text: str) -> str:
    """A printed label as shown in messages: layout spaces between Chinese characters removed."""
    return _CJK_GAP.sub("", clean(text))


@functools.lru_cache(maxsize=65536)
def normalize(label: str) -> str:
    """The comparable form of a label: NFKC, no whitespace, numbering in one spelling."""
    text = unicodedata.normalize("NFKC", label)
    text = _SPACE.sub("", text.replace("\u200b", ""))
    text = text.replace("“", '"').replace("”", '"')
    m = _NUMBERING.match(text)
    if m:
        if m.group(1):
            number = f"({m.group(1)})"
        elif m.group(2):
            number = f"{m.group(2)}、"
        else:
            number = f"{m.group(3)}."
        text = number + text[m.end() :]
    return _TRAIL.sub("", text)


def numbering(label: str) -> str:
    """The numbering a normalized label starts with ('(一)', '三、', '2.'), or ''."""
    m = re.match(r"^(?:\([^)]{1,3}\)|[一二三四五六七八九十]+、|\d+\.)", label)
    return m.group(0) if m else ""


@functools.lru_cache(maxsize=65536)
def similarity(printed: str, official: str) -> float:
    """1.0 for the same normalized label; less for local wordings and typos.

    A printed label that is the official one without a leading word (规范性文件) or
    with a trailing word (主动公开方面) scores 0.9; otherwise the ratio of matching
    characters.  Numbering must agree when both labels have it: 1. never maps to 2.
    """
    a, b = normalize(printed), normalize(official)
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    na, nb = numbering(a), numbering(b)
    if na and nb and na != nb:
        return 0.0
    core_a, core_b = a[len(na) :], b[len(nb) :]
    if core_a == core_b:
        return 0.97
    if _UNIT.sub("", core_a) == _UNIT.sub("", core_b):
        return 0.95  # the same label with a unit note of its own: 采购总金额（单位：元）
    if min(len(core_a), len(core_b)) >= 3 and (core_a in core_b or core_b in core_a):
        return 0.9 if min(len(core_a), len(core_b)) * 2 >= max(len(core_a), len(core_b)) else 0.7
    return SequenceMatcher(None, core_a, core_b, autojunk=False).ratio()


FigureKind = Literal["number", "blank", "dash", "unreadable", "text"]
DASHES = ("-", "/", "—", "－")
"""The dashes printed for 不适用 that a report keeps as written (issue 11 §1)."""
_NUMBER = re.compile(r"^[+\-−＋]?\d+(?:\.\d+)?$")


@dataclass(frozen=True, slots=True)
class Figure:
    """A printed cell read as a figure: ``printed`` is the text, ``kind`` what it is."""

    printed: str
    kind: FigureKind

    @property
    def value(self) -> int | str | None:
        """What the YAML holds: an int for a plain count, else the text as printed."""
        if self.kind == "blank":
            return None
        if self.kind == "unreadable":
            return "?"
        if self.kind == "number" and re.fullmatch(r"[+\-]?\d+", self.printed):
            digits = self.printed.lstrip("+-")
            if digits == "0" or not digits.startswith("0"):
                return int(self.printed)
        return self.printed


def read_figure(text: str, *, image: bool = False) -> Figure:
    """A cell's text as a figure: blank, a dash, a number as printed, or other text."""
    if image:
        return Figure("?", "unreadable")
    printed = "".join(clean(text).split())
    if not printed:
        return Figure("", "blank")
    if printed in DASHES:
        return Figure(printed, "dash")
    if printed in ("?", "？"):
        return Figure("?", "unreadable")
    if _NUMBER.match(printed) and printed.isascii():
        return Figure(printed, "number")
    return Figure(printed, "text")


def looks_like_value(text: str, *, image: bool = False) -> bool:
    """True for what a data cell holds: a number (as printed, unit included), a dash, a '?'."""
    fig = read_figure(text, image=image)
    if fig.kind in ("number", "dash", "unreadable"):
        return True
    if fig.kind == "text":
        t = unicodedata.normalize("NFKC", fig.printed)
        return bool(re.fullmatch(r"[+\-−]?[\d,.]+\d*(?:元|万元|件|项|个|%)?", t))
    return False
