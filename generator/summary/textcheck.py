"""Step 2c: the reviewer's text checks, which one report alone cannot show.

- ``S-COPIED``: a narrative part is largely last year's text.  Similarity is the
  Jaccard index of the two texts' sets of 4-character shingles (whitespace
  removed); at or above ``COPY_THRESHOLD`` (0.8) the part is flagged.  Parts
  shorter than ``COPY_MIN_CHARS`` (40) are skipped: "无" is the same every year.
  ``{{ … }}`` references count as text, so a paragraph whose only change is the
  figures it quotes is a copy, which is the point.
- ``S-FOLLOWUP``: 五 (the section whose format entry says what it must contain)
  does not say how last year's problems were addressed — none of ``FOLLOWUP``'s
  words (上年, 去年, 整改 …) — while last year's report exists.
- ``S-PLACEHOLDER``: the agency name, or a narrative, still holds the placeholder
  ``nianbao new`` writes (the ``example`` of the agency field in the format data).
- ``S-PART-EMPTY``: a narrative part left empty in a report whose other parts are
  at least two-thirds filled (the sections the validator already warns about when
  empty are left to it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .. import acknowledge
from ..errors import Diagnostic, Location
from ..spec import Format, Part, Section
from ..validate import select_format
from .collect import Entry

__all__ = [
    "COPY_MIN_CHARS",
    "COPY_THRESHOLD",
    "FOLLOWUP",
    "reviewed",
    "similarity",
    "text_checks",
]

COPY_THRESHOLD = 0.8
COPY_MIN_CHARS = 40
SHINGLE = 4
FILLED_SHARE = 2 / 3
FOLLOWUP = re.compile(r"上一?年度?|去年|以往|往年|整改|前期问题|已解决|已改进|落实情况")


def _shingles(text: str) -> set[str]:
    squeezed = "".join(text.split())
    return {squeezed[i : i + SHINGLE] for i in range(max(len(squeezed) - SHINGLE + 1, 1))}


def similarity(a: str, b: str) -> float:
    """Jaccard index of the 4-character shingles of two texts (1.0: the same words)."""
    sa, sb = _shingles(a), _shingles(b)
    return len(sa & sb) / len(sa | sb) if sa | sb else 1.0


def _text(data: Any, section: Section, part: Part) -> str:
    node = data.get(section.key) if isinstance(data, dict) else None
    raw = node.get(part.key) if isinstance(node, dict) else None
    return raw.strip() if isinstance(raw, str) else ""


def _locate(entry: Entry, path: tuple[str, ...]) -> Location:
    source = entry.outcome.source
    return source.locate(path) if source is not None else Location(entry.name)


def _parts(fmt: Format) -> Iterator[tuple[Section, Part]]:
    for section in fmt.sections:
        if section.kind == "narrative":
            for part in section.parts:
                yield section, part


def _labels(section: Section, part: Part) -> tuple[str, ...]:
    return (section.heading,) + ((part.heading,) if part.heading else ())


def _warning(entry: Entry, path: tuple[str, ...], code: str, message: str, **kw: Any) -> Diagnostic:
    """A warning at ``path``, about ``path``: its fingerprint stays when other text moves."""
    subject = ".".join(path)
    return Diagnostic("warning", code, _locate(entry, path), message, subject=subject, **kw)


def _copied(fmt: Format, entry: Entry, last: Entry) -> Iterator[Diagnostic]:
    for section, part in _parts(fmt):
        now, before = _text(entry.data, section, part), _text(last.data, section, part)
        if min(len(now), len(before)) < COPY_MIN_CHARS:
            continue
        score = similarity(now, before)
        if score >= COPY_THRESHOLD:
            yield _warning(
                entry,
                (section.key, part.key),
                "S-COPIED",
                f"这一部分与上年报告（{last.name}）的文字高度相似",
                labels=_labels(section, part),
                expected=f"按本年实际情况撰写（相似度低于 {COPY_THRESHOLD:.0%}）",
                found=f"相似度 {score:.0%}",
            )


def _followup(fmt: Format, entry: Entry) -> Iterator[Diagnostic]:
    for section in fmt.sections:
        if section.kind != "narrative" or not section.warn_if_empty:
            continue
        text = "".join(_text(entry.data, section, p) for p in section.parts)
        if text.rstrip("。.") in ("", "无") or FOLLOWUP.search(text):
            continue  # an empty section is the validator's W-SECTION-EMPTY
        yield _warning(
            entry,
            (section.key,),
            "S-FOLLOWUP",
            "没有说明上年报告所列问题的整改情况",
            labels=(section.heading,),
            expected=section.warn_if_empty,
            found="未提及上年问题",
        )


def _placeholder(fmt: Format, entry: Entry) -> Iterator[Diagnostic]:
    field = next((f for f in fmt.meta if f.key == "agency"), None)
    word = field.example if field is not None else None
    if not word:
        return
    if word in entry.agency_name:
        yield _warning(
            entry,
            ("agency",),
            "S-PLACEHOLDER",
            f"{field.label if field else ''}仍是占位文字",
            labels=(field.label,) if field else (),
            expected="本机关的全称",
            found=entry.agency_name,
        )
    for section, part in _parts(fmt):
        if word in _text(entry.data, section, part):
            yield _warning(
                entry,
                (section.key, part.key),
                "S-PLACEHOLDER",
                f"文字中仍有占位的“{word}”",
                labels=_labels(section, part),
                expected="本机关的全称",
                found=word,
            )


def _empty_parts(fmt: Format, entry: Entry) -> Iterator[Diagnostic]:
    parts = [(s, p) for s, p in _parts(fmt) if not s.warn_if_empty]
    empty = [(s, p) for s, p in parts if not _text(entry.data, s, p)]
    if not parts or not empty or len(parts) - len(empty) < FILLED_SHARE * len(parts):
        return
    for section, part in empty:
        yield _warning(
            entry,
            (section.key,),
            "S-PART-EMPTY",
            "其他部分都已填写，这一部分却是空白",
            labels=_labels(section, part),
            expected=f"{part.label}的文字",
            found="空白",
        )


def reviewed(entry: Entry, last: Entry | None) -> list[Diagnostic]:
    """The validator's findings and the reviewer's checks, with the report's acknowledgements.

    A report's ``acknowledged:`` list may accept a text check's warning too.  The
    validator, which does not run the text checks, took such an entry for a stale one
    (``W-ACK-UNUSED``); that finding is dropped when the entry accepts a text check.
    """
    found = text_checks(entry, last)
    source = entry.outcome.source
    if not found or source is None or not isinstance(source.data, dict):
        return [*entry.outcome.diagnostics, *found]
    marked = acknowledge.apply(source, found)
    unused = {d.subject for d in marked[len(found) :] if d.code == "W-ACK-UNUSED"}
    entries = source.data.get("acknowledged") or []
    matched = {
        f"acknowledged.{e['finding']}" for e in entries if isinstance(e, dict) and "finding" in e
    } - unused
    kept = [
        d
        for d in entry.outcome.diagnostics
        if not (d.code == "W-ACK-UNUSED" and d.subject in matched)
    ]
    return [*kept, *marked[: len(found)]]


def text_checks(entry: Entry, last: Entry | None) -> list[Diagnostic]:
    """The reviewer's checks of one report, against last year's when there is one."""
    source = entry.outcome.source
    if source is None or not isinstance(source.data, dict):
        return []
    fmt, _ = select_format(source)
    out: list[Diagnostic] = []
    if last is not None and last.outcome.source is not None:
        out.extend(_copied(fmt, entry, last))
        out.extend(_followup(fmt, entry))
    out.extend(_placeholder(fmt, entry))
    out.extend(_empty_parts(fmt, entry))
    return out
