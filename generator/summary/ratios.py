"""The trend figures and ratios of a summary, declared as data in one table.

Each metric names the table cells it adds up, as YAML paths; ``*`` stands for any
one key, so ``applications.withheld.*.total`` is every 总计 cell of the 不予公开
sub-rows in both formats.  A ratio is the sum of ``numerator`` over the sum of
``denominator``; it is only computed when the denominator reaches ``min_sample``,
because 1 of 2 is not a rate (the dashboard says "样本不足" instead).  A change
from one year to the next is flagged as a jump when it reaches ``jump``: for counts
a relative change (0.5 = ±50 %) that is also at least ``jump_floor`` in absolute
terms, for ratios a difference in percentage points (0.2 = 20 points).

The definitions (documented in the README):

- 新收申请: 一、本年新收 (总计).
- 实质公开率: （一）予以公开 + （二）部分公开, over （七）总计.
- 不予公开占比 / 无法提供占比: all of （三） / （四）, over （七）总计.
- 结转率: 四、结转下年度继续办理, over 一 + 二 (what the agency had to handle).
- 复议纠错率 / 诉讼纠错率: 结果纠正, over the concluded cases (维持 + 纠正 + 其他;
  尚未审结 is not a result yet); litigation adds both kinds of suit.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from ..values import Value

__all__ = ["METRICS", "Metric", "Reading", "read_metric"]

Pattern = tuple[str, ...]


def _paths(*dotted: str) -> tuple[Pattern, ...]:
    return tuple(tuple(d.split(".")) for d in dotted)


@dataclass(frozen=True, slots=True)
class Metric:
    """One figure followed over the years: a count, or a ratio of two sums of cells."""

    key: str
    name: str
    kind: Literal["count", "ratio"]
    numerator: tuple[Pattern, ...]
    denominator: tuple[Pattern, ...] = ()
    min_sample: int = 0
    jump: float = 0.5
    jump_floor: int = 10


_A, _R = "applications", "review_litigation"
_CONCLUDED = ("upheld", "corrected", "other")

METRICS: tuple[Metric, ...] = (
    Metric("received", "新收申请", "count", _paths(f"{_A}.received.total"), jump=0.5),
    Metric(
        "substantive",
        "实质公开率",
        "ratio",
        _paths(f"{_A}.granted.total", f"{_A}.partial.total"),
        _paths(f"{_A}.total.total"),
        min_sample=10,
        jump=0.2,
    ),
    Metric(
        "withheld",
        "不予公开占比",
        "ratio",
        _paths(f"{_A}.withheld.*.total"),
        _paths(f"{_A}.total.total"),
        min_sample=10,
        jump=0.2,
    ),
    Metric(
        "unavailable",
        "无法提供占比",
        "ratio",
        _paths(f"{_A}.unavailable.*.total"),
        _paths(f"{_A}.total.total"),
        min_sample=10,
        jump=0.2,
    ),
    Metric(
        "carry",
        "结转率",
        "ratio",
        _paths(f"{_A}.carried_forward.total"),
        _paths(f"{_A}.received.total", f"{_A}.carried_over.total"),
        min_sample=10,
        jump=0.2,
    ),
    Metric(
        "review_corrected",
        "复议纠错率",
        "ratio",
        _paths(f"{_R}.review.corrected"),
        _paths(*(f"{_R}.review.{c}" for c in _CONCLUDED)),
        min_sample=5,
        jump=0.3,
    ),
    Metric(
        "suit_corrected",
        "诉讼纠错率",
        "ratio",
        _paths(f"{_R}.direct_suit.corrected", f"{_R}.suit_after_review.corrected"),
        _paths(
            *(f"{_R}.{s}.{c}" for s in ("direct_suit", "suit_after_review") for c in _CONCLUDED)
        ),
        min_sample=5,
        jump=0.3,
    ),
)
"""Every metric of the trends, in the order the dashboard and the workbook show them."""


@dataclass(frozen=True, slots=True)
class Reading:
    """A metric read from one year's figures.

    ``value`` is the count, or the ratio as a fraction; None when the cells are not
    in the report's format, or (for a ratio) the sample is below the minimum.
    ``sample`` is the denominator a ratio was taken over.
    """

    value: float | None
    sample: int = 0
    below_minimum: bool = False


def _matches(pattern: Pattern, path: tuple[str, ...]) -> bool:
    return len(pattern) == len(path) and all(
        p in ("*", k) for p, k in zip(pattern, path, strict=True)
    )


@functools.lru_cache(maxsize=64)
def _expand(pattern: Pattern, paths: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
    """The cell paths a wildcard pattern names among ``paths`` (one format's cells: cached)."""
    return tuple(path for path in paths if _matches(pattern, path))


def _sum(patterns: tuple[Pattern, ...], values: Mapping[tuple[str, ...], Value]) -> Value | None:
    found = False
    result: Value = 0
    for pattern in patterns:
        if "*" in pattern:
            paths = _expand(pattern, tuple(values))
        else:
            paths = (pattern,) if pattern in values else ()
        for path in paths:
            found = True
            result += values[path]
    return result if found else None


def read_metric(metric: Metric, values: Mapping[tuple[str, ...], Value]) -> Reading:
    """The metric over one report's (or one 汇总's) figures."""
    top = _sum(metric.numerator, values)
    if top is None:
        return Reading(None)
    if metric.kind == "count":
        return Reading(float(top))
    bottom = _sum(metric.denominator, values)
    if bottom is None:
        return Reading(None)
    sample = int(bottom)
    if sample < max(metric.min_sample, 1):
        return Reading(None, sample, below_minimum=True)
    return Reading(float(Decimal(top) / Decimal(bottom)), sample)
