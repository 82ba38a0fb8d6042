"""Challenge services: the challenge itself, and the look-ups every package uses.

Here: getting a challenge, a track, a round and a track's current terms; creating a challenge
and editing its texts; publishing it; the challenges of an agency. The other areas are
modules of this package:

- ``partners``: inviting partner agencies, and their joining with a track;
- ``tracks``: a track's settings, eligibility rules, prizes, terms and readiness;
- ``timeline``: rounds and milestones of the shared timeline, and the changes made to it;
- ``editions``: launching the next edition of a challenge.

The helpers the area modules share (``role_of``, ``clean_lines``, ``require_manager``,
``new_track``, ...) are here too, so that the modules depend on this one and never on each
other.

Every service checks its own permission (``permissions.py``): another agency's track answers
``NotFound`` exactly like a track that does not exist.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, TypeVar

from flask_babel import LazyString
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload, with_expression

from competitions.agencies import permissions as agency_permissions
from competitions.agencies.models import Agency
from competitions.agencies.services import record_in
from competitions.challenges import permissions
from competitions.challenges.eligibility import Rules, parse_rules, rules_or_none, rules_to_data
from competitions.challenges.models import (
    Challenge,
    ChallengeStatus,
    Round,
    TermsVersion,
    TimelineChange,
    Track,
    Translations,
)
from competitions.challenges.timeline import check_sequence
from competitions.core import clock
from competitions.core.actor import Actor
from competitions.core.errors import Conflict, DomainError, NotFound, must_exist
from competitions.core.extensions import db
from competitions.core.i18n import current_language, is_valid_timezone
from competitions.core.languages import SUPPORTED_LANGUAGES
from competitions.core.text import blocks_in, lines_in
from competitions.core.translate import gettext as _
from competitions.core.translate import lazy_gettext as _l

M = TypeVar("M")
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
RESERVED_SLUGS = frozenset({"new", "feed", "feed.atom", "manage"})


# --- shared by the modules of this package -------------------------------------------------


def role_of(actor: Actor, agency: Agency) -> str:
    """The actor's role in ``agency``, as the audit log records it."""
    return agency_permissions.role_in(actor.user, agency)


def clean_lines(texts: dict[str, str] | None, max_length: int | None = None) -> Translations:
    """Per-language one-line texts (a title, a name, a label: see ``core.text``), without
    empty ones (cut to ``max_length`` if given). Every language Tandem supports is kept, not
    only the deployment's: a text written before a deployment dropped a language survives a
    save."""
    return _cut(lines_in(texts, SUPPORTED_LANGUAGES), max_length)


def clean_texts(texts: dict[str, str] | None, max_length: int | None = None) -> Translations:
    """Per-language longer texts (a description, terms), without empty ones (cut to
    ``max_length`` if given)."""
    return _cut(blocks_in(texts, SUPPORTED_LANGUAGES), max_length)


def _cut(texts: Translations, max_length: int | None) -> Translations:
    return {code: v[:max_length] for code, v in texts.items()} if max_length else texts


def check_slug(slug: str) -> str:
    """The short address, normalised, or a ``DomainError`` on the ``slug`` field."""
    slug = slug.strip().lower()
    if not SLUG_RE.match(slug) or slug in RESERVED_SLUGS:
        raise DomainError(
            _(
                "Use lower-case letters, digits and hyphens, not starting or ending with a hyphen "
                "(for example: deep-space-food-2025)."
            ),
            field="slug",
        )
    return slug


def search_text(challenge: Challenge) -> str:
    """What the directory's search matches: every title and summary, and the slug."""
    parts = [*challenge.title.values(), *challenge.summary.values(), challenge.slug]
    return " ".join(parts).casefold()


def require_manager(actor: Actor, challenge: Challenge) -> None:
    """``NotFound`` unless the actor manages the challenge (see ``permissions``)."""
    if not permissions.can_manage_challenge(actor.user, challenge):
        raise NotFound(_("No such challenge."))


# --- lookups -----------------------------------------------------------------------------


@functools.cache
def _challenge_options() -> tuple[Any, ...]:
    # Built once: building loader options costs about as much as running a query. The rounds
    # and whether the timeline changed come in the challenge's statement, the prizes and
    # whether there are terms in the tracks' (the milestones stay apart: joined too, they
    # would multiply the rounds' rows).
    has_terms = select(TermsVersion.id).where(TermsVersion.track_id == Track.id).exists()
    changed = select(TimelineChange.id).where(TimelineChange.challenge_id == Challenge.id).exists()
    return (
        with_expression(Challenge.timeline_changed, changed),
        selectinload(Challenge.tracks).options(
            joinedload(Track.prizes), with_expression(Track.has_terms, has_terms)
        ),
        joinedload(Challenge.rounds),
        selectinload(Challenge.milestones),
    )


def get_challenge(slug: str) -> Challenge:
    """The challenge with everything its pages show, in a fixed number of queries."""
    challenge = (
        db.session.execute(
            select(Challenge).where(Challenge.slug == slug).options(*_challenge_options())
        )
        .unique()
        .scalar_one_or_none()
    )
    return must_exist(challenge, _("No such challenge."))


def tracks_with_rules(challenge: Challenge) -> list[tuple[Track, Rules]]:
    """Each track of the challenge with its eligibility rules (one whose rules do not parse
    yet is left out): what ``eligibility.route`` chooses among."""
    return [(t, rules) for t in challenge.tracks if (rules := rules_or_none(t.rules)) is not None]


def get_visible_challenge(user: Any, slug: str) -> Challenge:
    """The challenge if ``user`` may see it. An unpublished challenge, to anyone but its
    participants, does not exist: a plain ``NotFound`` (not a refusal worth auditing)."""
    challenge = get_challenge(slug)
    if not permissions.can_view_challenge(user, challenge):
        raise NotFound(_("No such challenge."))
    return challenge


def get_track(challenge: Challenge, track_slug: str) -> Track:
    track = next((t for t in challenge.tracks if t.slug == track_slug), None)
    return must_exist(track, _("No such track."))


def get_challenge_track(slug: str, track_slug: str) -> Track:
    """The track ``track_slug`` of the challenge ``slug`` (loaded as ``get_challenge`` does)."""
    return get_track(get_challenge(slug), track_slug)


def get_owned(model: type[M], object_id: int, missing: LazyString, **owner: int) -> M:
    """The ``model`` row ``object_id`` if it belongs to ``owner`` (e.g. ``challenge_id=3``);
    otherwise ``NotFound`` with the ``missing`` message."""
    found = db.session.get(model, object_id)
    if found is None or any(getattr(found, key) != value for key, value in owner.items()):
        raise NotFound(str(missing))
    return found


def get_round(challenge: Challenge, round_id: int) -> Round:
    return get_owned(Round, round_id, _l("No such round."), challenge_id=challenge.id)


def current_terms(track: Track) -> TermsVersion | None:
    """The track's latest terms (what an entrant accepts now), if it has any."""
    return track.terms_versions[-1] if track.terms_versions else None


def tracks_with_terms(challenge: Challenge) -> set[int]:
    """The ids of the challenge's tracks that have terms (what the challenge's page links to,
    without loading every version's text): known already when ``get_challenge`` loaded it,
    else in one query."""
    if all(t.has_terms is not None for t in challenge.tracks):
        return {t.id for t in challenge.tracks if t.has_terms}
    ids = [t.id for t in challenge.tracks]
    return set(
        db.session.scalars(
            select(TermsVersion.track_id).where(TermsVersion.track_id.in_(ids)).distinct()
        )
    )


# --- challenge ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Texts:
    title: dict[str, str]
    summary: dict[str, str]
    description: dict[str, str]


def _check_texts(texts: Texts) -> Texts:
    title = clean_lines(texts.title)
    if not title:
        raise DomainError(_("Enter a title in at least one language."), field="title_en")
    for code, value in title.items():
        if len(value) > 200:
            raise DomainError(
                _("The title must be 200 characters or fewer."), field=f"title_{code}"
            )
    summary = clean_texts(texts.summary)
    for code, value in summary.items():
        if len(value) > 500:
            raise DomainError(
                _("The summary must be 500 characters or fewer."), field=f"summary_{code}"
            )
    description = clean_texts(texts.description)
    for code, value in description.items():
        if len(value) > 50_000:
            raise DomainError(
                _("The description must be 50,000 characters or fewer."),
                field=f"description_{code}",
            )
    return Texts(title, summary, description)


def default_rules(agency: Agency) -> dict[str, Any]:
    """A new track accepts residents of its agency's country (an editable starting point)."""
    country = agency.jurisdiction.split("-", 1)[0]
    return rules_to_data(parse_rules({"allowed_countries": [country]}))


def new_track(
    challenge: Challenge, agency: Agency, position: int, contact_email: str | None = None
) -> Track:
    """Add ``agency``'s track to the challenge, with the agency's name, languages and zone,
    and ``contact_email`` (the administrator who adds it) as the entrants' contact until the
    agency gives another."""
    taken = {t.slug for t in challenge.tracks}
    slug = agency.slug if agency.slug not in taken else f"{agency.slug}-{position + 1}"
    track = Track(
        challenge=challenge,
        agency=agency,
        slug=slug,
        position=position,
        name=dict.fromkeys(agency.languages or ["en"], agency.name),
        languages=list(agency.languages or ["en"]),
        timezone=agency.timezone,
        rules=default_rules(agency),
        contact_email=contact_email,
    )
    db.session.add(track)
    return track


def create_challenge(
    actor: Actor, agency: Agency, slug: str, texts: Texts, timezone: str | None = None
) -> Challenge:
    """A draft challenge led by ``agency``, with the lead agency's track."""
    if not permissions.can_create_challenge(actor.user, agency.id):
        raise NotFound(_("No such agency."))
    slug = check_slug(slug)
    texts = _check_texts(texts)
    timezone = timezone or agency.timezone
    if not is_valid_timezone(timezone):
        raise DomainError(_("Select a time zone from the list."), field="timezone")
    if db.session.scalar(select(Challenge.id).where(Challenge.slug == slug)) is not None:
        raise Conflict(_("Another challenge already uses this short address."), field="slug")
    challenge = Challenge(
        slug=slug,
        lead_agency=agency,
        status=ChallengeStatus.DRAFT,
        timezone=timezone,
        created_by_id=actor.user_id,
        title=texts.title,
        summary=texts.summary,
        description=texts.description,
    )
    challenge.search_text = search_text(challenge)
    db.session.add(challenge)
    new_track(challenge, agency, 0, actor.user.email if actor.user else None)
    db.session.flush()
    record_in(
        actor,
        agency,
        "challenge.created",
        challenge,
        after={"slug": slug, "title": texts.title},
    )
    return challenge


def update_texts(actor: Actor, challenge: Challenge, texts: Texts) -> None:
    require_manager(actor, challenge)
    texts = _check_texts(texts)
    before = {"title": challenge.title, "summary": challenge.summary}
    challenge.title, challenge.summary = texts.title, texts.summary
    challenge.description = texts.description
    challenge.search_text = search_text(challenge)
    record_in(
        actor,
        challenge.lead_agency,
        "challenge.texts_updated",
        challenge,
        before=before,
        after={"title": texts.title, "summary": texts.summary},
    )


# --- publication --------------------------------------------------------------------------


def timeline_problems(challenge: Challenge) -> list[str]:
    """What is wrong with the order of the rounds' deadlines (blocks saving and publishing)."""
    rounds = sorted(challenge.rounds, key=lambda r: r.position)
    lang = current_language()
    return check_sequence((r.name_in(lang), r.submission_deadline) for r in rounds)


def publication_problems(challenge: Challenge) -> list[str]:
    problems = []
    not_ready = [t.name_in(current_language()) for t in challenge.tracks if not t.is_ready]
    if not_ready:
        problems.append(_("Tracks not marked ready yet: %(tracks)s.", tracks=", ".join(not_ready)))
    if not challenge.rounds:
        problems.append(_("Add at least one round to the timeline."))
    missing = [code for code in challenge.languages if not challenge.title.get(code)]
    if missing:
        problems.append(
            _(
                "Give the challenge a title in every track language (%(langs)s).",
                langs=", ".join(missing),
            )
        )
    problems.extend(timeline_problems(challenge))
    return problems


def publish(actor: Actor, challenge: Challenge) -> None:
    require_manager(actor, challenge)
    if challenge.is_published:
        return
    problems = publication_problems(challenge)
    if problems:
        raise DomainError(" ".join(problems))
    challenge.status = ChallengeStatus.PUBLISHED
    challenge.published_at = clock.now()
    record_in(
        actor,
        challenge.lead_agency,
        "challenge.published",
        challenge,
    )


# --- reading ------------------------------------------------------------------------------


def agency_challenges(agency: Agency) -> list[Challenge]:
    """Challenges the agency leads or has a track in."""
    ids = select(Track.challenge_id).where(Track.agency_id == agency.id)
    return list(
        db.session.scalars(
            select(Challenge)
            .where((Challenge.lead_agency_id == agency.id) | Challenge.id.in_(ids))
            .order_by(Challenge.created_at.desc())
        )
    )
