"""Step 2e: the metrics of ``ratios`` per agency and per group over the years present.

A jump is a change from one year to the next at or above the metric's threshold
(see ``ratios``); it is flagged on the later year.  A ratio whose sample is below
the minimum has no value and says so; a group's year counts only when its 汇总 for
that year is complete.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..values import Value
from .ratios import METRICS, Metric, Reading, read_metric

__all__ = ["Series", "is_jump", "series"]


@dataclass(frozen=True, slots=True)
class Series:
    """One metric of one agency or group, year by year."""

    subject: str
    label: str
    kind: str
    """"agency" or "group"."""
    metric: Metric
    readings: Mapping[int, Reading]
    jumps: tuple[int, ...]

    def value(self, year: int) -> float | None:
        reading = self.readings.get(year)
        return reading.value if reading is not None else None


def is_jump(metric: Metric, before: float, after: float) -> bool:
    """Whether going from ``before`` to ``after`` is a jump worth a reviewer's look."""
    change = abs(after - before)
    if metric.kind == "ratio":
        return change >= metric.jump - 1e-9
    if change < metric.jump_floor:
        return False
    return before == 0 or change / before >= metric.jump - 1e-9


def series(
    subject: str,
    label: str,
    kind: str,
    figures: Mapping[int, Mapping[tuple[str, ...], Value]],
    metrics: Iterable[Metric] = METRICS,
) -> list[Series]:
    """Every metric of one subject, from its figures per year (years without are absent)."""
    out: list[Series] = []
    for metric in metrics:
        readings = {year: read_metric(metric, values) for year, values in sorted(figures.items())}
        jumps = []
        for year, reading in readings.items():
            before = readings.get(year - 1)
            if reading.value is None or before is None or before.value is None:
                continue
            if is_jump(metric, before.value, reading.value):
                jumps.append(year)
        out.append(Series(subject, label, kind, metric, readings, tuple(jumps)))
    return out
