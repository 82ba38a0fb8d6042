"""Charts drawn as SVG on the server (no script, no canvas, nothing from elsewhere), as the
shared timeline is (``challenges.timeline_svg``): every text is escaped, colours come from
classes in ``tandem.css`` (``insight-s0`` … ``insight-s5``), and each drawing is an image with a
title and a description; the figure's table beside it holds the same numbers.

Three kinds: horizontal grouped bars (ranked categories; negative values extend left of a zero
line), a line over time, and vertical grouped columns (a histogram)."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from markupsafe import Markup

from competitions.insights.charts import Chart

WIDTH = 760
PALETTE = 6
BAR = 14
LEGEND_ROW = 20


def _series_class(index: int) -> str:
    return f"insight-s{index % PALETTE}"


def _fit(label: str, limit: int = 40) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _legend(chart: Chart) -> tuple[list[str], int]:
    """The series' names with their colours, one per row (none for a single series)."""
    if len(chart.series) < 2:
        return [], 0
    parts = []
    for i, series in enumerate(chart.series):
        y = 6 + i * LEGEND_ROW
        parts.append(
            f'<rect x="8" y="{y}" width="12" height="12" class="{_series_class(i)}"/>'
            f'<text x="26" y="{y + 11}" class="insight-text">{escape(_fit(series.label, 60))}'
            "</text>"
        )
    return parts, len(chart.series) * LEGEND_ROW + 8


def _open(chart: Chart, height: int) -> list[str]:
    ident = f"chart-{chart.key}"
    return [
        f'<svg class="insight-svg" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{ident}-title">{escape(chart.title)}</title>',
        f'<desc id="{ident}-desc">{escape(chart.description)}</desc>',
    ]


def _scale(chart: Chart) -> tuple[float, float]:
    values = [v for s in chart.series for v in s.values]
    lo, hi = min([0.0, *values]), max([0.0, *values])
    return lo, hi if hi > lo else lo + 1


def bars(chart: Chart, fmt: Callable[[float], str]) -> Markup:
    left, right = 270, 70
    legend, top = _legend(chart)
    group = len(chart.series) * (BAR + 2) + 12
    height = top + group * len(chart.categories) + 10
    lo, hi = _scale(chart)
    inner = WIDTH - left - right

    def x(v: float) -> float:
        return round(left + inner * (v - lo) / (hi - lo), 1)

    parts = _open(chart, height) + legend
    for c, label in enumerate(chart.categories):
        y0 = top + c * group
        parts.append(
            f'<text x="{left - 8}" y="{y0 + group / 2}" text-anchor="end" class="insight-text">'
            f"{escape(_fit(label))}</text>"
        )
        for s, series in enumerate(chart.series):
            v = series.values[c]
            y = y0 + s * (BAR + 2)
            x1, x2 = x(min(0.0, v)), x(max(0.0, v))
            parts.append(
                f'<rect x="{x1}" y="{y}" width="{max(x2 - x1, 1)}" height="{BAR}" '
                f'class="{_series_class(s)}"><title>{escape(label)} — {escape(series.label)}: '
                f"{escape(fmt(v))}</title></rect>"
                f'<text x="{x2 + 4}" y="{y + BAR - 3}" class="insight-value">{escape(fmt(v))}'
                "</text>"
            )
    if lo < 0:
        parts.append(
            f'<line x1="{x(0)}" y1="{top}" x2="{x(0)}" y2="{height - 6}" class="insight-axis"/>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text is escaped above)


def _y_axis(parts: list[str], top: int, bottom: int, left: int, hi: float, fmt: Callable) -> None:
    for fraction in (0.0, 0.5, 1.0):
        y = round(bottom - (bottom - top) * fraction, 1)
        parts.append(
            f'<line x1="{left}" y1="{y}" x2="{WIDTH - 20}" y2="{y}" class="insight-grid"/>'
            f'<text x="{left - 6}" y="{y + 4}" text-anchor="end" class="insight-value">'
            f"{escape(fmt(hi * fraction))}</text>"
        )


def _x_labels(parts: list[str], chart: Chart, bottom: int, at: Callable[[int], float]) -> None:
    n = len(chart.categories)
    step = max(1, -(-n // 8))  # at most about eight labels
    for i in range(0, n, step):
        parts.append(
            f'<text x="{at(i)}" y="{bottom + 18}" text-anchor="middle" class="insight-value">'
            f"{escape(_fit(chart.categories[i], 16))}</text>"
        )


def line(chart: Chart, fmt: Callable[[float], str]) -> Markup:
    left = 60
    legend, top = _legend(chart)
    top += 14
    bottom = top + 220
    height = bottom + 30
    _lo, hi = _scale(chart)
    n = len(chart.categories)
    inner = WIDTH - left - 30

    def at(i: int) -> float:
        return round(left + (inner * i / (n - 1) if n > 1 else inner / 2), 1)

    def y(v: float) -> float:
        return round(bottom - (bottom - top) * v / hi, 1)

    parts = _open(chart, height) + legend
    _y_axis(parts, top, bottom, left, hi, fmt)
    _x_labels(parts, chart, bottom, at)
    for s, series in enumerate(chart.series):
        points = " ".join(f"{at(i)},{y(v)}" for i, v in enumerate(series.values))
        parts.append(f'<polyline points="{points}" class="insight-line {_series_class(s)}"/>')
        if n <= 90:
            for i, v in enumerate(series.values):
                parts.append(
                    f'<circle cx="{at(i)}" cy="{y(v)}" r="3" class="{_series_class(s)}">'
                    f"<title>{escape(chart.categories[i])} — {escape(series.label)}: "
                    f"{escape(fmt(v))}</title></circle>"
                )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text is escaped above)


def columns(chart: Chart, fmt: Callable[[float], str]) -> Markup:
    left = 60
    legend, top = _legend(chart)
    top += 14
    bottom = top + 200
    height = bottom + 30
    _lo, hi = _scale(chart)
    n = len(chart.categories)
    slot = (WIDTH - left - 30) / max(n, 1)
    width = slot * 0.8 / max(len(chart.series), 1)

    def at(i: int) -> float:
        return round(left + slot * (i + 0.5), 1)

    parts = _open(chart, height) + legend
    _y_axis(parts, top, bottom, left, hi, fmt)
    _x_labels(parts, chart, bottom, at)
    for s, series in enumerate(chart.series):
        for i, v in enumerate(series.values):
            h = round((bottom - top) * v / hi, 1)
            x = round(left + slot * i + slot * 0.1 + s * width, 1)
            parts.append(
                f'<rect x="{x}" y="{bottom - h}" width="{round(width, 1)}" height="{h}" '
                f'class="{_series_class(s)}"><title>{escape(chart.categories[i])} — '
                f"{escape(series.label)}: {escape(fmt(v))}</title></rect>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text is escaped above)


def draw(chart: Chart, fmt: Callable[[float], str]) -> Markup:
    """The chart's SVG (empty when it has nothing to draw)."""
    if chart.is_empty:
        return Markup("")
    kinds = {"bars": bars, "line": line, "columns": columns}
    return kinds[chart.kind](chart, fmt)
