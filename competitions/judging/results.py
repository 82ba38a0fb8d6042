"""A round's results: weighted raw scores computed by the database (one grouped query), the
per-judge normalization and ranks by the pure ``ranking.compute_results``, kept in
``round_result`` until a review behind them changes. Advancement decisions, the synchronised
release and the scores export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Float, cast, func, select

from competitions.accounts.models import User
from competitions.challenges.models import Challenge, Round, Track
from competitions.core import audit, clock
from competitions.core.actor import Actor
from competitions.core.errors import DomainError, PermissionDenied
from competitions.core.extensions import db
from competitions.entries.models import Entry, Team
from competitions.judging import permissions, ranking, rubrics
from competitions.judging.models import (
    Advancement,
    Assignment,
    Criterion,
    Judge,
    Review,
    RoundResult,
    Score,
)
from competitions.judging.normalization import ReviewScore
from competitions.submissions.models import Submission, SubmissionVersion


def _raw_per_review(round_id: int, stage: int = 1) -> Any:
    """(judge user, submission, weighted raw on 0-100) for every submitted review that counts:
    each score placed on its criterion's scale (0 at the minimum, 1 at the maximum), weighted,
    averaged, times 100."""
    weight = cast(Criterion.weight, Float)
    position = cast(Score.value - Criterion.scale_min, Float) / cast(
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
        .where(
            Assignment.round_id == round_id,
            Assignment.stage == stage,
            Assignment.ended_at.is_(None),
            Review.status == "submitted",
        )
        .group_by(Assignment.user_id, Assignment.submission_id, Assignment.judge_id)
    )


def _stage(round_: Round, stage: int | None) -> int:
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


def fingerprint(round_: Round, stage: int = 1) -> str:
    """What the stage's results depend on, in one query: the submitted reviews (count, last
    change), ended assignments, the versions, the previous stage's shortlist and the rubric's
    settings."""
    rubric = rubrics.get_stage(round_, stage)
    reviewed = (
        select(Review.id, Review.updated_at, Review.revision)
        .join(Assignment, Assignment.id == Review.assignment_id)
        .where(
            Assignment.round_id == round_.id,
            Assignment.stage == stage,
            Review.status == "submitted",
        )
        .subquery()
    )
    ended = (
        select(Assignment.id, Assignment.ended_at)
        .where(
            Assignment.round_id == round_.id,
            Assignment.stage == stage,
            Assignment.ended_at.is_not(None),
        )
        .subquery()
    )
    shortlist = (
        select(Advancement.id, Advancement.decided_at)
        .where(
            Advancement.round_id == round_.id,
            Advancement.stage == stage - 1,
            Advancement.advancing.is_(True),
        )
        .subquery()
    )
    versions = (
        select(SubmissionVersion.id, SubmissionVersion.submitted_at)
        .join(Submission, Submission.id == SubmissionVersion.submission_id)
        .where(Submission.round_id == round_.id)
        .subquery()
    )
    columns = [
        select(func.count(q.c.id)).scalar_subquery() for q in (reviewed, ended, versions, shortlist)
    ] + [
        select(func.max(shortlist.c.decided_at)).scalar_subquery(),
        select(func.max(reviewed.c.updated_at)).scalar_subquery(),
        select(func.sum(reviewed.c.revision)).scalar_subquery(),
        select(func.max(ended.c.ended_at)).scalar_subquery(),
        select(func.max(versions.c.submitted_at)).scalar_subquery(),
    ]
    row = db.session.execute(select(*columns)).one()
    parts = [str(v.isoformat() if isinstance(v, datetime) else v) for v in row]
    parts += [str(rubric.resets), str(rubric.min_reviews), str(len(rubric.criteria))]
    return "|".join(parts)[:200]


def compute(round_: Round, stage: int = 1) -> dict[str, Any]:
    """The stage's results as plain data (what ``round_result`` keeps)."""
    rubric = rubrics.get_stage(round_, stage)
    rows = db.session.execute(_raw_per_review(round_.id, stage)).all()
    panel_of = dict(
        db.session.execute(
            select(Judge.id, Judge.panel_id).where(Judge.id.in_({r.judge_id for r in rows}))
        ).all()
    )
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
    outcome = ranking.compute_results(
        [ReviewScore(r.user_id, r.submission_id, float(r.raw)) for r in rows],
        [ranking.ItemInfo(s, track, at) for s, _e, track, _n, at in items],
        min_reviews=rubric.min_reviews,
        panels={r.user_id: panel_of.get(r.judge_id, 0) for r in rows},
    )
    about = {s: (entry, track, name) for s, entry, track, name, _at in items}
    return {
        "mu": outcome.mu,
        "sigma": outcome.sigma,
        "items": [
            {
                "submission_id": r.item_id,
                "entry_id": about[r.item_id][0],
                "track_id": about[r.item_id][1],
                "team": about[r.item_id][2],
                "raw": r.raw,
                "normalized": r.normalized,
                "reviews": r.n_reviews,
                "spread": r.spread,
                "sd": r.sd,
                "rank_track": r.rank_in_track,
                "rank_overall": r.rank_overall,
                "tied": r.tied_on_score,
            }
            for r in outcome.items
        ],
        "leniency": [
            {
                "user_id": row.judge_id,
                "panel_id": panels_of_row(row),
                "reviews": row.n_reviews,
                "mean": row.mean_raw,
                "sd": row.sd_raw,
                "difference": row.difference,
                "label": row.label,
                "fallback": row.fallback,
            }
            for row in outcome.leniency
        ],
        "outliers": [
            {"user_id": o.judge_id, "submission_id": o.item_id, "deviation": o.deviation}
            for o in outcome.outliers
        ],
    }


def panels_of_row(row: Any) -> Any:
    return getattr(row, "panel", None)


def results_of(round_: Round, stage: int | None = None) -> dict[str, Any]:
    """The results of the round's stage (by default its last, whose decision is the round's),
    recomputed only when the reviews behind them changed."""
    stage = _stage(round_, stage)
    current = fingerprint(round_, stage)
    kept = db.session.get(RoundResult, (round_.id, stage))
    if kept is not None and kept.fingerprint == current:
        return kept.data
    data = compute(round_, stage)
    if kept is None:
        kept = RoundResult(round_id=round_.id, stage=stage)
        db.session.add(kept)
    kept.fingerprint, kept.data, kept.computed_at = current, data, clock.now()
    db.session.flush()
    return data


def released(round_: Round, now: datetime | None = None) -> bool:
    """Results are public at the round's results instant: the same instant for every track."""
    return (now or clock.now()) >= round_.results_at


# --- advancement -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    method: str  # top_n | threshold | manual
    entry_ids: frozenset[int]


def select_advancing(
    items: list[dict[str, Any]], method: str, n: int | None, threshold: float | None
) -> frozenset[int]:
    """Which entries of one track's ranked results a rule selects."""
    ranked = sorted(
        (i for i in items if i["rank_track"] is not None), key=lambda i: i["rank_track"]
    )
    if method == "top_n":
        if n is None or n < 0:
            raise DomainError(_("Enter how many entries advance."), field="n")
        return frozenset(i["entry_id"] for i in ranked[:n])
    if method == "threshold":
        if threshold is None:
            raise DomainError(_("Enter the score to reach."), field="threshold")
        return frozenset(i["entry_id"] for i in ranked if i["normalized"] >= threshold)
    raise DomainError(_("Choose how entries are selected."), field="method")


def advancement_of(round_: Round, track: Track, stage: int | None = None) -> dict[int, Advancement]:
    """The track's decisions at the round's stage (by default its last: the round's)."""
    rows = db.session.scalars(
        select(Advancement)
        .join(Entry, Entry.id == Advancement.entry_id)
        .where(
            Advancement.round_id == round_.id,
            Advancement.stage == _stage(round_, stage),
            Entry.track_id == track.id,
        )
    )
    return {a.entry_id: a for a in rows}


def decide(
    actor: Actor,
    round_: Round,
    track: Track,
    method: str,
    advancing: set[int],
    stage: int | None = None,
) -> tuple[int, int]:
    """Record the track's decision for every ranked entry of the round's stage (by default the
    last): ``advancing`` move on — to the next stage, or out of the round — the rest do not.
    Returns (advancing, not advancing). Audited."""
    if not permissions.can_assign(actor.user, track):
        raise PermissionDenied(_("Only the track's admins decide who advances."))
    if method not in {"top_n", "threshold", "manual"}:
        raise DomainError(_("Choose how entries are selected."), field="method")
    stage = _stage(round_, stage)
    data = results_of(round_, stage)
    items = [i for i in data["items"] if i["track_id"] == track.id]
    known = {i["entry_id"]: i for i in items}
    unknown = advancing - known.keys()
    if unknown:
        raise DomainError(_("Only this track's entries of this round can advance."))
    existing = advancement_of(round_, track, stage)
    now = clock.now()
    for entry_id, item in known.items():
        row = existing.get(entry_id)
        if row is None:
            row = Advancement(round_id=round_.id, stage=stage, entry_id=entry_id)
            db.session.add(row)
        row.advancing = entry_id in advancing
        row.method = method
        row.rank = item["rank_track"]
        row.decided_at = now
        row.decided_by_id = actor.user_id
    audit.record(
        actor,
        "judging.advancement_decided",
        obj=round_,
        object_type="round",
        agency_id=track.agency_id,
        after={
            "track": track.id,
            "stage": stage,
            "method": method,
            "advancing": sorted(advancing),
            "not_advancing": sorted(known.keys() - advancing),
        },
    )
    db.session.flush()
    return len(advancing), len(known) - len(advancing)


def decisions(round_: Round, tracks: list[Track], stage: int | None = None) -> dict[int, bool]:
    """Entry id → advancing, for the tracks' decisions at the round's stage."""
    decided: dict[int, bool] = {}
    for track in tracks:
        decided.update({e: a.advancing for e, a in advancement_of(round_, track, stage).items()})
    return decided


def judges_by_id(user_ids: set[int]) -> dict[int, User]:
    """The judges a results page names (leniency, outliers)."""
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))}


def winners(round_: Round, track: Track) -> list[tuple[Advancement, str, dict[str, Any] | None]]:
    """The track's entries advancing from the round (its last stage) in rank order, with team
    name and result."""
    stage = rubrics.last_stage(round_)
    data = results_of(round_, stage)
    by_entry = {i["entry_id"]: i for i in data["items"]}
    rows = db.session.execute(
        select(Advancement, Team.name)
        .join(Entry, Entry.id == Advancement.entry_id)
        .join(Team, Team.id == Entry.team_id)
        .where(
            Advancement.round_id == round_.id,
            Advancement.stage == stage,
            Advancement.advancing.is_(True),
            Entry.track_id == track.id,
        )
        .order_by(Advancement.rank, Advancement.entry_id)
    ).all()
    return [(a, name, by_entry.get(a.entry_id)) for a, name in rows]


# --- what a team sees ------------------------------------------------------------------------


@dataclass(frozen=True)
class Feedback:
    """What a team learns about its entry in a round once the results are out: the track's
    decision, its rank in the track and the judges' comments to it (judges unnamed)."""

    advancement: Advancement | None
    result: dict[str, Any] | None
    ranked_in_track: int
    comments: list[str]


def feedback(entry: Entry, round_: Round) -> Feedback:
    """The entry's last decision in the round (at the last stage it reached) and its result
    there; comments from the judges of every stage."""
    advancement = db.session.scalar(
        select(Advancement)
        .where(Advancement.round_id == round_.id, Advancement.entry_id == entry.id)
        .order_by(Advancement.stage.desc())
        .limit(1)
    )
    last = rubrics.last_stage(round_)
    stage = advancement.stage if advancement is not None else last
    if advancement is not None and advancement.stage < last and advancement.advancing:
        advancement, stage = None, last  # shortlisted: the later stage has not decided yet
    data = results_of(round_, stage)
    result = next((i for i in data["items"] if i["entry_id"] == entry.id), None)
    ranked = sum(
        1 for i in data["items"] if i["track_id"] == entry.track_id and i["rank_track"] is not None
    )
    comments = db.session.scalars(
        select(Review.comment_to_team)
        .join(Assignment, Assignment.id == Review.assignment_id)
        .join(Submission, Submission.id == Assignment.submission_id)
        .where(
            Submission.entry_id == entry.id,
            Assignment.round_id == round_.id,
            Assignment.ended_at.is_(None),
            Review.status == "submitted",
            Review.comment_to_team != "",
        )
        .order_by(Assignment.id)
    ).all()
    return Feedback(advancement, result, ranked, [c for c in comments if c.strip()])


# --- export ----------------------------------------------------------------------------------


def scores_csv(
    user: Any, challenge: Challenge, round_: Round, stage: int | None = None
) -> Iterator[str]:
    """Every counted review's scores of the round's stage, for the tracks the user may see
    (checked per row)."""
    stage = _stage(round_, stage)
    rubric = rubrics.get_stage(round_, stage)
    tracks = {t.id: t for t in challenge.tracks if permissions.can_view_track_judging(user, t)}
    data = results_of(round_, stage)
    normalized = {i["submission_id"]: i for i in data["items"]}
    buffer = io.StringIO()
    out = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

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
    yield "\ufeff" + flush()
    query = (
        select(Assignment, Review, Entry.track_id, Team.name, Entry.id)
        .join(Review, Review.assignment_id == Assignment.id)
        .join(Submission, Submission.id == Assignment.submission_id)
        .join(Entry, Entry.id == Submission.entry_id)
        .join(Team, Team.id == Entry.team_id)
        .where(
            Assignment.round_id == round_.id,
            Assignment.stage == stage,
            Assignment.ended_at.is_(None),
            Review.status == "submitted",
            Entry.track_id.in_(tracks.keys()),
        )
        .order_by(Entry.track_id, Submission.id, Assignment.id)
    )
    for a, review, track_id, team, entry_id in db.session.execute(query):
        if track_id not in tracks:
            continue
        scores = review.score_map()
        result = normalized.get(a.submission_id, {})
        out.writerow(
            [
                a.submission_id,
                entry_id,
                _safe(team),
                tracks[track_id].slug,
                a.judge.user.email,
                *[str(scores.get(c.id, "")) for c in rubric.criteria],
                _num(result.get("raw")),
                _num(result.get("normalized")),
                result.get("rank_track", ""),
                result.get("rank_overall", ""),
            ]
        )
        yield flush()


def _num(value: Any) -> str:
    return "" if value is None else f"{value:.2f}"


def _safe(text: str) -> str:
    """Cells that a spreadsheet would run as a formula are neutralized."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
