"""A survey's results: response rates, a chart per question, free-text answers listed.

Columns are the total, each track the viewer may see (``insights.permissions``), and each
audience segment (entrants who submitted, who did not, judges, partner agencies). For an
anonymous survey a column with fewer than ``MIN_GROUP`` responses is not shown — the page
says "fewer than 5 responses" instead — and when the whole survey has fewer, no answer is
shown at all; free-text answers are listed in alphabetical order, with nothing about who
wrote them. Response rates come from who was asked and who has answered (not from the
answers), so they are always shown.

The answers are counted by the database, in grouped queries whose number depends on the
questions, never on the responses: per (segment, track) *bucket*, one query counts the
responses, the answers given to each question and each option's choices (tick boxes included);
one more counts each number given; the columns (total, tracks, segments) add up buckets. Only
the free-text answers, which are listed, are read one by one.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from sqlalchemy import exists, func, literal_column, or_, select, union_all

from competitions.accounts.models import User
from competitions.core.extensions import db
from competitions.core.spreadsheet import CsvPieces
from competitions.core.translate import gettext as _
from competitions.core.translate import pgettext
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


Bucket = tuple[str, int | None]  # the responses of one segment in one track (or none)
Tally = dict[Bucket, dict[Any, int]]  # a question's counts: {bucket: {answer: responses}}


@dataclass(frozen=True)
class Group:
    """A column of the results: its label, the buckets it adds up and their responses."""

    label: str
    buckets: tuple[Bucket, ...]
    size: int


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


# --- counting, in SQL ---------------------------------------------------------------------


def _answer_of(key: str) -> Any:
    """The answer to ``key`` as text (a list as its JSON text; missing: NULL)."""
    return SurveyResponse.answers[key].as_string()


def _given(f: FieldDef) -> Any:
    """Whether the response answers ``f`` (an empty answer is not kept, but may be old)."""
    value = _answer_of(f.key)
    given = value.is_not(None) & (value != "")
    return given & (value != "[]") if f.type == FieldType.MULTI_CHOICE else given


def _ticks(key: str, value: str) -> Any:
    """Whether the tick boxes answered to ``key`` include ``value``."""
    if db.session.get_bind().dialect.name == "postgresql":
        elements = func.json_array_elements_text(SurveyResponse.answers[key])
    else:
        elements = func.json_each(SurveyResponse.answers, f'$."{key}"')
    chosen = elements.table_valued("value")
    return exists(select(1).select_from(chosen).where(chosen.c.value == value))


ANSWERED = object()  # what ``_counts_of`` counts first: the responses answering the question


def _counts_of(f: FieldDef) -> list[tuple[Any, Any]]:
    """What is counted of ``f``'s answers: [(tally entry, condition on a response)]."""
    counts: list[tuple[Any, Any]] = [(ANSWERED, _given(f))]  # answered: kept apart
    if f.type == FieldType.CHOICE:
        counts += [(o.value, _answer_of(f.key) == o.value) for o in f.options]
    elif f.type == FieldType.MULTI_CHOICE:
        counts += [(o.value, _ticks(f.key, o.value)) for o in f.options]
    elif f.type == FieldType.ATTESTATION:
        counts.append((True, SurveyResponse.answers[f.key].as_boolean()))
    return counts


def _counted(
    survey: Survey, fields: Sequence[FieldDef]
) -> tuple[dict[Bucket, int], dict[str, dict[Bucket, int]], dict[str, Tally]]:
    """One grouped query: the responses of each bucket, and for each question the answers given
    and each option's count (choices, tick boxes, attestations): (responses per bucket,
    {question key: answers given per bucket}, {question key: tally})."""
    wanted = [(f.key, value, test) for f in fields for value, test in _counts_of(f)]
    columns = [func.count(), *(func.count().filter(test) for _k, _v, test in wanted)]
    rows = db.session.execute(
        select(SurveyResponse.segment, SurveyResponse.track_id, *columns)
        .where(SurveyResponse.survey_id == survey.id)
        .group_by(SurveyResponse.segment, SurveyResponse.track_id)
    ).all()
    sizes: dict[Bucket, int] = {}
    answered: dict[str, dict[Bucket, int]] = {f.key: {} for f in fields}
    tallies: dict[str, Tally] = {f.key: {} for f in fields}
    for segment, track_id, size, *counts in rows:
        bucket = (segment, track_id)
        sizes[bucket] = size
        for (key, value, _test), n in zip(wanted, counts, strict=True):
            if value is ANSWERED:
                answered[key][bucket] = n
            else:
                tallies[key].setdefault(bucket, {})[value] = n
        for f in fields:
            if f.type == FieldType.ATTESTATION:
                tally = tallies[f.key][bucket]
                tally[False] = size - tally[True]
    return sizes, answered, tallies


def _count_numbers(survey: Survey, fields: Sequence[FieldDef], tallies: dict[str, Tally]) -> None:
    """One grouped query for every number question: each answer given and how often, per
    bucket. The answers are grouped as written and read as numbers here ("4" and "4.0" are one
    value), so an answer neither engine casts alike never fails the query."""
    numbers = [f for f in fields if f.type == FieldType.NUMBER]
    if not numbers:
        return
    parts = [
        select(
            literal_column(str(i)).label("question"),
            SurveyResponse.segment.label("segment"),
            SurveyResponse.track_id.label("track_id"),
            _answer_of(f.key).label("answer"),
        ).where(SurveyResponse.survey_id == survey.id, _given(f))
        for i, f in enumerate(numbers)
    ]
    given = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()
    query = select(
        given.c.question, given.c.segment, given.c.track_id, given.c.answer, func.count()
    ).group_by(given.c.question, given.c.segment, given.c.track_id, given.c.answer)
    for i, segment, track_id, answer, n in db.session.execute(query):
        number = _float(answer)
        if number is None:
            continue
        tally = tallies[numbers[int(i)].key].setdefault((segment, track_id), {})
        tally[number] = tally.get(number, 0) + n


def _texts(
    survey: Survey, fields: Sequence[FieldDef], only: dict[str, str]
) -> dict[str, list[tuple[str, Any]]]:
    """{question key: [(response id, answer)]}: the free-text answers, to be listed. ``only``:
    {question key: the segment whose answers count (the why questions)}."""
    if not fields:
        return {}
    rows = db.session.execute(
        select(
            SurveyResponse.id,
            SurveyResponse.segment,
            *(_answer_of(f.key) for f in fields),
        ).where(SurveyResponse.survey_id == survey.id, or_(*(_given(f) for f in fields)))
    )
    found: dict[str, list[tuple[str, Any]]] = {f.key: [] for f in fields}
    for response_id, segment, *answers in rows:
        for f, answer in zip(fields, answers, strict=True):
            if answer not in (None, "") and only.get(f.key, segment) == segment:
                found[f.key].append((str(response_id), answer))
    return found


def _sum(tally: Tally, group: Group, value: Any) -> int:
    return sum(tally.get(bucket, {}).get(value, 0) for bucket in group.buckets)


def _chart(q: FieldDef, key: str, groups: Sequence[Group], tally: Tally, lang: str) -> Chart | None:
    """Counts per option (choices, tick boxes, small numbers), or mean and median."""
    categories: list[tuple[Any, str]]
    if q.type in (FieldType.CHOICE, FieldType.MULTI_CHOICE):
        categories = [
            (o.value, o.label.get(lang) or next(iter(o.label.values()))) for o in q.options
        ]
    elif q.type == FieldType.ATTESTATION:
        categories = [(True, _("Ticked")), (False, _("Not ticked"))]
    elif q.type == FieldType.NUMBER:
        values = sorted({v for g in groups for b in g.buckets for v in tally.get(b, {})})
        if len(values) > MAX_VALUES:
            return _summary(q, key, groups, tally, lang)
        categories = [(v, _fmt(v)) for v in values]
    else:
        return None
    return Chart(
        key=key,
        title=q.label_in(lang),
        description=_("Number of responses giving each answer."),
        kind="bars",
        category_label=_("Answer"),
        categories=tuple(label for _v, label in categories),
        series=tuple(
            Series(g.label, tuple(float(_sum(tally, g, v)) for v, _l in categories)) for g in groups
        ),
    )


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _fmt(v: float) -> str:
    return str(int(v)) if v == int(v) else f"{v:g}"


def _stats(counts: dict[float, int]) -> tuple[float, float]:
    """Mean and median of numbers given as {value: how many gave it}."""
    n = sum(counts.values())
    if not n:
        return 0.0, 0.0
    mean = math.fsum(v * k for v, k in counts.items()) / n
    middle: list[float] = []
    seen = 0
    for v in sorted(counts):  # the values at positions (n - 1) // 2 and n // 2
        before, seen = seen, seen + counts[v]
        middle += [v] * sum(1 for pos in {(n - 1) // 2, n // 2} if before <= pos < seen)
    return mean, sum(middle) / len(middle)


def _summary(q: FieldDef, key: str, groups: Sequence[Group], tally: Tally, lang: str) -> Chart:
    def stats(group: Group) -> tuple[float, float]:
        merged: dict[float, int] = {}
        for bucket in group.buckets:
            for v, n in tally.get(bucket, {}).items():
                merged[v] = merged.get(v, 0) + n
        return _stats(merged)

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
    own = services.fields_of(survey)
    why = services.why_fields()
    sizes, answered, tallies = _counted(survey, [*own, *why])
    total = sum(sizes.values())
    minimum = MIN_GROUP if survey.anonymous else 1

    def group(label: str, keep: Any) -> Group:
        buckets = tuple(b for b in sizes if keep(*b))
        return Group(label, buckets, sum(sizes[b] for b in buckets))

    candidates = [group(_("All responses"), lambda _s, _t: True)]
    if survey.track_id is None:
        candidates += [group(labels[t.id], lambda _s, tid, t=t: tid == t.id) for t in tracks]
    present = [s for s in Segment if any(b[0] == s.value for b in sizes)]
    if len(present) > 1:
        candidates += [
            group(segment_label(s.value), lambda seg, _t, s=s: seg == s.value) for s in present
        ]
    hidden = total < minimum
    groups = [g for g in candidates if g.size >= minimum]
    suppressed = [g.label for g in candidates if 0 < g.size < minimum]
    if survey.track_id is None:  # tracks the viewer sees with no response at all
        suppressed += [labels[t.id] for t in tracks if not any(b[1] == t.id for b in sizes)]
    not_submitted = group(
        segment_label(Segment.NOT_SUBMITTED), lambda seg, _t: seg == Segment.NOT_SUBMITTED
    )
    asked = [(f, candidates[0]) for f in own]
    if not_submitted.size:
        asked += [(f, not_submitted) for f in why]
    shown = [(f, rows) for f, rows in asked if not hidden and rows.size >= minimum]
    _count_numbers(survey, [f for f, _rows in shown], tallies)
    texts = _texts(
        survey,
        [f for f, _rows in shown if f.type in TEXT_TYPES],
        {f.key: Segment.NOT_SUBMITTED.value for f in why},
    )
    names = _texts_named(survey) if texts else {}
    questions: list[Question] = []
    for n, (f, rows) in enumerate(asked, 1):
        q = Question(f, answered=sum(answered[f.key].get(b, 0) for b in rows.buckets))
        if hidden or rows.size < minimum:
            questions.append(q)
            continue
        own_groups = groups if rows is candidates[0] else [rows]
        q.chart = _chart(f, f"q{n}-{f.key}", own_groups, tallies[f.key], lang)
        if f.type in TEXT_TYPES:
            listed = [
                (names.get(rid, ""), display_answer(f, answer, lang))
                for rid, answer in texts[f.key]
            ]
            q.texts = sorted(listed, key=lambda t: (t[1].casefold(), t[0]))
        questions.append(q)
    return Results(
        survey=survey,
        rates=rates,
        segment_rates=segment_rates,
        responses=total,
        hidden=hidden,
        columns=[g.label for g in groups],
        suppressed=suppressed,
        questions=questions,
    )


def results_csv(results: Results, lang: str) -> Iterator[str]:
    """Rates, then every shown chart's numbers, then the free-text answers — aggregates and
    texts only: no name, address or id of anyone, even for a named survey."""
    out = CsvPieces()
    out.writerow([_("Response rate"), pgettext("survey", "Asked"), pgettext("survey", "Answered")])
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
