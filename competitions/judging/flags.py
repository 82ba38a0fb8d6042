"""Flags: a judge's concern about a submission (possible ineligibility, plagiarism...), emailed
to the track's admins, who mark it handled."""

from __future__ import annotations

from sqlalchemy import select

from competitions.accounts.models import User
from competitions.agencies.models import Membership, Role
from competitions.challenges.models import Round, Track
from competitions.core import audit, clock, mail
from competitions.core.actor import Actor
from competitions.core.errors import DomainError, PermissionDenied
from competitions.core.extensions import db
from competitions.core.translate import gettext as _
from competitions.core.translate import lazy_gettext as _l
from competitions.core.urls import external_url
from competitions.entries.models import Entry
from competitions.judging import permissions
from competitions.judging.models import Assignment, Flag, FlagKind
from competitions.submissions.models import Submission


def flag(actor: Actor, assignment: Assignment, kind: str, note: str) -> Flag:
    """A judge's concern (possible ineligibility, plagiarism...) for the track's admins."""
    if not permissions.can_score(actor.user, assignment):
        raise PermissionDenied(_("This is not one of your assignments."))
    if kind not in {k.value for k in FlagKind}:
        raise DomainError(_("Choose what the concern is about."), field="kind")
    note = (note or "").strip()
    if not note:
        raise DomainError(_("Describe the concern for the track's admins."), field="note")
    row = Flag(assignment_id=assignment.id, kind=kind, note=note[:5000])
    track = assignment.submission.entry.track
    audit.created(actor, "judging.flagged", row, agency_id=track.agency_id, after={"kind": kind})
    _tell_admins_of_flag(row, track, assignment)
    return row


def _tell_admins_of_flag(row: Flag, track: Track, assignment: Assignment) -> None:
    """Each admin of the track's agency gets an email (in their language) with the concern and
    a link to the track's assignments page, where it is resolved."""
    admins = db.session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.agency_id == track.agency_id, Membership.role == Role.ADMIN)
        .order_by(User.id)
    ).all()
    challenge = track.challenge
    link = external_url(
        "judging.assignments",
        slug=challenge.slug,
        round_id=assignment.round_id,
        track_slug=track.slug,
    )
    for admin in admins:
        lang = admin.preferred_language or "en"
        mail.send_after_commit(
            mail.render_mail(
                "judging/flag",
                admin.email,
                lang,
                _l(
                    "A judge flagged submission #%(n)d in %(track)s",
                    n=assignment.submission_id,
                    track=track.name_in(lang),
                ),
                challenge=challenge.title_in(lang),
                track=track.name_in(lang),
                submission=assignment.submission_id,
                kind=row.kind,
                note=row.note,
                link=link,
            ),
            source=f"judging:flag:{row.id}",
        )


def resolve_flag(actor: Actor, row: Flag, note: str) -> None:
    track = row.assignment.submission.entry.track
    if not permissions.can_assign(actor.user, track):
        raise PermissionDenied(_("Only the track's admins handle flags."))
    if row.resolved_at is None:
        row.resolved_at = clock.now()
        row.resolved_by_id = actor.user_id
        row.resolution_note = (note or "").strip()[:5000]
        audit.record(actor, "judging.flag_resolved", obj=row, agency_id=track.agency_id)


def flags_of(round_: Round, track: Track) -> list[Flag]:
    return list(
        db.session.scalars(
            select(Flag)
            .join(Assignment, Assignment.id == Flag.assignment_id)
            .join(Submission, Submission.id == Assignment.submission_id)
            .join(Entry, Entry.id == Submission.entry_id)
            .where(Assignment.round_id == round_.id, Entry.track_id == track.id)
            .order_by(Flag.resolved_at.isnot(None), Flag.created_at)
        )
    )
