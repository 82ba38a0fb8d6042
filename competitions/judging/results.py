"""A round's results: weighted raw scores computed by the database (one grouped query), the
per-judge normalization and ranks by the pure ``ranking.compute_results``, kept until a review
behind them changes — a small summary in ``round_result`` (mean, SD, leniency, outliers) and one
``round_result_item`` row per submission, so that a page reads only the rows it shows — ; the
release instant and the scores export. Who advances is ``advancement``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import groupby
from operator import attrgetter
from typing import Any, cast

from sqlalchemy import ColumnElement, Float, Table, delete, func, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql, sqlite

from competitions.accounts.models import User
from competitions.challenges.models import Challenge, Round
from competitions.core import bulk, clock
from competitions.core.extensions import db
from competitions.core.spreadsheet import CsvPieces
from competitions.entries.models import Entry, Team
from competitions.judging import permissions, ranking, rubrics
from competitions.judging.freshness import fingerprint
from competitions.judging.leniency import Leniency
from competitions.judging.models import (
    Advancement,
    Assignment,
    Criterion,
    Judge,
    Review,
    ReviewStatus,
    RoundResult,
    RoundResultItem,
    Score,
)
from competitions.judging.normalization import ReviewScore
from competitions.submissions.models import Submission, SubmissionVersion


def _raw_per_review(round_id: int, stage: int = 1) -> Any:
    """(judge user, submission, weighted raw on 0-100) for every submitted review that counts:
    each score placed on its criterion's scale (0 at the minimum, 1 at the maximum), weighted,
    averaged, times 100."""
    weight = sql_cast(Criterion.weight, Float)
    position = sql_cast(Score.value - Criterion.scale_min, Float) / sql_cast(
        Criterion.scale_max - Criterion.scale_min, Float
    )
    return (
        select(
            Assignment.user_id,
            Assignment.submission_id,
            Assignment.judge_id,
            (100.0 * func.sum(weight * position) / func.sum(weight)).label("raw"),
        )
        .join(Review, Review.assignment_id == Assignment.id)
        .join(Score, Score.review_id == Review.id)
        .join(Criterion, Criterion.id == Score.criterion_id)
        .where(*counted_reviews(round_id, stage))
        .group_by(Assignment.user_id, Assignment.submission_id, Assignment.judge_id)
    )


def counted_reviews(round_id: int, stage: int | None = None) -> list[ColumnElement[bool]]:
    """What makes a review count in the round's results (at the stage, when given): submitted,
    on an assignment still active. For queries joining Review to Assignment."""
    conditions = [
        Assignment.round_id == round_id,
        Assignment.ended_at.is_(None),
        Review.status == ReviewStatus.SUBMITTED,
    ]
    if stage is not None:
        conditions.append(Assignment.stage == stage)
    return conditions


def stage_or_last(round_: Round, stage: int | None) -> int:
    """The stage asked for, or the round's last (whose decision is the round's)."""
    return rubrics.last_stage(round_) if stage is None else stage


def _shortlisted(round_id: int, stage: int) -> Any:
    """After the first stage, only the entries the stage before shortlisted are judged."""
    return (
        select(Advancement.id)
        .where(
            Advancement.round_id == round_id,
            Advancement.stage == stage - 1,
            Advancement.entry_id == Entry.id,
            Advancement.advancing.is_(True),
        )
        .exists()
    )


# --- the results, typed ------------------------------------------------------------------------


@dataclass(frozen=True)
class SubmissionResult:
    """One submission's result at a stage: its scores (None without a review) and ranks."""

    submission_id: int
    entry_id: int
    track_id: int
    team: str
    raw: float | None
    normalized: float | None
    reviews: int
    spread: float | None
    sd: float | None
    rank_track: int | None
    rank_overall: int | None
    tied: bool  # another ranked entry of the track has the same score: the tie rules decided


@dataclass(frozen=True)
class JudgeLeniency:
    """How one judge scored at the stage (``leniency.LeniencyRow``), with their panel."""

    user_id: int
    panel_id: int | None
    reviews: int
    mean: float
    sd: float
    difference: float | None
    label: Leniency | None
    fallback: bool


@dataclass(frozen=True)
class Outlier:
    """A review far from the other reviews of the same submission."""

    user_id: int
    submission_id: int
    deviation: float


@dataclass(frozen=True)
class Summary:
    """The kept results of a round's stage without their items: what a results page shows
    beside a page of each track's table."""

    round_id: int
    stage: int
    mu: float | None
    sigma: float | None
    leniency: tuple[JudgeLeniency, ...]  # by judge
    outliers: tuple[Outlier, ...]
    # When the kept results were computed, if reviews changed since (``summary_of``'s
    # ``may_lag``: a worker is recomputing them); None: they are current.
    lagging_since: datetime | None = None


@dataclass(frozen=True)
class RoundResults:
    """The results of a round's review stage: what ``results_of`` gives."""

    mu: float | None
    sigma: float | None
    items: tuple[SubmissionResult, ...]  # by rank overall; those without a review last
    leniency: tuple[JudgeLeniency, ...]  # by judge
    outliers: tuple[Outlier, ...]

    def of_track(self, track_id: int) -> list[SubmissionResult]:
        return [i for i in self.items if i.track_id == track_id]

    def of_entry(self, entry_id: int) -> SubmissionResult | None:
        return next((i for i in self.items if i.entry_id == entry_id), None)


_ITEM_FIELDS = tuple(f.name for f in fields(SubmissionResult))
_item_row = attrgetter(*_ITEM_FIELDS)


def compute(round_: Round, stage: int = 1) -> RoundResults:
    """The stage's results, computed now."""
    # The cycle collector paused over the rows and records too, not only the arithmetic: the
    # 30,000 rows and 10,000 results are acyclic, and full collections walking them were a
    # third of the time.
    with ranking.cyclic_gc_paused():
        return _compute(round_, stage)


def _compute(round_: Round, stage: int) -> RoundResults:
    rubric = rubrics.get_stage(round_, stage)
    raw = _raw_per_review(round_.id, stage).subquery()
    rows = db.session.execute(
        select(raw.c.user_id, raw.c.submission_id, raw.c.raw, Judge.panel_id).join(
            Judge, Judge.id == raw.c.judge_id
        )
    ).all()
    query = (
        select(
            Submission.id,
            Entry.id,
            Entry.track_id,
            Team.name,
            func.max(SubmissionVersion.submitted_at),
        )
        .join(Entry, Entry.id == Submission.entry_id)
        .join(Team, Team.id == Entry.team_id)
        .join(SubmissionVersion, SubmissionVersion.submission_id == Submission.id)
        .where(
            Submission.round_id == round_.id,
            Submission.withdrawn_at.is_(None),
            Entry.withdrawn_at.is_(None),
        )
        .group_by(Submission.id, Entry.id, Entry.track_id, Team.name)
    )
    if stage > 1:
        query = query.where(_shortlisted(round_.id, stage))
    items = db.session.execute(query).all()
    # A withdrawn submission or entry leaves the results with its reviews (its assignments
    # may still stand): they weigh in no judge's normalization either.
    in_results = {s for s, *_rest in items}
    rows = [r for r in rows if r.submission_id in in_results]
    panel_ids = {r.user_id: r.panel_id for r in rows}
    outcome = ranking.compute_results(
        [ReviewScore(r.user_id, r.submission_id, float(r.raw)) for r in rows],
        [ranking.ItemInfo(s, track, at) for s, _e, track, _n, at in items],
        min_reviews=rubric.min_reviews,
        panels=panel_ids,
    )
    about = {s: (entry, track, name) for s, entry, track, name, _at in items}
    return RoundResults(
        mu=outcome.mu,
        sigma=outcome.sigma,
        items=tuple(
            SubmissionResult(
                submission_id=r.item_id,
                entry_id=about[r.item_id][0],
                track_id=about[r.item_id][1],
                team=about[r.item_id][2],
                raw=r.raw,
                normalized=r.normalized,
                reviews=r.n_reviews,
                spread=r.spread,
                sd=r.sd,
                rank_track=r.rank_in_track,
                rank_overall=r.rank_overall,
                tied=r.tied_on_score,
            )
            for r in outcome.items
        ),
        leniency=tuple(
            JudgeLeniency(
                user_id=row.judge_id,
                panel_id=panel_ids.get(row.judge_id),
                reviews=row.n_reviews,
                mean=row.mean_raw,
                sd=row.sd_raw,
                difference=row.difference,
                label=row.label,
                fallback=row.fallback,
            )
            for row in outcome.leniency
        ),
        outliers=tuple(Outlier(o.judge_id, o.item_id, o.deviation) for o in outcome.outliers),
    )


# --- kept results ----------------------------------------------------------------------------


def summary_of(
    round_: Round, stage: int | None = None, may_lag: timedelta | None = None
) -> Summary:
    """The results of the round's stage (by default its last, whose decision is the round's)
    without their items, recomputed and kept first when the reviews behind them changed. Read
    the items with ``page_of_track``, ``of_track``, ``of_entry`` or ``results_of``.

    ``may_lag``: kept results computed within that time are returned although reviews changed
    since (their ``lagging_since`` says when they were computed), for a page that a worker's
    recomputation (``judging.refresh``) keeps current; older ones are recomputed here."""
    stage = stage_or_last(round_, stage)
    current = fingerprint(round_, stage)
    kept = db.session.get(RoundResult, (round_.id, stage))
    lagging_since = None
    if kept is None or kept.fingerprint != current:
        since = clock.now() - may_lag if may_lag is not None else None
        if kept is not None and kept.fingerprint and since and kept.computed_at >= since:
            lagging_since = kept.computed_at
        else:
            kept = _keep(round_, stage, current)
    return Summary(
        round_id=round_.id,
        stage=stage,
        mu=kept.mu,
        sigma=kept.sigma,
        leniency=tuple(_judge_leniency(row) for row in kept.leniency or ()),
        outliers=tuple(Outlier(**o) for o in kept.outliers or ()),
        lagging_since=lagging_since,
    )


def _keep(round_: Round, stage: int, current: str) -> RoundResult:
    """Compute the stage's results and keep them in place of the kept ones: the summary row,
    locked (a concurrent view computing the same results waits, then finds them kept), and
    its items replaced."""
    results = compute(round_, stage)
    key = {"round_id": round_.id, "stage": stage}
    table = cast(Table, RoundResult.__table__)
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(
        insert(table)
        .values(**key, fingerprint="", computed_at=clock.now())
        .on_conflict_do_nothing(index_elements=["round_id", "stage"])
    )
    kept = db.session.get(
        RoundResult, (round_.id, stage), with_for_update=True, populate_existing=True
    )
    assert kept is not None
    if kept.fingerprint == current:
        return kept  # kept meanwhile by another view
    items = cast(Table, RoundResultItem.__table__)
    db.session.execute(delete(items).where(items.c.round_id == round_.id, items.c.stage == stage))
    in_track: dict[int, int] = {}
    rows = []
    for position, item in enumerate(results.items):
        track_position = in_track.get(item.track_id, 0)
        in_track[item.track_id] = track_position + 1
        rows.append(
            {
                **key,
                "position": position,
                "track_position": track_position,
                **dict(zip(_ITEM_FIELDS, _item_row(item), strict=True)),
            }
        )
    # COPY on PostgreSQL: one statement for every row, as assignments are written.
    bulk.insert_rows(items, rows)
    kept.fingerprint, kept.computed_at = current, clock.now()
    kept.mu, kept.sigma = results.mu, results.sigma
    # Shallow copies of flat records: ``dataclasses.asdict`` deep-copies every value.
    kept.leniency = [dict(vars(r)) for r in results.leniency]
    kept.outliers = [dict(vars(o)) for o in results.outliers]
    db.session.flush()
    return kept


def _items(summary: Summary) -> Any:
    """A query of the kept items of the summary's round and stage, as ``SubmissionResult``
    fields."""
    items = cast(Table, RoundResultItem.__table__)
    # The team's name as it is now: a team renamed after the results were kept shows under
    # its new name (the kept name stands for an entry since deleted).
    columns = (
        func.coalesce(Team.name, items.c.team) if name == "team" else items.c[name]
        for name in _ITEM_FIELDS
    )
    return (
        select(*columns)
        .outerjoin(Entry, Entry.id == items.c.entry_id)
        .outerjoin(Team, Team.id == Entry.team_id)
        .where(items.c.round_id == summary.round_id, items.c.stage == summary.stage)
    )


def _read(query: Any) -> list[SubmissionResult]:
    return [SubmissionResult(*row) for row in db.session.execute(query)]


def page_of_track(summary: Summary, track_id: int, start: int, size: int) -> list[SubmissionResult]:
    """``size`` results of the track from its ``start``-th (0 first), in rank order, those
    without a review last: a range of the track's index, whatever the number of results."""
    item = RoundResultItem
    return _read(
        _items(summary)
        .where(
            item.track_id == track_id,
            item.track_position >= start,
            item.track_position < start + size,
        )
        .order_by(item.track_position)
    )


def counts_by_track(summary: Summary) -> dict[int, int]:
    """How many results each track has (tracks without any are absent)."""
    item = RoundResultItem
    counts = db.session.execute(
        select(item.track_id, func.count())
        .where(item.round_id == summary.round_id, item.stage == summary.stage)
        .group_by(item.track_id)
    )
    return dict(counts.all())


def track_results(summary: Summary, track_id: int) -> list[SubmissionResult]:
    """The track's results, in rank order (those without a review last)."""
    item = RoundResultItem
    return _read(_items(summary).where(item.track_id == track_id).order_by(item.track_position))


def of_track(round_: Round, track_id: int, stage: int | None = None) -> list[SubmissionResult]:
    """The track's results at the round's stage (``track_results``)."""
    return track_results(summary_of(round_, stage), track_id)


def entry_result(summary: Summary, entry_id: int) -> SubmissionResult | None:
    """The entry's result (None when it has none)."""
    rows = _read(_items(summary).where(RoundResultItem.entry_id == entry_id))
    return rows[0] if rows else None


def ranked_in_track(summary: Summary, track_id: int) -> int:
    """How many of the track's results are ranked."""
    item = RoundResultItem
    return (
        db.session.scalar(
            select(func.count()).where(
                item.round_id == summary.round_id,
                item.stage == summary.stage,
                item.track_id == track_id,
                item.rank_track.is_not(None),
            )
        )
        or 0
    )


def results_of(round_: Round, stage: int | None = None) -> RoundResults:
    """The whole results of the round's stage (by default its last, whose decision is the
    round's), recomputed only when the reviews behind them changed."""
    summary = summary_of(round_, stage)
    return RoundResults(
        mu=summary.mu,
        sigma=summary.sigma,
        items=tuple(_read(_items(summary).order_by(RoundResultItem.position))),
        leniency=summary.leniency,
        outliers=summary.outliers,
    )


def leniency_of(round_: Round, stage: int | None = None) -> tuple[JudgeLeniency, ...]:
    """The judges' leniency in the results of the round's stage, reading only the kept
    leniency when the kept results are current (no submission's result)."""
    stage = stage_or_last(round_, stage)
    current = fingerprint(round_, stage)
    kept = db.session.execute(
        select(RoundResult.fingerprint, RoundResult.leniency).where(
            RoundResult.round_id == round_.id, RoundResult.stage == stage
        )
    ).one_or_none()
    if kept is None or kept[0] != current or kept[1] is None:
        return summary_of(round_, stage).leniency
    return tuple(_judge_leniency(row) for row in kept[1])


def _judge_leniency(row: dict[str, Any]) -> JudgeLeniency:
    return JudgeLeniency(**{**row, "label": Leniency(row["label"]) if row["label"] else None})


def released(round_: Round, now: datetime | None = None) -> bool:
    """Results are public at the round's results instant: the same instant for every track."""
    return (now or clock.now()) >= round_.results_at


def judges_by_id(user_ids: set[int]) -> dict[int, User]:
    """The judges a results page names (leniency, outliers)."""
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))}


# --- export ----------------------------------------------------------------------------------


def scores_csv(
    user: Any, challenge: Challenge, round_: Round, stage: int | None = None
) -> Iterator[str]:
    """Every counted review's scores of the round's stage, for the tracks the user may see
    (checked per row)."""
    stage = stage_or_last(round_, stage)
    rubric = rubrics.get_stage(round_, stage)
    tracks = {t.id: t for t in challenge.tracks if permissions.can_view_track_judging(user, t)}
    data = results_of(round_, stage)
    by_submission = {i.submission_id: i for i in data.items}
    out = CsvPieces()
    out.writerow(
        [
            "submission",
            "entry",
            "team",
            "track",
            "judge",
            *[f"criterion {c.position + 1}: {c.audit_label}" for c in rubric.criteria],
            "submission raw",
            "submission normalized",
            "rank in track",
            "rank overall",
        ]
    )
    yield out.take()
    # One streamed query, one row per score, grouped back into reviews here: no object per
    # review, no lazy load of its scores or its judge (a query each, 30,000 reviews).
    query = (
        select(
            Assignment.id,
            Assignment.submission_id,
            Entry.id,
            Team.name,
            Entry.track_id,
            User.email,
            Score.criterion_id,
            Score.value,
        )
        .join(Review, Review.assignment_id == Assignment.id)
        .join(Submission, Submission.id == Assignment.submission_id)
        .join(Entry, Entry.id == Submission.entry_id)
        .join(Team, Team.id == Entry.team_id)
        .join(User, User.id == Assignment.user_id)
        .outerjoin(Score, Score.review_id == Review.id)
        .where(*counted_reviews(round_.id, stage), Entry.track_id.in_(tracks.keys()))
        .order_by(Entry.track_id, Submission.id, Assignment.id)
        .execution_options(yield_per=2_000)
    )
    for _assignment_id, review_rows in groupby(db.session.execute(query), key=lambda r: r[0]):
        first, *rest = review_rows
        _a, submission_id, entry_id, team, track_id, email, _c, _v = first
        if track_id not in tracks:
            continue
        scores = {r[6]: r[7] for r in (first, *rest) if r[6] is not None}
        result = by_submission.get(submission_id)
        out.writerow(
            [
                submission_id,
                entry_id,
                team,
                tracks[track_id].slug,
                email,
                *[scores.get(c.id, "") for c in rubric.criteria],
                *_ranked_cells(result),
            ]
        )
        yield out.take()


def _ranked_cells(result: SubmissionResult | None) -> list[Any]:
    """The submission's raw and normalized scores and ranks, as the export writes them."""
    if result is None:
        return ["", "", "", ""]
    return [
        _num(result.raw),
        _num(result.normalized),
        "" if result.rank_track is None else result.rank_track,
        "" if result.rank_overall is None else result.rank_overall,
    ]


def _num(value: Any) -> Decimal | str:
    """Two decimals, as a number (a negative normalized score stays a number)."""
    return "" if value is None else Decimal(f"{value:.2f}")
