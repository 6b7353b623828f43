"""What pre-commit (and other hooks handing over changed files) should check.

A change to last year's report can break this year's: the cross-year rules compare
the two.  pre-commit passes only the changed files, so ``validate --with-next``
adds, for each ``<year>.yaml``, the ``<year + 1>`` report beside it when it exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

__all__ = ["REPORT_SUFFIXES", "next_path", "with_next_year"]

REPORT_SUFFIXES = (".yaml", ".yml")


def next_path(path: Path) -> Path | None:
    """Next year's report of the same agency, in either spelling of the suffix; None if absent."""
    if not path.stem.isdigit():
        return None
    year = int(path.stem) + 1
    for suffix in dict.fromkeys((path.suffix, *REPORT_SUFFIXES)):
        candidate = path.with_name(f"{year}{suffix}")
        if candidate.is_file():
            return candidate
    return None


def with_next_year(paths: Sequence[Path]) -> list[Path]:
    """``paths`` and, after each, next year's report when it is not already listed."""
    out = list(dict.fromkeys(paths))
    seen = {p.resolve() for p in out}
    for path in list(out):
        following = next_path(path)
        if following is not None and following.resolve() not in seen:
            seen.add(following.resolve())
            out.append(following)
    return out
