"""A narrative written from a report's own tables, in the vocabulary's words, is never a finding.

Hypothesis draws the tables of a report (every cell an author writes; totals computed as
the validator computes them) and writes sentences from the format's claim vocabulary with
those figures — counts in Arabic or Chinese numerals, shares rounded at 0–2 places, money
in 元 or 万元, denials only of what is zero, 均已办结 only when nothing is carried forward.
Whatever the draw, the engine must agree with every sentence.
"""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.claims import extract
from generator.claims_check import Placement, check_narrative
from generator.claims_vocab import Frame, Term, Vocabulary
from generator.errors import Location
from generator.rules import compute_values
from generator.spec import Format, get_format

_DIGITS = "〇一二三四五六七八九"


def chinese(n: int) -> str:
    """17 → 十七, 103 → 一百零三, 2 → 两 (sometimes), as reports write them."""
    if n == 0:
        return "〇"

    def below(m: int) -> str:
        out, zero = "", False
        for power, d in zip((1000, 100, 10, 1), f"{m:04d}", strict=True):
            if d == "0":
                zero = bool(out)
                continue
            out += (
                ("零" if zero else "")
                + _DIGITS[int(d)]
                + {1000: "千", 100: "百", 10: "十", 1: ""}[power]
            )
            zero = False
        return out

    high, low = divmod(n, 10000)
    text = (
        (below(high) + "万" + ("零" if 0 < low < 1000 else "") + below(low)) if high else below(n)
    )
    return text[1:] if text.startswith("一十") else text


def tables(fmt: Format, draw_int: Any) -> dict[tuple[str, ...], Decimal]:
    """Every written cell drawn, the totals computed, as validation would see them."""
    targets = {r.target for t in fmt.tables.values() for r in t.sums}
    data: dict[str, Any] = {}
    for path, cell in fmt.cells.items():
        if path in targets or cell.value == "signed":
            continue
        value: Any = draw_int()
        if cell.value == "amount":
            value = Decimal(value * 137) / 100
        node = data
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
    out = {p: Decimal(v) for p, v in compute_values(fmt, data).items()}
    out[("other_matters", "fee")] = Decimal(draw_int() * 10)
    return out


def words_by_term(vocab: Vocabulary) -> dict[str, tuple[Term, list[str]]]:
    out: dict[str, tuple[Term, list[str]]] = {}
    for text, word in vocab.words.items():
        if word.term is not None and not word.roles:
            out.setdefault(word.term.id, (word.term, []))[1].append(text)
    return out


class Writer:
    """Writes sentences about the tables with randomly chosen words and numeral styles."""

    def __init__(
        self, vocab: Vocabulary, values: dict[tuple[str, ...], Decimal], rnd: random.Random
    ):
        self.vocab, self.values, self.rnd = vocab, values, rnd
        self.terms = words_by_term(vocab)

    def value(self, frame: Frame, reading: dict[str, tuple[str, ...]]) -> Decimal:
        full = {**frame.defaults, **frame.fallback, **reading}
        return sum((self.values[p] for p in self.vocab.expand(frame, full)), Decimal(0))

    def count(self, n: Decimal, frame: Frame) -> str:
        units = sorted(frame.units)
        if frame.money:
            unit = self.rnd.choice(units)
            return f"{n / frame.units[unit]:f}{unit}"
        shown = chinese(int(n)) if self.rnd.random() < 0.5 else str(int(n))
        return shown + self.rnd.choice(units)

    def word(self, term: Term) -> str:
        return self.rnd.choice(self.terms[term.id][1])

    def sentences(self) -> list[str]:
        out: list[str] = []
        for term, _ in self.terms.values():
            frame = self.vocab.frames[term.frame]
            out += self.about(term, frame)
        out += self.universal()
        self.rnd.shuffle(out)
        return out

    def about(self, term: Term, frame: Frame) -> list[str]:
        reading = dict(term.reading)
        lead = "申请中" if frame.name == "applications" else ""
        if any(a not in reading and a not in frame.defaults and a not in frame.fallback
               for a in frame.axes):  # fmt: skip
            return self.with_context(term, frame)
        n = self.value(frame, reading)
        out = [f"{lead}{self.word(term)}{self.count(n, frame)}。"]
        if any(a in frame.inherit and a not in reading for a in frame.axes):
            out += self.with_context(term, frame)
        if term.zero and n == 0:
            out.append(f"本年度没有{self.word(term)}的情况。")
        if term.presence and n > 0:
            out.append(f"另有申请{self.word(term)}。")
        total = self.value(frame, {"row": ("total",)}) if frame.percent_base else Decimal(0)
        if total and "column" not in term.reading:
            places = self.rnd.randint(0, 2)
            pct = (n * 100 / total).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
            out.append(f"{lead}{self.word(term)}{self.count(n, frame)}，占{pct}%。")
        return out

    def with_context(self, term: Term, frame: Frame) -> list[str]:
        """A column (自然人) or a measure (废止) after a claim that names the rest."""
        anchors = [
            t for t, _ in self.terms.values()
            if t.frame == frame.name and not set(t.reading) & set(term.reading)
            and not t.alternative
        ]  # fmt: skip
        anchor = self.rnd.choice(anchors)
        both = {**anchor.reading, **term.reading}
        lead = "申请中" if frame.name == "applications" else ""
        first = self.count(self.value(frame, dict(anchor.reading)), frame)
        second = self.count(self.value(frame, both), frame)
        return [f"{lead}{self.word(anchor)}{first}，其中{self.word(term)}{second}。"]

    def universal(self) -> list[str]:
        out = []
        apps = self.vocab.frames["applications"]
        if self.value(apps, {"row": ("carried_forward",)}) == 0:
            out.append("所有申请均已按要求办理完成。")
        review = self.vocab.frames["review_litigation"]
        rest = {"group": ("review",), "outcome": ("corrected", "other", "pending")}
        if self.value(review, rest) == 0:
            n = self.value(review, {"group": ("review",)})
            out.append(f"行政复议{self.count(n, review)}，结果均获维持。")
        return out


@pytest.mark.parametrize("fmt_id", ["2021", "2019"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_narrative_written_from_the_tables_never_gets_a_finding(fmt_id: str, data: Any) -> None:
    fmt = get_format(fmt_id)
    vocab = fmt.claims
    assert vocab is not None
    ints = st.one_of(st.just(0), st.integers(0, 30), st.integers(0, 3000))
    values = tables(fmt, lambda: data.draw(ints))
    writer = Writer(vocab, values, data.draw(st.randoms(use_true_random=False)))
    text = "".join(writer.sentences())
    place = Placement(Location("report.yaml", 1, 1))
    claims, _, _ = extract(text, vocab)
    assert len(claims) >= len(writer.terms)
    assert check_narrative(text, vocab, values.get, place=place) == []
