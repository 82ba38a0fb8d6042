"""Teams and their members: form a team, edit it, state one's residence and age, leave or
be removed, hand over the lead.

Every change to who is in the team, or to what they declare, is checked against the team's
active entries (``decisions.recheck_entries``), and each active entry stands for exactly the
team's members (``sync_entry_members``): a person is in at most one entry of an exclusive
challenge, enforced by unique constraints.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from competitions.accounts.models import User
from competitions.challenges.eligibility import EntrantType
from competitions.challenges.models import Track
from competitions.core import audit, clock
from competitions.core.actor import Actor
from competitions.core.errors import Conflict, DomainError, NotFound, PermissionDenied, must_exist
from competitions.core.extensions import db
from competitions.core.i18n import is_valid_country, is_valid_jurisdiction
from competitions.core.text import one_line, required_line
from competitions.core.translate import gettext as _
from competitions.entries import decisions, permissions
from competitions.entries.models import Entry, EntryMember, Team, TeamMember, TeamRole


@dataclass(frozen=True)
class TeamData:
    name: str
    entrant_type: str
    organisation_name: str | None = None
    organisation_country: str | None = None


def check_team(data: TeamData) -> TeamData:
    name = required_line(
        data.name,
        "name",
        120,
        _("Enter a name for the team."),
        _("The team's name must be 120 characters or fewer."),
    )
    try:
        kind = EntrantType(data.entrant_type)
    except ValueError as exc:
        raise DomainError(_("Choose what kind of entrant you are."), field="entrant_type") from exc
    org_name = one_line(data.organisation_name) or None
    org_country = (data.organisation_country or "").strip().upper() or None
    if kind in (EntrantType.INDIVIDUAL, EntrantType.TEAM):
        return TeamData(name, kind.value, None, None)
    if not org_name:
        raise DomainError(_("Enter the organisation's name."), field="organisation_name")
    if len(org_name) > 200:
        raise DomainError(
            _("The organisation's name must be 200 characters or fewer."),
            field="organisation_name",
        )
    if not org_country or not is_valid_country(org_country):
        raise DomainError(
            _("Select the country where the organisation is established."),
            field="organisation_country",
        )
    return TeamData(name, kind.value, org_name, org_country)


def check_member_profile(residence: str, age: int | None) -> tuple[str, int | None]:
    residence = (residence or "").strip().upper()
    if not residence or not is_valid_jurisdiction(residence):
        raise DomainError(_("Select your country of residence."), field="residence")
    if age is not None and not 0 <= age <= 130:
        raise DomainError(_("Enter your age in years."), field="declared_age")
    return residence, age


def get_team(team_id: int) -> Team:
    return must_exist(db.session.get(Team, team_id), _("No such team."))


def get_member(team: Team, member_id: int) -> TeamMember:
    member = next((m for m in team.members if m.id == member_id), None)
    return must_exist(member, _("No such member."))


def my_teams(user: Any) -> list[Team]:
    """The user's teams, with their members and entries loaded (the "Your entries" page)."""
    return list(
        db.session.scalars(
            select(Team)
            .join(TeamMember, TeamMember.team_id == Team.id)
            .where(TeamMember.user_id == user.id)
            .order_by(Team.name)
            .options(
                selectinload(Team.members),
                selectinload(Team.entries).joinedload(Entry.track).joinedload(Track.challenge),
            )
        )
    )


def create_team(actor: Actor, data: TeamData, residence: str, declared_age: int | None) -> Team:
    """A new team with the acting user as its lead."""
    user = actor.user
    if not isinstance(user, User):
        raise PermissionDenied(_("Sign in to create a team."))
    data = check_team(data)
    residence, declared_age = check_member_profile(residence, declared_age)
    team = Team(
        name=data.name,
        entrant_type=data.entrant_type,
        organisation_name=data.organisation_name,
        organisation_country=data.organisation_country,
        created_by_id=user.id,
    )
    db.session.add(
        TeamMember(
            team=team,
            user=user,
            role=TeamRole.LEAD,
            residence=residence,
            declared_age=declared_age,
            attested_at=clock.now(),
        )
    )
    return audit.created(
        actor, "team.created", team, after={"name": team.name, "entrant_type": team.entrant_type}
    )


def require_lead(actor: Actor, team: Team) -> None:
    if not permissions.is_lead(actor.user, team):
        if permissions.is_member(actor.user, team):
            raise PermissionDenied(_("Only the team lead can do this."))
        raise NotFound(_("No such team."))


def _details(team: Team) -> dict[str, Any]:
    """The team's name and who it enters as (the fields of ``TeamData``), as the audit log
    records them."""
    return {f.name: getattr(team, f.name) for f in fields(TeamData)}


def update_team(actor: Actor, team: Team, data: TeamData) -> None:
    require_lead(actor, team)
    data = check_team(data)
    before = _details(team)
    old = (team.entrant_type, team.organisation_name, team.organisation_country)
    team.name, team.entrant_type = data.name, data.entrant_type
    team.organisation_name, team.organisation_country = (
        data.organisation_name,
        data.organisation_country,
    )
    if old != (team.entrant_type, team.organisation_name, team.organisation_country):
        decisions.recheck_entries(team, list(team.members), _("This change"))
    audit.record(actor, "team.updated", obj=team, before=before, after=_details(team))


def update_my_profile(actor: Actor, team: Team, residence: str, declared_age: int | None) -> None:
    """A member states where they reside and their age (an attestation, timestamped)."""
    member = team.member_of(actor.user_id)
    if member is None:
        raise NotFound(_("No such team."))
    residence, declared_age = check_member_profile(residence, declared_age)
    before = {"residence": member.residence, "declared_age": member.declared_age}
    member.residence, member.declared_age = residence, declared_age
    member.attested_at = clock.now()
    decisions.recheck_entries(team, list(team.members), _("This change"))
    after = {"residence": residence, "declared_age": declared_age}
    audit.record(actor, "team.member_attested", obj=team, before=before, after=after)


def sync_entry_members(team: Team) -> None:
    """Each active entry stands for exactly the team's current members (flushes, so the
    exclusivity constraints speak now)."""
    for entry in team.active_entries:
        wanted = {m.user_id for m in team.members}
        have = {em.user_id: em for em in entry.members}
        for user_id, em in have.items():
            if user_id not in wanted:
                entry.members.remove(em)
        for user_id in wanted - have.keys():
            entry.members.append(
                EntryMember(user_id=user_id, exclusive_challenge_id=entry.exclusive_challenge_id)
            )
    flush_entry_members(
        DomainError(
            _(
                "Someone in the team already takes part in this challenge with another team, and "
                "its tracks allow only one entry per person."
            )
        )
    )


def flush_entry_members(refusal: DomainError) -> None:
    """Write who the entries stand for now, in a SAVEPOINT, so that the exclusivity constraints
    speak: a person already in another entry of an exclusive challenge raises ``refusal``, and
    only this flush is undone."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise refusal from exc


def remove_member(actor: Actor, team: Team, member: TeamMember) -> None:
    """The lead removes a member, or a member leaves (not the lead: hand over first)."""
    if member.team_id != team.id:
        raise NotFound(_("No such member."))
    leaving = member.user_id == actor.user_id
    if not leaving:
        require_lead(actor, team)
    if member.role == TeamRole.LEAD:
        raise Conflict(
            _("The team lead cannot leave. Make someone else the lead first.")
            if len(team.members) > 1
            else _("You are the only member. Withdraw the team's entries instead.")
        )
    remaining = [m for m in team.members if m.id != member.id]
    decisions.recheck_entries(team, remaining, _("This departure"))
    decisions.check_team_minimum(team, len(remaining))
    team.members.remove(member)
    db.session.delete(member)
    sync_entry_members(team)
    audit.record(
        actor,
        "team.member_left" if leaving else "team.member_removed",
        obj=team,
        before={"email": member.user.email},
    )


def transfer_lead(actor: Actor, team: Team, member: TeamMember) -> None:
    require_lead(actor, team)
    if member.team_id != team.id:
        raise NotFound(_("No such member."))
    current = team.lead
    if current is None or current.id == member.id:
        return
    current.role = TeamRole.MEMBER
    db.session.flush()  # one lead at a time (a partial unique index)
    member.role = TeamRole.LEAD
    decisions.recheck_entries(team, list(team.members), _("This change of lead"))
    audit.record(
        actor,
        "team.lead_transferred",
        obj=team,
        before={"lead": current.user.email},
        after={"lead": member.user.email},
    )
