"""Narrative text: the Markdown subset and the intermediate form the renderers share.

Authors write the narrative parts of a report as a small Markdown subset.  It is parsed
once into a tiny intermediate form that the DOCX, HTML and Markdown renderers share, so
the three outputs cannot disagree about where a bold run-in head such as
``**一是强化组织保障。**`` ends.  Chinese text has no spaces between wrapped lines and
commonly closes bold right after a full stop, so the subset is defined here rather than
borrowed from CommonMark, whose flanking rules break exactly those cases.

Figure references (``{{ … }}``) are expanded by ``references`` before parsing; typed
figures are read as claims and compared with the tables by ``claims`` and ``claims_check``.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, TypeAlias

__all__ = [
    "Block",
    "Bold",
    "Inline",
    "Link",
    "ListBlock",
    "Paragraph",
    "Text",
    "parse",
    "plain_text",
    "to_markdown",
]

# --------------------------------------------------------------------------- the IR


@dataclass(frozen=True, slots=True)
class Text:
    text: str


@dataclass(frozen=True, slots=True)
class Bold:
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Link:
    """A link whose ``url`` is http(s) or mailto; other schemes never become links."""

    url: str
    children: tuple[Inline, ...]


Inline: TypeAlias = Text | Bold | Link


@dataclass(frozen=True, slots=True)
class Paragraph:
    inlines: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class ListBlock:
    ordered: bool
    items: tuple[tuple[Inline, ...], ...]


Block: TypeAlias = Paragraph | ListBlock

# --------------------------------------------------------------------------- parsing

_PUNCT: Final = frozenset(string.punctuation)
_BULLET = re.compile(r"[-*][ \t]+(?=\S)")
_ORDERED = re.compile(r"[0-9]{1,9}[.)][ \t]+(?=\S)")
_URL = re.compile(r"(?:https?://|mailto:)[^\s<>*\\]+", re.IGNORECASE)
_SPECIAL = re.compile(r"[\\<*\[]")
_SPECIAL_NO_LINK = re.compile(r"[\\<*]")
_AUTOLINK = re.compile(r"<((?:https?://|mailto:)[^\s<>*\\]+)>", re.IGNORECASE)


def parse(text: str) -> tuple[Block, ...]:
    """Parse narrative Markdown; anything outside the subset is kept as literal text.

    A blank line ends a paragraph.  A line starting with ``- ``, ``* ``, ``1. `` or
    ``1) `` starts a list item, even straight after a paragraph; other lines continue
    the open paragraph or item.  Items of one kind separated by blank lines stay one
    list, so an ordered list keeps counting.
    """
    blocks: list[Block] = []
    para: list[str] = []
    items: list[list[str]] = []
    ordered = gap = False

    def flush() -> None:
        if para:
            blocks.append(Paragraph(_inlines(_join(para))))
        elif items:
            blocks.append(ListBlock(ordered, tuple(_inlines(_join(i)) for i in items)))
        para.clear()
        items.clear()

    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.strip()
        if not line:
            if para:
                flush()
            gap = True
            continue
        marker = _BULLET.match(line) or _ORDERED.match(line)
        if marker:
            is_ordered = line[0] not in "-*"
            if not items or is_ordered != ordered:
                flush()
                ordered = is_ordered
            items.append([line[marker.end() :]])
        elif items and not gap:
            items[-1].append(line)
        else:
            if items:
                flush()
            para.append(line)
        gap = False
    flush()
    return tuple(blocks)


def _join(lines: list[str]) -> str:
    """Join wrapped lines: Chinese needs no space, but two ASCII words do."""
    parts = [lines[0]]
    for line in lines[1:]:
        if _word_char(parts[-1][-1]) and _word_char(line[0]):
            parts.append(" ")
        parts.append(line)
    return "".join(parts)


def _word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


class _Scanner:
    """Memoised forward searches over one string, so inline parsing stays linear.

    Each search answers "the first closing delimiter at or after ``start``".  The
    parser only ever asks with growing starts, and an answer stays right for any
    later start up to the position it found (or for every later start, when there
    was none), so each character is scanned a bounded number of times whatever the
    input: 2 MB of unclosed ``[`` or ``<strong>`` takes as long as ordinary text.
    """

    def __init__(self, s: str) -> None:
        self.s = s
        self._memo: dict[str, tuple[int, int]] = {}
        self._parens: dict[int, int] | None = None

    def _cached(self, kind: str, start: int, search: Callable[[int], int]) -> int:
        """``search(start)``, reusing the previous answer while it is still valid."""
        memo = self._memo.get(kind)
        if memo is not None and memo[0] <= start and (memo[1] < 0 or start <= memo[1]):
            return memo[1]
        found = search(start)
        self._memo[kind] = (start, found)
        return found

    @property
    def no_bracket(self) -> bool:
        """No ``]`` is left, so no ``[`` can start a link any more."""
        memo = self._memo.get("bracket")
        return memo is not None and memo[1] < 0

    def strong_close(self, start: int) -> int:
        return self._cached("strong", start, lambda i: self.s.find("</strong>", i))

    def stars_close(self, start: int) -> int:
        return self._cached("stars", start, self._stars)

    def bracket_close(self, start: int) -> int:
        return self._cached("bracket", start, self._bracket)

    def paren_close(self, open_at: int) -> int:
        """The ``)`` that balances the ``(`` at ``open_at``, or -1."""
        if self._parens is None:
            self._parens, stack = {}, []
            for k, ch in enumerate(self.s):
                if ch == "(":
                    stack.append(k)
                elif ch == ")" and stack:
                    self._parens[stack.pop()] = k
        return self._parens.get(open_at, -1)

    def _stars(self, i: int) -> int:
        s = self.s
        while i < len(s) - 1:
            if s[i] == "\\" and s[i + 1] in _PUNCT:
                i += 2
            elif s[i] == "*" and s[i + 1] == "*":
                return i
            else:
                i += 1
        return -1

    def _bracket(self, j: int) -> int:
        s, n = self.s, len(self.s)
        while j < n and s[j] != "]":
            j += 2 if s[j] == "\\" and j + 1 < n and s[j + 1] in _PUNCT else 1
        return j if j < n else -1


def _inlines(s: str, bold: bool = True, link: bool = True) -> tuple[Inline, ...]:
    """Inline markup, left to right; bold never nests in bold, links never in links."""
    out: list[Inline] = []
    buf: list[str] = []
    scan = _Scanner(s)
    i, n = 0, len(s)
    while i < n:
        node: Inline | None = None
        if s[i] == "\\" and i + 1 < n and s[i + 1] in _PUNCT:
            buf.append(s[i + 1])
            i += 2
            continue
        if bold and s.startswith("<strong>", i):
            close = scan.strong_close(i + 8)
            if close > i + 8:
                node, j = Bold(_inlines(s[i + 8 : close], bold=False, link=link)), close + 9
        if node is None and bold and s.startswith("**", i):
            end = scan.stars_close(i + 2)
            if end < 0 or end == i + 2:
                buf.append("**")
                i += 2
                continue
            node, j = Bold(_inlines(s[i + 2 : end], bold=False, link=link)), end + 2
        elif link and s[i] in "[<":
            found = _link_at(scan, i, bold)
            if found:
                node, j = found
        if node is None:  # plain text up to the next character that may start markup
            m = (_SPECIAL_NO_LINK if scan.no_bracket else _SPECIAL).search(s, i + 1)
            j = m.start() if m else n
            buf.append(s[i:j])
            i = j
            continue
        if buf:
            out.append(Text("".join(buf)))
            buf.clear()
        out.append(node)
        i = j
    if buf:
        out.append(Text("".join(buf)))
    return tuple(out)


def _link_at(scan: _Scanner, i: int, bold: bool) -> tuple[Link, int] | None:
    """A link starting at ``s[i]`` and the index after it; None if there is none."""
    s = scan.s
    if s[i] == "<":
        m = _AUTOLINK.match(s, i)
        return (Link(m[1], (Text(m[1]),)), m.end()) if m else None
    j = scan.bracket_close(i + 1)
    if j < 0 or j == i + 1 or not s.startswith("(", j + 1):
        return None
    k = scan.paren_close(j + 1)
    if k < 0:
        return None
    url = s[j + 2 : k]
    if not _URL.fullmatch(url):
        return None  # javascript:, data:, file: ... stay literal text
    return Link(url, _inlines(s[i + 1 : j], bold=bold, link=False)), k + 1


# --------------------------------------------------------------------------- writing back

_ESCAPE = re.compile(r"([\\`*_\[\]<>|&~!])")
_LINE_START = re.compile(r"[-+#]|[0-9]+(?=[.)](?:\s|$))")


def to_markdown(blocks: tuple[Block, ...]) -> str:
    """Normalised Markdown for ``blocks``; ``parse`` reads it back to the same blocks.

    Every literal character that this parser or a CommonMark reader could take as
    markup is backslash-escaped, so the Markdown output shows what the DOCX shows.
    """
    chunks: list[str] = []
    for block in blocks:
        if isinstance(block, Paragraph):
            chunks.append(_md_line(block.inlines))
        else:
            chunks.append(
                "\n".join(
                    f"{f'{n}.' if block.ordered else '-'} {_md_line(item)}"
                    for n, item in enumerate(block.items, 1)
                )
            )
    return "\n\n".join(chunks) + "\n" if chunks else ""


def _md_line(inlines: tuple[Inline, ...]) -> str:
    line = _md_inlines(inlines)
    m = _LINE_START.match(line)
    if m:  # would read as a heading or a list marker
        at = m.end() if line[0].isdigit() else 0
        line = f"{line[:at]}\\{line[at:]}"
    return line


def _is_punct(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PS"


def _delimits(inner: str, before: str, after: str) -> bool:
    """Whether ``**inner**`` between ``before`` and ``after`` is bold to CommonMark.

    A run-in head such as ``**一是强化组织保障。**我局`` is not: a closing ``**`` after
    punctuation must be followed by a space or punctuation.  Those get ``<strong>``.
    """
    if not inner or inner[0].isspace() or inner[-1].isspace():
        return False
    if _is_punct(inner[0]) and before and not (before.isspace() or _is_punct(before)):
        return False
    return not (_is_punct(inner[-1]) and after and not (after.isspace() or _is_punct(after)))


def _md_inlines(inlines: tuple[Inline, ...]) -> str:
    parts: list[str] = []
    for k, node in enumerate(inlines):
        if isinstance(node, Text):
            parts.append(_ESCAPE.sub(r"\\\1", node.text))
        elif isinstance(node, Bold):
            inner = _md_inlines(node.children)
            before = parts[-1][-1:] if parts else ""
            after = _md_inlines(inlines[k + 1 : k + 2])[:1]
            ok = _delimits(inner, before, after)
            parts.append(f"**{inner}**" if ok else f"<strong>{inner}</strong>")
        elif node.children == (Text(node.url),):
            parts.append(f"<{node.url}>")
        else:
            parts.append(f"[{_md_inlines(node.children)}]({node.url})")
    return "".join(parts)


def plain_text(blocks: tuple[Block, ...]) -> str:
    """The words alone: markup dropped, link text kept, one list item per line."""

    def flat(inlines: tuple[Inline, ...]) -> str:
        return "".join(n.text if isinstance(n, Text) else flat(n.children) for n in inlines)

    chunks = [
        flat(b.inlines)
        if isinstance(b, Paragraph)
        else "\n".join(
            f"{f'{n}.' if b.ordered else '•'} {flat(item)}" for n, item in enumerate(b.items, 1)
        )
        for b in blocks
    ]
    return "\n\n".join(chunks)
