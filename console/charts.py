"""The dashboard's charts as inline SVG, drawn on the server with pygal (no JavaScript, no CDN)."""
from __future__ import annotations

import re
from typing import List, Optional, Sequence

from markupsafe import Markup

from console.metrics import CHANNEL_LABELS, CHANNELS, Metrics

FONT = "'Noto Sans CJK JP', 'Hiragino Sans', 'Yu Gothic UI', Meiryo, sans-serif"
CHANNEL_COLORS = ("#1f6fd1", "#06a550", "#e58a00", "#8a96a8")  # web, LINE, phone, other
RATE_COLORS = ("#1e7b3a", "#c2570c")  # 自己解決率, 有人対応率 (the colours of the figures above)


def _style(colors: Sequence[str]):
    from pygal.style import Style

    return Style(
        font_family=FONT, background="#ffffff", plot_background="#ffffff", foreground="#1f2933",
        foreground_strong="#1f2933", foreground_subtle="#d5dbe3", colors=tuple(colors),
        label_font_size=12, major_label_font_size=12, legend_font_size=13, value_font_size=11,
        title_font_size=14, guide_stroke_color="#e3e8ee", major_guide_stroke_color="#e3e8ee",
        guide_stroke_dasharray="0", major_guide_stroke_dasharray="0", opacity="1", opacity_hover="1",
        transition="0s",
    )


_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)


def _svg(chart) -> Markup:
    """The rendered chart without pygal's inline <script> (its tooltip config, which the
    console's CSP refuses anyway) and comments: plain SVG with its own <style>."""
    svg = chart.render(is_unicode=True)
    return Markup(_COMMENT.sub("", _SCRIPT.sub("", svg)))


def _labels(metrics: Metrics) -> List[str]:
    return [f"{d.day.month}/{d.day.day}" for d in metrics.days if d.day]


def _major(labels: List[str]) -> List[str]:
    """About eight labels under the axis, whatever the period's length."""
    step = max(1, (len(labels) + 7) // 8)
    return labels[::step]


def _common(series: int, **extra):
    # legend_at_bottom_columns must match the number of series, or pygal cuts the legend off
    return dict(
        js=[], disable_xml_declaration=True, width=960, height=300, legend_at_bottom=True,
        legend_at_bottom_columns=series, truncate_legend=-1, truncate_label=-1, show_minor_x_labels=False,
        x_label_rotation=0, margin=12, spacing=12, print_values=False, show_x_guides=False,
        no_data_text="データがありません", **extra,
    )


def channel_bars(metrics: Metrics) -> Markup:
    """Inquiries per day, stacked by channel."""
    import pygal

    labels = _labels(metrics)
    chart = pygal.StackedBar(style=_style(CHANNEL_COLORS), **_common(len(CHANNELS), y_title="件"))
    chart.x_labels = labels
    chart.x_labels_major = _major(labels)
    top = max((d.inquiries for d in metrics.days), default=0)
    if top < 5:
        chart.range = (0, 5)  # a nearly empty period still reads as counts, not fractions
    for channel in CHANNELS:
        chart.add(CHANNEL_LABELS[channel], [d.channels[channel] or None for d in metrics.days])
    return _svg(chart)


def rate_lines(metrics: Metrics) -> Markup:
    """自己解決率 and 有人対応率 per day, in percent (gaps on days without data)."""
    import pygal

    def percent(values: Sequence[Optional[float]]) -> List[Optional[float]]:
        return [None if v is None else round(v * 100, 1) for v in values]

    labels = _labels(metrics)
    chart = pygal.Line(style=_style(RATE_COLORS), **_common(2, y_title="%", range=(0, 100), allow_interruptions=True,
                                                               dots_size=3, stroke_style={"width": 2.5}))
    chart.x_labels = labels
    chart.x_labels_major = _major(labels)
    chart.y_labels = [0, 20, 40, 60, 80, 100]
    chart.add("自己解決率", percent([d.self_resolution_rate for d in metrics.days]))
    chart.add("有人対応率", percent([d.handoff_rate for d in metrics.days]))
    return _svg(chart)
