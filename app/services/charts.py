"""Bar charts as geometry for server-rendered SVG (web/templates/monitor/_charts.html).

No script draws anything in the browser: the numbers are laid out here, the template writes
the SVG with a title, a description and the same data as a table for screen readers.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass


def number(value: float) -> str:
    """12 rather than 12.0; 0.5 stays 0.5."""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


@dataclass
class Bar:
    label: str
    value: float
    x: float
    y: float
    width: float
    height: float

    @property
    def text(self) -> str:
        return number(self.value)


@dataclass
class Tick:
    value: float
    position: float  # y for columns, x for horizontal bars

    @property
    def text(self) -> str:
        return number(self.value)


@dataclass
class Chart:
    id: str
    title: str
    description: str
    horizontal: bool
    width: int
    height: int
    plot_left: float
    plot_top: float
    plot_width: float
    plot_height: float
    bars: list[Bar]
    ticks: list[Tick]


def _nice_max(value: float) -> float:
    """A round upper bound for the axis (1, 2, 5 times a power of ten)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _ticks(top: float, count: int = 4) -> list[float]:
    if top == int(top) and top < count:
        count = int(top)  # counts of 1 or 2 get whole-number ticks, not 0.2, 0.5, 0.8
    return [top * i / count for i in range(count + 1)]


def columns(*, chart_id: str, title: str, description: str,
            points: Sequence[tuple[str, float]], width: int = 720, height: int = 260) -> Chart:
    """Vertical bars, one per point (e.g. per month), labels under them."""
    left, top, bottom, right = 40.0, 12.0, 44.0, 8.0
    plot_width, plot_height = width - left - right, height - top - bottom
    top_value = _nice_max(max((v for _, v in points), default=0))
    slot = plot_width / max(len(points), 1)
    bars = []
    for index, (label, value) in enumerate(points):
        bar_height = plot_height * value / top_value
        bars.append(Bar(label=label, value=value, x=round(left + index * slot + slot * 0.15, 2),
                        y=round(top + plot_height - bar_height, 2),
                        width=round(slot * 0.7, 2), height=round(bar_height, 2)))
    ticks = [Tick(value=v, position=round(top + plot_height - plot_height * v / top_value, 2))
             for v in _ticks(top_value)]
    return Chart(id=chart_id, title=title, description=description, horizontal=False,
                 width=width, height=height, plot_left=left, plot_top=top,
                 plot_width=plot_width, plot_height=plot_height, bars=bars, ticks=ticks)


def rows(*, chart_id: str, title: str, description: str, points: Sequence[tuple[str, float]],
         width: int = 720, row_height: int = 26) -> Chart:
    """Horizontal bars, one per point (e.g. per state body), labels on the left."""
    left, top, right = 260.0, 8.0, 40.0
    height = int(top * 2 + row_height * max(len(points), 1) + 20)
    plot_width, plot_height = width - left - right, height - top * 2 - 20
    top_value = _nice_max(max((v for _, v in points), default=0))
    bars = [Bar(label=label, value=value, x=left, y=top + index * row_height + 4,
                width=round(plot_width * value / top_value, 2), height=row_height - 8)
            for index, (label, value) in enumerate(points)]
    ticks = [Tick(value=v, position=round(left + plot_width * v / top_value, 2))
             for v in _ticks(top_value)]
    return Chart(id=chart_id, title=title, description=description, horizontal=True,
                 width=width, height=height, plot_left=left, plot_top=top,
                 plot_width=plot_width, plot_height=plot_height, bars=bars, ticks=ticks)
