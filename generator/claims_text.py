"""The text side of narrative claims: masking, sentences, numerals and tokens.

A narrative is read as the author typed it, before its references are expanded: a
``{{ … }}`` figure is right by construction and becomes one placeholder character, and
Markdown markup disappears, while every kept character remembers where it was in the
YAML value so that a finding can point at its sentence.  Numbers are Arabic (full-width
too) or Chinese (十七, 一百零三, 两, 〇, 三十三点九), each with the unit written after it.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Final, Literal

from .claims_vocab import Term, Vocabulary, Word
from .narrative import _AUTOLINK, _PUNCT

__all__ = [
    "MAX_TOKENS",
    "Sentence",
    "Spans",
    "Token",
    "chinese_number",
    "mask",
    "normalise",
    "sentences",
    "tokenise",
    "tokens",
]

_OPENERS: Final = ("{{", "{%", "{#")
_CLOSERS: Final = {"{": "}}", "%": "%}", "#": "#}"}
_PLAIN_RUN = re.compile(r"[^{\\*\]<]+")
"""Characters that cannot start markup or a template in ``mask``."""


class Spans:
    """The raw span of each kept character, as two arrays of machine integers.

    A list of tuples costs about 100 bytes a character (450 MB for a 2 MB narrative);
    two ``array('q')`` cost 16.
    """

    __slots__ = ("ends", "starts")

    def __init__(self) -> None:
        self.starts, self.ends = array("q"), array("q")

    def add(self, start: int, end: int, count: int = 1) -> None:
        self.starts.extend([start] * count)
        self.ends.extend([end] * count)

    def add_run(self, start: int, end: int) -> None:
        """One character each of ``raw[start:end]``, copied as it is."""
        self.starts.extend(range(start, end))
        self.ends.extend(range(start + 1, end + 1))

    def __getitem__(self, k: int) -> tuple[int, int]:
        return self.starts[k], self.ends[k]


def mask(raw: str) -> tuple[str, Spans]:
    """``raw`` with templates masked and markup removed, and each kept character's raw span.

    A ``{{ … }}`` becomes one ``＿`` (a number whose value the claim does not need) plus
    the line breaks inside it, so that lines still correspond.  Forward searches are
    remembered (an answer stays valid for later starts), so unclosed markup stays linear.
    """
    chars: list[str] = []
    spans = Spans()
    i, n = 0, len(raw)
    found: dict[str, int] = {}

    def find(sub: str, start: int) -> int:
        at = found.get(sub)
        if at is None or 0 <= at < start:
            at = found[sub] = raw.find(sub, start)
        return at

    while i < n:
        plain = _PLAIN_RUN.match(raw, i)
        if plain and plain.end() > i:  # ordinary text, copied in one go
            k = plain.end()
            chars.append(raw[i:k])
            spans.add_run(i, k)
            i = k
            continue
        j = i + 1
        close = find(_CLOSERS[raw[i + 1]], i + 2) if raw.startswith(_OPENERS, i) else -1
        if close >= 0:
            j = close + 2
            breaks = raw.count("\n", i, j)
            chars.append("＿" + "\n" * breaks)
            spans.add(i, j, 1 + breaks)
        elif raw[i] == "\\" and i + 1 < n and raw[i + 1] in _PUNCT:
            j = i + 2
            chars.append(raw[i + 1])
            spans.add(i, j)
        elif raw.startswith("**", i):
            j = i + 2
        elif raw.startswith("](", i) and (close := find(")", i)) >= 0:
            j = close + 1
        elif (m := _AUTOLINK.match(raw, i)) is not None:
            j = m.end()
        else:
            chars.append(raw[i])
            spans.add(i, j)
        i = j
    return "".join(chars), spans


# --------------------------------------------------------------------------- tokens


_SENTENCE = re.compile(r"[。！？!?]|\n[ \t]*\n|\n(?=[ \t]*(?:[-*+]|[0-9]+[.)、])[ \t])")
_MAX_PLACES: Final = 6
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．％", "0123456789.%")
_WIDE = re.compile("[０-９．％]")


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int
    text: str


@dataclass(slots=True)
class Token:
    kind: Literal["word", "number", "sep"]
    start: int
    end: int
    word: Word | None = None
    value: Decimal | None = None
    """None for a masked reference (＿)."""
    places: int = 0
    unit: str | None = None
    percent: bool = False

    @property
    def term(self) -> Term | None:
        return self.word.term if self.word else None

    def has(self, role: str) -> bool:
        return self.word is not None and role in self.word.roles


def sentences(text: str) -> Iterator[Sentence]:
    """The sentences of masked text: up to 。！？, a blank line or a list item."""
    start = 0
    for m in [*_SENTENCE.finditer(text), None]:
        end = m.start() if m else len(text)
        lo = start + len(text[start:end]) - len(text[start:end].lstrip())
        hi = start + len(text[start:end].rstrip())
        if hi > lo:
            yield Sentence(lo, hi, text[lo:hi])
        start = m.end() if m else end


_DIGITS: Final = dict(
    zip("〇零一二两三四五六七八九", (0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True)
)
_SMALL: Final = {"十": 10, "百": 100, "千": 1000}
_LARGE: Final = {"万": 10**4, "亿": 10**8}


def chinese_number(text: str) -> tuple[Decimal, int] | None:
    """十七 → 17, 一百零三 → 103, 两 → 2, 二〇二一 → 2021, 三十三点九 → 33.9 (with 1 place)."""
    whole, _, frac = text.partition("点")
    if not whole or whole[0] in _LARGE or any(c not in _DIGITS for c in frac):
        return None
    if len(whole) > 1 and all(c in _DIGITS for c in whole):
        value = int("".join(str(_DIGITS[c]) for c in whole))
    else:
        value, section, digit = 0, 0, 0
        for c in whole:
            if c in _DIGITS:
                digit = _DIGITS[c]
            elif c in _SMALL:
                section += (digit or 1) * _SMALL[c]
                digit = 0
            else:
                value += (section + digit) * _LARGE[c]
                section = digit = 0
        value += section + digit
    places = len(frac)
    fraction = Decimal("0." + "".join(str(_DIGITS[c]) for c in frac)) if frac else Decimal(0)
    return Decimal(value) + fraction, places


def _number(text: str) -> tuple[Decimal | None, int] | None:
    if text == "＿":
        return None, 0
    if text[0].isdigit():
        _, _, frac = text.partition(".")
        return Decimal(text.replace(",", "")), len(frac)
    return chinese_number(text)


_SEPARATOR = re.compile("[，,；;：:]")
MAX_TOKENS: Final = 300
"""Tokens read per sentence: a real sentence has a few dozen; a longer run is not prose."""


def normalise(text: str) -> str:
    """Full-width digits, point, percent and comma as ASCII; every offset stays the same."""
    return text.translate(_FULL_WIDTH) if _WIDE.search(text) else text


def tokens(vocab: Vocabulary, norm: str) -> Iterator[Token]:
    """The vocabulary words, numbers (with unit) and clause marks of normalised text, in order.

    Three scans, each skipping in C to its candidates, merged by position.  Where a word and a
    number start together the word wins (三类内部事务信息 is a term, not 三); a token that
    starts inside an earlier one is dropped.
    """
    found = [(m.start(), 0, m) for m in vocab.word_pattern.finditer(norm)]
    found += [(m.start(), 1, m) for m in _SEPARATOR.finditer(norm)]
    found += [(m.start(), 2, m) for m in vocab.number_pattern.finditer(norm)]
    found.sort(key=lambda f: (f[0], f[1]))
    end = 0
    previous: Token | None = None
    for at, kind, m in found:
        if at < end:
            continue
        token = _token(vocab, kind, m, previous)
        if token is None:
            continue
        end, previous = token.end, token
        yield token


def _token(vocab: Vocabulary, kind: int, m: re.Match[str], previous: Token | None) -> Token | None:
    if kind == 0:
        return Token("word", m.start(), m.end(), vocab.words[m[0]])
    if kind == 1:
        return Token("sep", m.start(), m.end())
    token = _number_token(vocab, m)
    if token and token.unit is None and previous and previous.has("percent_prefix"):
        return replace(token, unit="%", percent=previous.end == token.start)  # 百分之五点六
    return token


def tokenise(vocab: Vocabulary, text: str, start: int = 0, end: int | None = None) -> list[Token]:
    """The tokens of ``text[start:end]`` (for tests and tools; ``tokens`` streams them)."""
    return [t for t in tokens(vocab, normalise(text[:end])) if t.start >= start]


def _number_token(vocab: Vocabulary, m: re.Match[str]) -> Token | None:
    parsed = _number(m["number"])
    if parsed is None:
        return None
    value, places = parsed
    unit = m["unit"] if _plausible(value, places) else None
    percent = unit is not None and unit in vocab.percent_signs
    end = m.end() if unit else m.end("number")
    return Token("number", m.start(), end, None, value, places, unit, percent)


def _plausible(value: Decimal | None, places: int) -> bool:
    """A figure a report could print; a 40-digit number or 9 decimals is no claim (and no risk)."""
    return value is None or (value < 10**15 and places <= _MAX_PLACES)
