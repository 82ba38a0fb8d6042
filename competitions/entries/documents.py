"""Eligibility documents: what a track asks for, what entrants upload, what its admins decide.

A requirement has a scope: each member sends their own (proof of residence), or the team sends
one (a letter of support), or only teams entering as an organisation send one (proof of
incorporation). Every (entry, requirement, subject) is a *slot* with at most one current
document; a new upload supersedes the current one and goes back to "pending".
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import IO, Any

from blinker import Namespace
from sqlalchemy import select
from sqlalchemy.orm import joinedload, lazyload, load_only

from competitions.accounts.models import User
from competitions.challenges.models import Track
from competitions.core import audit, clock, mail
from competitions.core import filetypes as file_types
from competitions.core.actor import Actor
from competitions.core.errors import DomainError, NotFound, must_exist
from competitions.core.extensions import db
from competitions.core.storage import get_storage
from competitions.core.text import blocks_in, lines_in
from competitions.core.translate import gettext as _
from competitions.core.translate import lazy_gettext as _l
from competitions.core.urls import external_url
from competitions.entries import permissions
from competitions.entries.models import (
    DocumentRequirement,
    DocumentScope,
    DocumentStatus,
    EligibilityDocument,
    Entry,
)

ALLOWED_TYPES = ("pdf", "png", "jpeg", "webp")
MAX_SIZE_MB = 20
MAX_REQUIREMENTS = 20

_signals = Namespace()
# Sent once a document's review is recorded, in the same transaction, with ``actor`` and
# ``decision``: a receiver (the awards' prize conditions) may refuse it with a DomainError.
document_reviewed = _signals.signal("document-reviewed")


class SlotStatus(enum.StrEnum):
    """Where a slot stands: no document yet, or its current document's review status."""

    MISSING = "missing"
    PENDING = DocumentStatus.PENDING.value
    VERIFIED = DocumentStatus.VERIFIED.value
    REJECTED = DocumentStatus.REJECTED.value


SCOPE_LABELS = {
    DocumentScope.MEMBER: _l("Each member, their own"),
    DocumentScope.TEAM: _l("One per team"),
    DocumentScope.ORGANISATION: _l("Organisations only"),
}
STATUS_LABELS = {
    SlotStatus.MISSING: _l("Missing"),
    SlotStatus.PENDING: _l("Waiting for review"),
    SlotStatus.VERIFIED: _l("Verified"),
    SlotStatus.REJECTED: _l("Rejected"),
}


# --- requirements (track admins) ------------------------------------------------------------


@dataclass(frozen=True)
class RequirementData:
    label: dict[str, str]
    help: dict[str, str]
    scope: str
    file_types: list[str]
    max_size_mb: int


def requirements_of(track: Track) -> list[DocumentRequirement]:
    return list(
        db.session.scalars(
            select(DocumentRequirement)
            .where(
                DocumentRequirement.track_id == track.id,
                DocumentRequirement.entry_id.is_(None),
                DocumentRequirement.retired_at.is_(None),
            )
            .order_by(DocumentRequirement.position, DocumentRequirement.id)
        )
    )


def requirements_of_entry(entry: Entry) -> list[DocumentRequirement]:
    """What the track asks of every entry, then what it asks of this entry alone (the
    evidence of an award's prize conditions)."""
    return list(
        db.session.scalars(
            select(DocumentRequirement)
            .where(
                DocumentRequirement.track_id == entry.track_id,
                (DocumentRequirement.entry_id.is_(None))
                | (DocumentRequirement.entry_id == entry.id),
                DocumentRequirement.retired_at.is_(None),
            )
            .order_by(
                DocumentRequirement.entry_id.is_not(None),
                DocumentRequirement.position,
                DocumentRequirement.id,
            )
        )
    )


def _check_requirement(track: Track, data: RequirementData) -> RequirementData:
    label, help_ = lines_in(data.label, track.languages), blocks_in(data.help, track.languages)
    if not label:
        raise DomainError(_("Name the document in at least one of the track's languages."), "label")
    if any(len(v) > 200 for v in label.values()):
        raise DomainError(_("A document's name must be 200 characters or fewer."), "label")
    if any(len(v) > 1000 for v in help_.values()):
        raise DomainError(_("The explanation must be 1,000 characters or fewer."), "help")
    if data.scope not in {s.value for s in DocumentScope}:
        raise DomainError(_("Choose who sends this document."), "scope")
    types = [t for t in data.file_types if t in ALLOWED_TYPES]
    if not types or len(types) != len(data.file_types):
        raise DomainError(_("Choose the accepted file types."), "file_types")
    if not 1 <= data.max_size_mb <= MAX_SIZE_MB:
        raise DomainError(
            _("The size limit must be between 1 and %(n)d MB.", n=MAX_SIZE_MB), "max_size_mb"
        )
    return RequirementData(label, help_, data.scope, types, data.max_size_mb)


def add_requirement(actor: Actor, track: Track, data: RequirementData) -> DocumentRequirement:
    if not permissions.can_manage_documents(actor.user, track.agency_id):
        raise NotFound(_("No such track."))
    clean = _check_requirement(track, data)
    current = requirements_of(track)
    if len(current) >= MAX_REQUIREMENTS:
        raise DomainError(_("A track can ask for at most %(n)d documents.", n=MAX_REQUIREMENTS))
    requirement = DocumentRequirement(
        track=track,
        position=max((r.position for r in current), default=-1) + 1,
        scope=clean.scope,
        label=clean.label,
        help=clean.help,
        file_types=clean.file_types,
        max_size_mb=clean.max_size_mb,
    )
    after = {"scope": clean.scope, "label": clean.label, "types": clean.file_types}
    return audit.created(
        actor, "document_requirement.added", requirement, agency_id=track.agency_id, after=after
    )


def retire_requirement(actor: Actor, requirement: DocumentRequirement) -> None:
    """Stop asking for it; documents already sent keep their requirement and decisions."""
    track = requirement.track
    if not permissions.can_manage_documents(actor.user, track.agency_id):
        raise NotFound(_("No such document."))
    if requirement.retired_at is None:
        requirement.retired_at = clock.now()
        audit.record(
            actor, "document_requirement.retired", obj=requirement, agency_id=track.agency_id
        )


def get_requirement(track: Track, requirement_id: int) -> DocumentRequirement:
    requirement = db.session.get(DocumentRequirement, requirement_id)
    if (
        requirement is None
        or requirement.track_id != track.id
        or requirement.retired_at
        or requirement.entry_id is not None  # an award's evidence: retired with the award
    ):
        raise NotFound(_("No such document."))
    return requirement


# --- slots and uploads (entrants) -----------------------------------------------------------


@dataclass
class Slot:
    requirement: DocumentRequirement
    subject: str  # "team" or "user:<id>"
    member: User | None
    document: EligibilityDocument | None

    @property
    def status(self) -> SlotStatus:
        return SlotStatus(self.document.status) if self.document else SlotStatus.MISSING


def subject_of(member: User | None) -> str:
    return f"user:{member.id}" if member is not None else "team"


def slots_for(entry: Entry) -> list[Slot]:
    """Every document the entry owes now, with its current upload (two queries; one when the
    track asks for none)."""
    requirements = requirements_of_entry(entry)
    if not requirements:
        return []
    # Each document's requirement is one of ``requirements``: not joined (and decoded) again.
    current = {
        (d.requirement_id, d.subject): d
        for d in db.session.scalars(
            select(EligibilityDocument)
            .where(
                EligibilityDocument.entry_id == entry.id,
                EligibilityDocument.superseded_at.is_(None),
            )
            .options(lazyload(EligibilityDocument.requirement))
        )
    }
    slots: list[Slot] = []
    for r in requirements:
        if r.scope == DocumentScope.MEMBER:
            for m in entry.team.members:
                key = (r.id, subject_of(m.user))
                slots.append(Slot(r, key[1], m.user, current.get(key)))
        elif r.scope == DocumentScope.TEAM or entry.team.is_organisation:
            slots.append(Slot(r, "team", None, current.get((r.id, "team"))))
    return slots


def summary(slots: list[Slot]) -> dict[SlotStatus, int]:
    counts = dict.fromkeys(SlotStatus, 0)
    for s in slots:
        counts[s.status] += 1
    return counts


def may_upload(user: Any, entry: Entry, slot: Slot) -> bool:
    """A member's own document is sent by that member; a team's by any of its members."""
    if entry.withdrawn_at is not None or not permissions.is_member(user, entry.team):
        return False
    return slot.member is None or slot.member.id == user.id


def upload(
    actor: Actor,
    entry: Entry,
    requirement_id: int,
    subject: str,
    stream: IO[bytes],
    filename: str | None,
) -> EligibilityDocument:
    slot = next(
        (
            s
            for s in slots_for(entry)
            if s.requirement.id == requirement_id and s.subject == subject
        ),
        None,
    )
    if slot is None:
        raise NotFound(_("This entry does not owe that document."))
    if not may_upload(actor.user, entry, slot):
        raise DomainError(
            _("Only %(name)s can send their own document.", name=slot.member.display_name)
            if slot.member is not None and entry.withdrawn_at is None
            else _("This entry can no longer send documents.")
        )
    r = slot.requirement
    checked = file_types.store_checked(
        stream, filename, tuple(r.file_types), r.max_size_mb, field="file", fallback_name="document"
    )
    now = clock.now()
    if slot.document is not None:
        slot.document.superseded_at = now
        db.session.flush()  # the partial unique index allows one current document per slot
    document = EligibilityDocument(
        entry=entry,
        requirement=r,
        subject=slot.subject,
        member_id=slot.member.id if slot.member else None,
        **file_types.stored_facts(checked),
        uploaded_at=now,
        uploaded_by_id=actor.user_id,
        status=DocumentStatus.PENDING.value,
    )
    after = {"entry": entry.id, "requirement": r.id, "sha256": checked.sha256}
    agency_id = entry.track.agency_id
    return audit.created(
        actor, "eligibility_document.uploaded", document, agency_id=agency_id, after=after
    )


# --- review (track admins) ------------------------------------------------------------------


def get_document(document_id: int) -> EligibilityDocument:
    return must_exist(db.session.get(EligibilityDocument, document_id), _("No such document."))


def current_documents(entry_ids: list[int]) -> dict[int, list[EligibilityDocument]]:
    """The documents each entry has sent and not replaced, for a page of entries (one query):
    their names, statuses and requirements' labels, what the list shows."""
    found: dict[int, list[EligibilityDocument]] = {entry_id: [] for entry_id in entry_ids}
    if entry_ids:
        for document in db.session.scalars(
            select(EligibilityDocument)
            .where(
                EligibilityDocument.entry_id.in_(entry_ids),
                EligibilityDocument.superseded_at.is_(None),
            )
            .order_by(EligibilityDocument.requirement_id, EligibilityDocument.id)
            .options(
                load_only(
                    EligibilityDocument.entry_id,
                    EligibilityDocument.requirement_id,
                    EligibilityDocument.filename,
                    EligibilityDocument.status,
                ),
                joinedload(EligibilityDocument.requirement).load_only(DocumentRequirement.label),
            )
        ):
            found[document.entry_id].append(document)
    return found


def get_entry_document(entry_id: int, document_id: int) -> EligibilityDocument:
    """A document of the entry (``NotFound`` when it belongs to another)."""
    document = get_document(document_id)
    if document.entry_id != entry_id:
        raise NotFound(_("No such document."))
    return document


def review(actor: Actor, document: EligibilityDocument, decision: str, reason: str) -> None:
    entry = document.entry
    if not permissions.can_decide_eligibility(actor.user, entry):
        raise NotFound(_("No such document."))
    if document.superseded_at is not None:
        raise DomainError(_("A newer document replaced this one: review that one instead."))
    reason = (reason or "").strip()
    if decision not in (DocumentStatus.VERIFIED, DocumentStatus.REJECTED):
        raise DomainError(_("Choose a decision."), "decision")
    if decision == DocumentStatus.REJECTED and not reason:
        raise DomainError(_("Give the reason the document is rejected."), "reason")
    if len(reason) > 2000:
        raise DomainError(_("The reason must be 2,000 characters or fewer."), "reason")
    before = {"status": document.status, "reason": document.review_reason}
    document.status = decision
    document.review_reason = reason or None
    document.reviewed_at = clock.now()
    document.reviewed_by_id = actor.user_id
    audit.record(
        actor,
        f"eligibility_document.{decision}",
        obj=document,
        agency_id=entry.track.agency_id,
        before=before,
        after={"status": decision, "reason": document.review_reason},
    )
    document_reviewed.send(document, actor=actor, decision=decision)
    # An award's evidence: the awards tell the whole team (``document_reviewed``).
    if decision == DocumentStatus.REJECTED and document.requirement.entry_id is None:
        _tell_rejected(document)


def _tell_rejected(document: EligibilityDocument) -> None:
    """The person who sent it (or, if they left, the team's lead) learns why, in their language."""
    entry = document.entry
    to = document.member or document.uploaded_by
    if to is None or entry.team.member_of(to.id) is None:
        lead = entry.team.lead
        to = lead.user if lead else None
    if to is None:
        return
    lang = to.preferred_language or "en"
    mail.send_after_commit(
        mail.render_mail(
            "entries/document_rejected",
            to.email,
            lang,
            _l("A document for %(team)s was not accepted", team=entry.team.name),
            document=document,
            requirement=document.requirement.label_in(lang),
            track=entry.track.name_in(lang),
            link=external_url("entries.entry", entry_id=entry.id) + "#documents",
        )
    )


def open_document(document: EligibilityDocument) -> IO[bytes]:
    """The stored bytes (``NotFound`` when they are missing from storage)."""
    try:
        return get_storage().open(document.storage_key)
    except (FileNotFoundError, ValueError) as exc:
        raise NotFound(_("No such document.")) from exc
