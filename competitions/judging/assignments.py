"""Assigning submissions to judges: the submissions a round's stage judges, the seats that may
judge them, automatic assignment, manual assignment, ending one, and "score the next
least-reviewed"; the track admins' overview of who reviews what.

The plan is computed by the pure ``assignment.assign`` (and ``pool.least_reviewed_next``);
this module feeds it the round's submissions, the panels' judges and the recorded conflicts, and
writes the outcome.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from competitions.challenges.models import Challenge, Round, Track
from competitions.core import audit, bulk, clock
from competitions.core.actor import Actor
from competitions.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from competitions.core.extensions import db
from competitions.core.translate import gettext as _
from competitions.entries import services as entries_services
from competitions.entries.models import Entry
from competitions.judging import anonymity, assignment, conflicts, permissions, pool, rubrics
from competitions.judging.models import (
    Advancement,
    Assignment,
    AssignmentSource,
    EndReason,
    Judge,
    Panel,
    PanelScope,
    Review,
    ReviewStatus,
)
from competitions.submissions.models import Submission, SubmissionVersion


@dataclass(frozen=True)
class Item:
    submission_id: int
    track_id: int
    team_id: int


def round_items(round_: Round, track: Track | None = None, stage: int = 1) -> list[Item]:
    """The round's submissions that are judged in the stage: at least one version, not
    withdrawn, from an entry still in the challenge — and, after the first stage, shortlisted
    by the stage before."""
    has_version = (
        select(SubmissionVersion.id)
        .where(SubmissionVersion.submission_id == Submission.id)
        .exists()
    )
    query = (
        select(Submission.id, Entry.track_id, Entry.team_id)
        .join(Entry, Entry.id == Submission.entry_id)
        .where(
            Submission.round_id == round_.id,
            Submission.withdrawn_at.is_(None),
            Entry.withdrawn_at.is_(None),
            has_version,
        )
        .order_by(Submission.id)
    )
    if track is not None:
        query = query.where(Entry.track_id == track.id)
    if stage > 1:
        query = query.where(
            select(Advancement.id)
            .where(
                Advancement.round_id == round_.id,
                Advancement.stage == stage - 1,
                Advancement.entry_id == Entry.id,
                Advancement.advancing.is_(True),
            )
            .exists()
        )
    return [Item(s, t, team) for s, t, team in db.session.execute(query)]


def seats_for(
    challenge: Challenge, track: Track | None, scope: str = PanelScope.ALL
) -> list[Judge]:
    """Active judges who may be given the scope's submissions: for a track, its panel and the
    shared panel; for the whole challenge, every panel — within the panels judging the stage
    (``scope``: track panels, the shared panel, or both)."""
    query = (
        select(Judge)
        .join(Panel, Panel.id == Judge.panel_id)
        .where(Panel.challenge_id == challenge.id, Judge.removed_at.is_(None))
        .order_by(Judge.id)
    )
    if track is not None:
        query = query.where((Panel.track_id == track.id) | Panel.track_id.is_(None))
    if scope == PanelScope.TRACKS:
        query = query.where(Panel.track_id.is_not(None))
    elif scope == PanelScope.SHARED:
        query = query.where(Panel.track_id.is_(None))
    return list(db.session.scalars(query))


@dataclass
class AutoResult:
    added: int
    kept: int
    ended: int
    shortfall: dict[int, int]
    submissions: int
    judges: int


def auto_assign(
    actor: Actor, challenge: Challenge, round_: Round, track: Track | None = None, stage: int = 1
) -> AutoResult:
    """Give every submission of the round's stage (of ``track``, or of the whole challenge) k
    judges of the stage's panels without conflicts, loads balanced within each panel;
    assignments still valid are kept."""
    if track is not None and not permissions.can_assign(actor.user, track):
        raise PermissionDenied(_("Only the track's admins assign its submissions."))
    if track is None and not permissions.can_assign_challenge(actor.user, challenge):
        raise PermissionDenied(_("Only the challenge's lead admins assign across tracks."))
    rubric = rubrics.get_stage(round_, stage)
    conflicts.detect_for_challenge(challenge)
    items = round_items(round_, track, stage)
    seats = seats_for(challenge, track, rubric.panel_scope)
    active = _active_assignments(round_, stage, [i.submission_id for i in items])
    plan = assignment.assign(
        [assignment.Item(id=i.submission_id, track_id=i.track_id) for i in items],
        [
            assignment.Judge(
                id=j.id, panel_id=j.panel_id, track_id=j.panel.track_id, max_load=j.max_load
            )
            for j in seats
        ],
        rubric.reviews_per_submission,
        conflicts=_conflicted(seats, items, active),
        existing=[(a.judge_id, a.submission_id) for a in active],
        cross_track=bool(rubric.cross_track and track is None),
        seed=rubric.seed,
    )
    now = clock.now()
    outcome = AutoResult(
        added=_insert_planned(actor, round_, stage, seats, active, plan.added, now),
        kept=len(plan.kept),
        ended=_end_invalid(active, plan.removed, now),
        shortfall=dict(plan.shortfall),
        submissions=len(items),
        judges=len(seats),
    )
    audit.record(
        actor,
        "judging.auto_assigned",
        obj=round_,
        object_type="round",
        agency_id=track.agency_id if track else challenge.lead_agency_id,
        after={
            "track": track.id if track else None,
            "stage": stage,
            "added": outcome.added,
            "kept": outcome.kept,
            "ended": outcome.ended,
            "short": sum(outcome.shortfall.values()),
            "k": rubric.reviews_per_submission,
            "seed": rubric.seed,
        },
    )
    db.session.flush()
    return outcome


def _active_assignments(round_: Round, stage: int, submission_ids: list[int]) -> list[Assignment]:
    # The stage's active assignments, kept when their submission is in scope: filtering in
    # Python spares the database (and the driver) an IN list of 10,000 ids.
    wanted = set(submission_ids)
    return [
        a
        for a in db.session.scalars(
            select(Assignment).where(
                Assignment.round_id == round_.id,
                Assignment.stage == stage,
                Assignment.ended_at.is_(None),
            )
        )
        if a.submission_id in wanted
    ]


def _conflicted(
    seats: list[Judge], items: list[Item], active: list[Assignment]
) -> list[tuple[int, int]]:
    """(seat, submission) pairs the plan must not make: the person's recorded conflicts with
    the team, and a person's other seats on a submission one of their seats already reviews (a
    person on two panels is still one reviewer per submission)."""
    # Set operations over the conflicts, not a scan of every seat x every submission: each
    # conflicted (person, team) pair names the team's submissions for each of the person's seats.
    seats_of_user: dict[int, list[int]] = defaultdict(list)
    for j in seats:
        seats_of_user[j.user_id].append(j.id)
    submissions_of_team: dict[int, list[int]] = defaultdict(list)
    for i in items:
        submissions_of_team[i.team_id].append(i.submission_id)
    pairs = [
        (seat, submission_id)
        for user_id, team_id in conflicts.conflicted_pairs(set(seats_of_user))
        if team_id in submissions_of_team
        for seat in seats_of_user[user_id]
        for submission_id in submissions_of_team[team_id]
    ]
    for a in active:
        pairs.extend(
            (other, a.submission_id) for other in seats_of_user[a.user_id] if other != a.judge_id
        )
    return pairs


def _insert_planned(
    actor: Actor,
    round_: Round,
    stage: int,
    seats: list[Judge],
    active: list[Assignment],
    added: Iterable[tuple[int, int]],
    now: datetime,
) -> int:
    """Write the plan's new (seat, submission) pairs in one statement; returns how many."""
    user_of = {j.id: j.user_id for j in seats}
    # Drop a second seat of the same person on the same submission (two panels).
    seen: set[tuple[int, int]] = {(a.user_id, a.submission_id) for a in active}
    used = anonymity.numbers_used(round_.id, user_of.values())
    rows: list[dict[str, Any]] = []
    for judge_id, submission_id in sorted(added):
        key = (user_of[judge_id], submission_id)
        if key in seen:
            continue
        seen.add(key)
        rows.append(
            {
                "round_id": round_.id,
                "stage": stage,
                "submission_id": submission_id,
                "judge_id": judge_id,
                "user_id": user_of[judge_id],
                "source": AssignmentSource.AUTO.value,
                "created_at": now,
                "created_by_id": actor.user_id,
                "end_note": "",
                "number": anonymity.draw(used[user_of[judge_id]]),
            }
        )
    # COPY on PostgreSQL: one statement for every row (30,000 rows took 3 s one by one).
    bulk.insert_rows(Assignment.__table__, rows)
    return len(rows)


def _end_invalid(
    active: list[Assignment], removed: Collection[tuple[int, int]], now: datetime
) -> int:
    """End the active assignments the plan no longer holds, unless their review is submitted;
    returns how many."""
    ended = 0
    for a in active:
        if (a.judge_id, a.submission_id) in removed and not _scored(a):
            a.ended_at, a.end_reason = now, EndReason.UNASSIGNED.value
            a.end_note = _("no longer valid when assignments were recomputed")
            ended += 1
    return ended


def _scored(a: Assignment) -> bool:
    return a.review is not None and a.review.status == ReviewStatus.SUBMITTED


def get_assignment(assignment_id: int, challenge: Challenge | None = None) -> Assignment:
    """The assignment (of the challenge's submissions, when ``challenge`` is given)."""
    a = db.session.get(Assignment, assignment_id)
    if a is None or (challenge is not None and a.submission.entry.challenge_id != challenge.id):
        raise NotFound(_("No such assignment."))
    return a


def get_submission(round_: Round, submission_id: int, track: Track | None = None) -> Submission:
    """A submission of the round (and of the track's entries, when ``track`` is given)."""
    submission = db.session.get(Submission, submission_id)
    if submission is None or submission.round_id != round_.id:
        raise NotFound(_("No such submission."))
    if track is not None and submission.entry.track_id != track.id:
        raise NotFound(_("No such submission."))
    return submission


def assign_manually(
    actor: Actor, submission: Submission, judge: Judge, stage: int = 1
) -> Assignment:
    track = submission.entry.track
    if not permissions.can_assign(actor.user, track):
        raise PermissionDenied(_("Only the track's admins assign its submissions."))
    panel = judge.panel
    if panel.challenge_id != submission.entry.challenge_id or not judge.active:
        raise NotFound(_("No such judge."))
    rubric = rubrics.get_stage(submission.round, stage)
    if panel.track_id not in (None, track.id) and not rubric.cross_track:
        raise DomainError(
            _("This judge sits on another track's panel; turn on cross-track calibration.")
        )
    if not rubrics.judges_stage(rubric, panel):
        raise DomainError(_("This judge's panel does not judge this stage."))
    if stage > 1 and submission.id not in {
        i.submission_id for i in round_items(submission.round, track, stage)
    }:
        raise DomainError(_("This entry was not shortlisted for this stage."))
    team_id = submission.entry.team_id
    if conflicts.is_conflicted(panel.challenge_id, judge.user_id, team_id):
        raise Conflict(_("This judge has a conflict of interest with the team."))
    already = db.session.scalar(
        select(Assignment.id).where(
            Assignment.submission_id == submission.id,
            Assignment.stage == stage,
            Assignment.user_id == judge.user_id,
            Assignment.ended_at.is_(None),
        )
    )
    if already is not None:
        raise Conflict(_("This judge is already assigned this submission."))
    a = _insert(actor, submission, judge, AssignmentSource.MANUAL, stage)
    audit.record(
        actor,
        "judging.assigned",
        obj=a,
        agency_id=track.agency_id,
        after={"judge": judge.user_id, "submission": submission.id, "stage": stage},
    )
    return a


def _insert(
    actor: Actor, submission: Submission, judge: Judge, source: str, stage: int = 1
) -> Assignment:
    a = Assignment(
        round_id=submission.round_id,
        stage=stage,
        submission_id=submission.id,
        judge_id=judge.id,
        user_id=judge.user_id,
        source=source,
        created_by_id=actor.user_id,
        number=anonymity.new_number(submission.round_id, judge.user_id),
    )
    db.session.add(a)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        # The database's own guard (conflict trigger or one active assignment per person).
        raise Conflict(_("This judge cannot be assigned this submission.")) from exc
    return a


def unassign(actor: Actor, a: Assignment) -> None:
    """End an assignment. A review already written is kept for the record and leaves the
    results."""
    track = a.submission.entry.track
    if not permissions.can_assign(actor.user, track):
        raise PermissionDenied(_("Only the track's admins assign its submissions."))
    if not a.active:
        return
    a.ended_at = clock.now()
    a.end_reason = EndReason.UNASSIGNED.value
    audit.record(actor, "judging.unassigned", obj=a, agency_id=track.agency_id)


def take_next(
    actor: Actor, challenge: Challenge, round_: Round, stage: int = 1
) -> Assignment | None:
    """ "Score the next least-reviewed": give the judge the submission of the stage, from their
    panels' tracks, with the fewest active assignments that they are not conflicted with nor
    already have."""
    user = actor.user
    if user is None:
        raise PermissionDenied(_("Sign in as a judge."))
    rubric = rubrics.get_stage(round_, stage)
    seats = [s for s in seats_for(challenge, None, rubric.panel_scope) if s.user_id == user.id]
    if not seats:
        # A judge of the challenge whose panels do not judge this stage: told so, not refused.
        raise DomainError(_("You are not a judge of this challenge."))
    if clock.now() > round_.judging_closes:
        raise DomainError(_("Judging of this round has closed."))
    conflicts.detect_for_challenge(challenge)
    chosen = next_for(round_, stage, user.id)
    if chosen is None:
        return None
    submission = get_submission(round_, chosen[0])
    a = _insert(actor, submission, chosen[1], AssignmentSource.POOL, stage)
    audit.record(actor, "judging.took_next", obj=a, agency_id=submission.entry.track.agency_id)
    return a


def next_for(round_: Round, stage: int, user_id: int) -> tuple[int, Judge] | None:
    """The submission of the stage "score the next least-reviewed" gives the judge (from their
    panels' tracks, the fewest active assignments, neither conflicted nor already theirs), and
    the seat they take it with; None when there is none."""
    rubric = rubrics.get_stage(round_, stage)
    seats = [
        s for s in seats_for(round_.challenge, None, rubric.panel_scope) if s.user_id == user_id
    ]
    if not seats:
        return None
    tracks = {s.panel.track_id for s in seats}
    items = round_items(round_, None, stage)
    if not (None in tracks or rubric.cross_track):
        items = [i for i in items if i.track_id in tracks]
    conflicted = {t for _u, t in conflicts.conflicted_pairs({user_id})}
    counts = Counter(
        dict(
            db.session.execute(
                select(Assignment.submission_id, func.count())
                .where(
                    Assignment.round_id == round_.id,
                    Assignment.stage == stage,
                    Assignment.ended_at.is_(None),
                )
                .group_by(Assignment.submission_id)
            ).all()
        )
    )
    mine = set(
        db.session.scalars(
            select(Assignment.submission_id).where(
                Assignment.round_id == round_.id,
                Assignment.stage == stage,
                Assignment.user_id == user_id,
            )
        )
    )
    candidates = [i for i in items if i.team_id not in conflicted and i.submission_id not in mine]
    chosen = pool.least_reviewed_next(
        {i.submission_id: counts.get(i.submission_id, 0) for i in candidates},
        seed=rubric.seed,
    )
    if chosen is None:
        return None
    item = next(i for i in candidates if i.submission_id == chosen)
    return chosen, next((s for s in seats if s.panel.track_id == item.track_id), seats[0])


@dataclass(frozen=True)
class SubmissionRow:
    submission_id: int
    team_name: str
    assignments: list[Assignment]
    submitted: int


def track_overview(round_: Round, track: Track, stage: int = 1) -> list[SubmissionRow]:
    """Per submission of the track in the round's stage: its active assignments and how many
    reviews are submitted. Four queries whatever the number of submissions."""
    items = round_items(round_, track, stage)
    ids = [i.submission_id for i in items]
    names = dict(
        db.session.execute(
            select(Submission.id, Entry.team_id)
            .join(Entry, Entry.id == Submission.entry_id)
            .where(Submission.id.in_(ids))
        ).all()
    )
    from competitions.entries.models import Team

    team_names = dict(
        db.session.execute(select(Team.id, Team.name).where(Team.id.in_(set(names.values())))).all()
    )
    by_submission: dict[int, list[Assignment]] = defaultdict(list)
    for a in db.session.scalars(
        select(Assignment)
        .where(
            Assignment.submission_id.in_(ids),
            Assignment.stage == stage,
            Assignment.ended_at.is_(None),
        )
        .order_by(Assignment.id)
    ):
        by_submission[a.submission_id].append(a)
    reviews = dict(
        db.session.execute(
            select(Review.assignment_id, Review.status).where(
                Review.assignment_id.in_([a.id for v in by_submission.values() for a in v])
            )
        ).all()
    )
    return [
        SubmissionRow(
            submission_id=s,
            team_name=team_names.get(names.get(s, 0), ""),
            assignments=by_submission[s],
            submitted=sum(
                1 for a in by_submission[s] if reviews.get(a.id) == ReviewStatus.SUBMITTED
            ),
        )
        for s in ids
    ]


def review_statuses(assignment_ids: list[int]) -> dict[int, str]:
    return dict(
        db.session.execute(
            select(Review.assignment_id, Review.status).where(
                Review.assignment_id.in_(assignment_ids)
            )
        ).all()
    )


def end_for_withdrawn(entry: Entry) -> int:
    """End the active assignments of a withdrawn entry's submissions."""
    ids = select(Submission.id).where(Submission.entry_id == entry.id)
    result = db.session.execute(
        update(Assignment)
        .where(Assignment.submission_id.in_(ids), Assignment.ended_at.is_(None))
        .values(ended_at=clock.now(), end_reason=EndReason.WITHDRAWN.value),
        execution_options={"synchronize_session": False},
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# A withdrawn entry is judged no more: its assignments leave the judges' queues and loads.
entries_services.ON_WITHDRAWN.append(end_for_withdrawn)
