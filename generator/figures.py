"""Figures typed in the narrative, compared with the tables (format.md, rule R6).

The patterns are data: ``narrative_checks:`` in the format file names, for each kind of
sentence ("收到申请 N 件", "办结 N 件", percentages …), the cells whose sum the number must
equal.  Figures written as references are right by construction and are masked out.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left
from collections.abc import Mapping
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Final, TypeAlias

from .errors import Diagnostic, Location, label_path
from .narrative import _AUTOLINK, _PUNCT
from .references import _at
from .spec import Format, NarrativeCheck

__all__ = ["NarrativeCheck", "check_figures", "load_checks"]

CellPath: TypeAlias = tuple[str, ...]

# --------------------------------------------------------------------------- narrative ↔ tables

_OPENERS: Final = ("{{", "{%", "{#")
_CLOSERS: Final = {"{": "}}", "%": "%}", "#": "#}"}
_SENTENCE_END = re.compile(r"[。；;！？!?\n]")
_QUOTE_MAX: Final = 60


def load_checks(fmt: Format) -> tuple[NarrativeCheck, ...]:
    """The format's ``narrative_checks``, compiled (and checked) when the format loaded."""
    return fmt.narrative_checks


def check_figures(
    raw_text: str,
    values: Mapping[CellPath, int | Decimal],
    fmt: Format,
    *,
    where: Location,
    block: bool,
    labels: tuple[str, ...],
) -> list[Diagnostic]:
    """Warn where a number the author typed disagrees with the tables.

    ``raw_text`` is the narrative before expansion: figures written as ``{{ … }}`` are
    right by construction and are masked out, as is Markdown markup.  ``values`` holds
    every table cell's value, 0 for omitted cells.
    """
    clean, spans = _mask(raw_text)
    ends = [m.start() for m in _SENTENCE_END.finditer(clean)]
    found: list[tuple[int, Diagnostic]] = []
    for check in load_checks(fmt):
        for m in check.regex.finditer(clean):
            verdict = None if "\n" in m[0] else _judge(check, m, values, fmt)
            if verdict is None:
                continue
            tail, expected, written, hint = verdict
            at = m.start(1) if check.regex.groups else m.start()
            k = bisect_left(ends, at)
            start, stop = (ends[k - 1] + 1 if k else 0), (ends[k] if k < len(ends) else len(clean))
            lo, hi = start, stop
            if stop - start > _QUOTE_MAX:  # a long sentence: quote the clauses of the match
                lo = max(start, clean.rfind("，", 0, m.start()) + 1)
                hi = min(stop, _find(clean, "，", m.end()))
            quote = raw_text[spans[lo][0] : spans[hi - 1][1]].replace("**", "").strip()
            quote = ("…" if lo > start else "") + quote + ("…" if hi < stop else "")
            line = raw_text.count("\n", 0, spans[at][0]) + 1
            found.append((at, Diagnostic(
                "warning", check.id, _at(where, line, block), f"叙述写“{quote}”，但{tail}",
                labels, expected=expected, found=written, hint=hint,
            )))  # fmt: skip
    return [d for _, d in sorted(found, key=lambda f: f[0])]


def _judge(
    check: NarrativeCheck, m: re.Match[str], values: Mapping[CellPath, int | Decimal], fmt: Format
) -> tuple[str, str, str, str | None] | None:
    """None when the match agrees with the tables, else (message tail, expected, found, hint)."""

    def total(paths: tuple[CellPath, ...]) -> Decimal:
        return sum((Decimal(values.get(p, 0)) for p in paths), Decimal(0))

    if check.expect_zero:
        value = total(check.expect_zero)
        tail = f"{_name(check.expect_zero, fmt)} 为 {value}"
        return None if value == 0 else (tail, "0", str(value), check.hint)
    if check.percent_of:
        written = Decimal(m[1])
        part, whole = total(check.alternatives[0]), total(check.percent_of)
        exponent = written.as_tuple().exponent
        quantum = Decimal(1).scaleb(min(0, exponent if isinstance(exponent, int) else 0))
        ratio = part * 100 / whole if whole else Decimal(0)
        expected = ratio.quantize(quantum, ROUND_HALF_UP)
        if written in (expected, ratio.quantize(quantum, ROUND_DOWN)):
            return None
        tail = (
            f"{_name(check.alternatives[0], fmt)} 为 {part}，"
            f"占 {_name(check.percent_of, fmt)}（{whole}）的 {expected}%"
        )
        return tail, f"{expected}%", f"{written}%", check.hint
    number = int(m[1])
    sums = [(alt, total(alt)) for alt in check.alternatives]
    if any(number == value for _, value in sums):
        return None
    (first, value), others = sums[0], sums[1:]
    hint = check.hint
    if others:
        also = "；".join(f"{_name(alt, fmt)} 为 {v}" for alt, v in others)
        hint = f"{hint}（{also}）" if hint else f"也核对了：{also}"
    return f"{_name(first, fmt)} 为 {value}", str(value), str(number), hint


def _name(paths: tuple[CellPath, ...], fmt: Format) -> str:
    """How a message names cells: label paths, or a group and a count for many cells."""
    labels = [fmt.cells[p].labels for p in paths]
    first, head, tail = labels[0], 0, 0
    while all(len(lab) > head + 1 and lab[head] == first[head] for lab in labels):
        head += 1
    while all(len(lab) > head + tail + 1 and lab[-1 - tail] == first[-1 - tail] for lab in labels):
        tail += 1
    if len(labels) <= 2 or not head or not tail:
        return " + ".join(label_path(lab) for lab in labels)
    group = f"{first[head - 1]}（{len(labels)} 项之和）"
    return label_path((*first[: head - 1], group, *first[len(first) - tail :]))


def _find(text: str, sub: str, start: int) -> int:
    at = text.find(sub, start)
    return len(text) if at < 0 else at


_PLAIN_RUN = re.compile(r"[^{\\*\]<]+")
"""Characters that cannot start markup or a template in ``_mask``."""


class _Spans:
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


def _mask(raw: str) -> tuple[str, _Spans]:
    """``raw`` with templates masked and markup removed, and each kept character's raw span.

    A ``{{ … }}`` becomes one ``＿`` (so the figure it stands for is never matched) plus
    the line breaks inside it, so that lines still correspond.
    """
    chars: list[str] = []
    spans = _Spans()
    i, n = 0, len(raw)
    found: dict[str, int] = {}

    def find(sub: str, start: int) -> int:
        """``raw.find``, remembering answers: starts only grow, so this stays linear."""
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
