"""Shaping the shared timeline: rounds (the same instants for every track) and milestones
(shared, or local to one track). Once the challenge is published every move of a shared date
needs a reason and is recorded as a ``TimelineChange``, from which outreach notifies entrants."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from competitions.agencies.services import record_in
from competitions.challenges import permissions
from competitions.challenges.models import (
    ROUND_INSTANTS,
    Challenge,
    Milestone,
    Round,
    TimelineChange,
    Track,
)
from competitions.challenges.services import (
    clean_lines,
    get_owned,
    require_manager,
    timeline_problems,
)
from competitions.challenges.timeline import INSTANT_LABELS, check_round
from competitions.core import audit, clock, instants
from competitions.core.actor import Actor
from competitions.core.errors import Conflict, DomainError, NotFound
from competitions.core.extensions import db
from competitions.core.text import one_line, text_block
from competitions.core.translate import gettext as _
from competitions.core.translate import lazy_gettext as _l


@dataclass(frozen=True)
class RoundData:
    name: dict[str, str]
    instants: dict[str, datetime | None]


def _require_reason(needed: bool, reason: str) -> None:
    if needed and not reason:
        raise DomainError(
            _("The challenge is published: say why the timeline changes. Entrants will be told."),
            field="reason",
        )


def _record_change(
    actor: Actor,
    challenge: Challenge,
    reason: str,
    field: str,
    moved: tuple[datetime | None, datetime | None],
    **source: int,
) -> None:
    """A shared date moved after publication (``source``: the round or milestone id)."""
    old_at, new_at = moved
    db.session.add(
        TimelineChange(
            challenge_id=challenge.id,
            field=field,
            old_at=old_at,
            new_at=new_at,
            reason=reason,
            actor_id=actor.user_id,
            at=clock.now(),
            **source,
        )
    )


def _round_name(data: RoundData) -> dict[str, str]:
    name = clean_lines(data.name, 200)
    if not name:
        raise DomainError(_("Name the round in at least one language."), field="name_en")
    problems = check_round(data.instants)
    if problems:
        raise DomainError(problems[0].message, field=problems[0].field)
    return name


def save_round(
    actor: Actor,
    challenge: Challenge,
    existing: Round | None,
    data: RoundData,
    reason: str | None = None,
) -> Round:
    """Create or change a round of the shared timeline (the same instants for every track).

    Once the challenge is published, moving a date needs a reason; each move is audited and
    recorded as a ``TimelineChange`` (outreach notifies entrants from it).
    """
    require_manager(actor, challenge)
    if existing is not None and existing.challenge_id != challenge.id:
        raise NotFound(_("No such round."))
    name = _round_name(data)
    before = existing.instants() if existing is not None else None
    moved = [f for f in ROUND_INSTANTS if before and before[f] != data.instants.get(f)]
    reason = text_block(reason)
    changes_timeline = challenge.is_published and (bool(moved) or existing is None)
    _require_reason(changes_timeline, reason)
    target = existing or Round(challenge=challenge, position=len(challenge.rounds))
    if existing is None:
        db.session.add(target)
    target.name = name
    for field in ROUND_INSTANTS:
        setattr(target, field, data.instants.get(field))
    db.session.flush()
    sequence_problems = timeline_problems(challenge)
    if sequence_problems:
        raise DomainError(sequence_problems[0], field="submission_deadline")
    if moved:
        target.sequence += 1
    if changes_timeline:
        # One change per moved instant; a new round is announced by its deadline.
        for field in moved if existing is not None else ["submission_deadline"]:
            old_at = before[field] if before else None
            _record_change(
                actor,
                challenge,
                reason,
                field,
                (old_at, getattr(target, field)),
                round_id=target.id,
            )
    record_in(
        actor,
        challenge.lead_agency,
        "timeline.round_changed" if changes_timeline else "timeline.round_saved",
        target,
        before=before,
        after={**target.instants(), **({"reason": reason} if reason else {})},
    )
    return target


def delete_round(actor: Actor, challenge: Challenge, target: Round) -> None:
    require_manager(actor, challenge)
    if challenge.is_published:
        raise Conflict(_("A published challenge keeps its rounds; move their dates instead."))
    # Submissions belong to a later domain; ask its table without importing it.
    submissions = Challenge.metadata.tables.get("submission")
    if submissions is not None and db.session.scalar(
        select(submissions.c.id).where(submissions.c.round_id == target.id).limit(1)
    ):
        raise Conflict(_("Entries have answered this round; it cannot be deleted."))
    audit.record(
        actor,
        "timeline.round_deleted",
        obj=target,
        agency_id=challenge.lead_agency_id,
        before=target.instants(),
    )
    challenge.rounds.remove(target)
    db.session.delete(target)
    for position, r in enumerate(sorted(challenge.rounds, key=lambda r: r.position)):
        r.position = position


@dataclass(frozen=True)
class MilestoneData:
    name: dict[str, str]
    starts_at: datetime | None
    ends_at: datetime | None
    url: str | None


def get_milestone(challenge: Challenge, milestone_id: int) -> Milestone:
    return get_owned(Milestone, milestone_id, _l("No such milestone."), challenge_id=challenge.id)


def _require_milestone_editor(actor: Actor, challenge: Challenge, track: Track | None) -> None:
    if not permissions.can_edit_milestones(actor.user, challenge, track):
        raise NotFound(_("No such challenge.") if track is None else _("No such track."))


def _check_milestone(data: MilestoneData) -> tuple[dict[str, str], datetime, str | None]:
    """The cleaned name, start and link of a milestone."""
    name = clean_lines(data.name, 200)
    if not name:
        raise DomainError(_("Name the milestone in at least one language."), field="name_en")
    if data.starts_at is None:
        raise DomainError(_("Enter when it starts."), field="starts_at")
    instants.check(data.starts_at, "starts_at")
    instants.check(data.ends_at, "ends_at")
    if data.ends_at is not None and data.ends_at <= data.starts_at:
        raise DomainError(_("It must end after it starts."), field="ends_at")
    url = one_line(data.url) or None
    if url and not re.match(r"^https?://\S+$", url):
        raise DomainError(_("Enter a web address starting with https://."), field="url")
    return name, data.starts_at, url


def save_milestone(
    actor: Actor,
    challenge: Challenge,
    existing: Milestone | None,
    track: Track | None,
    data: MilestoneData,
    reason: str | None = None,
) -> Milestone:
    """A shared milestone (lead agency) or one local to ``track`` (that track's agency).

    A track's agency can add local milestones but never move a shared one.
    """
    if existing is not None:
        if existing.challenge_id != challenge.id:
            raise NotFound(_("No such milestone."))
        track = existing.track
    if track is not None and track.challenge_id != challenge.id:
        raise NotFound(_("No such track."))
    _require_milestone_editor(actor, challenge, track)
    name, starts_at, url = _check_milestone(data)
    moved = existing is not None and (
        existing.starts_at != starts_at or existing.ends_at != data.ends_at
    )
    reason = text_block(reason)
    changes_timeline = track is None and challenge.is_published and moved
    _require_reason(changes_timeline, reason)
    target = existing or Milestone(challenge=challenge, track=track)
    if existing is None:
        db.session.add(target)
    old_start = existing.starts_at if existing else None
    target.name, target.url = name, url
    target.starts_at, target.ends_at = starts_at, data.ends_at
    if moved:
        target.sequence += 1
    db.session.flush()
    if changes_timeline:
        moved_start = (old_start, target.starts_at)
        _record_change(actor, challenge, reason, "starts_at", moved_start, milestone_id=target.id)
    agency = track.agency if track else challenge.lead_agency
    record_in(
        actor,
        agency,
        "timeline.milestone_saved",
        target,
        after={
            "starts_at": target.starts_at,
            "ends_at": target.ends_at,
            "track": track.slug if track else None,
            **({"reason": reason} if reason else {}),
        },
    )
    return target


def delete_milestone(actor: Actor, challenge: Challenge, target: Milestone) -> None:
    if target.challenge_id != challenge.id:
        raise NotFound(_("No such milestone."))
    _require_milestone_editor(actor, challenge, target.track)
    audit.record(
        actor,
        "timeline.milestone_deleted",
        obj=target,
        agency_id=(target.track.agency_id if target.track else challenge.lead_agency_id),
        before={"starts_at": target.starts_at},
    )
    challenge.milestones.remove(target)
    db.session.delete(target)


MILESTONE_LABELS = {"starts_at": _l("Starts"), "ends_at": _l("Ends")}


def change_subject(change: TimelineChange, lang: str) -> str:
    """What a change moved, in words: "Phase 1 — Results released", "Demo day — Starts"
    (never the column name ``results_at``)."""
    label = INSTANT_LABELS.get(change.field) or MILESTONE_LABELS.get(change.field)
    what = str(label) if label is not None else change.field
    owner = ""
    if change.round_id is not None:
        rnd = db.session.get(Round, change.round_id)
        owner = rnd.name_in(lang) if rnd else ""
    elif change.milestone_id is not None:
        milestone = db.session.get(Milestone, change.milestone_id)
        if milestone is not None:
            owner = milestone.name.get(lang) or next(iter(milestone.name.values()), "")
    return f"{owner} — {what}" if owner else what


def timeline_changes(challenge: Challenge) -> list[TimelineChange]:
    return list(
        db.session.scalars(
            select(TimelineChange)
            .where(TimelineChange.challenge_id == challenge.id)
            .order_by(TimelineChange.at.desc())
        )
    )


def release_results(
    actor: Actor, challenge: Challenge, target: Round, at: datetime | None, reason: str
) -> Round:
    """Release the round's results now (``at`` None) or at a later instant: the round's results
    instant moves through ``save_round``, so its checks, its audit and the entrants' notice of
    a timeline change all apply. Every track's audience gets the results at that instant."""
    require_manager(actor, challenge)
    if target.challenge_id != challenge.id:
        raise NotFound(_("No such round."))
    now = clock.now()
    if now >= target.results_at:
        raise Conflict(_("These results are already released."), field="results_at")
    if at is not None and at <= now:
        raise DomainError(
            _("Choose an instant still to come, or release the results now."), field="results_at"
        )
    released_now = at is None
    at = now if at is None else at
    data = RoundData(dict(target.name), {**target.instants(), "results_at": at})
    saved = save_round(actor, challenge, target, data, reason)
    if released_now and challenge.is_published:
        # Told in this transaction; a scheduled release is told by the webhooks' tick.
        from competitions.webhooks import events as webhook_events

        webhook_events.results_released(saved)
    return saved
