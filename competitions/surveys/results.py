"""A survey's results: response rates, a chart per question, free-text answers listed.

Columns are the total, each track the viewer may see (``insights.permissions``), and each
audience segment (entrants who submitted, who did not, judges, partner agencies). For an
anonymous survey a column with fewer than ``MIN_GROUP`` responses is not shown — the page
says "fewer than 5 responses" instead — and when the whole survey has fewer, no answer is
shown at all; free-text answers are listed in alphabetical order, with nothing about who
wrote them. Response rates come from who was asked and who has answered (not from the
answers), so they are always shown.

The answers are read once (a survey's responses, a few thousand at most) and counted here:
the answers are JSON whose shape is the survey's own, which neither engine groups portably.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from sqlalchemy import func, select

from competitions.accounts.models import User
from competitions.core.extensions import db
from competitions.core.spreadsheet import CsvPieces
from competitions.core.translate import gettext as _
from competitions.insights.charts import Chart, Series
from competitions.insights.permissions import visible_tracks
from competitions.submissions.fields import FieldDef, FieldType, display_answer
from competitions.surveys import services
from competitions.surveys.models import (
    MIN_GROUP,
    Segment,
    Survey,
    SurveyInvitee,
    SurveyParticipation,
    SurveyResponse,
)

TEXT_TYPES = (FieldType.SHORT_TEXT, FieldType.LONG_TEXT, FieldType.URL, FieldType.DATE)
MAX_VALUES = 12  # a number question with more distinct answers is summed up (mean, median)


def segment_label(segment: str) -> str:
    return {
        Segment.SUBMITTED: _("Entrants who submitted"),
        Segment.NOT_SUBMITTED: _("Entrants who registered and did not submit"),
        Segment.JUDGE: _("Judges"),
        Segment.PARTNER: _("Partner agencies"),
    }[Segment(segment)]


@dataclass(frozen=True)
class Rate:
    label: str
    invited: int
    answered: int

    @property
    def percent(self) -> float:
        return 100.0 * self.answered / self.invited if self.invited else 0.0


@dataclass(frozen=True)
class Group:
    """A column of the results: its label and the responses in it."""

    label: str
    responses: tuple[dict[str, Any], ...]


@dataclass
class Question:
    field: FieldDef
    chart: Chart | None = None
    texts: list[tuple[str, str]] = dataclass_field(default_factory=list)  # (respondent or "", text)
    answered: int = 0


@dataclass
class Results:
    survey: Survey
    rates: list[Rate]
    segment_rates: list[Rate]
    responses: int
    hidden: bool  # anonymous and fewer than MIN_GROUP responses: no answer shown
    columns: list[str]
    suppressed: list[str]  # columns not shown: fewer than MIN_GROUP responses
    questions: list[Question]

    def chart(self, key: str) -> Chart:
        for q in self.questions:
            if q.chart is not None and q.chart.key == key:
                return q.chart
        raise KeyError(key)


def _rates(survey: Survey, track_ids: list[int | None], labels: dict[int | None, str]) -> Any:
    answered = (
        select(SurveyParticipation.user_id)
        .where(SurveyParticipation.survey_id == survey.id)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(
            SurveyInvitee.track_id,
            SurveyInvitee.segment,
            func.count(),
            func.count().filter(SurveyInvitee.user_id.in_(answered)),
        )
        .where(SurveyInvitee.survey_id == survey.id)
        .group_by(SurveyInvitee.track_id, SurveyInvitee.segment)
    ).all()
    by_track: dict[int | None, list[int]] = {}
    by_segment: dict[str, list[int]] = {}
    total = [0, 0]
    for track_id, segment, invited, done in rows:
        for bucket in (
            by_track.setdefault(track_id, [0, 0]),
            by_segment.setdefault(segment, [0, 0]),
            total,
        ):
            bucket[0] += invited
            bucket[1] += done
    rates = [Rate(_("All tracks"), total[0], total[1])]
    rates += [Rate(labels[t], *by_track[t]) for t in track_ids if t in by_track]
    segments = [
        Rate(segment_label(s.value), *by_segment[s.value]) for s in Segment if s.value in by_segment
    ]
    return rates, segments


def _texts_named(survey: Survey) -> dict[str, str]:
    """Response id → the respondent's name (named surveys only)."""
    if survey.anonymous:
        return {}
    rows = db.session.execute(
        select(SurveyParticipation.response_id, User.display_name, User.email)
        .join(User, User.id == SurveyParticipation.user_id)
        .where(
            SurveyParticipation.survey_id == survey.id,
            SurveyParticipation.response_id.is_not(None),
        )
    )
    return {str(r[0]): r[1] or r[2] for r in rows}


def _chart(q: FieldDef, key: str, groups: Sequence[Group], lang: str) -> Chart | None:
    """Counts per option (choices, tick boxes, small numbers), or mean and median."""
    categories: list[tuple[Any, str]]
    if q.type in (FieldType.CHOICE, FieldType.MULTI_CHOICE):
        categories = [
            (o.value, o.label.get(lang) or next(iter(o.label.values()))) for o in q.options
        ]
    elif q.type == FieldType.ATTESTATION:
        categories = [(True, _("Ticked")), (False, _("Not ticked"))]
    elif q.type == FieldType.NUMBER:
        values = sorted({float(v) for g in groups for v in _numbers(q, g)})
        if len(values) > MAX_VALUES:
            return _summary(q, key, groups, lang)
        categories = [(v, _fmt(v)) for v in values]
    else:
        return None

    def count(group: Group, value: Any) -> int:
        n = 0
        for r in group.responses:
            answer = r.get(q.key)
            if q.type == FieldType.MULTI_CHOICE:
                n += value in (answer or [])
            elif q.type == FieldType.ATTESTATION:
                n += (answer is True) == value
            elif q.type == FieldType.NUMBER:
                n += answer not in (None, "") and _float(answer) == value
            else:
                n += answer == value
        return n

    return Chart(
        key=key,
        title=q.label_in(lang),
        description=_("Number of responses giving each answer."),
        kind="bars",
        category_label=_("Answer"),
        categories=tuple(label for _v, label in categories),
        series=tuple(
            Series(g.label, tuple(float(count(g, v)) for v, _l in categories)) for g in groups
        ),
    )


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _numbers(q: FieldDef, group: Group) -> list[float]:
    found = (_float(r.get(q.key)) for r in group.responses)
    return [v for v in found if v is not None]


def _fmt(v: float) -> str:
    return str(int(v)) if v == int(v) else f"{v:g}"


def _summary(q: FieldDef, key: str, groups: Sequence[Group], lang: str) -> Chart:
    def stats(group: Group) -> tuple[float, float]:
        values = _numbers(q, group)
        if not values:
            return 0.0, 0.0
        return statistics.fmean(values), float(statistics.median(values))

    return Chart(
        key=key,
        title=q.label_in(lang),
        description=_("Mean and median of the numbers given."),
        kind="bars",
        category_label=_("Figure"),
        categories=(_("Mean"), _("Median")),
        series=tuple(Series(g.label, stats(g)) for g in groups),
        decimals=1,
    )


def results_for(user: Any, survey: Survey, lang: str) -> Results:
    challenge = survey.challenge
    tracks = [t for t in visible_tracks(user, challenge) if survey.track_id in (None, t.id)]
    labels: dict[int | None, str] = {t.id: f"{t.name_in(lang)} ({t.agency.name})" for t in tracks}
    rates, segment_rates = _rates(survey, [t.id for t in tracks], labels)
    responses = list(
        db.session.execute(
            select(
                SurveyResponse.id,
                SurveyResponse.segment,
                SurveyResponse.track_id,
                SurveyResponse.answers,
            )
            .where(SurveyResponse.survey_id == survey.id)
            .order_by(SurveyResponse.id)
        )
    )
    minimum = MIN_GROUP if survey.anonymous else 1
    candidates = [Group(_("All responses"), tuple(r[3] for r in responses))]
    if survey.track_id is None:
        candidates += [
            Group(labels[t.id], tuple(r[3] for r in responses if r[2] == t.id)) for t in tracks
        ]
    present = [s for s in Segment if any(r[1] == s.value for r in responses)]
    if len(present) > 1:
        candidates += [
            Group(segment_label(s.value), tuple(r[3] for r in responses if r[1] == s.value))
            for s in present
        ]
    hidden = len(responses) < minimum
    groups = [g for g in candidates if len(g.responses) >= minimum]
    suppressed = [g.label for g in candidates if 0 < len(g.responses) < minimum]
    if survey.track_id is None:  # tracks the viewer sees with no response at all
        suppressed += [labels[t.id] for t in tracks if not any(r[2] == t.id for r in responses)]
    questions: list[Question] = []
    names = _texts_named(survey)
    not_submitted = [r for r in responses if r[1] == Segment.NOT_SUBMITTED]
    asked = [(f, responses) for f in services.fields_of(survey)]
    if not_submitted:
        asked += [(f, not_submitted) for f in services.why_fields()]
    for n, (f, rows) in enumerate(asked, 1):
        q = Question(f, answered=sum(1 for r in rows if r[3].get(f.key) not in (None, "", [])))
        if hidden or len(rows) < minimum:
            questions.append(q)
            continue
        own_groups = (
            groups
            if rows is responses
            else [Group(segment_label(Segment.NOT_SUBMITTED), tuple(r[3] for r in rows))]
        )
        q.chart = _chart(f, f"q{n}-{f.key}", own_groups, lang)
        if f.type in TEXT_TYPES:
            texts = [
                (names.get(str(r[0]), ""), display_answer(f, r[3][f.key], lang))
                for r in rows
                if r[3].get(f.key) not in (None, "", [])
            ]
            q.texts = sorted(texts, key=lambda t: (t[1].casefold(), t[0]))
        questions.append(q)
    return Results(
        survey=survey,
        rates=rates,
        segment_rates=segment_rates,
        responses=len(responses),
        hidden=hidden,
        columns=[g.label for g in groups],
        suppressed=suppressed,
        questions=questions,
    )


def results_csv(results: Results, lang: str) -> Iterator[str]:
    """Rates, then every shown chart's numbers, then the free-text answers — aggregates and
    texts only: no name, address or id of anyone, even for a named survey."""
    out = CsvPieces()
    out.writerow([_("Response rate"), _("Asked"), _("Answered")])
    for rate in [*results.rates, *results.segment_rates]:
        out.writerow([rate.label, rate.invited, rate.answered])
    yield out.take()
    for q in results.questions:
        if q.chart is not None and not q.chart.is_empty:
            out.writerow([])
            out.writerow([q.chart.title])
            for row in q.chart.csv_rows():
                out.writerow(row)
        if q.texts:
            out.writerow([])
            out.writerow([q.field.label_in(lang)])
            for _who, text in q.texts:
                out.writerow([text])
        yield out.take()
