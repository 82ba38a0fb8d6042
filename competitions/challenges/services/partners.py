"""Partner agencies: the lead agency invites an agency's admin (by email), who joins the
challenge by adding their agency's track, or declines."""

from __future__ import annotations

from typing import Any

from flask import current_app

from competitions.accounts.services import check_email, find_by_email
from competitions.agencies.models import Agency, Role
from competitions.agencies.services import record_in
from competitions.challenges.models import Challenge, PartnerInvitation, Track
from competitions.challenges.services import new_track, require_manager, role_of
from competitions.core import audit, invitations, mail
from competitions.core.actor import Actor
from competitions.core.errors import DomainError
from competitions.core.extensions import db
from competitions.core.translate import gettext as _
from competitions.core.translate import lazy_gettext as _l

INVITATIONS = invitations.InvitationKind(
    model=PartnerInvitation,
    endpoint="challenges.partner_invitation",
    owner="challenge_id",
    expired_message=_l("This invitation has expired. Ask the lead agency for a new one."),
    audit="challenge.partner_invitation",
    audit_agency=lambda inv: inv.challenge.lead_agency_id,
)


def invite_partner(actor: Actor, challenge: Challenge, email: str) -> PartnerInvitation:
    """Invite a partner agency's admin (by email) to add their agency's track."""
    require_manager(actor, challenge)
    display, normalized = check_email(email)
    role = role_of(actor, challenge.lead_agency)
    inv, _created = invitations.issue(
        actor, INVITATIONS, challenge.id, (display, normalized), role=role
    )
    invitee = find_by_email(normalized)
    lang = invitee.preferred_language if invitee else challenge.lead_agency.languages[0]
    mail.send_after_commit(
        mail.render_mail(
            "challenges/partner_invitation",
            display,
            lang,
            _l(
                "%(agency)s invites your agency to a parallel challenge",
                agency=challenge.lead_agency.name,
            ),
            challenge=challenge,
            lead=challenge.lead_agency,
            link=INVITATIONS.link(inv),
            title=challenge.title_in(lang),
            days=current_app.config["INVITATION_MAX_AGE"] // 86400,
        )
    )
    return inv


def open_partner_invitations(challenge: Challenge) -> list[PartnerInvitation]:
    return invitations.open_invitations(INVITATIONS, challenge.id)


def revoke_partner_invitation(actor: Actor, inv: PartnerInvitation) -> None:
    require_manager(actor, inv.challenge)
    invitations.revoke(actor, INVITATIONS, inv)


def agencies_that_can_join(user: Any, challenge: Challenge) -> list[Agency]:
    """Agencies ``user`` administers that have no track in ``challenge`` yet."""
    taken = {t.agency_id for t in challenge.tracks}
    return [
        m.agency
        for m in getattr(user, "memberships", ())
        if m.role == Role.ADMIN and m.agency_id not in taken
    ]


def accept_partner_invitation(actor: Actor, token: str, agency_id: int) -> Track:
    """Join the challenge with a new track of one of the agencies the addressee administers
    (a draft challenge only)."""

    def join(inv: PartnerInvitation, user: Any) -> Track:
        challenge = inv.challenge
        if challenge.is_published:
            raise DomainError(
                _(
                    "The challenge is already published: no track can join it now. Ask the "
                    "lead agency about its next edition."
                )
            )
        joinable = agencies_that_can_join(user, challenge)
        agency = next((a for a in joinable if a.id == agency_id), None)
        if agency is None:
            choose = _(
                "Choose an agency you administer that does not have a track in this challenge."
            )
            raise DomainError(choose, field="agency")
        track = new_track(challenge, agency, len(challenge.tracks), user.email)
        db.session.flush()
        inv.track_id = track.id
        record_in(
            actor, agency, "challenge.partner_joined", track, after={"challenge": challenge.slug}
        )
        audit.record(
            actor,
            "challenge.partner_joined",
            obj=track,
            agency_id=challenge.lead_agency_id,
            role=role_of(actor, agency),
            after={"agency": agency.slug},
        )
        return track

    return invitations.accept(actor, INVITATIONS, token, join)


def decline_partner_invitation(actor: Actor, token: str) -> None:
    invitations.decline(actor, INVITATIONS, token)
