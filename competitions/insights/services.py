"""A challenge's insights for one viewer: the figures counted by the database
(``aggregation``), the judges' leniency from the rounds' kept results (``judging.results``,
the same report the results page shows), arranged as charts (``charts``) for the tracks the
viewer may see (``permissions``).

The number of queries does not depend on the number of entries, reviews or emails: six
grouped queries (``aggregation.figures``), then a few per round that has assignments (the
freshness of its kept results and their leniency part)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from babel.dates import format_date

from competitions.challenges.models import Challenge, Track
from competitions.core.errors import NotFound
from competitions.core.spreadsheet import CsvPieces
from competitions.core.translate import gettext as _
from competitions.insights import aggregation, charts, permissions
from competitions.insights.charts import Chart, Section
from competitions.judging import panels
from competitions.judging import results as judging_results


@dataclass(frozen=True)
class Insights:
    challenge: Challenge
    tracks: tuple[Track, ...]  # whose own figures the viewer sees
    every_track: bool
    sections: tuple[Section, ...]

    def chart(self, key: str) -> Chart:
        for section in self.sections:
            for chart in section.charts:
                if chart.key == key:
                    return chart
        raise NotFound(_("No such chart."))


def _leniency(
    challenge: Challenge, figures: aggregation.Figures, tracks: list[Track], every: bool, lang: str
) -> tuple[Chart, ...]:
    """Per round with assignments: its judges' leniency at its last stage, for the panels of
    the tracks the viewer sees (and the shared panel, for those who see every track)."""
    judged = {r.round_id for r in figures.progress}
    if not judged:
        return ()
    track_ids = {t.id for t in tracks}
    visible = {
        p.id
        for p in panels.panels_of(challenge)
        if (p.track_id in track_ids) or (p.track_id is None and every)
    }
    per_round = []
    for round_ in challenge.rounds:
        if round_.id in judged:
            rows = judging_results.leniency_of(round_)
            shown = [r for r in rows if r.panel_id in visible and r.difference is not None]
            per_round.append((round_, shown))
    users = judging_results.judges_by_id({r.user_id for _r, rows in per_round for r in rows})
    names = {i: u.display_name or u.email for i, u in users.items()}
    return tuple(charts.leniency_chart(r, rows, names, lang) for r, rows in per_round if rows)


def insights_for(user: Any, challenge: Challenge, lang: str) -> Insights:
    """Every chart of the challenge that ``user`` may see (call it once they may see some)."""
    tracks = permissions.visible_tracks(user, challenge)
    every = permissions.sees_every_track(user, challenge)
    figures = aggregation.figures(challenge)
    cols = charts.columns(challenge, tracks, lang)
    rounds = list(challenge.rounds)

    def fmt_date(day: date) -> str:
        return format_date(day, "medium", locale=lang)

    sections = (
        Section(
            "registrations",
            _("Registrations"),
            (charts.registrations_chart(figures, cols, fmt_date),),
        ),
        Section("entrants", _("Entrants"), charts.entrant_charts(figures, cols, lang)),
        Section("funnel", _("Funnel"), charts.funnel_charts(figures, cols, rounds, lang)),
        Section("eligibility", _("Eligibility"), charts.eligibility_charts(figures, cols)),
        Section(
            "judging",
            _("Judging"),
            charts.progress_charts(figures, cols, rounds, lang)
            + charts.score_charts(figures, cols, rounds, lang)
            + _leniency(challenge, figures, tracks, every, lang),
        ),
        Section("outreach", _("Outreach"), (charts.outreach_chart(figures, tracks, lang),)),
    )
    return Insights(challenge, tuple(tracks), every, sections)


def chart_csv(chart: Chart) -> Iterator[str]:
    """The chart's numbers as CSV (formula-safe): its header, then one row per category."""
    out = CsvPieces()
    for row in chart.csv_rows():
        out.writerow(row)
    yield out.take()
