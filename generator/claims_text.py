"""The text side of narrative claims: masking, sentences, numerals and tokens.

A narrative is read as the author typed it, before its references are expanded: a
``{{ … }}`` figure is right by construction and becomes one placeholder character, and
Markdown markup disappears, while every kept character remembers where it was in the
YAML value so that a finding can point at its sentence.  Numbers are Arabic (full-width
too) or Chinese (十七, 一百零三, 两, 〇, 三十三点九), each with the unit written after it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Literal

from .claims_vocab import Term, Vocabulary, Word
from .narrative import _AUTOLINK, _PUNCT

__all__ = ["Sentence", "Token", "chinese_number", "mask", "sentences", "tokenise"]

_OPENERS: Final = ("{{", "{%", "{#")
_CLOSERS: Final = {"{": "}}", "%": "%}", "#": "#}"}
_PLAIN_RUN = re.compile(r"[^{\\*\]<]+")
"""Characters that cannot start markup or a template in ``mask``."""


def mask(raw: str) -> tuple[str, list[tuple[int, int]]]:
    """``raw`` with templates masked and markup removed, and each kept character's raw span.

    A ``{{ … }}`` becomes one ``＿`` (a number whose value the claim does not need) plus
    the line breaks inside it, so that lines still correspond.
    """
    chars: list[str] = []
    spans: list[tuple[int, int]] = []
    i, n = 0, len(raw)
    while i < n:
        plain = _PLAIN_RUN.match(raw, i)
        if plain and plain.end() > i:
            k = plain.end()
            chars.append(raw[i:k])
            spans.extend(zip(range(i, k), range(i + 1, k + 1), strict=True))
            i = k
            continue
        j = i + 1
        close = raw.find(_CLOSERS[raw[i + 1]], i + 2) if raw.startswith(_OPENERS, i) else -1
        if close >= 0:
            j = close + 2
            breaks = raw.count("\n", i, j)
            chars.append("＿" + "\n" * breaks)
            spans.extend([(i, j)] * (1 + breaks))
        elif raw[i] == "\\" and i + 1 < n and raw[i + 1] in _PUNCT:
            j = i + 2
            chars.append(raw[i + 1])
            spans.append((i, j))
        elif raw.startswith("**", i):
            j = i + 2
        elif raw.startswith("](", i) and (close := raw.find(")", i)) >= 0:
            j = close + 1
        elif (m := _AUTOLINK.match(raw, i)) is not None:
            j = m.end()
        else:
            chars.append(raw[i])
            spans.append((i, j))
        i = j
    return "".join(chars), spans


# --------------------------------------------------------------------------- tokens


_SENTENCE = re.compile(r"[。！？!?]|\n[ \t]*\n|\n(?=[ \t]*(?:[-*+]|[0-9]+[.)、])[ \t])")
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．％，", "0123456789.%,")


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
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


def tokenise(vocab: Vocabulary, text: str, start: int, end: int) -> list[Token]:
    """The vocabulary words, numbers (with unit) and clause marks of ``text[start:end]``."""
    norm = text.translate(_FULL_WIDTH)
    out: list[Token] = []
    for m in vocab.tokens.finditer(norm, start, end):
        if m["word"]:
            out.append(Token("word", m.start(), m.end(), word=vocab.words[m["word"]]))
        elif m["sep"]:
            out.append(Token("sep", m.start(), m.end()))
        elif (parsed := _number(m["number"])) is not None:
            unit = m["unit"]
            percent = bool(m["prefix"]) or unit in vocab.percent_signs
            out.append(
                Token("number", m.start(), m.end(), None, parsed[0], parsed[1], unit, percent)
            )
    return out
