"""Quantity claims in the narrative, read with the format's vocabulary, checked against the tables.

Authors type figures into their text — 收到申请十七件, 予以公开60件（33.9%）, 没有发生行政复议 —
and a published report whose text and tables disagree is wrong.  This module reads every
sentence: references and markup are masked (a ``{{ … }}`` figure is right by
construction), the sentence is cut into tokens (the vocabulary's words, numerals with their
unit, clause marks), each number is attached to the terms before it in its clause, and the
terms name a table expression (a sum of cells).  A sentence none of whose numbers attaches
to a term says nothing about the tables and is left alone: ordinary sentences such as
全年主动公开政府信息10407条 must never raise an alarm.

Only an unambiguous contradiction is an error; a figure that fits a second reading (受理
counted with 上年结转), or a percentage truncated instead of rounded, is a warning that says
which readings were tried.  The words themselves are format data (``claims:``), compiled by
``claims_vocab``; nothing here knows a label.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Final, Literal

from .claims_vocab import Expr, Frame, Reading, Term, Universal, Vocabulary, Word
from .errors import Diagnostic, Location, Severity, label_path
from .narrative import _AUTOLINK, _PUNCT

__all__ = [
    "Claim",
    "Finding",
    "Lookup",
    "Placement",
    "assess",
    "check_narrative",
    "extract",
    "mask",
]

Path = tuple[str, ...]
Lookup = Callable[[Path], Decimal | None]
"""The value of one cell, or None when it cannot be read (the claim is then not assessed)."""

Kind = Literal["count", "amount", "percent", "none", "some", "universal"]

RULES: Final = {
    "count": "N-COUNT",
    "amount": "N-AMOUNT",
    "percent": "N-PERCENT",
    "none": "N-NONE",
    "some": "N-SOME",
}
AMBIGUOUS: Final = "N-AMBIGUOUS"
TRUNCATED: Final = "N-PERCENT-TRUNCATED"

_QUOTE_MAX: Final = 60
_ZERO_REACH: Final = 25
"""How far (in characters) a negation reaches forward to the term it denies."""


# --------------------------------------------------------------------------- masking


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


# --------------------------------------------------------------------------- claims


@dataclass(frozen=True, slots=True)
class Claim:
    """One statement about the tables: a figure (or none, or all) and the cells it is about.

    ``readings`` are the table expressions tried, the sentence's own reading first; a
    percentage is ``readings[0]`` over one of ``bases``.
    """

    kind: Kind
    rule: str
    sentence: Sentence
    start: int
    end: int
    frame: str
    reading: Reading
    readings: tuple[Expr, ...]
    written: Decimal | None = None
    places: int = 0
    shown: str = ""
    factor: Decimal = Decimal(1)
    bases: tuple[Expr, ...] = ()


@dataclass(slots=True)
class _Context:
    """What a sentence has said so far: the last reading per frame, the last count claim."""

    vocab: Vocabulary
    text: str
    sentence: Sentence
    tokens: list[Token]
    last: dict[str, Reading] = field(default_factory=dict)
    previous: tuple[int, Claim] | None = None


def extract(raw: str, vocab: Vocabulary) -> tuple[list[Claim], str, list[tuple[int, int]]]:
    """Every claim of a narrative text, with the masked text and its spans in ``raw``."""
    text, spans = mask(raw)
    claims = [c for s in sentences(text) for c in sentence_claims(vocab, text, s)]
    return claims, text, spans


def sentence_claims(vocab: Vocabulary, text: str, sentence: Sentence) -> list[Claim]:
    ctx = _Context(vocab, text, sentence, tokenise(vocab, text, sentence.start, sentence.end))
    out: list[Claim] = []
    for i, tok in enumerate(ctx.tokens):
        if tok.kind != "number":
            continue
        claim = _percent_claim(ctx, i) if tok.percent else _number_claim(ctx, i)
        if claim is None:
            continue
        ctx.last[claim.frame] = claim.reading
        if claim.kind != "percent":
            ctx.previous = (i, claim)
        if claim.written is not None:
            out.append(claim)
    for clause in _clauses(ctx.tokens):
        out.extend(_zero_claims(ctx, clause))
        out.extend(_presence_claims(ctx, clause))
    out.extend(_universal_claims(ctx))
    return out


def _clauses(tokens: list[Token]) -> Iterator[list[Token]]:
    clause: list[Token] = []
    for tok in tokens:
        if tok.kind == "sep":
            yield clause
            clause = []
        else:
            clause.append(tok)
    yield clause


def _segment(tokens: list[Token], i: int) -> list[Token]:
    """The words right before token ``i``, back to the previous number or clause mark."""
    j = i
    while j > 0 and tokens[j - 1].kind == "word":
        j -= 1
    return tokens[j:i]


def _ahead(tokens: list[Token], i: int) -> list[Token]:
    k = i + 1
    while k < len(tokens) and tokens[k].kind == "word":
        k += 1
    return tokens[i + 1 : k]


@dataclass(frozen=True, slots=True)
class _Subject:
    frame: Frame
    reading: Reading
    alternatives: tuple[Reading, ...]
    start: int


def _terms(seg: Sequence[Token], frame: str | None = None) -> list[tuple[int, Token, Term]]:
    """The term tokens of ``seg`` (of one frame if given), with their index and term."""
    return [
        (k, t, t.term)
        for k, t in enumerate(seg)
        if t.term is not None and (frame is None or t.term.frame == frame)
    ]


def _axis(
    seg: Sequence[Token], frame: Frame, axis: str
) -> tuple[tuple[str, ...], Token, tuple[str, ...] | None] | None:
    """The values ``seg`` gives ``axis``: the nearest term's, or coordinated terms' sum.

    Returns (values, the nearest term's token, a narrower reading also tried) or None.
    """
    found = {k: term for k, _, term in _terms(seg, frame.name) if axis in term.reading}
    if not found:
        return None
    strong = [k for k, term in found.items() if not term.weak]
    k = (strong or list(found))[-1]
    chosen = seg[k]
    values = found[k].reading[axis]
    while k >= 2 and seg[k - 1].has("conjunctions") and (k - 2) in found:
        values = found[k - 2].reading[axis] + values
        k -= 2
    narrower = [
        found[j].reading[axis]
        for j in strong
        if j < k and all(v.startswith(c + ".") for v in found[j].reading[axis] for c in values)
    ]
    return values, chosen, narrower[-1] if narrower else None


def _subject(
    ctx: _Context, seg: Sequence[Token], ahead: Sequence[Token], until: int, *, inherit: bool = True
) -> _Subject | None:
    """The frame and reading the terms of ``seg`` give, or None when no term anchors it."""
    anchors = _terms(seg)
    if not anchors:
        return None
    strong = [term for _, _, term in anchors if not term.weak]
    frame = ctx.vocab.frames[(strong or [term for _, _, term in anchors])[-1].frame]
    if frame.context and not any(w in ctx.text[:until] for w in frame.context):
        return None
    inherit = inherit and any(not t.weak for _, _, t in _terms(seg, frame.name))
    reading: dict[str, tuple[str, ...]] = {}
    alternatives: list[Reading] = []
    start = min(t.start for _, t, _ in _terms(seg, frame.name))
    for axis in frame.axes:
        got = _axis(seg, frame, axis) or (
            _axis(ahead, frame, axis) if axis in frame.lookahead else None
        )
        if got is None:
            filled = _fill(ctx, frame, axis, inherit=inherit)
            if filled is None:
                return None
            reading[axis] = filled
            continue
        values, chosen, narrower = got
        if not _needs_met(ctx, chosen, until):
            return None
        reading[axis] = values
        if chosen.term is not None and chosen.term.alternative:
            alternatives.append(chosen.term.alternative)
        if narrower:
            alternatives.append({axis: narrower})
    full = tuple({**reading, **alt} for alt in alternatives)
    return _Subject(frame, reading, full, start)


def _needs_met(ctx: _Context, tok: Token, until: int) -> bool:
    needs = tok.term.needs if tok.term else ()
    return not needs or any(w in ctx.text[ctx.sentence.start : until] for w in needs)


def _fill(ctx: _Context, frame: Frame, axis: str, *, inherit: bool) -> tuple[str, ...] | None:
    """An axis no term named: its default, the sentence's previous value, or the fallback."""
    if axis in frame.defaults:
        return frame.defaults[axis]
    last = ctx.last.get(frame.name, {})
    if inherit and axis in frame.inherit and axis in last:
        return last[axis]
    return frame.fallback.get(axis)


def _blocked(ctx: _Context, seg: Sequence[Token], tok: Token) -> bool:
    after = ctx.text[tok.end : tok.end + 4]
    return any(t.has("blockers") for t in seg) or after.startswith(ctx.vocab.not_after)


def _number_claim(ctx: _Context, i: int) -> Claim | None:
    tok = ctx.tokens[i]
    seg = _segment(ctx.tokens, i)
    if tok.unit is None or _blocked(ctx, seg, tok):
        return None
    subject = _subject(ctx, seg, _ahead(ctx.tokens, i), tok.start)
    if subject is None or tok.unit not in subject.frame.units:
        return None
    readings = _readings(ctx.vocab, subject.frame, [subject.reading, *subject.alternatives])
    if not readings:
        return None
    kind: Kind = "amount" if subject.frame.money else "count"
    return Claim(
        kind,
        RULES[kind],
        ctx.sentence,
        subject.start,
        tok.end,
        subject.frame.name,
        subject.reading,
        readings,
        written=tok.value,
        places=tok.places,
        shown=ctx.text[tok.start : tok.end],
        factor=subject.frame.units[tok.unit],
    )


def _readings(vocab: Vocabulary, frame: Frame, readings: Sequence[Reading]) -> tuple[Expr, ...]:
    """The distinct expressions of ``readings``; () when the first names no cell."""
    out: list[Expr] = []
    for reading in readings:
        expr = vocab.expand(frame, reading)
        if not expr and not out:
            return ()
        if expr and expr not in out:
            out.append(expr)
    return tuple(out)


def _percent_claim(ctx: _Context, i: int) -> Claim | None:
    tok = ctx.tokens[i]
    seg = _segment(ctx.tokens, i)
    if _blocked(ctx, seg, tok):
        return None
    cut = max((k for k, t in enumerate(seg) if t.has("percent")), default=None)
    part_seg, base_seg = (seg, []) if cut is None else (seg[:cut], seg[cut + 1 :])
    subject = _subject(ctx, part_seg, (), tok.start)
    if subject is None:
        subject = _previous_subject(ctx, i, seg)
    if subject is None or subject.frame.percent_base is None:
        return None
    bases = _bases(ctx, subject, base_seg)
    part = ctx.vocab.expand(subject.frame, subject.reading)
    if not part or not bases:
        return None
    return Claim(
        "percent",
        RULES["percent"],
        ctx.sentence,
        subject.start,
        tok.end,
        subject.frame.name,
        subject.reading,
        (part,),
        written=tok.value,
        places=tok.places,
        shown=ctx.text[tok.start : tok.end],
        bases=bases,
    )


def _previous_subject(ctx: _Context, i: int, seg: Sequence[Token]) -> _Subject | None:
    """A share with no subject of its own (60件，占66.7%) is of the count just before it."""
    if ctx.previous is None:
        return None
    k, claim = ctx.previous
    if any(t.term for t in ctx.tokens[k + 1 : i] if t not in seg):
        return None
    return _Subject(ctx.vocab.frames[claim.frame], claim.reading, (), claim.start)


def _bases(ctx: _Context, subject: _Subject, base_seg: Sequence[Token]) -> tuple[Expr, ...]:
    frame = subject.frame
    until = base_seg[-1].end if base_seg else 0
    named = _subject(ctx, base_seg, (), until, inherit=False) if base_seg else None
    if named is not None and named.frame is frame:
        return _readings(ctx.vocab, frame, [named.reading])
    base = {**frame.defaults, **(frame.percent_base or {})}
    own = {**subject.reading, **{a: frame.defaults[a] for a in frame.percent_also}}
    return _readings(ctx.vocab, frame, [base, own])


def _reading_of(ctx: _Context, terms: Sequence[Term], frame: Frame) -> Reading | None:
    """The summed reading of coordinated terms, completed with defaults and fallbacks."""
    reading: dict[str, tuple[str, ...]] = {}
    for term in terms:
        for axis, values in term.reading.items():
            reading[axis] = reading.get(axis, ()) + values
    for axis in frame.axes:
        if axis not in reading:
            filled = _fill(ctx, frame, axis, inherit=False)
            if filled is None:
                return None
            reading[axis] = filled
    return reading


def _simple_claim(
    ctx: _Context, kind: Kind, rule: str, frame: Frame, reading: Reading, start: int, end: int
) -> list[Claim]:
    expr = ctx.vocab.expand(frame, reading)
    if not expr:
        return []
    return [Claim(kind, rule, ctx.sentence, start, end, frame.name, reading, (expr,))]


def _zero_claims(ctx: _Context, clause: list[Token]) -> list[Claim]:
    """没有……行政复议或行政诉讼, 无结转下年度……, 未收取信息处理费: those cells are 0."""
    if any(t.kind == "number" for t in clause):
        return []
    for a, neg in enumerate(clause):
        if not neg.has("negations") or neg.term:
            continue
        terms = _terms(clause[a + 1 :])
        if not terms or not terms[0][2].zero or terms[0][1].start - neg.end > _ZERO_REACH:
            continue
        joined = _coordinated(clause[a + 1 :], terms[0][0])
        frame = ctx.vocab.frames[joined[0].frame]
        reading = _reading_of(ctx, joined, frame)
        if reading is not None:
            end = clause[a + 1 + terms[0][0] + 2 * (len(joined) - 1)].end
            return _simple_claim(ctx, "none", RULES["none"], frame, reading, neg.start, end)
    return []


def _coordinated(seg: Sequence[Token], k: int) -> list[Term]:
    """The deniable term at ``k`` and those joined to it by conjunctions (复议或诉讼)."""
    first = seg[k].term
    assert first is not None
    joined = [first]
    while k + 2 < len(seg) and seg[k + 1].has("conjunctions"):
        nxt = seg[k + 2].term
        if nxt is None or not nxt.zero or nxt.frame != first.frame:
            break
        joined.append(nxt)
        k += 2
    return joined


def _presence_claims(ctx: _Context, clause: list[Token]) -> list[Claim]:
    """结转下年度办理 with no number says that some applications were carried forward."""
    if any(t.kind == "number" or t.has("negations") for t in clause):
        return []
    for tok in clause:
        if tok.term and tok.term.presence:
            frame = ctx.vocab.frames[tok.term.frame]
            reading = _reading_of(ctx, [tok.term], frame)
            if reading is not None:
                return _simple_claim(ctx, "some", RULES["some"], frame, reading, tok.start, tok.end)
    return []


def _universal_claims(ctx: _Context) -> list[Claim]:
    """均已办结 (so nothing is carried forward), 均获维持 (so nothing was corrected …)."""
    out: list[Claim] = []
    seen: set[str] = set()
    tokens = ctx.tokens
    for u, tok in enumerate(tokens):
        uni = tok.word.universal if tok.word else None
        if uni is None or uni.id in seen or not _quantified(tokens, u):
            continue
        text = ctx.sentence.text
        if (uni.requires and not any(w in text for w in uni.requires)) or any(
            w in text for w in uni.excludes
        ):
            continue
        frame = ctx.vocab.frames[uni.frame]
        reading = _universal_reading(ctx, uni, frame, tokens[:u])
        if reading is not None:
            seen.add(uni.id)
            out += _simple_claim(
                ctx, "universal", uni.rule, frame, reading, ctx.sentence.start, tok.end
            )
    return out


def _quantified(tokens: list[Token], u: int) -> bool:
    """A quantifier (均, 全部 …) stands before token ``u`` in its clause, with no number between."""
    for tok in reversed(tokens[:u]):
        if tok.kind != "word":
            return False
        if tok.has("quantifiers"):
            return True
    return False


def _universal_reading(
    ctx: _Context, uni: Universal, frame: Frame, before: Sequence[Token]
) -> Reading | None:
    reading: dict[str, tuple[str, ...]] = dict(uni.zero)
    for axis in frame.axes:
        if axis in reading:
            continue
        got = _axis(before, frame, axis)
        values = got[0] if got else _fill(ctx, frame, axis, inherit=True)
        if values is None:
            return None
        reading[axis] = values
    return reading


# --------------------------------------------------------------------------- assessing


@dataclass(frozen=True, slots=True)
class Finding:
    """A claim the tables contradict (error) or support only on a second reading (warning)."""

    rule: str
    severity: Severity
    claim: Claim
    tail: str
    """The message after the quote: what the tables say."""
    expected: str
    found: str
    hint: str | None = None

    @property
    def fingerprint(self) -> str:
        """Stable across edits elsewhere: the rule, the cells and the sentence, whitespace aside."""
        cells = "+".join(".".join(p) for p in self.claim.readings[0])
        sentence = re.sub(r"\s+", "", self.claim.sentence.text)
        digest = hashlib.sha256(f"{self.rule}|{cells}|{sentence}".encode()).hexdigest()
        return digest[:16]


def _value(expr: Expr, lookup: Lookup) -> Decimal | None:
    total = Decimal(0)
    for path in expr:
        v = lookup(path)
        if v is None:
            return None
        total += v
    return total


def assess(claims: Sequence[Claim], vocab: Vocabulary, lookup: Lookup) -> list[Finding]:
    """The findings of ``claims`` against the tables; claims on unreadable cells are skipped."""
    out: list[Finding] = []
    for claim in claims:
        if claim.kind == "percent":
            finding = _assess_percent(claim, vocab, lookup)
        elif claim.kind in ("count", "amount"):
            finding = _assess_figure(claim, vocab, lookup)
        else:
            finding = _assess_state(claim, vocab, lookup)
        if finding is not None:
            out.append(finding)
    return out


def _fmt(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _assess_figure(claim: Claim, vocab: Vocabulary, lookup: Lookup) -> Finding | None:
    assert claim.written is not None
    written = claim.written * claim.factor
    values = [_value(e, lookup) for e in claim.readings]
    if values[0] is None or written == values[0]:
        return None
    first = f"{name(claim.readings[0], vocab)} 为 {_fmt(values[0])}"
    for expr, value in zip(claim.readings[1:], values[1:], strict=True):
        if value is not None and value == written:
            tail = f"{first}；按另一种理解（{name(expr, vocab)}）为 {_fmt(value)}，与叙述相符"
            hint = "叙述可以有两种理解，已按两种理解核对；请改写得更明确"
            return Finding(AMBIGUOUS, "warning", claim, tail, _fmt(value), claim.shown, hint)
    others = [
        f"{name(e, vocab)} 为 {_fmt(v)}"
        for e, v in zip(claim.readings[1:], values[1:], strict=True)
        if v is not None
    ]
    also = f"也按另一种理解核对了：{'；'.join(others)}" if others else None
    note = _unit_note(claim)
    return Finding(claim.rule, "error", claim, first + note, _fmt(values[0]), claim.shown, also)


def _unit_note(claim: Claim) -> str:
    if claim.factor == 1:
        return ""
    assert claim.written is not None
    return f"（叙述的 {claim.shown} 折合 {_fmt(claim.written * claim.factor)}）"


def _assess_percent(claim: Claim, vocab: Vocabulary, lookup: Lookup) -> Finding | None:
    assert claim.written is not None
    part = _value(claim.readings[0], lookup)
    quantum = Decimal(1).scaleb(-claim.places)
    shares: list[tuple[Expr, Decimal, Decimal]] = []
    for base in claim.bases:
        whole = _value(base, lookup)
        if part is None or not whole:
            continue
        exact = part * 100 / whole
        if exact.quantize(quantum, ROUND_HALF_UP) == claim.written:
            return None
        shares.append((base, whole, exact))
    if part is None or not shares:
        return None
    base, whole, exact = shares[0]
    rounded = exact.quantize(quantum, ROUND_HALF_UP)
    tail = (
        f"{name(claim.readings[0], vocab)} 为 {_fmt(part)}，"
        f"占 {name(base, vocab)}（{_fmt(whole)}）的 {rounded}%"
    )
    if exact.quantize(quantum, ROUND_DOWN) == claim.written:
        hint = "百分比应四舍五入，叙述的数字是截断（舍去）得到的"
        return Finding(TRUNCATED, "warning", claim, tail, f"{rounded}%", claim.shown, hint)
    others = [
        f"占 {name(b, vocab)}（{_fmt(w)}）的 {e.quantize(quantum, ROUND_HALF_UP)}%"
        for b, w, e in shares[1:]
    ]
    also = f"也按另一种基数核对了：{'；'.join(others)}" if others else None
    return Finding(claim.rule, "error", claim, tail, f"{rounded}%", claim.shown, also)


_EXPECTED: Final = {"none": "0", "some": "大于 0", "universal": "0"}


def _assess_state(claim: Claim, vocab: Vocabulary, lookup: Lookup) -> Finding | None:
    value = _value(claim.readings[0], lookup)
    if value is None:
        return None
    holds = value > 0 if claim.kind == "some" else value == 0
    if holds:
        return None
    severity: Severity = "warning" if claim.kind == "some" else "error"
    expected = _EXPECTED[claim.kind]
    tail = f"{name(claim.readings[0], vocab)} 为 {_fmt(value)}"
    return Finding(claim.rule, severity, claim, tail, expected, _fmt(value))


def name(expr: Expr, vocab: Vocabulary) -> str:
    """How a message names cells: one label path, a group and a count, or the parts summed."""
    labels = [vocab.labels[p] for p in expr]
    first = labels[0]
    if len(labels) == 1:
        return label_path(first)
    head = tail = 0
    while all(len(lab) > head + 1 and lab[head] == first[head] for lab in labels):
        head += 1
    while all(len(lab) > head + tail + 1 and lab[-1 - tail] == first[-1 - tail] for lab in labels):
        tail += 1
    end = len(first) - tail
    if len(labels) > 3 and head >= 2 and tail:
        group = f"{first[head - 1]}（{len(labels)} 项之和）"
        return label_path((*first[: head - 1], group, *first[end:]))
    parts = "＋".join(label_path(lab[head : len(lab) - tail]) for lab in labels)
    return label_path((*first[:head], f"（{parts}）", *first[end:]))


# --------------------------------------------------------------------------- reporting


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a narrative value sits in its YAML file, to point at a sentence's own position.

    ``where`` is the value's node (for a block scalar, the ``|`` or ``>`` indicator);
    ``indent`` is the column its text lines start at.  Literal (``|``) blocks map exactly;
    folded (``>``) blocks and multi-line flow scalars join lines, so their lines are
    approximate (never past the value's end).
    """

    where: Location
    style: str = ""
    indent: int = 0

    def at(self, raw: str, offset: int) -> Location:
        w = self.where
        if not w.line:
            return w
        line = raw.count("\n", 0, offset)
        col = offset - (raw.rfind("\n", 0, offset) + 1)
        if self.style in ("|", ">"):
            return Location(w.file, w.line + 1 + line, self.indent + col + 1)
        quote = 1 if self.style in ('"', "'") else 0
        return Location(w.file, w.line + line, (w.column + quote + col) if not line else col + 1)


def _quote(claim: Claim, text: str) -> tuple[int, int]:
    """The span of the sentence to quote: all of it, or the clauses of the claim if long."""
    s = claim.sentence
    if s.end - s.start <= _QUOTE_MAX:
        return s.start, s.end
    lo = max(s.start, max(text.rfind(c, s.start, claim.start) for c in "，,；;：:") + 1)
    ends = [k for c in "，,；;：:" if (k := text.find(c, claim.end, s.end)) >= 0]
    return lo, min(ends, default=s.end)


def check_narrative(
    raw: str,
    vocab: Vocabulary,
    lookup: Lookup,
    *,
    place: Placement,
    labels: tuple[str, ...] = (),
) -> list[Diagnostic]:
    """A diagnostic for each claim of ``raw`` (narrative before expansion) the tables contradict."""
    claims, text, spans = extract(raw, vocab)
    out: list[Diagnostic] = []
    for f in assess(claims, vocab, lookup):
        lo, hi = _quote(f.claim, text)
        quote = raw[spans[lo][0] : spans[hi - 1][1]].replace("**", "").replace("\n", "").strip()
        s = f.claim.sentence
        quote = ("…" if lo > s.start else "") + quote + ("…" if hi < s.end else "")
        message = f"叙述写“{quote}”，但{f.tail}"
        where = place.at(raw, spans[lo][0])
        out.append(
            Diagnostic(
                f.severity, f.rule, where, message, labels,
                expected=f.expected, found=f.found, hint=f.hint,
            )
        )  # fmt: skip
    return out


def checked_values(values: Mapping[Path, int | Decimal]) -> Lookup:
    """A lookup over computed table values (and fields), every cell readable."""

    def lookup(path: Path) -> Decimal | None:
        v = values.get(path)
        return None if v is None or isinstance(v, bool) else Decimal(v)

    return lookup
