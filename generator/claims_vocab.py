"""The claim vocabulary of a format (``claims:`` in its data file), compiled once at load.

A narrative states figures in the words of the official tables — 予以公开60件, 行政复议2件,
收费18651.06万元 — and ``claims`` reads them with this vocabulary: which words name which
cells, in which units, and which words deny, generalise or disqualify a figure.  All of it
is format data; this module only checks it and turns it into frozen values, so that a
mistake in the data fails at load, never while reading a report.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .spec import FormatDataError

if TYPE_CHECKING:
    from .spec import Section, Table

__all__ = [
    "Expr",
    "Frame",
    "Reading",
    "Term",
    "Universal",
    "Vocabulary",
    "Word",
    "compile_vocabulary",
]

Path = tuple[str, ...]
Expr = tuple[Path, ...]
"""A table expression: the sum of these cells (leaf paths of the YAML), in table order."""
Reading = Mapping[str, tuple[str, ...]]
"""What a claim is about: for each axis of its frame, the values summed over."""

CHINESE_DIGITS = "〇零一二两三四五六七八九十百千万亿"


@dataclass(frozen=True, slots=True)
class Frame:
    """A region of the tables that claims name by axes (表三: row × column)."""

    name: str
    template: str
    axes: tuple[str, ...]
    units: Mapping[str, Decimal]
    """Unit word → factor from a written number to the cell's unit (1 for counts)."""
    money: bool = False
    defaults: Reading = field(default_factory=dict)
    inherit: tuple[str, ...] = ()
    lookahead: tuple[str, ...] = ()
    fallback: Reading = field(default_factory=dict)
    percent_base: Reading | None = None
    percent_also: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    """Words one of which must come earlier in the same narrative part for claims to count."""


@dataclass(frozen=True, slots=True)
class Term:
    """Words that fill axes of a frame: 不予公开 sets 表三's row to （三）."""

    id: str
    frame: str
    reading: Reading
    weak: bool = False
    alternative: Reading | None = None
    zero: bool = False
    presence: bool = False
    needs: tuple[str, ...] = ()
    """Words one of which must come earlier in the sentence for the term to count."""


@dataclass(frozen=True, slots=True)
class Universal:
    """A "均/全部 …" statement: after a quantifier, ``words`` say that ``zero`` cells are 0."""

    id: str
    rule: str
    frame: str
    zero: Reading
    requires: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Word:
    """One surface form and everything it can be: a term, a conjunction, a blocker …"""

    text: str
    term: Term | None = None
    roles: frozenset[str] = frozenset()
    universal: Universal | None = None


@dataclass(frozen=True, slots=True)
class Vocabulary:
    frames: Mapping[str, Frame]
    words: Mapping[str, Word]
    universal: tuple[Universal, ...]
    word_pattern: re.Pattern[str]
    """Every word of the vocabulary, longest first."""
    number_pattern: re.Pattern[str]
    """A number with the unit after it; ＿ stands for a masked reference."""
    percent_signs: frozenset[str]
    not_after: tuple[str, ...]
    labels: Mapping[Path, tuple[str, ...]]
    """Every cell (and section field) a claim can name, in table order, with its labels."""
    _expansions: dict[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], Expr] = field(
        default_factory=dict, compare=False, repr=False
    )

    def expand(self, frame: Frame, reading: Reading) -> Expr:
        """The cells a complete reading of ``frame`` sums; () when one is not in the tables."""
        key = (frame.name, tuple(sorted((a, tuple(v)) for a, v in reading.items())))
        if key not in self._expansions:
            self._expansions[key] = _expand(frame, reading, self.labels)
        return self._expansions[key]


def _expand(frame: Frame, reading: Reading, cells: Mapping[Path, object]) -> Expr:
    if any(axis not in reading for axis in frame.axes):
        return ()
    found: list[Path] = []
    for combo in itertools.product(*(reading[a] for a in frame.axes)):
        path = tuple(frame.template.format(**dict(zip(frame.axes, combo, strict=True))).split("."))
        group = (
            [path]
            if path in cells
            else [c for c in cells if c[: len(path) - 1] == path[:-1] and c[-1] == path[-1]]
        )
        if not group:
            return ()
        found.extend(p for p in group if p not in found)
    return tuple(found)


# --------------------------------------------------------------------------- compiling


def compile_vocabulary(
    raw: Mapping[str, Any] | None, tables: Iterable[Table], sections: Iterable[Section]
) -> Vocabulary | None:
    """Check and compile a format's ``claims:``; a mistake is a FormatDataError, found at load."""
    if not raw:
        return None
    labels: dict[Path, tuple[str, ...]] = {c.path: c.labels for t in tables for c in t.cells}
    for s in sections:
        for f in s.fields:
            labels[(s.key, f.key)] = (s.heading, f.label)
    frames = {name: _frame(name, f, raw["units"]) for name, f in raw["frames"].items()}
    terms = [_term(t, frames) for t in raw.get("terms", ()) if not t.get("drop")]
    universal = tuple(_universal(u, frames) for u in raw.get("universal", ()) if not u.get("drop"))
    words = _words(raw, terms, universal)
    vocab = Vocabulary(
        frames=frames,
        words=words,
        universal=universal,
        word_pattern=re.compile(_trie(words)),
        number_pattern=_number_pattern(raw),
        percent_signs=frozenset(raw["percent"]["signs"]),
        not_after=tuple(sorted(raw.get("not_after", ()), key=len, reverse=True)),
        labels=labels,
    )
    _check(vocab, terms)
    return vocab


def _values(raw: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in raw) if isinstance(raw, list) else (str(raw),)


def _reading(raw: Mapping[str, Any] | None) -> dict[str, tuple[str, ...]]:
    return {str(k): _values(v) for k, v in (raw or {}).items()}


def _frame(name: str, raw: Mapping[str, Any], units: Mapping[str, Any]) -> Frame:
    template = str(raw["cells"])
    unit_set = units[raw["units"]]
    money = isinstance(unit_set, Mapping)
    if money:
        own = Decimal(str(unit_set[raw["unit"]]))
        factors = {str(u): Decimal(str(s)) / own for u, s in unit_set.items()}
    else:
        factors = {str(u): Decimal(1) for u in unit_set}
    base = raw.get("percent_base")
    return Frame(
        name=name,
        template=template,
        axes=tuple(re.findall(r"\{(\w+)\}", template)),
        units=factors,
        money=money,
        defaults=_reading(raw.get("defaults")),
        inherit=tuple(raw.get("inherit", ())),
        lookahead=tuple(raw.get("lookahead", ())),
        fallback=_reading(raw.get("fallback")),
        percent_base=None if base is None else _reading(base),
        percent_also=tuple(raw.get("percent_also", ())),
        context=tuple(str(w) for w in raw.get("context", ())),
    )


def _term(raw: Mapping[str, Any], frames: Mapping[str, Frame]) -> Term:
    frame = frames[raw["frame"]]
    reading = _reading(raw.get("set"))
    alternative = _reading(raw["or"]) if "or" in raw else None
    for axis in [*reading, *(alternative or {})]:
        if axis not in frame.axes:
            raise FormatDataError(f"claims: 词条 {raw['id']} 的 {axis} 不是 {frame.name} 的维度")
    return Term(
        id=str(raw["id"]),
        frame=frame.name,
        reading=reading,
        weak=bool(raw.get("weak")),
        alternative=alternative,
        zero=bool(raw.get("zero")),
        presence=bool(raw.get("presence")),
        needs=tuple(str(w) for w in raw.get("needs", ())),
    )


def _universal(raw: Mapping[str, Any], frames: Mapping[str, Frame]) -> Universal:
    if raw["frame"] not in frames:
        raise FormatDataError(f"claims: {raw['id']} 的 frame {raw['frame']} 未定义")
    return Universal(
        id=str(raw["id"]),
        rule=str(raw["rule"]),
        frame=str(raw["frame"]),
        zero=_reading(raw["zero"]),
        requires=tuple(raw.get("requires", ())),
        excludes=tuple(raw.get("excludes", ())),
    )


_ROLES = (
    "conjunctions",
    "generalisers",
    "negations",
    "quantifiers",
    "quantifiers_adjacent",
    "blockers",
)


def _words(
    raw: Mapping[str, Any], terms: list[Term], universal: tuple[Universal, ...]
) -> dict[str, Word]:
    """Every surface form with its roles; one form names at most one term."""
    terms_of: dict[str, Term] = {}
    for term, spec in zip(
        terms, [t for t in raw.get("terms", ()) if not t.get("drop")], strict=True
    ):
        for text in spec["words"]:
            if str(text) in terms_of:
                raise FormatDataError(f"claims: “{text}” 同时属于 {terms_of[text].id} 和 {term.id}")
            terms_of[str(text)] = term
    roles: dict[str, set[str]] = {}
    for role in _ROLES:
        for text in raw.get(role, ()):
            roles.setdefault(str(text), set()).add(role)
    for text in raw["percent"]["words"]:
        roles.setdefault(str(text), set()).add("percent")
    for text in raw["percent"]["prefixes"]:
        roles.setdefault(str(text), set()).add("percent_prefix")
    verbs: dict[str, Universal] = {}
    unis = [u for u in raw.get("universal", ()) if not u.get("drop")]
    for uni, spec in zip(universal, unis, strict=True):
        for text in spec["words"]:
            verbs[str(text)] = uni
    texts = set(terms_of) | set(roles) | set(verbs)

    def verb(text: str) -> Universal | None:  # 获维持 and 被维持 end in the verb 维持
        return next((u for v, u in verbs.items() if text.endswith(v)), None)

    return {
        t: Word(t, terms_of.get(t), frozenset(roles.get(t, ())), verb(t)) for t in sorted(texts)
    }


def _trie(texts: Iterable[str]) -> str:
    """A regex matching the longest of ``texts`` at a position, factored by common prefixes.

    Every branch starts with a literal, so the regex engine skips in C to the characters
    that can start a word: a 2 MiB narrative is scanned in well under a second.
    """
    root: dict[str, Any] = {}
    for text in texts:
        node = root
        for ch in text:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        alts = [re.escape(ch) + build(sub) for ch, sub in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(root)


def _number_pattern(raw: Mapping[str, Any]) -> re.Pattern[str]:
    """A number (Arabic, Chinese or a masked reference ＿) and the unit written after it.

    The pattern starts with one character class (then tells the forms apart by
    lookbehind), again so that the engine can skip to candidates in C.
    """
    units = [u for group in raw["units"].values() for u in group]
    units += list(raw["percent"]["signs"])
    unit = "|".join(re.escape(u) for u in sorted(set(units), key=lambda u: (-len(u), u)))
    cn = CHINESE_DIGITS
    return re.compile(
        rf"(?P<number>[0-9{cn}＿](?:(?<=[0-9])[0-9]*(?:,[0-9]{{3}})*(?:\.[0-9]+)?"
        rf"|(?<=[{cn}])[{cn}点]*|(?<=＿)))[ \t]*(?P<unit>{unit})?"
    )


def _check(vocab: Vocabulary, terms: list[Term]) -> None:
    """Every combination of axis values a frame can be read with names cells."""
    for frame in vocab.frames.values():
        values: dict[str, set[tuple[str, ...]]] = {a: set() for a in frame.axes}
        sources = [t.reading for t in terms if t.frame == frame.name]
        sources += [t.alternative for t in terms if t.frame == frame.name and t.alternative]
        sources += [frame.defaults, frame.fallback, frame.percent_base or {}]
        sources += [u.zero for u in vocab.universal if u.frame == frame.name]
        for reading in sources:
            for axis, vals in reading.items():
                values[axis].add(vals)
        for combo in itertools.product(*(sorted(values[a]) for a in frame.axes)):
            reading = dict(zip(frame.axes, combo, strict=True))
            if not vocab.expand(frame, reading):
                raise FormatDataError(f"claims: {frame.name} 的 {reading} 在表中没有对应的单元格")
