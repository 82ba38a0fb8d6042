"""Panels and judges: invitations by signed link, judge profiles, removal."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload, lazyload

from competitions.accounts.models import User
from competitions.accounts.services import check_email, find_by_email
from competitions.challenges.models import Challenge, Track
from competitions.core import audit, clock, invitations, mail
from competitions.core.actor import Actor
from competitions.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from competitions.core.extensions import db
from competitions.core.languages import email_language
from competitions.core.text import one_line
from competitions.core.translate import gettext as _
from competitions.core.translate import lazy_gettext as _l
from competitions.judging import permissions
from competitions.judging.models import Assignment, EndReason, Judge, JudgeInvitation, Panel

INVITATIONS = invitations.InvitationKind(
    model=JudgeInvitation,
    endpoint="judging.invitation",
    owner="panel_id",
    expired_message=_l(
        "This invitation has expired. Ask the challenge's organisers for a new one."
    ),
    audit="judging.invitation",
    audit_agency=lambda inv: permissions.panel_agency(inv.panel, inv.panel.challenge),
)
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
    """The panel's name in ``lang`` (an invitation's language may not be the page's)."""
    with force_locale(lang):
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
    """The panel's pending invitations (expired ones are not offered again: invite anew)."""
    return [r for r in invitations.open_invitations(INVITATIONS, panel.id) if r.is_open]


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
    inv, _created = invitations.issue(
        actor, INVITATIONS, panel.id, (display, normalized), details={"panel": panel.id}
    )
    invitee = find_by_email(normalized)
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
            link=INVITATIONS.link(inv),
            days=current_app.config["INVITATION_MAX_AGE"] // 86400,
        ),
        source=f"judge-invitation:{inv.id}:{inv.nonce}",
    )
    return inv


def challenge_language(challenge: Challenge, panel: Panel) -> str:
    languages = panel.track.languages if panel.track is not None else []
    return email_language(None, languages)


def revoke(actor: Actor, challenge: Challenge, inv: JudgeInvitation) -> None:
    _require_manager(actor, inv.panel, challenge)
    invitations.revoke(actor, INVITATIONS, inv)


def clean_tags(values: list[str], limit: int = MAX_TAGS) -> list[str]:
    """Trimmed, de-duplicated (case-insensitively), each at most 80 characters."""
    out: list[str] = []
    seen: set[str] = set()
    for raw in values:
        tag = one_line(raw)[:80]
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            out.append(tag)
    if len(out) > limit:
        raise DomainError(_("At most %(n)d entries.", n=limit))
    return out


def _set_profile(
    judge: Judge, organisation: str, expertise: list[str], conflicts: list[str]
) -> None:
    judge.organisation = one_line(organisation)[:200]
    judge.expertise = clean_tags(expertise)
    judge.conflict_organisations = clean_tags(conflicts)


def _profile(judge: Judge) -> dict[str, Any]:
    """What the judge says of themselves, as the audit log records it."""
    return {
        "organisation": judge.organisation,
        "expertise": judge.expertise,
        "conflict_organisations": judge.conflict_organisations,
    }


def accept(
    actor: Actor, token: str, organisation: str, expertise: list[str], conflicts: list[str]
) -> Judge:
    """Take the seat the invitation offers (a removed judge invited again gets it back)."""

    def take_seat(inv: JudgeInvitation, user: User) -> Judge:
        judge = db.session.scalar(
            select(Judge).where(Judge.panel_id == inv.panel_id, Judge.user_id == user.id)
        )
        if judge is None:
            judge = Judge(panel_id=inv.panel_id, user_id=user.id)
            db.session.add(judge)
        judge.removed_at = None
        judge.added_at = clock.now()
        _set_profile(judge, organisation, expertise, conflicts)
        db.session.flush()
        agency_id = permissions.panel_agency(inv.panel, inv.panel.challenge)
        after = {"panel": inv.panel_id, "organisation": judge.organisation}
        audit.record(actor, "judging.judge_joined", obj=judge, agency_id=agency_id, after=after)
        from competitions.judging import conflicts as conflict_service

        conflict_service.detect_for_judge(judge)
        return judge

    return invitations.accept(actor, INVITATIONS, token, take_seat)


def decline(actor: Actor, token: str) -> None:
    invitations.decline(actor, INVITATIONS, token)


def update_profile(
    actor: Actor, judge: Judge, organisation: str, expertise: list[str], conflicts: list[str]
) -> None:
    if actor.user_id != judge.user_id:
        raise PermissionDenied(_("Only the judge can change their profile."))
    before = _profile(judge)
    _set_profile(judge, organisation, expertise, conflicts)
    audit.record(actor, "judging.profile_changed", obj=judge, before=before, after=_profile(judge))
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
    agency_id = permissions.panel_agency(judge.panel, challenge)
    after = {"assignments_ended": ended}
    audit.record(actor, "judging.judge_removed", obj=judge, agency_id=agency_id, after=after)
    return int(ended or 0)


def judge_seats(user: User, challenge: Challenge) -> list[Judge]:
    """The user's active seats on the challenge's panels."""
    # The seat's user is ``user``, its panel's track one of the challenge's (both in the
    # session already): not joined again on every seat.
    return list(
        db.session.scalars(
            select(Judge)
            .options(lazyload(Judge.user), joinedload(Judge.panel).lazyload(Panel.track))
            .join(Panel, Panel.id == Judge.panel_id)
            .where(
                Judge.user_id == user.id,
                Judge.removed_at.is_(None),
                Panel.challenge_id == challenge.id,
            )
        )
    )
