"""Panels and judges: invitations by signed link, judge profiles, removal."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from competitions.accounts.models import User
from competitions.accounts.services import check_email
from competitions.core.invitations import Resolution
from competitions.challenges.models import Challenge, Track
from competitions.core import audit, clock, mail, tokens
from competitions.core.actor import Actor
from competitions.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from competitions.core.extensions import db
from competitions.core.urls import external_url
from competitions.judging import permissions
from competitions.judging.models import Assignment, EndReason, Judge, JudgeInvitation, Panel

JUDGE_INVITE = "judge-invitation"
MAX_TAGS = 20


def find_panel(challenge: Challenge, track: Track | None) -> Panel | None:
    """The track's panel, or the challenge's shared panel, if it exists yet."""
    query = select(Panel).where(Panel.challenge_id == challenge.id)
    query = query.where(Panel.track_id.is_(None) if track is None else Panel.track_id == track.id)
    return db.session.scalar(query)


def panel_for(challenge: Challenge, track: Track | None) -> Panel:
    """The track's panel, or the challenge's shared panel (created on first use)."""
    panel = find_panel(challenge, track)
    if panel is None:
        panel = Panel(challenge_id=challenge.id, track_id=track.id if track else None)
        db.session.add(panel)
        db.session.flush()
    return panel


def panels_of(challenge: Challenge) -> list[Panel]:
    return list(db.session.scalars(select(Panel).where(Panel.challenge_id == challenge.id)))


def get_invitation(challenge: Challenge, invitation_id: int) -> JudgeInvitation:
    """An invitation to one of the challenge's panels."""
    inv = db.session.get(JudgeInvitation, invitation_id)
    if inv is None or inv.panel.challenge_id != challenge.id:
        raise NotFound(_("No such invitation."))
    return inv


def get_judge(challenge: Challenge, judge_id: int) -> Judge:
    """A seat (active or not) on one of the challenge's panels."""
    judge = db.session.get(Judge, judge_id)
    if judge is None or judge.panel.challenge_id != challenge.id:
        raise NotFound(_("No such judge."))
    return judge


def panel_name(panel: Panel, lang: str) -> str:
    if panel.track is None:
        return _("Shared panel (all tracks)")
    return _("Panel of %(track)s", track=panel.track.name_in(lang))


def active_judges(panel: Panel) -> list[Judge]:
    return list(
        db.session.scalars(
            select(Judge)
            .where(Judge.panel_id == panel.id, Judge.removed_at.is_(None))
            .order_by(Judge.id)
        )
    )


def open_invitations(panel: Panel) -> list[JudgeInvitation]:
    rows = db.session.scalars(
        select(JudgeInvitation)
        .where(JudgeInvitation.panel_id == panel.id, JudgeInvitation.resolution.is_(None))
        .order_by(JudgeInvitation.id)
    )
    return [r for r in rows if r.is_open]


def _require_manager(actor: Actor, panel: Panel, challenge: Challenge) -> None:
    if not permissions.can_manage_panel(actor.user, panel, challenge):
        raise PermissionDenied(_("Only the panel's agency admins can change it."))


def invite(actor: Actor, challenge: Challenge, panel: Panel, email: str) -> JudgeInvitation:
    """Invite someone onto the panel: an email with a signed link that expires."""
    _require_manager(actor, panel, challenge)
    display, normalized = check_email(email)
    sitting = db.session.scalar(
        select(Judge)
        .join(User, User.id == Judge.user_id)
        .where(
            Judge.panel_id == panel.id,
            Judge.removed_at.is_(None),
            User.email_normalized == normalized,
        )
    )
    if sitting is not None:
        raise Conflict(_("%(email)s is already on this panel.", email=display), field="email")
    inv = db.session.scalar(
        select(JudgeInvitation).where(
            JudgeInvitation.panel_id == panel.id,
            JudgeInvitation.email_normalized == normalized,
            JudgeInvitation.resolution.is_(None),
        )
    )
    if inv is None:
        inv = JudgeInvitation(panel=panel, email=display, email_normalized=normalized)
        db.session.add(inv)
    inv.nonce = tokens.new_nonce()
    inv.invited_by_id = actor.user_id
    inv.expires_at = clock.now() + timedelta(seconds=current_app.config["INVITATION_MAX_AGE"])
    db.session.flush()
    invitee = db.session.scalar(select(User).where(User.email_normalized == normalized))
    lang = invitee.preferred_language if invitee else challenge_language(challenge, panel)
    mail.send_after_commit(
        mail.render_mail(
            "judging/invitation",
            display,
            lang,
            _l(
                "Invitation to judge: %(challenge)s",
                challenge=challenge.title_in(lang),
            ),
            challenge_title=challenge.title_in(lang),
            panel_label=panel_name(panel, lang),
            link=external_url(
                "judging.invitation", token=tokens.invitation_token(JUDGE_INVITE, inv)
            ),
            days=current_app.config["INVITATION_MAX_AGE"] // 86400,
        ),
        source=f"judge-invitation:{inv.id}:{inv.nonce}",
    )
    audit.record(
        actor,
        "judging.judge_invited",
        obj=inv,
        agency_id=permissions.panel_agency(panel, challenge),
        after={"email": display, "panel": panel.id},
    )
    return inv


def challenge_language(challenge: Challenge, panel: Panel) -> str:
    languages = panel.track.languages if panel.track is not None else []
    return (languages or ["en"])[0]


def revoke(actor: Actor, challenge: Challenge, inv: JudgeInvitation) -> None:
    _require_manager(actor, inv.panel, challenge)
    if inv.resolution is None:
        inv.resolution, inv.resolved_at = Resolution.REVOKED, clock.now()
        audit.record(
            actor,
            "judging.invitation_revoked",
            obj=inv,
            agency_id=permissions.panel_agency(inv.panel, challenge),
        )


def invitation_from_token(token: str) -> JudgeInvitation:
    inv = tokens.invitation_from_token(
        JUDGE_INVITE,
        token,
        JudgeInvitation,
        _("This invitation has expired. Ask the challenge's organisers for a new one."),
    )
    if inv.resolution is not None:
        raise DomainError(_("This invitation has already been used or was withdrawn."))
    if not inv.is_open:
        raise DomainError(
            _("This invitation has expired. Ask the challenge's organisers for a new one.")
        )
    return inv


def _addressee(actor: Actor, inv: JudgeInvitation) -> User:
    user = actor.user
    if not isinstance(user, User) or user.email_normalized != inv.email_normalized:
        raise PermissionDenied(
            _(
                "This invitation was sent to %(email)s. Sign in with that address to answer it.",
                email=inv.email,
            )
        )
    return user


def clean_tags(values: list[str], limit: int = MAX_TAGS) -> list[str]:
    """Trimmed, de-duplicated (case-insensitively), each at most 80 characters."""
    out: list[str] = []
    seen: set[str] = set()
    for raw in values:
        tag = " ".join(raw.split())[:80]
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            out.append(tag)
    if len(out) > limit:
        raise DomainError(_("At most %(n)d entries.", n=limit))
    return out


def _set_profile(
    judge: Judge, organisation: str, expertise: list[str], conflicts: list[str]
) -> None:
    judge.organisation = " ".join((organisation or "").split())[:200]
    judge.expertise = clean_tags(expertise)
    judge.conflict_organisations = clean_tags(conflicts)


def accept(
    actor: Actor, token: str, organisation: str, expertise: list[str], conflicts: list[str]
) -> Judge:
    """Take the seat the invitation offers (a removed judge invited again gets it back)."""
    inv = invitation_from_token(token)
    user = _addressee(actor, inv)
    judge = db.session.scalar(
        select(Judge).where(Judge.panel_id == inv.panel_id, Judge.user_id == user.id)
    )
    if judge is None:
        judge = Judge(panel_id=inv.panel_id, user_id=user.id)
        db.session.add(judge)
    judge.removed_at = None
    judge.added_at = clock.now()
    _set_profile(judge, organisation, expertise, conflicts)
    if not user.is_verified:
        user.email_verified_at = clock.now()  # the emailed link proves the address
    inv.resolution, inv.resolved_at = Resolution.ACCEPTED, clock.now()
    db.session.flush()
    audit.record(
        actor,
        "judging.judge_joined",
        obj=judge,
        agency_id=permissions.panel_agency(inv.panel, inv.panel.challenge),
        after={"panel": inv.panel_id, "organisation": judge.organisation},
    )
    from competitions.judging import conflicts as conflict_service

    conflict_service.detect_for_judge(judge)
    return judge


def decline(actor: Actor, token: str) -> None:
    inv = invitation_from_token(token)
    _addressee(actor, inv)
    inv.resolution, inv.resolved_at = Resolution.DECLINED, clock.now()
    audit.record(actor, "judging.invitation_declined", obj=inv)


def update_profile(
    actor: Actor, judge: Judge, organisation: str, expertise: list[str], conflicts: list[str]
) -> None:
    if actor.user_id != judge.user_id:
        raise PermissionDenied(_("Only the judge can change their profile."))
    before = {
        "organisation": judge.organisation,
        "expertise": judge.expertise,
        "conflict_organisations": judge.conflict_organisations,
    }
    _set_profile(judge, organisation, expertise, conflicts)
    audit.record(
        actor,
        "judging.profile_changed",
        obj=judge,
        before=before,
        after={
            "organisation": judge.organisation,
            "expertise": judge.expertise,
            "conflict_organisations": judge.conflict_organisations,
        },
    )
    db.session.flush()
    from competitions.judging import conflicts as conflict_service

    conflict_service.detect_for_judge(judge)


def remove(actor: Actor, challenge: Challenge, judge: Judge) -> int:
    """Take the judge off the panel: their access ends at once and their active assignments
    on this panel end (reviews are kept for the record). Returns the number ended."""
    _require_manager(actor, judge.panel, challenge)
    if judge.removed_at is not None:
        return 0
    now = clock.now()
    judge.removed_at = now
    ended = db.session.execute(
        update(Assignment)
        .where(Assignment.judge_id == judge.id, Assignment.ended_at.is_(None))
        .values(ended_at=now, end_reason=EndReason.JUDGE_REMOVED.value),
        execution_options={"synchronize_session": False},
    ).rowcount  # type: ignore[attr-defined]
    audit.record(
        actor,
        "judging.judge_removed",
        obj=judge,
        agency_id=permissions.panel_agency(judge.panel, challenge),
        after={"assignments_ended": ended},
    )
    return int(ended or 0)


def judge_seats(user: User, challenge: Challenge) -> list[Judge]:
    """The user's active seats on the challenge's panels."""
    return list(
        db.session.scalars(
            select(Judge)
            .join(Panel, Panel.id == Judge.panel_id)
            .where(
                Judge.user_id == user.id,
                Judge.removed_at.is_(None),
                Panel.challenge_id == challenge.id,
            )
        )
    )
