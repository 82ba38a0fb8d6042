"""Team invitations: the lead invites by email; the addressee accepts (joining the team,
with their residence and age) or declines; the lead may withdraw an open invitation.

The lifecycle is every invitation's (``core.invitations``); joining is checked like any other
change of the team (size, eligibility of its active entries, exclusivity).
"""

from __future__ import annotations

from flask import current_app

from competitions.accounts.models import User
from competitions.accounts.services import check_email, find_by_email
from competitions.core import audit, clock, invitations, mail
from competitions.core.actor import Actor
from competitions.core.errors import Conflict, NotFound
from competitions.core.extensions import db
from competitions.core.translate import gettext as _
from competitions.core.translate import lazy_gettext as _l
from competitions.entries import decisions, teams
from competitions.entries.models import Team, TeamInvitation, TeamMember, TeamRole

INVITATIONS = invitations.InvitationKind(
    model=TeamInvitation,
    endpoint="entries.team_invitation",
    owner="team_id",
    expired_message=_l("This invitation has expired. Ask the team lead for a new one."),
    audit="team.invitation",
)


def invite_member(actor: Actor, team: Team, email: str) -> TeamInvitation:
    teams.require_lead(actor, team)
    display, normalized = check_email(email)
    if any(m.user.email_normalized == normalized for m in team.members):
        raise Conflict(_("%(email)s is already in the team.", email=display), field="email")
    if invitations.find_open(INVITATIONS, team.id, normalized) is None:
        decisions.check_team_size(team, len(team.members) + 1)
    inv, _created = invitations.issue(actor, INVITATIONS, team.id, (display, normalized))
    invitee = find_by_email(normalized)
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
            link=INVITATIONS.link(inv),
            days=current_app.config["INVITATION_MAX_AGE"] // 86400,
        )
    )
    return inv


def _inviter(actor: Actor) -> str:
    user = actor.user
    return user.display_name if isinstance(user, User) else "Tandem"


def open_invitations(team: Team) -> list[TeamInvitation]:
    return invitations.open_invitations(INVITATIONS, team.id)


def revoke_invitation(actor: Actor, team: Team, inv: TeamInvitation) -> None:
    teams.require_lead(actor, team)
    if inv.team_id != team.id:
        raise NotFound(_("No such invitation."))
    invitations.revoke(actor, INVITATIONS, inv)


def accept_invitation(actor: Actor, token: str, residence: str, declared_age: int | None) -> Team:
    """Join the team: checked like any other change of it (size, the eligibility of its
    active entries, exclusivity)."""

    def join(inv: TeamInvitation, user: User) -> Team:
        team = inv.team
        if team.member_of(user.id) is not None:
            raise Conflict(_("You are already in this team."))
        profile = teams.check_member_profile(residence, declared_age)
        decisions.check_team_size(team, len(team.members) + 1)
        # Not attached to the team until the checks pass (attaching adds it to team.members).
        member = TeamMember(
            user=user,
            role=TeamRole.MEMBER,
            residence=profile[0],
            declared_age=profile[1],
            attested_at=clock.now(),
        )
        decisions.recheck_entries(team, [*team.members, member], _("Your joining"))
        team.members.append(member)
        db.session.flush()
        teams.sync_entry_members(team)
        audit.record(actor, "team.member_joined", obj=team, after={"email": user.email})
        return team

    return invitations.accept(actor, INVITATIONS, token, join)


def decline_invitation(actor: Actor, token: str) -> None:
    invitations.decline(actor, INVITATIONS, token)
