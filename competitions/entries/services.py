"""Team and entry services: form a team, invite members, register into a track.

Registration evaluates the track's rules on the team as it is (members' residence and declared
ages, entrant type, organisation country), stores the decision with its reasons, records the
accepted terms version (with time and address) and the attestations. Exclusivity ("may not
enter more than one track of this challenge") is enforced by unique constraints on the entry
and on each person it stands for, not only here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from competitions.accounts.models import User
from competitions.accounts.services import check_email
from competitions.challenges.eligibility import (
    STATUS_ORDER,
    Decision,
    EntrantType,
    Member,
    Reason,
    RulesError,
    Severity,
    Status,
    TeamProfile,
    evaluate,
    explain,
    parse_rules,
    route,
)
from competitions.challenges.models import Challenge, Track
from competitions.challenges.services import current_terms, get_challenge
from competitions.core import audit, clock, mail, tokens
from competitions.core.actor import Actor
from competitions.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from competitions.core.extensions import db
from competitions.core.i18n import current_language, is_valid_country, is_valid_jurisdiction
from competitions.core.urls import external_url
from competitions.entries import permissions
from competitions.entries.models import (
    Entry,
    EntryMember,
    Team,
    TeamInvitation,
    TeamMember,
    TeamRole,
)

TEAM_INVITE = "team-invitation"


# --- profiles and decisions ----------------------------------------------------------------


def profile_of(team: Team, members: list[TeamMember] | None = None) -> TeamProfile:
    """The team as the eligibility evaluator sees it."""
    people = team.members if members is None else members
    return TeamProfile(
        entrant_type=EntrantType(team.entrant_type),
        members=tuple(
            Member(residence=m.residence, age=m.declared_age, is_lead=m.role == TeamRole.LEAD)
            for m in people
        ),
        organisation_country=team.organisation_country,
    )


def reasons_to_data(decision: Decision) -> list[dict[str, Any]]:
    return [
        {"code": r.code, "severity": r.severity.value, "params": _plain(dict(r.params))}
        for r in decision.reasons
    ]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


def reasons_from_data(data: list[dict[str, Any]]) -> list[Reason]:
    return [Reason(r["code"], Severity(r["severity"]), r.get("params") or {}) for r in data]


def explain_entry(entry: Entry) -> list[tuple[bool, str]]:
    """(blocking?, sentence) for each stored reason, in the current language."""
    return [(r.blocking, explain(r)) for r in reasons_from_data(entry.eligibility_reasons)]


def _rules(track: Track) -> Any:
    try:
        return parse_rules(track.rules or {})
    except RulesError as exc:
        raise DomainError(_("This track's rules are being fixed; try again later.")) from exc


def _worse(new: str, old: str) -> bool:
    return STATUS_ORDER[Status(new)] > STATUS_ORDER[Status(old)]


def _recheck_entries(team: Team, members: list[TeamMember], change: str) -> None:
    """Re-evaluate the team's active entries as the team would be after ``change``.

    Before the first final submission the stored decision simply follows the team. Once it is
    frozen, a change that would make the entry less eligible is refused, with the reasons.
    """
    profile = profile_of(team, members)
    now = clock.now()
    for entry in team.active_entries:
        decision = evaluate(profile, _rules(entry.track))
        if entry.eligibility_frozen_at is not None and (
            decision.status is Status.INELIGIBLE or _worse(decision.status, entry.eligibility)
        ):
            why = " ".join(explain(r) for r in decision.blocking_reasons)
            raise DomainError(
                _(
                    "%(change)s would make your entry in %(track)s no longer eligible, and its "
                    "eligibility is fixed since your first submission. %(why)s",
                    change=change,
                    track=entry.track.name_in(current_language()),
                    why=why,
                )
            )
        entry.eligibility = decision.status.value
        entry.eligibility_reasons = reasons_to_data(decision)
        entry.eligibility_evaluated_at = now


def _check_size(team: Team, size: int) -> None:
    for entry in team.active_entries:
        rules = _rules(entry.track)
        if rules.team_max is not None and size > rules.team_max:
            raise DomainError(
                _(
                    "Teams in %(track)s have at most %(n)d members.",
                    track=entry.track.name_in(current_language()),
                    n=rules.team_max,
                ),
                field="email",
            )


# --- teams --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamData:
    name: str
    entrant_type: str
    organisation_name: str | None = None
    organisation_country: str | None = None


def _check_team(data: TeamData) -> TeamData:
    name = " ".join(data.name.split())
    if not name:
        raise DomainError(_("Enter a name for the team."), field="name")
    if len(name) > 120:
        raise DomainError(_("The team's name must be 120 characters or fewer."), field="name")
    try:
        kind = EntrantType(data.entrant_type)
    except ValueError as exc:
        raise DomainError(_("Choose what kind of entrant you are."), field="entrant_type") from exc
    org_name = " ".join((data.organisation_name or "").split()) or None
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


def _check_member_profile(residence: str, age: int | None) -> tuple[str, int | None]:
    residence = (residence or "").strip().upper()
    if not residence or not is_valid_jurisdiction(residence):
        raise DomainError(_("Select your country of residence."), field="residence")
    if age is not None and not 0 <= age <= 130:
        raise DomainError(_("Enter your age in years."), field="declared_age")
    return residence, age


def get_team(team_id: int) -> Team:
    team = db.session.get(Team, team_id)
    if team is None:
        raise NotFound(_("No such team."))
    return team


def get_member(team: Team, member_id: int) -> TeamMember:
    member = next((m for m in team.members if m.id == member_id), None)
    if member is None:
        raise NotFound(_("No such member."))
    return member


def my_teams(user: Any) -> list[Team]:
    return list(
        db.session.scalars(
            select(Team)
            .join(TeamMember, TeamMember.team_id == Team.id)
            .where(TeamMember.user_id == user.id)
            .order_by(Team.name)
        )
    )


def create_team(actor: Actor, data: TeamData, residence: str, declared_age: int | None) -> Team:
    """A new team with the acting user as its lead."""
    user = actor.user
    if not isinstance(user, User):
        raise PermissionDenied(_("Sign in to create a team."))
    data = _check_team(data)
    residence, declared_age = _check_member_profile(residence, declared_age)
    team = Team(
        name=data.name,
        entrant_type=data.entrant_type,
        organisation_name=data.organisation_name,
        organisation_country=data.organisation_country,
        created_by_id=user.id,
    )
    db.session.add(team)
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
    db.session.flush()
    audit.record(
        actor,
        "team.created",
        obj=team,
        after={"name": team.name, "entrant_type": team.entrant_type},
    )
    return team


def _require_lead(actor: Actor, team: Team) -> None:
    if not permissions.is_lead(actor.user, team):
        if permissions.is_member(actor.user, team):
            raise PermissionDenied(_("Only the team lead can do this."))
        raise NotFound(_("No such team."))


def update_team(actor: Actor, team: Team, data: TeamData) -> None:
    _require_lead(actor, team)
    data = _check_team(data)
    before = {
        "name": team.name,
        "entrant_type": team.entrant_type,
        "organisation_name": team.organisation_name,
        "organisation_country": team.organisation_country,
    }
    old = (team.entrant_type, team.organisation_name, team.organisation_country)
    team.name, team.entrant_type = data.name, data.entrant_type
    team.organisation_name, team.organisation_country = (
        data.organisation_name,
        data.organisation_country,
    )
    if old != (team.entrant_type, team.organisation_name, team.organisation_country):
        _recheck_entries(team, list(team.members), _("This change"))
    audit.record(
        actor,
        "team.updated",
        obj=team,
        before=before,
        after={
            "name": team.name,
            "entrant_type": team.entrant_type,
            "organisation_name": team.organisation_name,
            "organisation_country": team.organisation_country,
        },
    )


def update_my_profile(actor: Actor, team: Team, residence: str, declared_age: int | None) -> None:
    """A member states where they reside and their age (an attestation, timestamped)."""
    member = team.member_of(actor.user_id)
    if member is None:
        raise NotFound(_("No such team."))
    residence, declared_age = _check_member_profile(residence, declared_age)
    before = {"residence": member.residence, "declared_age": member.declared_age}
    member.residence, member.declared_age = residence, declared_age
    member.attested_at = clock.now()
    _recheck_entries(team, list(team.members), _("This change"))
    audit.record(
        actor,
        "team.member_attested",
        obj=team,
        before=before,
        after={"residence": residence, "declared_age": declared_age},
    )


def invite_member(actor: Actor, team: Team, email: str) -> TeamInvitation:
    _require_lead(actor, team)
    display, normalized = check_email(email)
    if any(m.user.email_normalized == normalized for m in team.members):
        raise Conflict(_("%(email)s is already in the team.", email=display), field="email")
    pending = db.session.scalars(
        select(TeamInvitation).where(
            TeamInvitation.team_id == team.id, TeamInvitation.resolution.is_(None)
        )
    ).all()
    inv = next((i for i in pending if i.email_normalized == normalized), None)
    if inv is None:
        _check_size(team, len(team.members) + 1)
        inv = TeamInvitation(team=team, email=display, email_normalized=normalized)
        db.session.add(inv)
    inv.nonce = tokens.new_nonce()
    inv.invited_by_id = actor.user_id
    inv.expires_at = clock.now() + timedelta(seconds=current_app.config["INVITATION_MAX_AGE"])
    db.session.flush()
    invitee = db.session.scalar(select(User).where(User.email_normalized == normalized))
    lang = (
        invitee.preferred_language
        if invitee
        else (actor.user.preferred_language if isinstance(actor.user, User) else "en")
    )
    mail.send_after_commit(
        mail.render_mail(
            "entries/team_invitation",
            display,
            lang,
            _l(
                "%(name)s invites you to join the team %(team)s",
                name=_inviter(actor),
                team=team.name,
            ),
            team=team,
            inviter=_inviter(actor),
            link=external_url(
                "entries.team_invitation", token=tokens.invitation_token(TEAM_INVITE, inv)
            ),
            days=current_app.config["INVITATION_MAX_AGE"] // 86400,
        )
    )
    audit.record(actor, "team.invitation_sent", obj=inv, after={"email": display})
    return inv


def _inviter(actor: Actor) -> str:
    user = actor.user
    return user.display_name if isinstance(user, User) else "Tandem"


def open_invitations(team: Team) -> list[TeamInvitation]:
    return list(
        db.session.scalars(
            select(TeamInvitation)
            .where(TeamInvitation.team_id == team.id, TeamInvitation.resolution.is_(None))
            .order_by(TeamInvitation.created_at)
        )
    )


def get_open_invitation(team: Team, invitation_id: int) -> TeamInvitation:
    """One of the team's open invitations (``NotFound`` otherwise)."""
    inv = next((i for i in open_invitations(team) if i.id == invitation_id), None)
    if inv is None:
        raise NotFound(_("No such invitation."))
    return inv


def revoke_invitation(actor: Actor, team: Team, inv: TeamInvitation) -> None:
    _require_lead(actor, team)
    if inv.team_id != team.id:
        raise NotFound(_("No such invitation."))
    if inv.resolution is None:
        inv.resolution, inv.resolved_at = "revoked", clock.now()
        audit.record(actor, "team.invitation_revoked", obj=inv)


def invitation_from_token(token: str) -> TeamInvitation:
    inv = tokens.invitation_from_token(
        TEAM_INVITE,
        token,
        TeamInvitation,
        _("This invitation has expired. Ask the team lead for a new one."),
    )
    if inv.resolution is not None:
        raise DomainError(_("This invitation has already been used or was withdrawn."))
    if not inv.is_open:
        raise DomainError(_("This invitation has expired. Ask the team lead for a new one."))
    return inv


def _addressee(actor: Actor, inv: TeamInvitation) -> User:
    user = actor.user
    if not isinstance(user, User) or user.email_normalized != inv.email_normalized:
        raise PermissionDenied(
            _(
                "This invitation was sent to %(email)s. Sign in with that address to answer it.",
                email=inv.email,
            )
        )
    return user


def _sync_entry_members(team: Team) -> None:
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
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise DomainError(
            _(
                "Someone in the team already takes part in this challenge with another team, and "
                "its tracks allow only one entry per person."
            )
        ) from exc


def accept_invitation(actor: Actor, token: str, residence: str, declared_age: int | None) -> Team:
    inv = invitation_from_token(token)
    user = _addressee(actor, inv)
    team = inv.team
    if team.member_of(user.id) is not None:
        raise Conflict(_("You are already in this team."))
    residence, declared_age = _check_member_profile(residence, declared_age)
    _check_size(team, len(team.members) + 1)
    # Not attached to the team until the checks pass (attaching adds it to team.members).
    member = TeamMember(
        user=user,
        role=TeamRole.MEMBER,
        residence=residence,
        declared_age=declared_age,
        attested_at=clock.now(),
    )
    _recheck_entries(team, [*team.members, member], _("Your joining"))
    team.members.append(member)
    db.session.flush()
    _sync_entry_members(team)
    if not user.is_verified:
        user.email_verified_at = clock.now()  # the emailed link proves the address
    inv.resolution, inv.resolved_at = "accepted", clock.now()
    audit.record(actor, "team.member_joined", obj=team, after={"email": user.email})
    return team


def decline_invitation(actor: Actor, token: str) -> None:
    inv = invitation_from_token(token)
    _addressee(actor, inv)
    inv.resolution, inv.resolved_at = "declined", clock.now()
    audit.record(actor, "team.invitation_declined", obj=inv)


def remove_member(actor: Actor, team: Team, member: TeamMember) -> None:
    """The lead removes a member, or a member leaves (not the lead: hand over first)."""
    if member.team_id != team.id:
        raise NotFound(_("No such member."))
    leaving = member.user_id == actor.user_id
    if not leaving:
        _require_lead(actor, team)
    if member.role == TeamRole.LEAD:
        raise Conflict(
            _("The team lead cannot leave. Make someone else the lead first.")
            if len(team.members) > 1
            else _("You are the only member. Withdraw the team's entries instead.")
        )
    remaining = [m for m in team.members if m.id != member.id]
    _recheck_entries(team, remaining, _("This departure"))
    _check_minimum(team, len(remaining))
    team.members.remove(member)
    db.session.delete(member)
    _sync_entry_members(team)
    audit.record(
        actor,
        "team.member_left" if leaving else "team.member_removed",
        obj=team,
        before={"email": member.user.email},
    )


def _check_minimum(team: Team, size: int) -> None:
    for entry in team.active_entries:
        rules = _rules(entry.track)
        if size < rules.team_min and entry.eligibility_frozen_at is not None:
            raise DomainError(
                _(
                    "Teams in %(track)s need at least %(n)d members.",
                    track=entry.track.name_in(current_language()),
                    n=rules.team_min,
                )
            )


def transfer_lead(actor: Actor, team: Team, member: TeamMember) -> None:
    _require_lead(actor, team)
    if member.team_id != team.id:
        raise NotFound(_("No such member."))
    current = team.lead
    if current is None or current.id == member.id:
        return
    current.role = TeamRole.MEMBER
    db.session.flush()  # one lead at a time (a partial unique index)
    member.role = TeamRole.LEAD
    _recheck_entries(team, list(team.members), _("This change of lead"))
    audit.record(
        actor,
        "team.lead_transferred",
        obj=team,
        before={"lead": current.user.email},
        after={"lead": member.user.email},
    )


# --- registration ---------------------------------------------------------------------------


def registration_window(challenge: Challenge) -> tuple[datetime | None, datetime | None]:
    """Registration runs in the first round's registration window, or until its deadline."""
    if not challenge.rounds:
        return None, None
    first = min(challenge.rounds, key=lambda r: r.position)
    return first.registration_opens, first.registration_closes or first.submission_deadline


def published_challenge(slug: str) -> Challenge:
    """The challenge entrants register in: a draft one is not found."""
    challenge = get_challenge(slug)
    if not challenge.is_published:
        raise NotFound(_("No such challenge."))
    return challenge


def registration_problem(challenge: Challenge, now: datetime) -> str | None:
    if not challenge.is_published:
        return _("This challenge is not open yet.")
    opens, closes = registration_window(challenge)
    if closes is None:
        return _("Registration is not open yet.")
    if opens is not None and now < opens:
        return _("Registration has not opened yet.")
    if now > closes:
        return _("Registration is closed.")
    return None


def options_for(team: Team, challenge: Challenge) -> list[Any]:
    """Every track's decision for this team, best first (see ``eligibility.route``)."""
    tracks = []
    for track in challenge.tracks:
        try:
            tracks.append((track, parse_rules(track.rules or {})))
        except RulesError:
            continue
    return route(profile_of(team), tracks)


def entries_in(team: Team, challenge: Challenge) -> list[Entry]:
    return [e for e in team.active_entries if e.challenge_id == challenge.id]


def register(
    actor: Actor,
    team: Team,
    track: Track,
    terms_version_id: int,
    attested: list[int],
) -> Entry:
    """Register ``team`` into ``track`` (the lead acts). Raises ``DomainError`` with a reason."""
    _require_lead(actor, team)
    challenge = track.challenge
    now = clock.now()
    problem = registration_problem(challenge, now)
    if problem:
        raise DomainError(problem)
    terms = current_terms(track)
    if terms is None:
        raise DomainError(_("This track has no terms yet."))
    if terms.id != terms_version_id:
        raise DomainError(
            _(
                "The terms changed while you were reading them. Read version %(n)d and accept it.",
                n=terms.version,
            ),
            field="accept_terms",
        )
    statements = track.attestations_in(current_language())
    if sorted(set(attested)) != list(range(len(statements))):
        raise DomainError(_("Confirm every statement to register."), field="attestations")
    if any(e.track_id == track.id for e in team.active_entries):
        raise Conflict(_("Your team is already registered in this track."))
    if challenge.is_exclusive and entries_in(team, challenge):
        raise Conflict(
            _(
                "Your team is already registered in another track of this challenge, and entrants "
                "may enter only one."
            )
        )
    decision = evaluate(profile_of(team), _rules(track))
    if decision.status is Status.INELIGIBLE:
        why = " ".join(explain(r) for r in decision.blocking_reasons)
        raise DomainError(_("Your team cannot enter this track. %(why)s", why=why))
    key = challenge.id if challenge.is_exclusive else None
    entry = Entry(
        team=team,
        track=track,
        challenge_id=challenge.id,
        exclusive_challenge_id=key,
        eligibility=decision.status.value,
        eligibility_reasons=reasons_to_data(decision),
        eligibility_evaluated_at=now,
        terms_version_id=terms.id,
        terms_accepted_at=now,
        terms_accepted_ip=actor.ip,
        terms_accepted_by_id=actor.user_id,
        attestations=track.attestations_in(_lang_of(actor)),
        registered_at=now,
    )
    entry.members = [
        EntryMember(user_id=m.user_id, exclusive_challenge_id=key) for m in team.members
    ]
    db.session.add(entry)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(
            _(
                "Your team, or someone in it, is already registered in this challenge, and its "
                "tracks allow only one entry per person."
            )
        ) from exc
    audit.record(
        actor,
        "entry.registered",
        obj=entry,
        agency_id=track.agency_id,
        after={
            "track": track.slug,
            "eligibility": entry.eligibility,
            "terms_version": terms.version,
        },
    )
    return entry


def _lang_of(actor: Actor) -> str:
    user = actor.user
    return user.preferred_language if isinstance(user, User) else "en"


def get_entry(entry_id: int) -> Entry:
    # With its team's members in the same statement: every permission check reads them.
    entry = db.session.get(
        Entry, entry_id, options=[joinedload(Entry.team).joinedload(Team.members)]
    )
    if entry is None:
        raise NotFound(_("No such entry."))
    return entry


def withdraw(actor: Actor, entry: Entry) -> None:
    _require_lead(actor, entry.team)
    if entry.withdrawn_at is not None:
        return
    entry.withdrawn_at = clock.now()
    entry.exclusive_challenge_id = None
    entry.members.clear()
    audit.record(actor, "entry.withdrawn", obj=entry, agency_id=entry.track.agency_id)


def freeze_eligibility(entry: Entry) -> None:
    """Fix the decision (called at the first final submission)."""
    if entry.eligibility_frozen_at is None:
        entry.eligibility_frozen_at = clock.now()


def decide_eligibility(actor: Actor, entry: Entry, decision: str, reason: str) -> None:
    """A track admin overrides the evaluator (or clears the override), with a reason."""
    if not permissions.can_decide_eligibility(actor.user, entry):
        raise NotFound(_("No such entry."))
    reason = (reason or "").strip()
    if decision not in ("", *(s.value for s in Status)):
        raise DomainError(_("Choose a decision."), field="decision")
    if not reason:
        raise DomainError(_("Give the reason for this decision."), field="reason")
    if len(reason) > 2000:
        raise DomainError(_("The reason must be 2,000 characters or fewer."), field="reason")
    before = {"override": entry.override, "reason": entry.override_reason}
    entry.override = decision or None
    entry.override_reason = reason if decision else None
    entry.override_by_id = actor.user_id if decision else None
    entry.override_at = clock.now() if decision else None
    audit.record(
        actor,
        "entry.eligibility_decided",
        obj=entry,
        agency_id=entry.track.agency_id,
        role="agency_admin" if not actor.is_platform_admin else "platform_admin",
        before=before,
        after={"override": entry.override, "reason": reason},
    )


def track_entries_query(
    track: Track, status: str | None = None, eligibility: str | None = None
) -> Any:
    stmt = select(Entry).where(Entry.track_id == track.id).order_by(Entry.registered_at.desc())
    if status == "active":
        stmt = stmt.where(Entry.withdrawn_at.is_(None))
    elif status == "withdrawn":
        stmt = stmt.where(Entry.withdrawn_at.is_not(None))
    if eligibility in {s.value for s in Status}:
        stmt = stmt.where(
            (Entry.override == eligibility)
            | (Entry.override.is_(None) & (Entry.eligibility == eligibility))
        )
    return stmt
