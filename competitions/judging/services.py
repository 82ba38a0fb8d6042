"""Judging operations: assigning submissions to judges, the judge's queue, reviews and flags.

The assignment itself is computed by the pure ``assignment.assign``; this module feeds it the
round's submissions, the panels' judges and the recorded conflicts, and writes the outcome.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from competitions.accounts.models import User
from competitions.agencies.models import Membership, Role
from competitions.challenges.models import Challenge, Round, Track
from competitions.core import audit, clock, mail
from competitions.core.actor import Actor
from competitions.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from competitions.core.extensions import db
from competitions.core.urls import external_url
from competitions.entries.models import Entry
from competitions.judging import assignment as allocation
from competitions.judging import conflicts, panels, permissions, rubrics
from competitions.judging.models import (
    Advancement,
    Assignment,
    AssignmentSource,
    EndReason,
    Flag,
    FlagKind,
    Judge,
    Panel,
    PanelScope,
    Review,
    ReviewStatus,
    Rubric,
    Score,
)
from competitions.submissions.models import Submission, SubmissionFile, SubmissionVersion


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
    by_item = {i.submission_id: i for i in items}
    user_of = {j.id: j.user_id for j in seats}
    users = set(user_of.values())
    conflicted_teams: dict[int, set[int]] = defaultdict(set)
    for user_id, team_id in conflicts.conflicted_pairs(users):
        conflicted_teams[user_id].add(team_id)
    pairs_conflicted = [
        (j.id, i.submission_id)
        for j in seats
        for i in items
        if i.team_id in conflicted_teams.get(j.user_id, ())
    ]
    active = list(
        db.session.scalars(
            select(Assignment).where(
                Assignment.round_id == round_.id,
                Assignment.stage == stage,
                Assignment.ended_at.is_(None),
                Assignment.submission_id.in_(list(by_item)),
            )
        )
    )
    existing = [(a.judge_id, a.submission_id) for a in active]
    # A person on two panels is still one reviewer per submission: their other seats count as
    # conflicted with the submissions one seat already reviews.
    seats_of_user: dict[int, list[int]] = defaultdict(list)
    for j in seats:
        seats_of_user[j.user_id].append(j.id)
    for a in active:
        pairs_conflicted.extend(
            (other, a.submission_id) for other in seats_of_user[a.user_id] if other != a.judge_id
        )
    cross = bool(rubric.cross_track and track is None)
    result = allocation.assign(
        [allocation.Item(id=i.submission_id, track_id=i.track_id) for i in items],
        [
            allocation.Judge(
                id=j.id, panel_id=j.panel_id, track_id=j.panel.track_id, max_load=j.max_load
            )
            for j in seats
        ],
        rubric.reviews_per_submission,
        conflicts=pairs_conflicted,
        existing=existing,
        cross_track=cross,
        seed=rubric.seed,
    )
    now = clock.now()
    # Drop a second seat of the same person on the same submission (two panels).
    seen: set[tuple[int, int]] = {(a.user_id, a.submission_id) for a in active}
    rows: list[dict[str, Any]] = []
    for judge_id, submission_id in sorted(result.added):
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
            }
        )
    if rows:
        db.session.execute(insert(Assignment), rows)
    ended = 0
    removed = set(result.removed)
    for a in active:
        if (a.judge_id, a.submission_id) in removed and not _scored(a):
            a.ended_at, a.end_reason = now, EndReason.UNASSIGNED.value
            a.end_note = _("no longer valid when assignments were recomputed")
            ended += 1
    outcome = AutoResult(
        added=len(rows),
        kept=len(result.kept),
        ended=ended,
        shortfall=dict(result.shortfall),
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
    assignment = _insert(actor, submission, judge, AssignmentSource.MANUAL, stage)
    audit.record(
        actor,
        "judging.assigned",
        obj=assignment,
        agency_id=track.agency_id,
        after={"judge": judge.user_id, "submission": submission.id, "stage": stage},
    )
    return assignment


def _insert(
    actor: Actor, submission: Submission, judge: Judge, source: str, stage: int = 1
) -> Assignment:
    assignment = Assignment(
        round_id=submission.round_id,
        stage=stage,
        submission_id=submission.id,
        judge_id=judge.id,
        user_id=judge.user_id,
        source=source,
        created_by_id=actor.user_id,
    )
    db.session.add(assignment)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        # The database's own guard (conflict trigger or one active assignment per person).
        raise Conflict(_("This judge cannot be assigned this submission.")) from exc
    return assignment


def unassign(actor: Actor, assignment: Assignment) -> None:
    """End an assignment. A review already written is kept for the record and leaves the
    results."""
    track = assignment.submission.entry.track
    if not permissions.can_assign(actor.user, track):
        raise PermissionDenied(_("Only the track's admins assign its submissions."))
    if not assignment.active:
        return
    assignment.ended_at = clock.now()
    assignment.end_reason = EndReason.UNASSIGNED.value
    audit.record(actor, "judging.unassigned", obj=assignment, agency_id=track.agency_id)


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
    tracks = {s.panel.track_id for s in seats}
    items = round_items(round_, None, stage)
    if not (None in tracks or rubric.cross_track):
        items = [i for i in items if i.track_id in tracks]
    conflicted = {t for _u, t in conflicts.conflicted_pairs({user.id})}
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
                Assignment.user_id == user.id,
            )
        )
    )
    candidates = [i for i in items if i.team_id not in conflicted and i.submission_id not in mine]
    chosen = allocation.least_reviewed_next(
        {i.submission_id: counts.get(i.submission_id, 0) for i in candidates},
        seed=rubric.seed,
    )
    if chosen is None:
        return None
    item = next(i for i in candidates if i.submission_id == chosen)
    seat = next((s for s in seats if s.panel.track_id == item.track_id), seats[0])
    submission = get_submission(round_, chosen)
    assignment = _insert(actor, submission, seat, AssignmentSource.POOL, stage)
    audit.record(
        actor,
        "judging.took_next",
        obj=assignment,
        agency_id=submission.entry.track.agency_id,
    )
    return assignment


# --- the judge's queue and reviews -----------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    assignment: Assignment
    status: str  # "new" | "draft" | "submitted"


def queue(user_id: int, round_: Round) -> list[QueueRow]:
    rows = db.session.execute(
        select(Assignment, Review.status)
        .outerjoin(Review, Review.assignment_id == Assignment.id)
        .join(Judge, Judge.id == Assignment.judge_id)
        .where(
            Assignment.round_id == round_.id,
            Assignment.user_id == user_id,
            Assignment.ended_at.is_(None),
            Judge.removed_at.is_(None),
        )
        .order_by(Assignment.stage, Assignment.id)
    ).all()
    return [QueueRow(a, status or "new") for a, status in rows]


def my_rounds(user_id: int) -> list[tuple[Challenge, Round, int, int]]:
    """(challenge, round, assigned, submitted) for every round the user has active work in."""
    rows = db.session.execute(
        select(
            Assignment.round_id,
            func.count(Assignment.id),
            func.count(Review.submitted_at),
        )
        .outerjoin(Review, Review.assignment_id == Assignment.id)
        .join(Judge, Judge.id == Assignment.judge_id)
        .where(
            Assignment.user_id == user_id,
            Assignment.ended_at.is_(None),
            Judge.removed_at.is_(None),
        )
        .group_by(Assignment.round_id)
    ).all()
    out = []
    for round_id, assigned, submitted in rows:
        round_ = db.session.get(Round, round_id)
        if round_ is not None:
            out.append((round_.challenge, round_, int(assigned), int(submitted)))
    return sorted(out, key=lambda r: (r[1].judging_closes, r[1].id))


def parse_score(raw: Any, criterion: Any) -> Decimal | None:
    """A score typed by a judge on the criterion's scale, or None when left empty."""
    text = str(raw if raw is not None else "").strip().replace(",", ".")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise DomainError(
            _("Enter a number for “%(c)s”.", c=criterion.audit_label), f"c{criterion.id}"
        ) from exc
    if not value.is_finite() or value < criterion.scale_min or value > criterion.scale_max:
        raise DomainError(
            _(
                "“%(c)s” is scored from %(lo)s to %(hi)s.",
                c=criterion.audit_label,
                lo=_plain(criterion.scale_min),
                hi=_plain(criterion.scale_max),
            ),
            f"c{criterion.id}",
        )
    if (value - criterion.scale_min) % criterion.step != 0:
        raise DomainError(
            _(
                "“%(c)s” is scored in steps of %(step)s.",
                c=criterion.audit_label,
                step=_plain(criterion.step),
            ),
            f"c{criterion.id}",
        )
    return value.quantize(Decimal("0.01"))


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def review_of(assignment: Assignment) -> Review | None:
    return assignment.review


def save_review(
    actor: Actor,
    assignment: Assignment,
    scores: dict[int, Any],
    comment_to_team: str,
    comment_to_admins: str,
    submit: bool,
) -> Review:
    """Save the judge's scores and comments; ``submit`` requires a score for every criterion.
    A submitted review stays editable (and submitted) until judging closes."""
    if not permissions.can_score(actor.user, assignment):
        raise PermissionDenied(_("This is not one of your assignments."))
    round_ = assignment.submission.round
    if clock.now() > round_.judging_closes:
        raise DomainError(_("Judging of this round has closed: reviews can no longer change."))
    rubric = rubrics.get_stage(round_, assignment.stage)
    if not rubric.criteria:
        raise DomainError(_("The rubric has no criteria yet: scoring opens when it has."))
    values: dict[int, Decimal] = {}
    for criterion in rubric.criteria:
        value = parse_score(scores.get(criterion.id), criterion)
        if value is not None:
            values[criterion.id] = value
    review = assignment.review
    if review is None:
        review = Review(assignment=assignment)
        db.session.add(review)
    keep_submitted = review.status == ReviewStatus.SUBMITTED
    if submit or keep_submitted:
        missing = [c.audit_label for c in rubric.criteria if c.id not in values]
        if missing:
            raise DomainError(
                _("Score every criterion before submitting: %(list)s.", list=", ".join(missing))
            )
    if values:
        rubrics.lock(rubric)
    current = {s.criterion_id: s for s in review.scores}
    for criterion_id, value in values.items():
        if criterion_id in current:
            current[criterion_id].value = value
        else:
            review.scores.append(Score(criterion_id=criterion_id, value=value))
    for criterion_id, score in current.items():
        if criterion_id not in values:
            review.scores.remove(score)
    review.comment_to_team = (comment_to_team or "").strip()[:20000]
    review.comment_to_admins = (comment_to_admins or "").strip()[:20000]
    now = clock.now()
    review.updated_at = now
    review.revision = (review.revision or 0) + 1
    if submit and review.status != ReviewStatus.SUBMITTED:
        review.status, review.submitted_at = ReviewStatus.SUBMITTED.value, now
    db.session.flush()
    if submit:
        audit.record(
            actor,
            "judging.review_submitted",
            obj=review,
            agency_id=assignment.submission.entry.track.agency_id,
            after={"scores": {str(k): str(v) for k, v in values.items()}},
        )
    return review


def flag(actor: Actor, assignment: Assignment, kind: str, note: str) -> Flag:
    """A judge's concern (possible ineligibility, plagiarism...) for the track's admins."""
    if not permissions.can_score(actor.user, assignment):
        raise PermissionDenied(_("This is not one of your assignments."))
    if kind not in {k.value for k in FlagKind}:
        raise DomainError(_("Choose what the concern is about."), field="kind")
    note = (note or "").strip()
    if not note:
        raise DomainError(_("Describe the concern for the track's admins."), field="note")
    row = Flag(assignment_id=assignment.id, kind=kind, note=note[:5000])
    db.session.add(row)
    db.session.flush()
    track = assignment.submission.entry.track
    audit.record(actor, "judging.flagged", obj=row, agency_id=track.agency_id, after={"kind": kind})
    _tell_admins_of_flag(row, track, assignment)
    return row


def _tell_admins_of_flag(row: Flag, track: Track, assignment: Assignment) -> None:
    """Each admin of the track's agency gets an email (in their language) with the concern and
    a link to the track's assignments page, where it is resolved."""
    admins = db.session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.agency_id == track.agency_id, Membership.role == Role.ADMIN)
        .order_by(User.id)
    ).all()
    challenge = track.challenge
    link = external_url(
        "judging.assignments",
        slug=challenge.slug,
        round_id=assignment.round_id,
        track_slug=track.slug,
    )
    for admin in admins:
        lang = admin.preferred_language or "en"
        mail.send_after_commit(
            mail.render_mail(
                "judging/flag",
                admin.email,
                lang,
                _l(
                    "A judge flagged submission #%(n)d in %(track)s",
                    n=assignment.submission_id,
                    track=track.name_in(lang),
                ),
                challenge=challenge.title_in(lang),
                track=track.name_in(lang),
                submission=assignment.submission_id,
                kind=row.kind,
                note=row.note,
                link=link,
            ),
            source=f"judging:flag:{row.id}",
        )


def resolve_flag(actor: Actor, row: Flag, note: str) -> None:
    track = row.assignment.submission.entry.track
    if not permissions.can_assign(actor.user, track):
        raise PermissionDenied(_("Only the track's admins handle flags."))
    if row.resolved_at is None:
        row.resolved_at = clock.now()
        row.resolved_by_id = actor.user_id
        row.resolution_note = (note or "").strip()[:5000]
        audit.record(actor, "judging.flag_resolved", obj=row, agency_id=track.agency_id)


# --- the track admins' view ------------------------------------------------------------------


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
            submitted=sum(1 for a in by_submission[s] if reviews.get(a.id) == "submitted"),
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


def flags_of(round_: Round, track: Track) -> list[Flag]:
    return list(
        db.session.scalars(
            select(Flag)
            .join(Assignment, Assignment.id == Flag.assignment_id)
            .join(Submission, Submission.id == Assignment.submission_id)
            .join(Entry, Entry.id == Submission.entry_id)
            .where(Assignment.round_id == round_.id, Entry.track_id == track.id)
            .order_by(Flag.resolved_at.isnot(None), Flag.created_at)
        )
    )


def judged_round(user: User, round_id: int) -> Round:
    """A round of a challenge on whose panels the user sits (to anyone else it does not exist)."""
    round_ = db.session.get(Round, round_id)
    if round_ is None or not panels.judge_seats(user, round_.challenge):
        raise NotFound(_("No such round."))
    return round_


def file_name_for_judge(assignment: Assignment, record: SubmissionFile) -> str:
    """The name a judge downloads a submission's file under: under blind judging, one that
    does not name the team."""
    rubric = rubrics.rubric_for(assignment.submission.round, assignment.stage, create=False)
    name = record.filename
    if rubric is not None and rubric.blind:
        ext = name.rpartition(".")[2] if "." in name else "bin"
        name = f"submission-{assignment.submission_id}-{record.field_key}-{record.id}.{ext[:10]}"
    return name


def counting_version(submission: Submission) -> SubmissionVersion | None:
    """The version judges review: the latest one (every stored version was on time)."""
    return db.session.scalar(
        select(SubmissionVersion)
        .where(SubmissionVersion.submission_id == submission.id)
        .order_by(SubmissionVersion.number.desc())
        .limit(1)
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


def rubric_or_404(round_: Round, stage: int = 1) -> Rubric:
    return rubrics.get_stage(round_, stage)


# --- audiences for outreach ---------------------------------------------------------------------


@dataclass(frozen=True)
class JudgeRecipient:
    """A judge to write to: their seat (the panel's track signs, or the lead agency for the
    shared panel) and how many of their reviews in the round are not submitted yet."""

    judge: Judge
    reviews_left: int


def seated_judges(challenge_id: int, track_id: int | None = None) -> list[JudgeRecipient]:
    """Judges on the challenge's panels (only the track's panel when ``track_id``), one per
    person, track panels before the shared one."""
    stmt = (
        select(Judge)
        .join(Panel, Panel.id == Judge.panel_id)
        .where(Panel.challenge_id == challenge_id, Judge.removed_at.is_(None))
        .order_by(Panel.track_id.is_(None), Judge.id)
    )
    if track_id is not None:
        stmt = stmt.where(Panel.track_id == track_id)
    seen: dict[int, JudgeRecipient] = {}
    for judge in db.session.scalars(stmt).unique():
        seen.setdefault(judge.user_id, JudgeRecipient(judge, 0))
    return list(seen.values())


def judges_with_reviews_left(round_id: int, track_id: int | None = None) -> list[JudgeRecipient]:
    """Seated judges with active assignments in the round whose review is not submitted (only
    assignments of the track's submissions when ``track_id``), with how many, one per person."""
    submitted = (
        select(Review.id)
        .where(Review.assignment_id == Assignment.id, Review.status == ReviewStatus.SUBMITTED)
        .exists()
    )
    stmt = (
        select(Assignment.judge_id, func.count(Assignment.id))
        .join(Judge, Judge.id == Assignment.judge_id)
        .where(
            Assignment.round_id == round_id,
            Assignment.ended_at.is_(None),
            Judge.removed_at.is_(None),
            ~submitted,
        )
        .group_by(Assignment.judge_id)
    )
    if track_id is not None:
        stmt = (
            stmt.join(Submission, Submission.id == Assignment.submission_id)
            .join(Entry, Entry.id == Submission.entry_id)
            .where(Entry.track_id == track_id)
        )
    left: dict[int, int] = {row[0]: row[1] for row in db.session.execute(stmt).all()}
    if not left:
        return []
    per_user: dict[int, JudgeRecipient] = {}
    for judge in db.session.scalars(
        select(Judge).where(Judge.id.in_(left.keys())).order_by(Judge.id)
    ).unique():
        known = per_user.get(judge.user_id)
        total = left[judge.id] + (known.reviews_left if known else 0)
        per_user[judge.user_id] = JudgeRecipient(known.judge if known else judge, total)
    return list(per_user.values())
