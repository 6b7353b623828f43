"""Step 2a: which agencies reported for a year, which did not, which were late.

An agency is expected to report for year Y when it reported for Y − 1, when it is
on the roster of ``nianbao.toml``, or when it has a file for Y.  The statutory
deadline is 31 January of the following year (《政府信息公开条例》第五十条); a report
published after it, or with no ``published`` date, is flagged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from .collect import Entry, Tree

__all__ = ["Coverage", "Status", "coverage", "deadline"]

State = Literal["ok", "invalid", "missing"]


def deadline(year: int) -> date:
    """The last day a report for ``year`` may be published: 31 January of the next year."""
    return date(year + 1, 1, 31)


@dataclass(frozen=True, slots=True)
class Status:
    """One expected agency in one year."""

    agency: str
    name: str
    state: State
    file: str | None
    published: date | None
    late: bool
    reported_last_year: bool
    on_roster: bool | None
    """None when there is no roster."""
    errors: int = 0
    warnings: int = 0

    @property
    def undated(self) -> bool:
        return self.state != "missing" and self.published is None


@dataclass(frozen=True, slots=True)
class Coverage:
    year: int
    deadline: date
    rows: tuple[Status, ...]
    roster: tuple[str, ...] | None

    def _where(self, test: Literal["missing", "invalid", "late", "undated"]) -> tuple[str, ...]:
        picks: dict[str, Callable[[Status], bool]] = {
            "missing": lambda s: s.state == "missing",
            "invalid": lambda s: s.state == "invalid",
            "late": lambda s: s.late,
            "undated": lambda s: s.undated,
        }
        return tuple(s.agency for s in self.rows if picks[test](s))

    @property
    def reported(self) -> tuple[str, ...]:
        return tuple(s.agency for s in self.rows if s.state != "missing")

    @property
    def missing(self) -> tuple[str, ...]:
        return self._where("missing")

    @property
    def missing_vs_last_year(self) -> tuple[str, ...]:
        return tuple(s.agency for s in self.rows if s.state == "missing" and s.reported_last_year)

    @property
    def missing_vs_roster(self) -> tuple[str, ...]:
        return tuple(s.agency for s in self.rows if s.state == "missing" and s.on_roster)

    @property
    def not_on_roster(self) -> tuple[str, ...]:
        return tuple(s.agency for s in self.rows if s.on_roster is False and s.state != "missing")

    @property
    def invalid(self) -> tuple[str, ...]:
        return self._where("invalid")

    @property
    def late(self) -> tuple[str, ...]:
        return self._where("late")

    @property
    def undated(self) -> tuple[str, ...]:
        return self._where("undated")


def _name(tree: Tree, agency: str, year: int) -> str:
    """The agency's name from its report of ``year``, else from its latest other report."""
    entry = tree.get(agency, year)
    if entry is not None:
        return entry.agency_name
    others = [e for (a, _), e in sorted(tree.entries.items()) if a == agency]
    return others[-1].agency_name if others else agency


def _status(tree: Tree, agency: str, year: int, roster: Sequence[str] | None) -> Status:
    entry: Entry | None = tree.get(agency, year)
    last = tree.get(agency, year - 1) is not None
    on_roster = None if roster is None else agency in roster
    name = _name(tree, agency, year)
    if entry is None:
        return Status(agency, name, "missing", None, None, False, last, on_roster)
    published = entry.published
    return Status(
        agency,
        name,
        "ok" if entry.ok else "invalid",
        entry.name,
        published,
        published is not None and published > deadline(year),
        last,
        on_roster,
        len(entry.outcome.errors),
        len(entry.outcome.warnings),
    )


def coverage(tree: Tree, year: int, roster: Sequence[str] | None = None) -> Coverage:
    """Every agency expected for ``year``, in id order, with its state."""
    expected = {a for a, y in tree.entries if y in (year, year - 1)} | set(roster or ())
    rows = tuple(_status(tree, a, year, roster) for a in sorted(expected))
    return Coverage(year, deadline(year), rows, tuple(roster) if roster is not None else None)
