"""The charts of a challenge's insights: the database's figures (``aggregation``) arranged for
one viewer — one column per track they may see, and the challenge's total (every track) when
the challenge has more than one — with titles in their language.

A chart holds exactly the numbers it plots: its table and its CSV are written from the same
``Chart`` (categories by series), so the three never disagree. Arranging works on the grouped
rows the database answered (a few per track), never on entries or reviews.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from competitions.challenges.eligibility import entrant_type_label, status_label
from competitions.challenges.models import Challenge, Round, Track
from competitions.core.i18n import country_name, language_name
from competitions.core.translate import gettext as _
from competitions.core.translate import ngettext, pgettext
from competitions.insights.aggregation import BINS, Figures, KeyCount
from competitions.judging.leniency import Leniency
from competitions.judging.models import ReviewProgress
from competitions.judging.results import JudgeLeniency

TOP_COUNTRIES = 12  # countries drawn one by one; the others are summed in one bar
DAILY_UP_TO = 62  # days of registrations drawn day by day; weeks beyond, then months
WEEKLY_UP_TO = 7 * 78


@dataclass(frozen=True)
class Series:
    label: str
    values: tuple[float, ...]  # one per category


@dataclass(frozen=True)
class Chart:
    """One chart: ``categories`` (rows of its table) by ``series`` (columns)."""

    key: str  # unique on the page: the figure's id and its CSV's name
    title: str
    description: str
    kind: str  # "bars" (horizontal, ranked), "line" (over time) or "columns" (histogram)
    category_label: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    csv_categories: tuple[str, ...] = ()  # the categories in the CSV, when not as shown
    decimals: int = 0

    @property
    def is_empty(self) -> bool:
        return not self.categories or not any(v for s in self.series for v in s.values)

    def rows(self) -> list[tuple[str, tuple[float, ...]]]:
        return [
            (label, tuple(s.values[i] for s in self.series))
            for i, label in enumerate(self.categories)
        ]

    def csv_rows(self) -> list[list[object]]:
        """The header, then one row per category: exactly the plotted numbers."""
        labels = self.csv_categories or self.categories
        out: list[list[object]] = [[self.category_label, *(s.label for s in self.series)]]
        for label, (_shown, values) in zip(labels, self.rows(), strict=True):
            out.append(
                [label, *(round(v, self.decimals) if self.decimals else int(v) for v in values)]
            )
        return out


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    charts: tuple[Chart, ...]


@dataclass(frozen=True)
class Column:
    """A column of the charts: one track, or every track (the challenge's total)."""

    label: str
    track_ids: frozenset[int]


def columns(challenge: Challenge, tracks: Sequence[Track], lang: str) -> list[Column]:
    out = [Column(t.name_in(lang), frozenset({t.id})) for t in tracks]
    if len(challenge.tracks) > 1:
        out.append(Column(_("All tracks"), frozenset(t.id for t in challenge.tracks)))
    return out


def _pivot(
    rows: Iterable[KeyCount], cols: Sequence[Column]
) -> tuple[list[str], dict[str, list[float]]]:
    """Keys ranked by the challenge's total (then by key), and each key's value per column."""
    values: dict[str, list[float]] = {}
    totals: dict[str, int] = {}
    for row in rows:
        per = values.setdefault(row.key, [0.0] * len(cols))
        totals[row.key] = totals.get(row.key, 0) + row.count
        for i, col in enumerate(cols):
            if row.track_id in col.track_ids:
                per[i] += row.count
    keys = sorted(values, key=lambda k: (-totals[k], k))
    return keys, values


def ranked_bars(
    key: str,
    title: str,
    description: str,
    category_label: str,
    rows: Iterable[KeyCount],
    cols: Sequence[Column],
    label: Callable[[str], str],
    top: int | None = None,
    other: str = "",
) -> Chart:
    keys, values = _pivot(rows, cols)
    shown = keys if top is None or len(keys) <= top + 1 else keys[:top]
    categories = [label(k) for k in shown]
    table = [values[k] for k in shown]
    if len(shown) < len(keys):
        rest = keys[len(shown) :]
        categories.append(other)
        table.append([sum(values[k][i] for k in rest) for i in range(len(cols))])
    return Chart(
        key,
        title,
        description,
        "bars",
        category_label,
        tuple(categories),
        tuple(Series(c.label, tuple(r[i] for r in table)) for i, c in enumerate(cols)),
    )


# --- registrations over time ----------------------------------------------------------------


def _bucket(day: date, span: int) -> date:
    if span <= DAILY_UP_TO:
        return day
    if span <= WEEKLY_UP_TO:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _next(bucket: date, span: int) -> date:
    if span <= DAILY_UP_TO:
        return bucket + timedelta(days=1)
    if span <= WEEKLY_UP_TO:
        return bucket + timedelta(days=7)
    return (bucket + timedelta(days=32)).replace(day=1)


def registrations_chart(
    figures: Figures, cols: Sequence[Column], fmt_date: Callable[[date], str]
) -> Chart:
    """Registrations so far (cumulative) at the end of each day, week or month."""
    rows = figures.registrations
    buckets: list[date] = []
    cumulative: list[list[float]] = []
    if rows:
        first, last = rows[0].day, rows[-1].day
        span = (last - first).days + 1
        per_bucket: dict[date, list[float]] = {}
        for row in rows:
            per = per_bucket.setdefault(_bucket(row.day, span), [0.0] * len(cols))
            for i, col in enumerate(cols):
                if row.track_id in col.track_ids:
                    per[i] += row.count
        running = [0.0] * len(cols)
        bucket = _bucket(first, span)
        while bucket <= last:
            added = per_bucket.get(bucket, [0.0] * len(cols))
            running = [a + b for a, b in zip(running, added, strict=True)]
            buckets.append(bucket)
            cumulative.append(list(running))
            bucket = _next(bucket, span)
    return Chart(
        "registrations",
        _("Registrations over time"),
        _("Entries registered so far, per track, from the first registration to the last."),
        "line",
        _("Date"),
        tuple(fmt_date(b) for b in buckets),
        tuple(Series(c.label, tuple(v[i] for v in cumulative)) for i, c in enumerate(cols)),
        csv_categories=tuple(b.isoformat() for b in buckets),
    )


# --- entrants -------------------------------------------------------------------------------


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def entrant_charts(figures: Figures, cols: Sequence[Column], lang: str) -> tuple[Chart, ...]:
    return (
        ranked_bars(
            "countries",
            _("Entrants by country"),
            _(
                "Active entries by the country of the organisation, else of the team's lead, "
                "ranked by the challenge's total."
            ),
            _("Country"),
            figures.countries,
            cols,
            lambda code: country_name(code, lang) or _("Not stated"),
            top=TOP_COUNTRIES,
            other=_("Other countries"),
        ),
        ranked_bars(
            "entrant-types",
            _("Entrants by type"),
            _("Active entries by the kind of entrant, ranked by the challenge's total."),
            _("Entrant type"),
            figures.entrant_types,
            cols,
            lambda kind: _capital(entrant_type_label(kind)),
        ),
    )


# --- the funnel -----------------------------------------------------------------------------


def funnel_charts(
    figures: Figures, cols: Sequence[Column], rounds: Sequence[Round], lang: str
) -> tuple[Chart, ...]:
    """One chart per round: registered → submitted → eligible → advanced → winners."""
    registered = [
        float(sum(r.count for r in figures.outcomes if r.track_id in c.track_ids)) for c in cols
    ]
    last = rounds[-1].id if rounds else None
    stages = [
        pgettext("funnel stage", "Registered"),
        _("Submitted"),
        _("Eligible"),
        _("Advanced"),
        _("Winners"),
    ]

    def counts(round_id: int | None, pick: Callable[..., int]) -> list[float]:
        return [
            float(
                sum(
                    pick(r)
                    for r in figures.funnel
                    if r.round_id == round_id and r.track_id in c.track_ids
                )
            )
            for c in cols
        ]

    winners = counts(last, lambda r: r.advanced)
    charts = []
    for round_ in rounds:
        table = [
            registered,
            counts(round_.id, lambda r: r.submitted),
            counts(round_.id, lambda r: r.eligible),
            counts(round_.id, lambda r: r.advanced),
            winners,
        ]
        name = round_.name_in(lang)
        charts.append(
            Chart(
                f"funnel-{round_.id}",
                _("Funnel of %(round)s", round=name),
                _(
                    "Active entries registered; of them, those that submitted in %(round)s, "
                    "those eligible, those advancing from it, and the challenge's winners "
                    "(advancing from its last round).",
                    round=name,
                ),
                "bars",
                _("Stage"),
                tuple(stages),
                tuple(Series(c.label, tuple(r[i] for r in table)) for i, c in enumerate(cols)),
            )
        )
    return tuple(charts)


# --- eligibility ----------------------------------------------------------------------------


def reason_label(code: str) -> str:
    """A short name for a blocking reason code (its code when unknown)."""
    labels = {
        "entrant_type_not_allowed": _("Entrant type not accepted"),
        "no_members": _("No members"),
        "individual_alone": _("Individual entry with several members"),
        "team_too_small": _("Team too small"),
        "team_too_large": _("Team too large"),
        "age_not_declared": _("Age not declared"),
        "members_too_young": _("Members too young"),
        "excluded_country": _("From an excluded country"),
        "residence_not_met": _("Residence outside the track's countries"),
        "organisation_country_missing": _("Organisation's country missing"),
        "organisation_not_established": _("Organisation established elsewhere"),
    }
    return labels.get(code, code)


def eligibility_charts(figures: Figures, cols: Sequence[Column]) -> tuple[Chart, ...]:
    return (
        ranked_bars(
            "outcomes",
            _("Eligibility outcomes"),
            _("Active entries by their eligibility (an admin's override when there is one)."),
            _("Outcome"),
            figures.outcomes,
            cols,
            status_label,
        ),
        ranked_bars(
            "reasons",
            _("Reasons for not being fully eligible"),
            _(
                "How many active entries each unmet requirement concerns (an entry can have "
                "several)."
            ),
            _("Reason"),
            figures.reasons,
            cols,
            reason_label,
        ),
    )


# --- judging --------------------------------------------------------------------------------


def _stage_name(round_: Round, stage: int, several: bool, lang: str) -> str:
    name = round_.name_in(lang)
    return _("%(round)s, stage %(n)d", round=name, n=stage) if several else name


def progress_charts(
    figures: Figures, cols: Sequence[Column], rounds: Sequence[Round], lang: str
) -> tuple[Chart, ...]:
    states = (
        (ReviewProgress.NEW.value, _("Not started")),
        (ReviewProgress.DRAFT.value, _("Draft")),
        (ReviewProgress.SUBMITTED.value, _("Submitted")),
    )
    charts = []
    for round_ in rounds:
        rows = [r for r in figures.progress if r.round_id == round_.id]
        stages = sorted({r.stage for r in rows})
        for stage in stages:
            table = [
                [
                    float(
                        sum(
                            r.count
                            for r in rows
                            if r.stage == stage and r.state == state and r.track_id in c.track_ids
                        )
                    )
                    for c in cols
                ]
                for state, _label in states
            ]
            name = _stage_name(round_, stage, len(stages) > 1, lang)
            charts.append(
                Chart(
                    f"progress-{round_.id}-{stage}",
                    _("Judging progress of %(round)s", round=name),
                    _("Active assignments by the state of their review."),
                    "bars",
                    _("Review"),
                    tuple(label for _state, label in states),
                    tuple(Series(c.label, tuple(r[i] for r in table)) for i, c in enumerate(cols)),
                )
            )
    return tuple(charts)


def score_charts(
    figures: Figures, cols: Sequence[Column], rounds: Sequence[Round], lang: str
) -> tuple[Chart, ...]:
    bins = [f"{10 * i}\u2013{10 * (i + 1)}" for i in range(BINS)]
    charts = []
    for round_ in rounds:
        rows = [r for r in figures.scores if r.round_id == round_.id]
        stages = sorted({r.stage for r in rows})
        for stage in stages:
            table = [
                [
                    float(
                        sum(
                            r.count
                            for r in rows
                            if r.stage == stage and r.bin == b and r.track_id in c.track_ids
                        )
                    )
                    for c in cols
                ]
                for b in range(BINS)
            ]
            name = _stage_name(round_, stage, len(stages) > 1, lang)
            charts.append(
                Chart(
                    f"scores-{round_.id}-{stage}",
                    _("Score distribution of %(round)s", round=name),
                    _(
                        "Submitted reviews by their weighted score out of 100, in bins of 10 "
                        "points (the last includes 100)."
                    ),
                    "columns",
                    _("Score"),
                    tuple(bins),
                    tuple(Series(c.label, tuple(r[i] for r in table)) for i, c in enumerate(cols)),
                )
            )
    return tuple(charts)


def leniency_chart(
    round_: Round, rows: Sequence[JudgeLeniency], names: dict[int, str], lang: str
) -> Chart:
    """Each judge's mean difference from the other judges on the same submissions."""
    assessments = {
        Leniency.LENIENT: _("lenient"),
        Leniency.SEVERE: _("severe"),
        Leniency.TYPICAL: _("typical"),
    }
    compared = [r for r in rows if r.difference is not None and r.label is not None]
    compared.sort(key=lambda r: (-(r.difference or 0.0), r.user_id))
    name = round_.name_in(lang)
    return Chart(
        f"leniency-{round_.id}",
        _("Leniency of each judge in %(round)s", round=name),
        _(
            "Each judge's mean difference, in points out of 100, from the other judges' scores "
            "of the same submissions (the results' leniency report); judges who share no "
            "submission with another judge are not shown."
        ),
        "bars",
        _("Judge"),
        tuple(
            ngettext(
                "%(judge)s (%(assessment)s, %(num)d review)",
                "%(judge)s (%(assessment)s, %(num)d reviews)",
                r.reviews,
                judge=names.get(r.user_id, str(r.user_id)),
                assessment=assessments[r.label] if r.label else "",
            )
            for r in compared
        ),
        (Series(_("Difference (points)"), tuple(round(r.difference or 0.0, 1) for r in compared)),),
        decimals=1,
    )


# --- outreach -------------------------------------------------------------------------------


def outreach_chart(figures: Figures, tracks: Sequence[Track], lang: str) -> Chart:
    """Per track (and challenge-wide) and language: the announcements' emails by state; then
    the challenge's total (every track's and language's)."""
    names = {t.id: t.name_in(lang) for t in tracks}
    categories: list[str] = []
    table: list[list[float]] = []
    for row in figures.outreach:
        if row.track_id is not None and row.track_id not in names:
            continue
        scope = _("Whole challenge") if row.track_id is None else names[row.track_id]
        language = language_name(row.language, lang) if row.language else _("unknown")
        categories.append(f"{scope} · {language}")
        table.append([row.queued, row.sent, row.failed, row.unsubscribed])
    if len(figures.outreach) > 1:
        total = [
            sum(getattr(r, f) for r in figures.outreach)
            for f in ("queued", "sent", "failed", "unsubscribed")
        ]
        categories.append(_("All tracks · all languages"))
        table.append([float(v) for v in total])
    labels = [_("Queued"), pgettext("email state", "Sent"), _("Failed"), _("Unsubscribed since")]
    return Chart(
        "outreach",
        _("Outreach per track and language"),
        _(
            "Emails of the announcements by delivery state, and how many of their recipients "
            "have unsubscribed since."
        ),
        "bars",
        _("Track · language"),
        tuple(categories),
        tuple(Series(label, tuple(float(r[i]) for r in table)) for i, label in enumerate(labels)),
    )
