"""Step 2: everything a summary shows, computed once from the collected tree.

The renderers (HTML, XLSX, CSV/JSON) only lay out a ``Summary``; none of them
computes a figure, so the four outputs cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..errors import Diagnostic
from ..spec import Format, all_formats, format_for_year
from .collect import Entry, Tree
from .coverage import Coverage, coverage
from .findings import Finding, Matrix, finding, matrix
from .textcheck import reviewed
from .totals import Group, Total, group_total, groups
from .trends import Series, series

__all__ = ["Summary", "summarize"]


@dataclass(frozen=True, slots=True)
class Summary:
    """A reports tree seen from the reviewer's desk, for one year (with every year's trends)."""

    title: str
    year: int
    years: tuple[int, ...]
    tree: Tree
    coverage: Coverage
    findings: tuple[Finding, ...]
    matrix: Matrix
    groups: tuple[Group, ...]
    totals: Mapping[str, Mapping[int, Total]]
    """Per group name, per year: the 汇总 (or why there is none)."""
    agency_trends: tuple[Series, ...]
    group_trends: tuple[Series, ...]

    @property
    def format(self) -> Format | None:
        """The format in force for the year (the per-agency figures are laid out in it)."""
        return format_for_year(self.year)

    @property
    def labels(self) -> dict[str, str]:
        """The metadata labels (发布日期 …) as the format data words them, by key."""
        fmt = self.format or list(all_formats().values())[-1]
        return {f.key: f.label for f in fmt.meta}

    def total(self, group: Group) -> Total:
        return self.totals[group.name][self.year]

    def entries(self) -> list[Entry]:
        return list(self.tree.of_year(self.year))


def _findings(tree: Tree, year: int) -> list[Finding]:
    out: list[Finding] = []
    for entry in tree.of_year(year):
        diags: list[Diagnostic] = reviewed(entry, tree.get(entry.agency, year - 1))
        out.extend(finding(entry, d) for d in sorted(diags, key=lambda d: d.sort_key))
    return out


def _totals(tree: Tree, found: Sequence[Group], the_year: int) -> dict[str, dict[int, Total]]:
    """Every group's 汇总 for every year of the tree and for the summary's year."""
    out: dict[str, dict[int, Total]] = {}
    for group in found:
        per_year: dict[int, Total] = {}
        for y in sorted({*tree.years, the_year}):
            shown = f"{group.name}汇总/{y}"
            per_year[y] = group_total(tree, group, y, per_year.get(y - 1), name=shown)
        out[group.name] = per_year
    return out


def summarize(
    tree: Tree,
    year: int | None = None,
    roster: Sequence[str] | None = None,
    declared: Mapping[str, Sequence[str]] | None = None,
    title: str = "",
) -> Summary:
    """The summary of ``tree`` for ``year`` (default: the latest year with a report)."""
    years = tree.years
    the_year = year if year is not None else (years[-1] if years else 0)
    found = groups(tree, declared or {})
    totals = _totals(tree, found, the_year)
    agency_trends: list[Series] = []
    for agency in tree.agencies:
        figures = {
            e.year: e.report.values
            for (a, _), e in sorted(tree.entries.items())
            if a == agency and e.report is not None
        }
        name = next((e.agency_name for (a, _), e in tree.entries.items() if a == agency), agency)
        agency_trends.extend(series(agency, name, "agency", figures))
    group_trends: list[Series] = []
    for group in found:
        figures = {
            y: t.report.values for y, t in totals[group.name].items() if t.report is not None
        }
        group_trends.extend(series(group.name, group.name, "group", figures))
    found_list = _findings(tree, the_year)
    cov = coverage(tree, the_year, roster)
    return Summary(
        title=title,
        year=the_year,
        years=years,
        tree=tree,
        coverage=cov,
        findings=tuple(found_list),
        matrix=matrix(found_list, cov.reported),
        groups=tuple(found),
        totals=totals,
        agency_trends=tuple(agency_trends),
        group_trends=tuple(group_trends),
    )
