"""The figures of a report, as every stage passes them on: a leaf module of value helpers.

A table cell holds a count (``int``) or an amount (``Decimal``, exact as written);
``Values`` maps every cell path to its figure.  The rules compute them, the model
hands them to the renderers, ``nianbao new`` carries some of them into next year's
file; all of them use the helpers here, so "what a figure is", "how figures add up",
"how a figure is printed" and "what last year's figures make of this year's" are each
written once.  This module imports nothing from nianbao.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

__all__ = [
    "CellPath",
    "Value",
    "Values",
    "cn_date",
    "expected_from_last_year",
    "format_value",
    "lookup",
    "total",
]

Value = int | Decimal
CellPath = tuple[str, ...]
Values = dict[CellPath, Value]


def lookup(data: Any, path: Iterable[str]) -> Any:
    """The value at ``path`` in loaded YAML data, or None when any level is missing."""
    node = data
    for part in path:
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def total(numbers: Iterable[Value]) -> Value:
    """Sum of counts (int) or amounts (Decimal), typed as such."""
    result: Value = 0
    for n in numbers:
        result = result + n
    return result


def format_value(value: Value, kind: str = "count") -> str:
    """Counts as plain integers; amounts exactly as written (Decimal keeps the digits).

    Signed changes (表二 2019 本年增/减) carry their sign, as reports print them: +3, -2, 0.
    """
    if isinstance(value, Decimal):
        return format(value, "f")
    if kind == "signed" and value > 0:
        return f"+{value}"
    return str(value)


def cn_date(day: date) -> str:
    """A date as official documents write it: 2022年1月20日."""
    return f"{day.year}年{day.month}月{day.day}日"


class Link(Protocol):
    """One cell a cross-year rule fills or checks (``spec.CrossYearLink``)."""

    @property
    def here(self) -> CellPath: ...
    @property
    def there(self) -> CellPath: ...
    @property
    def plus(self) -> CellPath | None: ...
    @property
    def minus(self) -> CellPath | None: ...
    @property
    def change(self) -> CellPath | None: ...


def expected_from_last_year(
    link: Link, values: Mapping[CellPath, Value], previous: Mapping[CellPath, Value]
) -> Value | None:
    """What this year's cell must be, given last year's figures; None when they are missing.

    The one statement of the carry and roll-forward arithmetic: last year's cell, plus
    this year's ``plus`` cell, minus this year's ``minus`` cell, plus last year's
    ``change`` cell.  The rules compare it with the figure written; ``nianbao new``
    writes it into next year's file, where this year's figures are all still 0.
    """
    if link.there not in previous or (link.change is not None and link.change not in previous):
        return None
    result = previous[link.there]
    if link.plus is not None:
        result = result + values.get(link.plus, 0)
    if link.minus is not None:
        result = result - values.get(link.minus, 0)
    if link.change is not None:
        result = result + previous[link.change]
    return result
