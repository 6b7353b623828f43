"""The geometry of the dashboard's charts: inline SVG, drawn by the template.

Charts are computed here as plain numbers (points, ticks) and drawn by
``templates/summary/dashboard.html.j2``, where autoescaping covers every label.
Each chart carries its text alternative (``title``/``desc``: every value in words),
so a screen reader, a printout without colours and a search all get the figures.
Lines differ by dash pattern and marker as well as colour.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .trends import Series

__all__ = ["Chart", "Line", "Spark", "line_chart", "show", "spark"]

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 150, 16, 32
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 4")
"""SVG dash patterns of the lines, in order: no chart relies on colour alone."""


def show(value: float | None, kind: str) -> str:
    """A metric's value as text: counts whole, ratios as percentages."""
    if value is None:
        return "—"
    return f"{value:.0f}" if kind == "count" else f"{value * 100:.1f}%"


def _segments(marks: Sequence[tuple[int, float, float]]) -> tuple[str, ...]:
    """SVG polyline points of each run of consecutive years: a missing year breaks the line."""
    runs: list[list[tuple[float, float]]] = []
    last = None
    for i, x, y in marks:
        if last is None or i != last + 1:
            runs.append([])
        runs[-1].append((x, y))
        last = i
    return tuple(" ".join(f"{x:.1f},{y:.1f}" for x, y in run) for run in runs if len(run) > 1)


@dataclass(frozen=True, slots=True)
class Line:
    label: str
    points: tuple[tuple[float, float, str, bool], ...]
    """(x, y, value as text, is a jump) of each year with a value."""
    style: int
    paths: tuple[str, ...] = ()
    """One polyline per run of consecutive years."""

    @property
    def dash(self) -> str:
        return DASHES[self.style % len(DASHES)]


@dataclass(frozen=True, slots=True)
class Chart:
    id: str
    title: str
    desc: str
    width: int
    height: int
    xticks: tuple[tuple[float, str], ...]
    yticks: tuple[tuple[float, str], ...]
    lines: tuple[Line, ...]
    plot: tuple[int, int, int, int]
    """left, top, right, bottom of the plotting area."""


def _scale(values: Sequence[float], kind: str) -> tuple[float, float, list[float]]:
    top = max(values, default=0.0)
    if kind == "ratio":
        top = max(top, 0.1)
        step = 0.25 if top > 0.5 else 0.1 if top > 0.2 else 0.05
    else:
        top = max(top, 1.0)
        raw = top / 4
        magnitude = 10 ** (len(str(int(raw))) - 1)
        step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    ticks = [i * step for i in range(int(top / step) + 2) if i * step <= top + step]
    return 0.0, ticks[-1], ticks


def line_chart(chart_id: str, title: str, years: Sequence[int], lines: Sequence[Series]) -> Chart:
    """One metric, one line per series, over ``years``."""
    kind = lines[0].metric.kind if lines else "count"
    values = [v for s in lines for y in years if (v := s.value(y)) is not None]
    low, high, ticks = _scale(values, kind)
    left, top, right, bottom = LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM
    span = max(len(years) - 1, 1)

    def x(i: int) -> float:
        return left + (right - left) * (i / span if len(years) > 1 else 0.5)

    def y(v: float) -> float:
        return bottom - (bottom - top) * ((v - low) / (high - low or 1))

    drawn: list[Line] = []
    words: list[str] = []
    for n, s in enumerate(lines):
        have = [(i, year, v) for i, year in enumerate(years) if (v := s.value(year)) is not None]
        points = tuple((x(i), y(v), show(v, kind), year in s.jumps) for i, year, v in have)
        paths = _segments([(i, x(i), y(v)) for i, _, v in have])
        drawn.append(Line(s.label, points, n, paths))
        said = "，".join(f"{year}年 {show(s.value(year), kind)}" for year in years)
        jumps = f"（{'、'.join(str(j) for j in s.jumps)}年变化较大）" if s.jumps else ""
        words.append(f"{s.label}：{said}{jumps}")
    return Chart(
        chart_id,
        title,
        "；".join(words) + "。",
        WIDTH,
        HEIGHT,
        tuple((x(i), str(year)) for i, year in enumerate(years)),
        tuple((y(t), show(t, kind)) for t in ticks),
        tuple(drawn),
        (left, top, right, bottom),
    )


@dataclass(frozen=True, slots=True)
class Spark:
    """A small line of one series, for a table cell."""

    paths: tuple[str, ...]
    marks: tuple[tuple[float, float, bool], ...]
    desc: str
    width: int = 96
    height: int = 24


def spark(s: Series, years: Sequence[int]) -> Spark:
    kind = s.metric.kind
    values = [v for y in years if (v := s.value(y)) is not None]
    high = max(values, default=0.0) or 1.0
    width, height, pad = 96, 24, 3
    span = max(len(years) - 1, 1)
    marks = []
    runs = []
    for i, year in enumerate(years):
        v = s.value(year)
        if v is None:
            continue
        px = pad + (width - 2 * pad) * (i / span if len(years) > 1 else 0.5)
        py = height - pad - (height - 2 * pad) * (v / high)
        marks.append((px, py, year in s.jumps))
        runs.append((i, px, py))
    desc = "，".join(f"{y}年 {show(s.value(y), kind)}" for y in years if s.value(y) is not None)
    return Spark(
        _segments(runs),
        tuple(marks),
        f"{s.label} {s.metric.name}：{desc or '无数据'}",
    )
