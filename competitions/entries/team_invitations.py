"""Team invitations: the lead invites by email; the addressee accepts (joining the team,
with their residence and age) or declines; the lead may withdraw an open invitation.

The emailed link carries a signed token (``core.tokens``); joining is checked like any other
change of the team (size, eligibility of its active entries, exclusivity).
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from competitions.accounts.models import User
from competitions.accounts.services import check_email
from competitions.core import audit, clock, mail, tokens
from competitions.core.actor import Actor
from competitions.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from competitions.core.extensions import db
from competitions.core.urls import external_url
from competitions.entries import decisions, teams
from competitions.entries.models import Team, TeamInvitation, TeamMember, TeamRole

TEAM_INVITE = "team-invitation"


def invite_member(actor: Actor, team: Team, email: str) -> TeamInvitation:
    teams.require_lead(actor, team)
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
        decisions.check_team_size(team, len(team.members) + 1)
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
    teams.require_lead(actor, team)
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


def accept_invitation(actor: Actor, token: str, residence: str, declared_age: int | None) -> Team:
    inv = invitation_from_token(token)
    user = _addressee(actor, inv)
    team = inv.team
    if team.member_of(user.id) is not None:
        raise Conflict(_("You are already in this team."))
    residence, declared_age = teams.check_member_profile(residence, declared_age)
    decisions.check_team_size(team, len(team.members) + 1)
    # Not attached to the team until the checks pass (attaching adds it to team.members).
    member = TeamMember(
        user=user,
        role=TeamRole.MEMBER,
        residence=residence,
        declared_age=declared_age,
        attested_at=clock.now(),
    )
    decisions.recheck_entries(team, [*team.members, member], _("Your joining"))
    team.members.append(member)
    db.session.flush()
    teams.sync_entry_members(team)
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
