"""Reading pilots: one pilot, a challenge's and an award's pilots the viewer may see, the
history of a pilot, and what the home page shows (offers to answer, milestones due or
overdue), each in a bounded number of queries."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Date, Integer, bindparam, exists, or_, select
from sqlalchemy.orm import contains_eager, joinedload, lazyload, load_only

from competitions.agencies.models import Agency, Membership
from competitions.awards.models import Award
from competitions.core import clock
from competitions.core.audit import AuditEvent
from competitions.core.errors import NotFound
from competitions.core.extensions import db
from competitions.core.translate import gettext as _
from competitions.entries.models import Entry, Team, TeamMember
from competitions.pilots import permissions
from competitions.pilots.models import Pilot, PilotMilestone, PilotStatus, PilotUpdate


def get_pilot(pilot_id: int) -> Pilot:
    pilot = db.session.get(Pilot, pilot_id)
    if pilot is None:
        raise NotFound(_("No such pilot."))
    return pilot


def get_award(award_id: int) -> Award:
    award = db.session.get(Award, award_id)
    if award is None:
        raise NotFound(_("No such award."))
    return award


def pilots_of_award(award: Award) -> list[Pilot]:
    return list(
        db.session.scalars(select(Pilot).where(Pilot.award_id == award.id).order_by(Pilot.id))
    )


def visible_pilots_of_award(user: Any, award: Award) -> list[Pilot]:
    return [p for p in pilots_of_award(award) if permissions.can_view(user, p)]


def pilots_of_challenge(user: Any, challenge_id: int) -> list[Pilot]:
    """The challenge's pilots the user may see (one query, then the rule on each)."""
    rows = db.session.scalars(
        select(Pilot)
        .join(Award, Award.id == Pilot.award_id)
        .join(Entry, Entry.id == Award.entry_id)
        .where(Entry.challenge_id == challenge_id)
        .order_by(Pilot.id)
    ).unique()
    return [p for p in rows if permissions.can_view(user, p)]


def awards_of_challenge(challenge_id: int) -> list[Award]:
    return list(
        db.session.scalars(
            select(Award)
            .join(Entry, Entry.id == Award.entry_id)
            .where(Entry.challenge_id == challenge_id)
            .order_by(Award.id)
        ).unique()
    )


def history(pilot: Pilot) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "pilot", AuditEvent.object_id == str(pilot.id))
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )


@dataclass(frozen=True)
class DueMilestone:
    pilot_id: int
    title: str
    due_on: date
    team: str
    host: str
    overdue: bool


@dataclass(frozen=True)
class Offer:
    pilot_id: int
    host: str
    team: str


def _names(query: Any) -> Any:
    """``query`` on pilots joined to the names the home page shows: the winning team's and the
    host agency's (columns, not objects: a pilot's eager loads would bring its award, track,
    team members, plan, KPIs and updates)."""
    return (
        query.join(Award, Award.id == Pilot.award_id)
        .join(Entry, Entry.id == Award.entry_id)
        .join(Team, Team.id == Entry.team_id)
        .join(Agency, Agency.id == Pilot.host_agency_id)
    )


def due_for(user: Any, limit: int, today: date | None = None) -> list[DueMilestone]:
    """Milestones not signed off of the active pilots the user is on (team member or host
    agency member), due within two weeks or overdue, soonest first (one query)."""
    today = today or clock.now().date()
    until = today + timedelta(days=14)
    rows = db.session.execute(_due(), {"user_id": user.id, "until": until, "limit": limit})
    return [
        DueMilestone(pilot_id, title, due_on, team, host, due_on < today)
        for pilot_id, title, due_on, team, host in rows
    ]


def offers_for(user: Any, limit: int) -> list[Offer]:
    """Offers waiting for an answer from a team the user leads."""
    rows = db.session.execute(_offers(), {"user_id": user.id, "limit": limit})
    return [Offer(pilot_id, host, team) for pilot_id, host, team in rows]


# The home page's two statements are built once, their values bound at each call: building
# them and their cache keys cost three times what running them does.


@functools.cache
def _due() -> Any:
    user_id = bindparam("user_id", type_=Integer)
    on_team = exists().where(TeamMember.team_id == Entry.team_id, TeamMember.user_id == user_id)
    in_host = exists().where(
        Membership.agency_id == Pilot.host_agency_id, Membership.user_id == user_id
    )
    return (
        _names(
            select(
                Pilot.id, PilotMilestone.title, PilotMilestone.due_on, Team.name, Agency.name
            ).join(Pilot, Pilot.id == PilotMilestone.pilot_id)
        )
        .where(
            Pilot.status == PilotStatus.ACTIVE,
            PilotMilestone.signed_off_at.is_(None),
            PilotMilestone.due_on <= bindparam("until", type_=Date),
            or_(on_team, in_host),
        )
        .order_by(PilotMilestone.due_on, PilotMilestone.id)
        .limit(bindparam("limit", type_=Integer))
    )


@functools.cache
def _offers() -> Any:
    return (
        _names(select(Pilot.id, Agency.name, Team.name))
        .join(TeamMember, TeamMember.team_id == Entry.team_id)
        .where(
            TeamMember.user_id == bindparam("user_id", type_=Integer),
            TeamMember.role == "lead",
            Pilot.status == PilotStatus.OFFERED,
        )
        .order_by(Pilot.id)
        .limit(bindparam("limit", type_=Integer))
    )


def all_pilots_of_challenge(challenge_id: int) -> list[Pilot]:
    """Every pilot of the challenge, for the agencies taking part (one query)."""
    return list(
        db.session.scalars(
            select(Pilot)
            .join(Award, Award.id == Pilot.award_id)
            .join(Entry, Entry.id == Award.entry_id)
            .where(Entry.challenge_id == challenge_id)
            .order_by(Pilot.id)
        ).unique()
    )


def _public(query: Any) -> Any:
    return query.where(
        Pilot.public_by_host.is_(True),
        Pilot.public_by_team.is_(True),
        Pilot.status.in_((PilotStatus.ACTIVE, PilotStatus.ENDED)),
    )


@functools.cache
def _public_names() -> tuple[Any, ...]:
    """The loader options of ``public_pilots_of_challenge``, built once (they depend on
    nothing but the models; building them costs more than running the query)."""
    return (
        load_only(Pilot.status, Pilot.award_id, Pilot.host_agency_id),
        lazyload("*"),
        joinedload(Pilot.host).options(load_only(Agency.name), lazyload("*")),
        # The award and the entry are joined already (the challenge's filter): no second join.
        contains_eager(Pilot.award).options(
            load_only(Award.entry_id),
            lazyload("*"),
            contains_eager(Award.entry).options(
                load_only(Entry.team_id),
                lazyload("*"),
                joinedload(Entry.team).options(load_only(Team.name), lazyload("*")),
            ),
        ),
    )


def public_pilots_of_challenge(challenge: Any) -> list[Pilot]:
    """The pilots of a published challenge whose host and team both opted in."""
    if not challenge.is_published:
        return []
    # Only what the challenge's page and its winners show (pilot, status, host, team):
    # the models' joined relationships would otherwise cascade through award, entry, track.
    query = (
        select(Pilot)
        .join(Award, Award.id == Pilot.award_id)
        .join(Entry, Entry.id == Award.entry_id)
        .where(Entry.challenge_id == challenge.id)
        .options(*_public_names())
        .order_by(Pilot.id)
    )
    return list(db.session.scalars(_public(query)).unique())


def public_updates_of_challenge(challenge: Any, limit: int = 50) -> list[PilotUpdate]:
    """The newest status updates of the challenge's public pilots, for its Atom feed."""
    if not challenge.is_published:
        return []
    query = (
        select(PilotUpdate)
        .join(Pilot, Pilot.id == PilotUpdate.pilot_id)
        .join(Award, Award.id == Pilot.award_id)
        .join(Entry, Entry.id == Award.entry_id)
        .where(Entry.challenge_id == challenge.id)
        .options(joinedload(PilotUpdate.pilot))
        .order_by(PilotUpdate.posted_at.desc(), PilotUpdate.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(_public(query)))


def public_pilot_pages() -> list[tuple[int, Any]]:
    """(pilot id, last change) of every public pilot of a published challenge (sitemap)."""
    from competitions.challenges.models import Challenge, ChallengeStatus

    query = (
        select(Pilot.id, Pilot.updated_at)
        .join(Award, Award.id == Pilot.award_id)
        .join(Entry, Entry.id == Award.entry_id)
        .join(Challenge, Challenge.id == Entry.challenge_id)
        .where(Challenge.status == ChallengeStatus.PUBLISHED)
        .order_by(Pilot.id)
    )
    return [(i, at) for i, at in db.session.execute(_public(query))]
