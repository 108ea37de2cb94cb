"""SVG charts drawn on the server with pygal: no script and no asset reach the browser."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pygal
from pygal.style import Style

STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1d2733",
    foreground_strong="#1d2733",
    foreground_subtle="#d5dbe3",
    colors=("#0b5cad", "#1b7a3a", "#c77700", "#7a3fb0", "#b3261e", "#00838f", "#5d4037"),
    font_family="Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif",
    label_font_size=15,
    major_label_font_size=15,
    legend_font_size=15,
    title_font_size=17,
    value_font_size=14,
)
OPTIONS = {
    "style": STYLE,
    "js": [],  # pygal's tooltips script would be fetched from outside: none
    "width": 640,
    "height": 400,
    "explicit_size": False,
    "print_values": True,
    "legend_at_bottom": True,
    "truncate_label": -1,
    "truncate_legend": -1,
}


def bars(title: str, values: Mapping[str, float | int]) -> bytes:
    """A horizontal bar chart of one series (labels to values)."""
    chart = pygal.HorizontalBar(title=title, show_legend=False, **OPTIONS)
    labels = list(values)
    chart.x_labels = labels
    chart.add(title, [float(values[label]) for label in labels])
    return bytes(chart.render())


def stacked(
    title: str, categories: Sequence[str], series: Mapping[str, Sequence[float | int]]
) -> bytes:
    """A stacked bar chart: ``categories`` along the axis, one layer per series."""
    chart = pygal.StackedBar(title=title, **OPTIONS)
    chart.x_labels = list(categories)
    for name, values in series.items():
        chart.add(name, [float(v) for v in values])
    return bytes(chart.render())


def empty(title: str, message: str) -> bytes:
    """A chart frame saying there is nothing to draw yet."""
    chart = pygal.Bar(title=title, no_data_text=message, **OPTIONS)
    return bytes(chart.render())
