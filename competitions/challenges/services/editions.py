"""The next edition of a challenge: a new draft copying the tracks with their rules, prizes
and terms, and the timeline shifted by an offset in days."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import select

from competitions.agencies.services import record_in
from competitions.challenges.models import (
    Challenge,
    ChallengeStatus,
    Milestone,
    Prize,
    Round,
    TermsVersion,
    Track,
)
from competitions.challenges.services import (
    check_slug,
    current_terms,
    require_manager,
    search_text,
)
from competitions.core import clock, instants
from competitions.core.actor import Actor
from competitions.core.errors import Conflict, DomainError
from competitions.core.extensions import db
from competitions.core.translate import gettext as _


def launch_next_edition(
    actor: Actor, challenge: Challenge, slug: str, offset_days: int
) -> Challenge:
    """A new draft copying tracks, rules, prizes, terms and the timeline shifted by the offset."""
    require_manager(actor, challenge)
    slug = check_slug(slug)
    if not -3660 <= offset_days <= 3660:
        raise DomainError(_("Enter an offset of at most ten years."), field="offset_days")
    if db.session.scalar(select(Challenge.id).where(Challenge.slug == slug)) is not None:
        raise Conflict(_("Another challenge already uses this short address."), field="slug")
    shift = partial(_shift, offset=timedelta(days=offset_days), zone=challenge.timezone)
    _check_shift(challenge, shift)
    copy = Challenge(
        slug=slug,
        lead_agency=challenge.lead_agency,
        status=ChallengeStatus.DRAFT,
        timezone=challenge.timezone,
        edition=challenge.edition + 1,
        previous_edition_id=challenge.id,
        created_by_id=actor.user_id,
        title=dict(challenge.title),
        summary=dict(challenge.summary),
        description=dict(challenge.description),
    )
    copy.search_text = search_text(copy)
    db.session.add(copy)
    for track in challenge.tracks:
        _copy_milestones(challenge, copy, shift, track, _copy_track(actor, track, copy))
    for r in challenge.rounds:
        instants = {field: shift(instant) for field, instant in r.instants().items()}
        db.session.add(Round(challenge=copy, position=r.position, name=dict(r.name), **instants))
    _copy_milestones(challenge, copy, shift)
    db.session.flush()
    record_in(
        actor,
        challenge.lead_agency,
        "challenge.next_edition",
        copy,
        after={"from": challenge.slug, "offset_days": offset_days},
    )
    return copy


def _copy_track(actor: Actor, track: Track, copy: Challenge) -> Track:
    """The track in the new edition, with its prizes and its current terms (as version 1)."""
    new = Track(
        challenge=copy,
        agency=track.agency,
        slug=track.slug,
        position=track.position,
        name=dict(track.name),
        description=dict(track.description),
        languages=list(track.languages),
        contact_email=track.contact_email,
        timezone=track.timezone,
        rules=dict(track.rules),
        attestations=dict(track.attestations or {}),
    )
    db.session.add(new)
    for prize in track.prizes:
        db.session.add(
            Prize(
                track=new,
                position=prize.position,
                label=dict(prize.label),
                amount=prize.amount,
                currency=prize.currency,
                count=prize.count,
                condition=dict(prize.condition),
            )
        )
    terms = current_terms(track)
    if terms is not None:
        db.session.add(
            TermsVersion(
                track=new,
                version=1,
                body=dict(terms.body),
                created_by_id=actor.user_id,
                created_at=clock.now(),
            )
        )
    return new


def _copy_milestones(
    challenge: Challenge,
    copy: Challenge,
    shift: Callable[[datetime | None], datetime | None],
    track: Track | None = None,
    new_track: Track | None = None,
) -> None:
    """The milestones local to ``track`` (the shared ones without a track), shifted."""
    for milestone in challenge.milestones:
        if milestone.track_id == (track.id if track else None):
            db.session.add(
                Milestone(
                    challenge=copy,
                    track=new_track,
                    name=dict(milestone.name),
                    starts_at=shift(milestone.starts_at),
                    ends_at=shift(milestone.ends_at),
                    url=milestone.url,
                )
            )


def _check_shift(challenge: Challenge, shift: Callable[[datetime | None], datetime | None]) -> None:
    """Every date of the timeline, shifted, stays in the supported range (``core.instants``)."""
    dates = [i for r in challenge.rounds for i in r.instants().values()]
    dates += [i for m in challenge.milestones for i in (m.starts_at, m.ends_at)]
    for instant in dates:
        try:
            moved = shift(instant)
        except OverflowError:
            moved = instants.LATEST + timedelta(days=1)
        if moved is not None and not instants.supported(moved):
            raise DomainError(
                _(
                    "Shifted by this offset, a date would not be between the years %(first)d "
                    "and %(last)d.",
                    first=instants.EARLIEST.year,
                    last=instants.LATEST.year,
                ),
                field="offset_days",
            )


def _shift(instant: datetime | None, offset: timedelta, zone: str = "UTC") -> datetime | None:
    """Move ``instant`` by ``offset`` days keeping its wall-clock time in ``zone`` (a 17:00
    CDT deadline stays 17:00 local after a DST change)."""
    if instant is None:
        return None
    local = instant.astimezone(ZoneInfo(zone))
    return (local + offset).astimezone(UTC)
