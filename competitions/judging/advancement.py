"""Who advances from a round's review stage: a rule's selection from the track's ranked results
(the top N, a score to reach) or the admins' own ticks, recorded per entry and audited; the
winners the last stage's decision makes public at the release instant; what a team learns of
its entry (its outcome, rank and the judges' comments)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from competitions.challenges.models import Round, Track
from competitions.core import audit, clock
from competitions.core.actor import Actor
from competitions.core.errors import DomainError, PermissionDenied
from competitions.core.extensions import db
from competitions.core.translate import gettext as _
from competitions.entries.models import Entry, Team
from competitions.judging import permissions, results, rubrics
from competitions.judging.models import (
    ADVANCEMENT_METHODS,
    Advancement,
    AdvancementMethod,
    Assignment,
    Review,
)
from competitions.judging.results import SubmissionResult, counted_reviews, stage_or_last
from competitions.submissions.models import Submission


def select_advancing(
    items: list[SubmissionResult], method: str, n: int | None, threshold: float | None
) -> frozenset[int]:
    """Which entries of one track's ranked results a rule selects."""
    ranked = sorted((i for i in items if i.rank_track is not None), key=lambda i: i.rank_track or 0)
    if method == AdvancementMethod.TOP_N:
        if n is None or n < 0:
            raise DomainError(_("Enter how many entries advance."), field="n")
        return frozenset(i.entry_id for i in ranked[:n])
    if method == AdvancementMethod.THRESHOLD:
        if threshold is None:
            raise DomainError(_("Enter the score to reach."), field="threshold")
        return frozenset(
            i.entry_id for i in ranked if i.normalized is not None and i.normalized >= threshold
        )
    raise DomainError(_("Choose how entries are selected."), field="method")


def advancement_of(round_: Round, track: Track, stage: int | None = None) -> dict[int, Advancement]:
    """The track's decisions at the round's stage (by default its last: the round's)."""
    rows = db.session.scalars(
        select(Advancement)
        .join(Entry, Entry.id == Advancement.entry_id)
        .where(
            Advancement.round_id == round_.id,
            Advancement.stage == stage_or_last(round_, stage),
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
    if method not in ADVANCEMENT_METHODS:
        raise DomainError(_("Choose how entries are selected."), field="method")
    stage = stage_or_last(round_, stage)
    known = {i.entry_id: i for i in results.of_track(round_, track.id, stage)}
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
        row.rank = item.rank_track
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


def decisions_of_entries(
    round_: Round, entry_ids: set[int], stage: int | None = None
) -> dict[int, bool]:
    """Entry id → advancing, for these entries' decisions at the round's stage (a page's)."""
    if not entry_ids:
        return {}
    rows = db.session.execute(
        select(Advancement.entry_id, Advancement.advancing).where(
            Advancement.round_id == round_.id,
            Advancement.stage == stage_or_last(round_, stage),
            Advancement.entry_id.in_(entry_ids),
        )
    )
    return dict(rows.all())


def winners(round_: Round, track: Track) -> list[tuple[Advancement, str, SubmissionResult | None]]:
    """The track's entries advancing from the round (its last stage) in rank order, with team
    name and result."""
    stage = rubrics.last_stage(round_)
    by_entry = {i.entry_id: i for i in results.of_track(round_, track.id, stage)}
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
    result: SubmissionResult | None
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
    summary = results.summary_of(round_, stage)
    comments = db.session.scalars(
        select(Review.comment_to_team)
        .join(Assignment, Assignment.id == Review.assignment_id)
        .join(Submission, Submission.id == Assignment.submission_id)
        .where(
            *counted_reviews(round_.id),
            Submission.entry_id == entry.id,
            Review.comment_to_team != "",
        )
        .order_by(Assignment.id)
    ).all()
    return Feedback(
        advancement,
        results.entry_result(summary, entry.id),
        results.ranked_in_track(summary, entry.track_id),
        [c for c in comments if c.strip()],
    )
