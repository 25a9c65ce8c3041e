"""Bar charts as geometry for inline SVG: drawn on the server, so the page loads nothing from anywhere.

Only numbers and label strings come out of here; the template writes the SVG elements with
autoescaping, and colours come from the stylesheet by class (the CSP allows no inline style).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["Bar", "Chart", "Text", "column_chart", "nice_step", "row_chart", "scale_max"]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    series: str  # a CSS class: which series it belongs to
    title: str  # tooltip: "label: value"


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    anchor: str = "middle"  # start | middle | end
    css: str = "label"


@dataclass
class Chart:
    width: int
    height: int
    bars: list[Bar] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    grid: list[tuple[float, float, float, float]] = field(default_factory=list)  # x1, y1, x2, y2
    legend: list[tuple[str, str]] = field(default_factory=list)  # (series class, label)

    @property
    def empty(self) -> bool:
        return not any(b.value for b in self.bars)


def nice_step(value: float) -> int:
    """The smallest of 1, 2, 5 × 10^k at or above `value` (at least 1: counts are whole)."""
    step = 1
    while True:
        for m in (1, 2, 5):
            if m * step >= value:
                return m * step
        step *= 10


def scale_max(value: int, ticks: int = 4) -> int:
    """A round axis maximum at or above `value` that `ticks` equal steps divide into whole numbers."""
    return nice_step(max(value, 1) / ticks) * ticks


def column_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[int]]],
    *,
    width: int = 640,
    height: int = 240,
) -> Chart:
    """Grouped vertical bars, one group per label (months), one bar per series (css, name, values)."""
    left, right, top, bottom = 36, 8, 10, 28
    chart = Chart(width, height, legend=[(css, name) for css, name, _v in series])
    top_value = scale_max(max((v for _c, _n, values in series for v in values), default=0))
    plot_w, plot_h = width - left - right, height - top - bottom
    for i in range(5):
        y = top + plot_h * i / 4
        chart.grid.append((left, y, width - right, y))
        chart.texts.append(Text(left - 4, y + 4, str(top_value * (4 - i) // 4), "end", "axis"))
    if not labels:
        return chart
    group = plot_w / len(labels)
    bar_w = max(2.0, (group * 0.8) / max(1, len(series)))
    for i, label in enumerate(labels):
        x0 = left + group * i + group * 0.1
        for j, (css, name, values) in enumerate(series):
            value = int(values[i]) if i < len(values) else 0
            h = plot_h * value / top_value
            chart.bars.append(
                Bar(
                    round(x0 + j * bar_w, 2),
                    round(top + plot_h - h, 2),
                    round(bar_w - 1, 2),
                    round(h, 2),
                    value,
                    css,
                    f"{label} · {name}: {value}",
                )
            )
        chart.texts.append(Text(round(left + group * (i + 0.5), 2), height - 10, label))
    return chart


def row_chart(
    items: Sequence[tuple[str, int]], *, css: str = "received", width: int = 640, row: int = 22
) -> Chart:
    """Horizontal bars, one per (label, value), with the label on the left and the value at the end."""
    left, right, top = 170, 40, 6
    height = top * 2 + row * max(1, len(items))
    chart = Chart(width, height)
    top_value = scale_max(max((v for _l, v in items), default=0))
    plot_w = width - left - right
    for i, (label, value) in enumerate(items):
        y = top + row * i
        w = plot_w * value / top_value
        chart.bars.append(Bar(left, y + 3, round(w, 2), row - 6, int(value), css, f"{label}: {value}"))
        chart.texts.append(Text(left - 6, y + row - 7, label, "end"))
        chart.texts.append(Text(round(left + w + 4, 2), y + row - 7, str(value), "start", "value"))
    return chart
