"""The figures of a report, as every stage passes them on: a leaf module of value helpers.

A table cell holds a count (``int``) or an amount (``Decimal``, exact as written), or
what a published table prints instead of a figure: a blank, a dash (不适用) or, in a
damaged source, something unreadable (``Mark``).  ``CellValue`` is that union, the
one definition every stage uses: ``Values`` maps every cell path to the figure the
arithmetic uses (a mark counts as 0 there, so checking can go on), ``CellValues`` to
the cell as printed.  The rules compute them, the model
hands them to the renderers, ``nianbao new`` carries some of them into next year's
file; all of them use the helpers here, so "what a figure is", "how figures add up",
"how a figure is printed" and "what last year's figures make of this year's" are each
written once.  This module imports nothing from nianbao.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Protocol

__all__ = [
    "DASHES",
    "MISSING",
    "UNREADABLE",
    "Blank",
    "CellPath",
    "CellValue",
    "CellValues",
    "Dash",
    "Mark",
    "Unreadable",
    "Value",
    "Values",
    "arithmetic",
    "cn_date",
    "describe_mark",
    "expected_from_last_year",
    "find",
    "format_value",
    "lookup",
    "read_cell",
    "suggest_number",
    "total",
    "yaml_literal",
]

Value = int | Decimal
CellPath = tuple[str, ...]
Values = dict[CellPath, Value]

DASHES: Final = ("-", "/", "—", "－")
"""What tables print for 不适用; kept and printed exactly as written."""
UNREADABLE: Final = "?"
"""What a transcription writes for a figure the source no longer shows."""


@dataclass(frozen=True, slots=True)
class Blank:
    """A cell printed empty (YAML ``null``, ``~`` or nothing): never guessed to be 0."""

    @property
    def text(self) -> str:
        return ""


@dataclass(frozen=True, slots=True)
class Dash:
    """A dash printed in the cell (不适用), kept as written: ``-``, ``/``, ``—`` or ``－``."""

    text: str


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A figure that cannot be read from the source (a damaged scan or conversion)."""

    @property
    def text(self) -> str:
        return UNREADABLE


Mark = Blank | Dash | Unreadable
CellValue = Value | Mark
CellValues = dict[CellPath, CellValue]


class _Missing:
    """The answer of ``find`` for a key not written at all (a blank is written as null)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()


def find(data: Any, path: Iterable[str]) -> Any:
    """The raw value at ``path`` (None for a written null), or MISSING when a key is absent."""
    node = data
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return MISSING
        node = node[part]
    return node


def read_cell(raw: Any, kind: str = "count") -> CellValue:
    """A written table cell (already through the schema) as its typed value."""
    if raw is None:
        return Blank()
    if isinstance(raw, str):
        if raw in DASHES:
            return Dash(raw)
        if raw == UNREADABLE:
            return Unreadable()
        return Decimal(raw)  # the schema allows only digits here
    if kind == "amount":
        return raw if isinstance(raw, Decimal) else Decimal(str(raw))
    return int(raw)


def arithmetic(value: CellValue, kind: str = "count") -> Value:
    """The figure the rules add up: a mark counts as 0 so that checking can go on."""
    if isinstance(value, Blank | Dash | Unreadable):
        return Decimal(0) if kind == "amount" else 0
    return value


def describe_mark(value: CellValue) -> str:
    """How a message names a cell's content: 空白, “-”（不适用）, 无法辨认（?）, or the figure."""
    if isinstance(value, Blank):
        return "空白"
    if isinstance(value, Dash):
        return f"“{value.text}”（不适用）"
    if isinstance(value, Unreadable):
        return "无法辨认（?）"
    return format_value(value)


def yaml_literal(value: CellValue) -> str:
    """A cell as YAML writes it: ``null`` for a blank, a dash or ``?`` quoted, else the figure."""
    if isinstance(value, Blank):
        return "null"
    if isinstance(value, Dash | Unreadable):
        return f'"{value.text}"'
    return format_value(value)


_UNITS: Final = ("万元", "元", "件", "条", "项", "个")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def suggest_number(text: str, kind: str, unit: str | None = None) -> str | None:
    """What to write instead of a figure typed as a table prints it: a hint, or None.

    ``"+1"`` → 写成 1（不加引号和加号）; ``"251000元"`` in a 万元 cell names the unit
    and the converted figure.  Only forms that clearly mean one number get a hint.
    """
    norm = unicodedata.normalize("NFKC", text).strip().replace("\u2212", "-")
    drop: list[str] = ["引号"]
    notes: list[str] = []
    if norm != text.strip().replace("\u2212", "-"):
        notes.append("用半角数字和符号")
    if "\u2212" in text:
        notes.append("减号用半角 -")
    if norm in (*DASHES, UNREADABLE) and norm != text.strip():
        return f'写成 "{norm}"（用半角符号）'
    written_unit = next((u for u in _UNITS if norm.endswith(u)), None)
    if written_unit:
        norm = norm[: -len(written_unit)].strip()
        drop.append("单位")
    if "," in norm:
        norm = norm.replace(",", "")
        drop.append("千位分隔符")
    if norm.startswith("+"):
        norm = norm[1:]
        drop.append("加号")
    if not _PLAIN_NUMBER.fullmatch(norm) or (kind == "count" and "." in norm):
        return None
    if kind == "count" and norm.startswith("-"):
        return f"件数不能为负数；{norm} 不是允许的件数"
    literal, converted = norm, ""
    if written_unit and unit and written_unit != unit and {written_unit, unit} == {"元", "万元"}:
        try:
            amount = Decimal(norm)
        except InvalidOperation:  # pragma: no cover - the pattern above admits only digits
            return None
        amount = amount / 10000 if unit == "万元" else amount * 10000
        literal = format(amount.normalize(), "f")
        converted = f"这一格的单位是{unit}，{text.strip()} 即 {literal}{unit}："
    said = "和".join(drop) if len(drop) <= 2 else "、".join(drop[:-1]) + "和" + drop[-1]
    extra = "，" + "，".join(notes) if notes else ""
    return f"{converted}写成 {literal}（不加{said}{extra}）"


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


def format_value(value: CellValue, kind: str = "count") -> str:
    """Counts as plain integers; amounts exactly as written (Decimal keeps the digits).

    Signed changes (表二 2019 本年增/减) carry their sign, as reports print them: +3, -2, 0.
    A blank prints as nothing, a dash as written, an unreadable cell as ``?``.
    """
    if isinstance(value, Blank | Dash | Unreadable):
        return value.text
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
