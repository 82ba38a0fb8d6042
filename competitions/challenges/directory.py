"""The public directory of challenges: filters computed from the timeline when read."""

from __future__ import annotations

import dataclasses
import enum
import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import joinedload, lazyload, load_only, selectinload

from competitions.agencies.models import Agency
from competitions.challenges.eligibility import (
    EntrantType,
    Member,
    Status,
    TeamProfile,
    evaluate,
    parse_rules,
)
from competitions.challenges.models import Challenge, ChallengeStatus, Round, Track


class Phase(enum.StrEnum):
    OPEN = "open"  # a submission window is open now
    UPCOMING = "upcoming"  # no window has opened yet
    CLOSED = "closed"  # every submission deadline has passed


def challenge_phase(challenge: Challenge, now: datetime) -> Phase | None:
    rounds = challenge.rounds
    if not rounds:
        return None
    if any(r.submission_opens <= now <= r.submission_deadline for r in rounds):
        return Phase.OPEN
    if all(r.submission_deadline < now for r in rounds):
        return Phase.CLOSED
    return Phase.UPCOMING


def next_deadline(challenge: Challenge, now: datetime) -> Round | None:
    future = [r for r in challenge.rounds if r.submission_deadline >= now]
    return min(future, key=lambda r: r.submission_deadline) if future else None


@dataclass(frozen=True)
class DirectoryFilters:
    phase: Phase | None = None
    agency_id: int | None = None
    query: str = ""
    enterable_by: Any = None  # a signed-in user: only challenges they can enter


def _phase_clause(phase: Phase, now: datetime) -> Any:
    open_now = exists().where(
        Round.challenge_id == Challenge.id,
        Round.submission_opens <= now,
        Round.submission_deadline >= now,
    )
    has_future = exists().where(
        Round.challenge_id == Challenge.id, Round.submission_deadline >= now
    )
    started = exists().where(Round.challenge_id == Challenge.id, Round.submission_opens <= now)
    has_rounds = exists().where(Round.challenge_id == Challenge.id)
    if phase is Phase.OPEN:
        return open_now
    if phase is Phase.CLOSED:
        return and_(has_rounds, ~has_future)
    return and_(has_future, ~started)


@functools.cache
def _card_options(lead_agency: bool, rules: bool) -> tuple[Any, ...]:
    """Loader options for only what a card shows, built once per kind (building them costs
    more than running the queries)."""
    track_columns = [Track.challenge_id, Track.agency_id, Track.position, Track.languages]
    return (
        load_only(
            Challenge.slug,
            Challenge.status,
            Challenge.published_at,
            Challenge.timezone,
            Challenge.title,
            Challenge.summary,
            Challenge.lead_agency_id,
        ),
        (joinedload if lead_agency else lazyload)(Challenge.lead_agency),
        selectinload(Challenge.rounds).load_only(
            Round.challenge_id,
            Round.position,
            Round.submission_opens,
            Round.submission_deadline,
        ),
        selectinload(Challenge.tracks)
        .load_only(*track_columns, *([Track.rules] if rules else []))
        .joinedload(Track.agency)
        .load_only(Agency.slug, Agency.name, Agency.short_name),
    )


def directory_query(
    filters: DirectoryFilters, now: datetime, *, lead_agency: bool = True, rules: bool = True
) -> Select[Any]:
    """The published challenges matching ``filters``, newest first, with only what a card
    shows: every JSON column not needed is left undecoded. The directory's page leaves out
    the lead agency (not on its cards) and the tracks' rules (unless it checks who can enter).
    """
    stmt = (
        select(Challenge)
        .where(Challenge.status == ChallengeStatus.PUBLISHED)
        .options(*_card_options(lead_agency, rules))
        .order_by(Challenge.published_at.desc(), Challenge.id.desc())
    )
    if filters.phase is not None:
        stmt = stmt.where(_phase_clause(filters.phase, now))
    if filters.agency_id is not None:
        in_track = exists().where(
            Track.challenge_id == Challenge.id, Track.agency_id == filters.agency_id
        )
        stmt = stmt.where(or_(Challenge.lead_agency_id == filters.agency_id, in_track))
    words = filters.query.casefold().split()[:8]
    for word in words:
        stmt = stmt.where(func.lower(Challenge.search_text).contains(word, autoescape=True))
    return stmt


def solo_profile(user: Any) -> TeamProfile:
    """How a signed-in person would enter alone (age is attested at registration)."""
    return TeamProfile(
        entrant_type=EntrantType.INDIVIDUAL,
        members=(Member(residence=user.country, age=None, is_lead=True),),
    )


def can_enter(user: Any, challenge: Challenge) -> bool:
    """Some track accepts ``user`` entering alone (for prizes or for recognition)."""
    profile = solo_profile(user)
    for track in challenge.tracks:
        rules = dataclasses.replace(parse_rules(track.rules or {}), minimum_age=None)
        for kind in (EntrantType.INDIVIDUAL, EntrantType.TEAM):
            decision = evaluate(dataclasses.replace(profile, entrant_type=kind), rules)
            if decision.status is not Status.INELIGIBLE:
                return True
    return False
