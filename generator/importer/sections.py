"""Placing a document's text in the report's six sections and their parts, by headings.

Headings are recognized by their official wording (from the format data), tolerating
local variants: 一、总体情况 followed by spaces, a run-in head such as （一）主动公开方面。
at the start of a paragraph.  Text that falls under no narrative part (a preamble
before 一, words between the tables) is kept in ``unplaced`` with where it was, never
dropped; the YAML writer prints it in a clearly marked comment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..spec import Format, Part, Section
from .document import Document, Inline, Para
from .text import normalize, numbering, similarity

__all__ = ["Placement", "heading_matcher", "place_text", "to_markdown"]

_RUN_IN = re.compile(r"^(.{2,24}?)[。：:．.]")
_URL = re.compile(r"(?:https?://|mailto:)[^\s<>*\\]+", re.IGNORECASE)
_ESCAPE = re.compile(r"([\\`*\[\]<>])")
_JINJA = re.compile(r"\{(?=[{%#])")
_LIST_START = re.compile(r"^(?:[-+*]\s|\d+[.)]\s)")
_DATE_LINE = re.compile(r"^\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日$")


@dataclass(slots=True)
class Placement:
    """The document's text by (section key, part key), with what could not be placed."""

    parts: dict[tuple[str, str], list[Para]] = field(default_factory=dict)
    unplaced: list[tuple[str, str]] = field(default_factory=list)
    """(where, text): paragraphs that fall under no narrative part."""
    signature: list[str] = field(default_factory=list)
    sections_found: list[str] = field(default_factory=list)
    mappings: list[str] = field(default_factory=list)


def heading_matcher(formats: list[Format]) -> tuple[str, ...]:
    """Every section heading of the given formats, for readers that look for the body."""
    return tuple(dict.fromkeys(s.heading for f in formats for s in f.sections))


def is_heading(text: str, heading: str) -> bool:
    if len(normalize(text)) > len(normalize(heading)) + 6:
        return False
    return similarity(text, heading) >= 0.85


def place_text(doc: Document, fmt: Format, title: str | None) -> Placement:
    out = Placement()
    section: Section | None = None
    part: Part | None = None
    paras = list(doc.paras())
    trailing = _signature(paras)
    out.signature = [p.text for p in paras[len(paras) - trailing :]] if trailing else []
    body = paras[: len(paras) - trailing] if trailing else paras
    for para in body:
        text = para.text.strip()
        found = next((s for s in fmt.sections if is_heading(text, s.heading)), None)
        if found is not None:
            section = found
            part = next((p for p in found.parts if p.heading is None), None)
            out.sections_found.append(found.key)
            if normalize(text) != normalize(found.heading):
                out.mappings.append(f"标题“{text}” → {found.heading}")
            continue
        if section is None:
            if title and similarity(text, title) >= 0.85:
                continue
            out.unplaced.append(("报告开头", text))
            continue
        if section.kind != "narrative":
            out.unplaced.append((section.heading, text))
            continue
        part, kept = _part_heading(section, part, para, out)
        if kept is None:
            continue
        if part is None:
            out.unplaced.append((section.heading, text))
            continue
        out.parts.setdefault((section.key, part.key), []).append(kept)
    return out


def _part_heading(
    section: Section, part: Part | None, para: Para, out: Placement
) -> tuple[Part | None, Para | None]:
    """A paragraph that is (or starts with) a part heading switches part; the rest is text."""
    text = para.text.strip()
    for candidate in section.parts:
        heading = candidate.heading
        if heading is None:
            continue
        if is_heading(text, heading):
            if normalize(text) != normalize(heading):
                out.mappings.append(f"标题“{text}” → {heading}")
            return candidate, None
        m = _RUN_IN.match(text)
        same_number = m and numbering(normalize(m.group(1))) == numbering(normalize(heading)) != ""
        if m and same_number and similarity(m.group(1), heading) >= 0.7:
            out.mappings.append(f"段首“{m.group(0)}” → {heading}")
            return candidate, _drop_prefix(para, len(m.group(0)))
    return part, para


def _drop_prefix(para: Para, n: int) -> Para | None:
    """The paragraph without its first ``n`` characters (a run-in head); None if nothing is left."""
    runs: list[Inline] = []
    skip = n
    for run in para.inlines:
        if skip >= len(run.text):
            skip -= len(run.text)
            continue
        runs.append(Inline(run.text[skip:], run.bold, run.href))
        skip = 0
    if runs:
        runs[0] = Inline(runs[0].text.lstrip(), runs[0].bold, runs[0].href)
    runs = [r for r in runs if r.text]
    return Para(tuple(runs), para.kind, para.page) if runs else None


def _signature(paras: list[Para]) -> int:
    """How many closing paragraphs are the signature: an agency line and a date line."""
    if not paras:
        return 0
    last = "".join(paras[-1].text.split())
    if not _DATE_LINE.match(last):
        return 0
    if len(paras) >= 2 and len(paras[-2].text) <= 40 and not re.search(r"[。；]", paras[-2].text):
        return 2
    return 1


def to_markdown(paras: list[Para]) -> str:
    """Paragraphs as nianbao's narrative subset: bold runs, links, lists; markup escaped."""
    chunks: list[str] = []
    number = 0
    for para in paras:
        line = "".join(_inline(r) for r in para.inlines).strip()
        if not line:
            continue
        if para.kind == "bullet":
            chunks.append(f"- {line}")
            number = 0
        elif para.kind == "ordered":
            number += 1
            chunks.append(f"{number}. {line}")
        else:
            number = 0
            if _LIST_START.match(line):
                line = "\\" + line if line[0] in "-+*" else re.sub(r"^(\d+)([.)])", r"\1\\\2", line)
            chunks.append(line)
    out: list[str] = []
    for i, chunk in enumerate(chunks):
        if i and not (_is_item(chunk) and _is_item(chunks[i - 1])):
            out.append("")
        out.append(chunk)
    return "\n".join(out)


def _is_item(line: str) -> bool:
    return bool(re.match(r"^(?:- |\d+\. )", line))


def _escape(text: str) -> str:
    text = _ESCAPE.sub(r"\\\1", " ".join(text.split("\n")))
    return _JINJA.sub("{{ '{' }}", text)


def _inline(run: Inline) -> str:
    text = _escape(run.text)
    if run.href and _URL.fullmatch(run.href):
        plain = run.text.strip() == run.href
        text = f"<{run.href}>" if plain else f"[{text}]({run.href})"
    if run.bold and run.text.strip():
        return f"**{text}**"
    return text
