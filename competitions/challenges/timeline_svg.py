"""The shared timeline drawn as SVG (server-side, no script), with a text alternative beside it.

Only instants in the supported range (``core.instants``) are drawn: one stored before the range
was enforced (year 1, year 9999) would squeeze the scale to nothing; the text beside shows it.

In a right-to-left language (Arabic) the drawing is mirrored: time flows from right to left,
round names stand at the right, and every text is anchored at its start with ``direction="rtl"``
so it grows leftwards from its tick, as the reader expects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from babel.dates import format_date
from markupsafe import Markup

from competitions.core.i18n import text_direction
from competitions.core.instants import supported

WIDTH = 880
LEFT = 230  # room for round names
RIGHT = 20
ROW = 34
TOP = 36


@dataclass(frozen=True)
class Bar:
    start: datetime
    end: datetime
    kind: str  # registration | submission | judging


@dataclass(frozen=True)
class Lane:
    label: str
    bars: Sequence[Bar]
    marks: Sequence[tuple[datetime, str]]  # instant, label (results, milestones)


def _months(start: datetime, end: datetime) -> list[datetime]:
    first = start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    out = []
    cursor = first
    while cursor <= end:
        if cursor >= start:
            out.append(cursor)
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    return out


def _fit(label: str, limit: int = 30) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _on_scale(lane: Lane) -> Lane:
    """The lane without the bars and marks outside the supported range."""
    bars = [b for b in lane.bars if supported(b.start) and supported(b.end)]
    return Lane(lane.label, bars, [m for m in lane.marks if supported(m[0])])


def draw(lanes: Sequence[Lane], now: datetime, lang: str, title: str) -> Markup:
    lanes = [_on_scale(lane) for lane in lanes]
    instants = [b.start for lane in lanes for b in lane.bars] + [
        b.end for lane in lanes for b in lane.bars
    ]
    instants += [m[0] for lane in lanes for m in lane.marks]
    if not instants:
        return Markup("")
    start, end = min(instants), max(instants)
    span = max(end - start, timedelta(days=1))
    start, end = start - span * 0.03, end + span * 0.03
    span = end - start
    inner = WIDTH - LEFT - RIGHT
    height = TOP + ROW * len(lanes) + 10
    direction = text_direction(lang)
    rtl = direction == "rtl"

    def x(t: datetime) -> float:
        ltr_x = LEFT + inner * ((t - start) / span)
        return round(WIDTH - ltr_x if rtl else ltr_x, 1)

    def edge(ltr_x: float) -> float:
        return WIDTH - ltr_x if rtl else ltr_x

    parts = [
        f'<svg class="timeline-svg" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'direction="{direction}" data-direction="{direction}" '
        f'aria-labelledby="timeline-svg-title" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="timeline-svg-title">{escape(title)}</title>',
    ]
    months = _months(start, end)
    step = max(1, -(-len(months) // 7))  # at most about seven month labels
    for month in months[::step]:
        mx = x(month)
        parts.append(
            f'<line x1="{mx}" y1="{TOP - 8}" x2="{mx}" y2="{height - 6}" stroke="#ced4da"/>'
        )
        label = format_date(month, "MMM y", locale=lang)
        parts.append(
            f'<text x="{mx - 3 if rtl else mx + 3}" y="{TOP - 14}" text-anchor="start" '
            'font-size="12" fill="#343a40">'
            f"{escape(label)}</text>"
        )
    colours = {"registration": "#9ec5fe", "submission": "#0b4f9c", "judging": "#6c757d"}
    for index, lane in enumerate(lanes):
        y = TOP + index * ROW
        parts.append(
            f'<text x="{edge(8)}" y="{y + 19}" text-anchor="start" font-size="13" '
            f'fill="#0b0c0c">{escape(_fit(lane.label))}'
            "</text>"
        )
        for bar in lane.bars:
            x1, x2 = sorted((x(bar.start), x(bar.end)))
            width = max(round(x2 - x1, 1), 2)
            parts.append(
                f'<rect x="{x1}" y="{y + 6}" width="{width}" height="18" rx="3" '
                f'fill="{colours[bar.kind]}"/>'
            )
        for instant, label in lane.marks:
            mx = x(instant)
            parts.append(
                f'<path d="M{mx} {y + 5} l7 10 l-7 10 l-7 -10 z" fill="#b02a37">'
                f"<title>{escape(label)}</title></path>"
            )
    if start <= now <= end:
        nx = x(now)
        parts.append(
            f'<line x1="{nx}" y1="{TOP - 8}" x2="{nx}" y2="{height - 4}" stroke="#b02a37" '
            'stroke-width="2" stroke-dasharray="4 3"/>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text is escaped above)
