"""Quantity claims in the narrative, read with the format's vocabulary.

Authors type figures into their text — 收到申请十七件, 予以公开60件（33.9%）, 没有发生行政复议 —
and a published report whose text and tables disagree is wrong.  Each sentence is cut
into tokens (``claims_text``), each number is attached to the terms before it in its
clause, and the terms name a table expression (a sum of cells); denials (没有……),
quantified statements (均已办结, 均获维持) and numberless mentions (结转下年度办理) are claims
too.  A sentence none of whose numbers attaches to a term says nothing about the tables
and yields no claim: ordinary sentences such as 全年主动公开政府信息10407条 must never raise
an alarm.  ``claims_check`` compares the claims with the tables.  The words themselves
are format data (``claims:``), compiled by ``claims_vocab``; nothing here knows a label.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final, Literal

from .claims_text import MAX_TOKENS, Sentence, Spans, Token, mask, normalise, sentences, tokens
from .claims_vocab import Expr, Frame, Reading, Term, Universal, Vocabulary

__all__ = ["RULES", "Claim", "Kind", "extract", "sentence_claims"]

Kind = Literal["count", "amount", "percent", "none", "some", "universal"]

RULES: Final = {
    "count": "N-COUNT",
    "amount": "N-AMOUNT",
    "percent": "N-PERCENT",
    "none": "N-NONE",
    "some": "N-SOME",
}
"""The rule a contradicted claim breaks, by kind; universal claims name theirs in the data."""

_REACH: Final = 16
"""How many words before a number can name its subject (a clause holds far fewer)."""
_ZERO_REACH: Final = 25
"""How far (in characters) a negation reaches forward to the term it denies."""


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
    first: Mapping[str, int]
    last: dict[str, Reading] = field(default_factory=dict)
    previous: tuple[int, Claim] | None = None
    _found: dict[str, int] = field(default_factory=dict)

    def found(self, word: str) -> int:
        """Where ``word`` first occurs in the sentence (-1: nowhere), looked up once."""
        if word not in self._found:
            s = self.sentence
            self._found[word] = self.text.find(word, s.start, s.end)
        return self._found[word]


def extract(raw: str, vocab: Vocabulary) -> tuple[list[Claim], str, Spans]:
    """Every claim of a narrative text, with the masked text and its spans in ``raw``."""
    text, spans = mask(raw)
    first = {w: text.find(w) for f in vocab.frames.values() for w in f.context}
    stream = tokens(vocab, normalise(text))
    pending = next(stream, None)
    claims: list[Claim] = []
    for sentence in sentences(text):
        found: list[Token] = []
        while pending is not None and pending.start < sentence.end:
            if pending.start >= sentence.start and len(found) < MAX_TOKENS:
                found.append(pending)
            pending = next(stream, None)
        if any(_telling(t) for t in found):
            claims += sentence_claims(vocab, text, sentence, first, found)
    return claims, text, spans


def _telling(tok: Token) -> bool:
    """Whether a token can start a claim: a number, a denial, a quantifier, a mention."""
    if tok.kind != "word" or tok.word is None:
        return tok.kind == "number"
    return bool(tok.word.roles) or bool(tok.term and tok.term.presence)


def sentence_claims(
    vocab: Vocabulary,
    text: str,
    sentence: Sentence,
    first: Mapping[str, int],
    found: list[Token],
) -> list[Claim]:
    """The claims of one sentence's tokens; ``first`` is where each context word first occurs."""
    ctx = _Context(vocab, text, sentence, found, first)
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
    while j > max(0, i - _REACH) and tokens[j - 1].kind == "word":
        j -= 1
    return tokens[j:i]


def _ahead(tokens: list[Token], i: int) -> list[Token]:
    k = i + 1
    while k < len(tokens) and tokens[k].kind == "word":
        k += 1
    return tokens[i + 1 : k]


@dataclass(frozen=True, slots=True)
class _Axis:
    values: tuple[str, ...]
    token: Token
    """The term that gave the values (its ``or`` reading is tried too)."""
    other: tuple[str, ...] | None
    """A second reading of the axis: the category of a sub-item."""


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


def _axis(seg: Sequence[Token], frame: Frame, axis: str) -> _Axis | None:
    """The values ``seg`` gives ``axis``: the nearest term's, or coordinated terms' sum.

    A sub-item before its category (因本机关不掌握相关政府信息而无法提供) is what is meant,
    with the category as a second reading — unless 等 generalises it to the category.
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
    for j in reversed([j for j in strong if j < k]):
        sub = found[j].reading[axis]
        if all(v.startswith(c + ".") for v in sub for c in values):
            if any(t.has("generalisers") for t in seg[j + 1 : k]):
                break
            return _Axis(sub, seg[j], values)
    return _Axis(values, chosen, None)


def _subject(
    ctx: _Context, seg: Sequence[Token], ahead: Sequence[Token], until: int, *, inherit: bool = True
) -> _Subject | None:
    """The frame and reading the terms of ``seg`` give, or None when no term anchors it."""
    anchors = _terms(seg)
    if not anchors:
        return None
    strong = [term for _, _, term in anchors if not term.weak]
    frame = ctx.vocab.frames[(strong or [term for _, _, term in anchors])[-1].frame]
    if frame.context and not any(0 <= ctx.first[w] < until for w in frame.context):
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
        if not _needs_met(ctx, got.token, until):
            return None
        reading[axis] = got.values
        if got.token.term is not None and got.token.term.alternative:
            alternatives.append(got.token.term.alternative)
        if got.other:
            alternatives.append({axis: got.other})
    full = tuple({**reading, **alt} for alt in alternatives)
    return _Subject(frame, reading, full, start)


def _needs_met(ctx: _Context, tok: Token, until: int) -> bool:
    needs = tok.term.needs if tok.term else ()
    return not needs or any(0 <= ctx.found(w) < until for w in needs)


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
    if i - k > _REACH or any(t.term for t in ctx.tokens[k + 1 : i] if t not in seg):
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


def _reading_of(
    ctx: _Context, terms: Sequence[Term], frame: Frame, rest: Sequence[Token] = ()
) -> Reading | None:
    """The summed reading of coordinated terms, completed from ``rest`` or with defaults."""
    reading: dict[str, tuple[str, ...]] = {}
    for term in terms:
        for axis, values in term.reading.items():
            reading[axis] = reading.get(axis, ()) + values
    for axis in frame.axes:
        if axis in reading:
            continue
        later = _axis(rest, frame, axis)
        filled = later.values if later else _fill(ctx, frame, axis, inherit=False)
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
    """没有……行政复议或行政诉讼, 无结转下年度……, 未收取信息处理费: those cells are 0.

    A negation denies the first term after it in its clause, if that term can be denied,
    with the terms joined to it and any later term of the clause that narrows it
    (未发生行政复议被纠正的情况 denies 纠正 only).  A clause with a number states a figure,
    and one with a blocker (败诉, 追责) denies something else.
    """
    if any(t.kind == "number" or t.has("blockers") for t in clause):
        return []
    negation: Token | None = None
    for k, tok in enumerate(clause):
        if tok.term is None:
            if tok.has("negations"):
                negation = tok
            continue
        if negation is None:
            continue
        if tok.term.zero and tok.start - negation.end <= _ZERO_REACH:
            joined = _coordinated(clause, k)
            frame = ctx.vocab.frames[joined[0].frame]
            rest = clause[k + 2 * len(joined) - 1 :]
            reading = _reading_of(ctx, joined, frame, rest)
            if reading is not None:
                end = clause[k + 2 * (len(joined) - 1)].end
                return _simple_claim(
                    ctx, "none", RULES["none"], frame, reading, negation.start, end
                )
        negation = None
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
        if (uni.requires and all(ctx.found(w) < 0 for w in uni.requires)) or any(
            ctx.found(w) >= 0 for w in uni.excludes
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
    """A quantifier stands before token ``u`` in its clause, with no number between.

    均已 and 均为 reach over the clause (均已在法定期限内办结); 均 and 全部 only touch the verb.
    """
    if u and tokens[u - 1].has("quantifiers_adjacent") and tokens[u - 1].end == tokens[u].start:
        return True
    for tok in reversed(tokens[max(0, u - _REACH) : u]):
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
        values = got.values if got else _fill(ctx, frame, axis, inherit=True)
        if values is None:
            return None
        reading[axis] = values
    return reading
