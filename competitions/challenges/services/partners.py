"""Partner agencies: the lead agency invites an agency's admin (by email), who joins the
challenge by adding their agency's track, or declines."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from competitions.accounts.models import User
from competitions.accounts.services import check_email
from competitions.agencies.models import Agency, Role
from competitions.challenges.models import Challenge, PartnerInvitation, Track
from competitions.challenges.services import new_track, record_in, require_manager, role_of
from competitions.core import audit, clock, mail, tokens
from competitions.core.actor import Actor
from competitions.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from competitions.core.extensions import db
from competitions.core.invitations import Resolution
from competitions.core.urls import external_url

PARTNER_INVITE = "partner-invitation"


def invite_partner(actor: Actor, challenge: Challenge, email: str) -> PartnerInvitation:
    """Invite a partner agency's admin (by email) to add their agency's track."""
    require_manager(actor, challenge)
    display, normalized = check_email(email)
    now = clock.now()
    inv = db.session.scalar(
        select(PartnerInvitation).where(
            PartnerInvitation.challenge_id == challenge.id,
            PartnerInvitation.email_normalized == normalized,
            PartnerInvitation.resolution.is_(None),
        )
    )
    if inv is None:
        inv = PartnerInvitation(challenge=challenge, email=display, email_normalized=normalized)
        db.session.add(inv)
    inv.nonce = tokens.new_nonce()
    inv.invited_by_id = actor.user_id
    inv.expires_at = now + timedelta(seconds=current_app.config["INVITATION_MAX_AGE"])
    db.session.flush()
    invitee = db.session.scalar(select(User).where(User.email_normalized == normalized))
    lang = invitee.preferred_language if invitee else challenge.lead_agency.languages[0]
    link = external_url(
        "challenges.partner_invitation",
        token=tokens.invitation_token(PARTNER_INVITE, inv),
    )
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
            link=link,
            title=challenge.title_in(lang),
            days=current_app.config["INVITATION_MAX_AGE"] // 86400,
        )
    )
    record_in(
        actor,
        challenge.lead_agency,
        "challenge.partner_invited",
        inv,
        after={"email": display},
    )
    return inv


def open_partner_invitations(challenge: Challenge) -> list[PartnerInvitation]:
    return list(
        db.session.scalars(
            select(PartnerInvitation)
            .where(
                PartnerInvitation.challenge_id == challenge.id,
                PartnerInvitation.resolution.is_(None),
            )
            .order_by(PartnerInvitation.created_at)
        )
    )


def get_open_partner_invitation(challenge: Challenge, invitation_id: int) -> PartnerInvitation:
    inv = next((i for i in open_partner_invitations(challenge) if i.id == invitation_id), None)
    if inv is None:
        raise NotFound(_("No such invitation."))
    return inv


def revoke_partner_invitation(actor: Actor, inv: PartnerInvitation) -> None:
    require_manager(actor, inv.challenge)
    if inv.resolution is not None:
        raise Conflict(_("This invitation is already closed."))
    inv.resolution, inv.resolved_at, inv.resolved_by_id = (
        Resolution.REVOKED,
        clock.now(),
        actor.user_id,
    )
    audit.record(
        actor,
        "challenge.partner_invitation_revoked",
        obj=inv,
        agency_id=inv.challenge.lead_agency_id,
    )


def partner_invitation_from_token(token: str) -> PartnerInvitation:
    inv = tokens.invitation_from_token(
        PARTNER_INVITE,
        token,
        PartnerInvitation,
        _("This invitation has expired. Ask the lead agency for a new one."),
    )
    if inv.resolution is not None:
        raise DomainError(_("This invitation has already been used or was withdrawn."))
    if not inv.is_open:
        raise DomainError(_("This invitation has expired. Ask the lead agency for a new one."))
    return inv


def agencies_that_can_join(user: Any, challenge: Challenge) -> list[Agency]:
    """Agencies ``user`` administers that have no track in ``challenge`` yet."""
    taken = {t.agency_id for t in challenge.tracks}
    return [
        m.agency
        for m in getattr(user, "memberships", ())
        if m.role == Role.ADMIN and m.agency_id not in taken
    ]


def accept_partner_invitation(actor: Actor, token: str, agency_id: int) -> Track:
    inv = partner_invitation_from_token(token)
    user = actor.user
    if not isinstance(user, User) or user.email_normalized != inv.email_normalized:
        raise PermissionDenied(
            _(
                "This invitation was sent to %(email)s. Sign in with that address to accept it.",
                email=inv.email,
            )
        )
    challenge = inv.challenge
    if challenge.is_published:
        raise DomainError(
            _(
                "The challenge is already published: no track can join it now. Ask the lead "
                "agency about its next edition."
            )
        )
    agency = next((a for a in agencies_that_can_join(user, challenge) if a.id == agency_id), None)
    if agency is None:
        raise DomainError(
            _("Choose an agency you administer that does not have a track in this challenge."),
            field="agency",
        )
    track = new_track(challenge, agency, len(challenge.tracks))
    db.session.flush()
    inv.resolution, inv.resolved_at, inv.resolved_by_id = (
        Resolution.ACCEPTED,
        clock.now(),
        user.id,
    )
    inv.track_id = track.id
    record_in(
        actor,
        agency,
        "challenge.partner_joined",
        track,
        after={"challenge": challenge.slug},
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


def decline_partner_invitation(actor: Actor, token: str) -> None:
    inv = partner_invitation_from_token(token)
    user = actor.user
    if not isinstance(user, User) or user.email_normalized != inv.email_normalized:
        raise PermissionDenied(
            _(
                "This invitation was sent to %(email)s. Sign in with that address to answer it.",
                email=inv.email,
            )
        )
    inv.resolution, inv.resolved_at, inv.resolved_by_id = (
        Resolution.DECLINED,
        clock.now(),
        user.id,
    )
    audit.record(
        actor, "challenge.partner_declined", obj=inv, agency_id=inv.challenge.lead_agency_id
    )
