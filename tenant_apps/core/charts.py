"""Small bar charts drawn on the server as inline SVG (no chart library in the browser)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    summary: str  # the chart in words, for screen readers
    first_label: str
    last_label: str
    peak: str


def bar_chart(points: list[tuple[str, float]], *, summary: str, unit: str = "",
              width: int = 1000, height: int = 170) -> BarChart:
    top = max((v for _, v in points), default=0) or 1
    inner = height - 20  # room for the axis labels
    step = width / max(len(points), 1)
    bars = []
    for index, (label, value) in enumerate(points):
        h = inner * value / top
        bars.append(Bar(x=round(index * step + step * .15, 1), y=round(inner - h, 1),
                        width=round(step * .7, 1), height=round(h, 1), label=label,
                        value=f"{value:g}{unit}"))
    return BarChart(width=width, height=height, bars=bars, summary=summary,
                    first_label=points[0][0] if points else "",
                    last_label=points[-1][0] if points else "", peak=f"{top:g}{unit}")
