"""The geometry of the charts drawn as SVG on the server: no chart script, the same numbers in a table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

WIDTH = 640
BAR_HEIGHT = 22
BAR_GAP = 8
LABEL_WIDTH = 200  # room for the city's name left of the bars
VALUE_WIDTH = 80  # room for the number right of the longest bar
LINE_HEIGHT = 160
LINE_PADDING = 8


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: float
    width: float


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    width: int
    height: int
    label_width: int
    bar_height: int


def bar_chart(items: Sequence[tuple[str, int]]) -> BarChart:
    """Horizontal bars, longest for the biggest value; ``items`` are (label, value) in display order."""
    biggest = max((value for _, value in items), default=0) or 1
    room = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    bars = [
        Bar(label, value, index * (BAR_HEIGHT + BAR_GAP), max(room * value / biggest, 1 if value else 0))
        for index, (label, value) in enumerate(items)
    ]
    height = max(len(bars) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP, BAR_HEIGHT)
    return BarChart(bars, WIDTH, height, LABEL_WIDTH, BAR_HEIGHT)


@dataclass(frozen=True)
class LineChart:
    points: str  # for <polyline points="...">
    width: int
    height: int
    first: date | None
    last: date | None
    peak: int


def line_chart(days: Sequence[tuple[date, int]]) -> LineChart:
    """Signatures per day as one line, every calendar day between the first and the last on it."""
    if not days:
        return LineChart("", WIDTH, LINE_HEIGHT, None, None, 0)
    by_day = dict(days)
    first, last = days[0][0], days[-1][0]
    span = (last - first).days
    values = [by_day.get(date.fromordinal(first.toordinal() + offset), 0) for offset in range(span + 1)]
    peak = max(values) or 1
    inner_width, inner_height = WIDTH - 2 * LINE_PADDING, LINE_HEIGHT - 2 * LINE_PADDING

    def x(index: int) -> float:
        return LINE_PADDING + (inner_width * index / span if span else inner_width / 2)

    def y(value: int) -> float:
        return LINE_PADDING + inner_height * (1 - value / peak)

    points = " ".join(f"{x(index):.1f},{y(value):.1f}" for index, value in enumerate(values))
    return LineChart(points, WIDTH, LINE_HEIGHT, first, last, max(values))
