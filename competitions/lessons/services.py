"""Writing, publishing and reading an edition's lessons learned (see ``permissions``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from competitions.agencies.models import Agency, Membership, Role
from competitions.agencies.services import record_in
from competitions.challenges.models import Challenge
from competitions.core import clock, mail
from competitions.core.actor import Actor
from competitions.core.audit_words import label_fields
from competitions.core.errors import DomainError, FieldErrors, NotFound
from competitions.core.extensions import db
from competitions.core.text import text_block
from competitions.core.translate import gettext as _
from competitions.core.translate import lazy_gettext as _l
from competitions.core.urls import external_url
from competitions.lessons import permissions
from competitions.lessons.models import (
    KINDS,
    LessonSection,
    Retrospective,
    RetrospectiveStatus,
)

LIMIT = 5000  # characters per list of lessons

# The figures a lesson may point at: the insight sections of the challenge (anchors of its
# insights page), in the order the page shows them.
FIGURES: dict[str, object] = {
    "registrations": _l("Registrations"),
    "entrants": _l("Entrants"),
    "funnel": _l("Funnel"),
    "eligibility": _l("Eligibility"),
    "judging": _l("Judging"),
    "outreach": _l("Outreach"),
}


label_fields(
    {
        "keep": _l("Lessons to keep"),
        "change": _l("Lessons to change"),
        "stop": _l("Lessons to stop"),
        "figures": _l("Figures"),
    }
)


@dataclass(frozen=True)
class SectionData:
    keep: str
    change: str
    stop: str
    figures: list[str]


def retrospective_of(challenge: Challenge) -> Retrospective | None:
    return db.session.scalar(
        select(Retrospective).where(Retrospective.challenge_id == challenge.id)
    )


def section_of(retro: Retrospective | None, agency: Agency) -> LessonSection | None:
    if retro is None:
        return None
    return next((s for s in retro.sections if s.agency_id == agency.id), None)


def partner_agency(challenge: Challenge, slug: str) -> Agency:
    agency = next((a for a in permissions.partner_agencies(challenge) if a.slug == slug), None)
    if agency is None:
        raise NotFound(_("No such agency in this challenge."))
    return agency


def save_section(
    actor: Actor, challenge: Challenge, agency: Agency, data: SectionData
) -> LessonSection:
    """Write ``agency``'s section (creating the retrospective on the first one)."""
    if not permissions.can_write_section(actor.user, challenge, agency):
        raise NotFound(_("No such agency in this challenge."))
    if not challenge.is_published:
        raise DomainError(_("Lessons are written once the challenge is published."))
    retro = retrospective_of(challenge)
    if retro is not None and retro.is_published:
        raise DomainError(
            _("The lessons are published: ask the lead agency to reopen them to change yours.")
        )
    texts = _checked(data)
    if retro is None:
        retro = Retrospective(challenge=challenge)
        db.session.add(retro)
        db.session.flush()
    section = section_of(retro, agency)
    before = _snapshot(section) if section is not None else None
    if section is None:
        section = LessonSection(retrospective=retro, agency=agency)
        db.session.add(section)
    section.keep, section.change, section.stop = texts
    section.figures = [key for key in FIGURES if key in data.figures]
    section.updated_at, section.updated_by_id = clock.now(), actor.user_id
    db.session.flush()
    record_in(
        actor, agency, "lessons.section_saved", section, before=before, after=_snapshot(section)
    )
    return section


def _checked(data: SectionData) -> tuple[str, str, str]:
    texts = tuple(text_block(getattr(data, kind)) for kind in KINDS)
    problems = {
        kind: _("Keep this list under %(n)d characters.", n=LIMIT)
        for kind, text in zip(KINDS, texts, strict=True)
        if len(text) > LIMIT
    }
    unknown = [key for key in data.figures if key not in FIGURES]
    if unknown:
        problems["figures"] = _("Choose figures from the list.")
    if problems:
        raise FieldErrors(_("Some lessons could not be saved."), problems)
    if not any(texts):
        raise DomainError(_("Write at least one lesson: what to keep, change or stop."), "keep")
    return texts  # type: ignore[return-value]


def _snapshot(section: LessonSection) -> dict[str, object]:
    return {
        "keep": len(section.lessons("keep")),
        "change": len(section.lessons("change")),
        "stop": len(section.lessons("stop")),
        "figures": list(section.figures),
    }


def publish(actor: Actor, challenge: Challenge) -> Retrospective:
    """Publish the lessons to every partner agency; their admins are told by email."""
    _require_publish(actor, challenge)
    retro = retrospective_of(challenge)
    if retro is None or all(s.is_empty for s in retro.sections):
        raise DomainError(_("No partner has written lessons yet: there is nothing to publish."))
    if retro.is_published:
        raise DomainError(_("These lessons are already published."))
    retro.status = RetrospectiveStatus.PUBLISHED.value
    retro.published_at, retro.published_by_id = clock.now(), actor.user_id
    db.session.flush()
    record_in(actor, challenge.lead_agency, "lessons.published", retro)
    _tell_partners(challenge, retro)
    return retro


def reopen(actor: Actor, challenge: Challenge) -> Retrospective:
    """Back to a draft: partners may change their sections, then the lead publishes again."""
    _require_publish(actor, challenge)
    retro = retrospective_of(challenge)
    if retro is None or not retro.is_published:
        raise DomainError(_("These lessons are not published."))
    retro.status = RetrospectiveStatus.DRAFT.value
    retro.published_at = retro.published_by_id = None
    db.session.flush()
    record_in(actor, challenge.lead_agency, "lessons.reopened", retro)
    return retro


def _require_publish(actor: Actor, challenge: Challenge) -> None:
    if not permissions.can_publish(actor.user, challenge):
        raise NotFound(_("No such challenge."))


def _tell_partners(challenge: Challenge, retro: Retrospective) -> None:
    agencies = permissions.partner_agencies(challenge)
    admins = db.session.scalars(
        select(Membership).where(
            Membership.agency_id.in_([a.id for a in agencies]), Membership.role == Role.ADMIN
        )
    ).all()
    link = external_url("lessons.page", slug=challenge.slug)
    assert retro.published_at is not None
    source = f"lessons:{retro.id}:{retro.published_at.isoformat()}"
    for membership in admins:
        user = membership.user
        lang = user.preferred_language or "en"
        mail.send_after_commit(
            mail.render_mail(
                "lessons/published",
                user.email,
                lang,
                _l("Lessons learned of %(challenge)s", challenge=challenge.title_in(lang)),
                challenge=challenge,
                title=challenge.title_in(lang),
                agency=membership.agency,
                link=link,
            ),
            source=source,
        )


def visible_sections(
    user: object, challenge: Challenge
) -> list[tuple[Agency, LessonSection | None]]:
    """Each participating agency whose section ``user`` may read, with it (None: not written)."""
    retro = retrospective_of(challenge)
    published = retro is not None and retro.is_published
    every = permissions.sees_every_section(user, challenge, published)
    rows = []
    for agency in permissions.partner_agencies(challenge):
        if every or permissions.can_write_section(user, challenge, agency):
            rows.append((agency, section_of(retro, agency)))
    return rows


def previous_lessons(challenge: Challenge) -> Retrospective | None:
    """The published lessons of the edition before ``challenge``, if any."""
    if challenge.previous_edition_id is None:
        return None
    retro = db.session.scalar(
        select(Retrospective).where(Retrospective.challenge_id == challenge.previous_edition_id)
    )
    return retro if retro is not None and retro.is_published else None
