"""The deadline that applies to an entry in a round: the round's, or later by the entry's
extension, which the track's admins grant (with a reason, audited). Whether the window is open
is computed when read, from the timeline (``challenges.timeline``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from competitions.challenges.models import Round
from competitions.challenges.timeline import WindowState, window_state
from competitions.core import audit, clock, instants
from competitions.core.actor import Actor
from competitions.core.errors import DomainError, NotFound
from competitions.core.extensions import db
from competitions.core.i18n import current_language, day_pattern, format_instant, viewer_timezone
from competitions.core.translate import gettext as _
from competitions.entries.models import Entry
from competitions.entries.permissions import can_decide_eligibility
from competitions.submissions import facts
from competitions.submissions.models import Extension


def extension_of(entry: Entry, round_: Round) -> Extension | None:
    query = select(Extension).where(Extension.entry_id == entry.id, Extension.round_id == round_.id)
    extension: Extension | None = facts.remembered(
        entry, round_, "extension", lambda: db.session.scalar(query)
    )
    return extension


def deadline_for(entry: Entry, round_: Round) -> datetime:
    extension = extension_of(entry, round_)
    if extension is not None and extension.until > round_.submission_deadline:
        return extension.until
    return round_.submission_deadline


def state_for(entry: Entry, round_: Round, now: datetime | None = None) -> WindowState:
    return window_state(round_.submission_opens, deadline_for(entry, round_), now or clock.now())


def grant_extension(
    actor: Actor, entry: Entry, round_: Round, until: datetime, reason: str
) -> Extension:
    """A track admin extends one entry's deadline (audited)."""
    if not can_decide_eligibility(actor.user, entry):
        raise NotFound(_("No such entry."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the extension."), field="reason")
    instants.check(until, "until")
    if until <= round_.submission_deadline:
        raise DomainError(_("An extension must end after the round's deadline."), field="until")
    if until > round_.judging_closes:
        raise DomainError(_("An extension must end before judging closes."), field="until")
    extension = extension_of(entry, round_)
    before = {"until": extension.until} if extension else None
    if extension is None:
        extension = Extension(entry_id=entry.id, round_id=round_.id)
        db.session.add(extension)
        facts.of(entry, round_)["extension"] = extension
    extension.until, extension.reason = until, reason
    extension.granted_by_id, extension.granted_at = actor.user_id, clock.now()
    audit.record(
        actor,
        "entry.extension_granted",
        obj=entry,
        agency_id=entry.track.agency_id,
        before=before,
        after={"round": round_.id, "until": until, "reason": reason},
    )
    return extension


def _seconds() -> str:
    """The language's day (``i18n.day_pattern``) and the time to the second."""
    return f"{day_pattern(current_language())} HH:mm:ss"


def _passed_at(entry: Entry, round_: Round) -> str:
    """The deadline in the track's legal time, and in the entrant's zone when it differs."""
    deadline, legal_zone = deadline_for(entry, round_), entry.track.timezone
    legal = format_instant(deadline, legal_zone, _seconds())
    yours = viewer_timezone()
    if yours == legal_zone:
        return legal
    return _(
        "%(legal)s (%(yours)s your time)",
        legal=legal,
        yours=format_instant(deadline, yours, _seconds()),
    )


def passed(entry: Entry, round_: Round, refused: str) -> str:
    """What a refusal after the deadline says: what was not received, and when it closed.
    ``refused``: "submit", "late" (the deadline passed while it was being recorded), "draft"
    or "withdraw"."""
    when = _passed_at(entry, round_)
    if refused == "submit":
        return _(
            "Your submission was not received: the deadline passed at %(when)s. "
            "Your draft is kept as it was.",
            when=when,
        )
    if refused == "late":
        return _(
            "Your submission was not received: the deadline passed at %(when)s, while it "
            "was being recorded. Your draft is kept.",
            when=when,
        )
    if refused == "withdraw":
        return _("The submission stays as it is: the deadline passed at %(when)s.", when=when)
    return _("Your changes were not saved: the deadline passed at %(when)s.", when=when)
