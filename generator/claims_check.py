"""Narrative claims against the tables: findings, their messages and where they point.

``claims`` says what a sentence states; this module looks the cells up and decides.
Only an unambiguous contradiction is an error (a wrong report must not build); a figure
that fits only a second reading (受理 counted with 上年结转), or a percentage truncated
instead of rounded, is a warning that names the readings tried.  A claim whose cells
cannot be read is not assessed.  Each finding quotes its sentence, points at the
sentence's own line and column in the YAML, and has a fingerprint that survives edits
elsewhere in the file.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Final

from .claims import Claim, extract
from .claims_vocab import Expr, Vocabulary
from .errors import Diagnostic, Location, Severity, label_path

__all__ = [
    "AMBIGUOUS",
    "TRUNCATED",
    "Finding",
    "Lookup",
    "Placement",
    "assess",
    "check_narrative",
    "checked_values",
    "name",
]

Path = tuple[str, ...]
Lookup = Callable[[Path], Decimal | None]
"""The value of one cell, or None when it cannot be read (the claim is then not assessed)."""

AMBIGUOUS: Final = "N-AMBIGUOUS"
TRUNCATED: Final = "N-PERCENT-TRUNCATED"
_QUOTE_MAX: Final = 60
_CLAUSE_MARKS: Final = "，,；;：:"
MAX_FINDINGS: Final = 100
"""Findings listed per narrative value; a text with more is not a report's narrative."""


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
    def subject(self) -> str:
        """What the finding is about: the cells and the sentence, whitespace aside.

        With the rule it makes the diagnostic's fingerprint, so the fingerprint stays
        the same when unrelated text moves.
        """
        cells = "+".join(".".join(p) for p in self.claim.readings[0])
        sentence = re.sub(r"\s+", "", self.claim.sentence.text)
        return f"{cells}|{sentence}"

    @property
    def fingerprint(self) -> str:
        """The fingerprint the diagnostic made from this finding carries."""
        return hashlib.sha256(f"{self.rule}\0{self.subject}".encode()).hexdigest()[:8]


def _value(expr: Expr, lookup: Lookup) -> Decimal | None:
    total = Decimal(0)
    for path in expr:
        v = lookup(path)
        if v is None:
            return None
        total += v
    return total


def assess(
    claims: Sequence[Claim], vocab: Vocabulary, lookup: Lookup, limit: int | None = None
) -> list[Finding]:
    """The findings of ``claims`` (at most ``limit``); claims on unreadable cells are skipped."""
    out: list[Finding] = []
    for claim in claims:
        if limit is not None and len(out) >= limit:
            break
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
    """How a message names cells: a label path, with the summed parts of each level in （＋）.

    表四 › （未经复议直接起诉＋复议后起诉） › 总计 for a product of levels; numbered sub-rows
    are counted instead of listed: 表三 › （三）不予公开（8 项之和） › 总计.
    """
    labels = [vocab.labels[p] for p in expr]
    levels: list[list[str]] = []
    for lab in labels:
        if len(lab) != len(labels[0]):
            return " + ".join(label_path(lab) for lab in labels)
        for k, part in enumerate(lab):
            if k == len(levels):
                levels.append([])
            if part not in levels[k]:
                levels[k].append(part)
    if len(set(labels)) != _product(len(level) for level in levels):
        return " + ".join(label_path(lab) for lab in labels)
    shown: list[str] = []
    for level in levels:
        if len(level) == 1:
            shown.append(level[0])
        elif len(level) > 3 and shown and all(v[:1].isdigit() for v in level):
            shown[-1] += f"（{len(level)} 项之和）"
        else:
            shown.append(f"（{'＋'.join(level)}）")
    return label_path(shown)


def _product(sizes: Iterable[int]) -> int:
    out = 1
    for size in sizes:
        out *= size
    return out


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a narrative value sits in its YAML file, to point at a sentence's own position.

    ``where`` is the value's node (for a block scalar, the ``|`` or ``>`` indicator);
    ``indent`` is the column its text lines start at.  Literal (``|``) blocks and
    single-line scalars map exactly; folded (``>``) blocks and multi-line flow scalars
    join lines when YAML reads them, so there the line is approximate (it can be early).
    """

    where: Location
    style: str = ""
    indent: int = 0

    def at(self, line: int, col: int) -> Location:
        """The file position of column ``col`` of line ``line`` (both from 0) of the value."""
        w = self.where
        if not w.line:
            return w
        if self.style in ("|", ">"):
            return Location(w.file, w.line + 1 + line, self.indent + col + 1)
        quote = 1 if self.style in ('"', "'") else 0
        return Location(w.file, w.line + line, (w.column + quote + col) if not line else col + 1)


class _Lines:
    """Line and column of offsets in a text, by bisection over its line starts."""

    def __init__(self, text: str) -> None:
        self.starts = [0, *(m.end() for m in re.finditer("\n", text))]

    def __call__(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset) - 1
        return line, offset - self.starts[line]


def _quote(claim: Claim, text: str) -> tuple[int, int]:
    """The span of the sentence to quote: all of it, or the clauses of the claim if long."""
    s = claim.sentence
    if s.end - s.start <= _QUOTE_MAX:
        return s.start, s.end
    lo = max(s.start, claim.start - _QUOTE_MAX)
    lo = max(lo, max(text.rfind(c, lo, claim.start) for c in _CLAUSE_MARKS) + 1)
    hi = min(s.end, claim.end + _QUOTE_MAX)
    ends = [k for c in _CLAUSE_MARKS if (k := text.find(c, claim.end, hi)) >= 0]
    return lo, min(ends, default=hi)


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
    findings = assess(claims, vocab, lookup, MAX_FINDINGS + 1)
    lines = _Lines(raw)
    out: list[Diagnostic] = []
    for f in findings[:MAX_FINDINGS]:
        lo, hi = _quote(f.claim, text)
        quote = raw[spans[lo][0] : spans[hi - 1][1]].replace("**", "").replace("\n", "").strip()
        s = f.claim.sentence
        quote = ("…" if lo > s.start else "") + quote + ("…" if hi < s.end else "")
        out.append(
            Diagnostic(
                f.severity, f.rule, place.at(*lines(spans[lo][0])), f"叙述写“{quote}”，但{f.tail}",
                labels, expected=f.expected, found=f.found, hint=f.hint,
                subject=f.subject,
            )
        )  # fmt: skip
    if len(findings) > MAX_FINDINGS:
        more = findings[MAX_FINDINGS]
        message = f"叙述与表格不符之处超过 {MAX_FINDINGS} 处，其余未逐一列出"
        out.append(Diagnostic(more.severity, more.rule, place.at(0, 0), message, labels))
    return out


def checked_values(values: Mapping[Path, object], unreadable: Collection[Path] = ()) -> Lookup:
    """A lookup over table values and fields; ``unreadable`` cells and non-numbers are None."""

    def lookup(path: Path) -> Decimal | None:
        v = values.get(path)
        if path in unreadable or isinstance(v, bool) or not isinstance(v, int | Decimal):
            return None
        return Decimal(v)

    return lookup
