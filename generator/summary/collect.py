"""Step 1 of a summary: find every report below a folder and validate each one.

A reports tree is ``<folder>/<agency>/<year>.yaml`` (or one agency's folder of
``<year>.yaml`` files), where ``<agency>`` may itself sit
in folders (``county-a/lanxi-sfj/2023.yaml``): those folders are groups whose figures
the summary adds up.  The agency's id is its folder path below the root, written with
``/`` on every platform, so it is what a roster in ``nianbao.toml`` names.  Files
not named ``<year>.yaml`` are not reports and are skipped; no symbolic link (to a
folder or a file) is followed, so a tree cannot make the summary read outside it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..model import Report
from ..validate import Outcome, check_file

__all__ = ["YEARS", "Entry", "Tree", "collect"]

YEARS = range(1900, 3000)
"""The years a file name may give: others are not reports (and have no deadline to compute)."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One report file of one agency and year, with what validating it found."""

    agency: str
    year: int
    path: Path
    name: str
    outcome: Outcome

    @property
    def report(self) -> Report | None:
        return self.outcome.report

    @property
    def ok(self) -> bool:
        return self.outcome.ok and self.outcome.report is not None

    @property
    def data(self) -> Mapping[str, Any]:
        """The loaded YAML (empty when the file could not be read at all)."""
        source = self.outcome.source
        return source.data if source is not None and isinstance(source.data, dict) else {}

    @property
    def agency_name(self) -> str:
        """The 机关名称 the report gives, or the folder name when it gives none."""
        name = self.data.get("agency")
        return name.strip() if isinstance(name, str) and name.strip() else self.agency

    @property
    def published(self) -> date | None:
        """The publication date, when the report gives a valid one."""
        raw = self.data.get("published")
        if not isinstance(raw, str):
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class Tree:
    """Every report found below ``root``, by (agency, year)."""

    root: Path
    entries: Mapping[tuple[str, int], Entry]
    skipped: tuple[str, ...] = field(default=())
    """Files ending in .yaml that are not reports (not named like a year, or links), as shown."""

    @property
    def agencies(self) -> tuple[str, ...]:
        return tuple(sorted({a for a, _ in self.entries}))

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(sorted({y for _, y in self.entries}))

    def get(self, agency: str, year: int) -> Entry | None:
        return self.entries.get((agency, year))

    def of_year(self, year: int) -> Iterator[Entry]:
        for (_, y), entry in sorted(self.entries.items()):
            if y == year:
                yield entry

    def folder(self, agency: str) -> str:
        """The group folder an agency sits in ("" at the top of the tree)."""
        return agency.rpartition("/")[0]


def _report_files(root: Path) -> Iterator[tuple[str, int, Path]]:
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        here = Path(folder)
        for name in sorted(files):
            if not name.endswith(".yaml"):
                continue
            stem = name[: -len(".yaml")]
            rel = here.relative_to(root).as_posix()
            if os.path.islink(here / name):  # it could point anywhere: not read
                yield "", 0, here / name
            elif stem.isdigit() and int(stem) in YEARS:
                # Years right in the root: the root is one agency's folder.
                yield (rel if rel != "." else root.absolute().name), int(stem), here / name
            else:
                yield "", 0, here / name


def collect(root: Path, shown: str) -> Tree:
    """Validate every ``<agency>/<year>.yaml`` below ``root``; ``shown`` is how messages name it.

    Each report is validated as ``nianbao validate`` would (cross-year rules
    included), so the findings of the summary are exactly the validator's.
    """
    entries: dict[tuple[str, int], Entry] = {}
    skipped: list[str] = []
    for agency, year, path in _report_files(root):
        name = (Path(shown) / path.relative_to(root)).as_posix()
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:  # the outputs could not name it
            shown_name = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            raise UsageError(f"{shown_name}: 路径不是 UTF-8 编码，无法汇总；请重命名") from None
        if not agency:
            skipped.append(name)
            continue
        entries[(agency, year)] = Entry(agency, year, path, name, check_file(path, name))
    return Tree(root, entries, tuple(skipped))
