"""Text measured in terminal columns: CJK characters take two.

A progress line longer than the terminal wraps, and ``\\r`` then returns only to the
start of the last row, so lines pile up.  Chinese report names are twice as wide
as ``len`` says; East Asian Wide and Fullwidth characters count two columns.
"""

from __future__ import annotations

import unicodedata

__all__ = ["display_width", "truncate"]


def _width(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def display_width(text: str) -> int:
    return sum(_width(c) for c in text)


def truncate(text: str, columns: int) -> str:
    """``text`` cut to at most ``columns`` columns, ending in "…" when cut."""
    if display_width(text) <= columns:
        return text
    out: list[str] = []
    used = 0
    for char in text:
        w = _width(char)
        if used + w > columns - 1:
            break
        out.append(char)
        used += w
    return "".join(out) + "…"
