"""Challenge services: create, invite partners, configure tracks, shape the shared timeline,
publish, and launch the next edition.

Every service checks its own permission (``permissions.py``): another agency's track answers
``NotFound`` exactly like a track that does not exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pycountry
from babel.numbers import NumberFormatError, parse_decimal
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from competitions.accounts.models import User
from competitions.accounts.services import check_email
from competitions.agencies import permissions as agency_permissions
from competitions.agencies.models import Agency, Role
from competitions.challenges import permissions
from competitions.challenges.eligibility import RulesError, parse_rules, rules_to_data
from competitions.challenges.models import (
    ROUND_INSTANTS,
    Challenge,
    ChallengeStatus,
    Milestone,
    PartnerInvitation,
    Prize,
    Round,
    TermsVersion,
    TimelineChange,
    Track,
    Translations,
)
from competitions.challenges.timeline import check_round, check_sequence
from competitions.core import audit, clock, mail, tokens
from competitions.core.actor import Actor
from competitions.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from competitions.core.extensions import db
from competitions.core.i18n import current_language, is_valid_timezone, languages
from competitions.core.urls import external_url

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
RESERVED_SLUGS = frozenset({"new", "feed", "feed.atom", "manage"})
PARTNER_INVITE = "partner-invitation"


def _role(actor: Actor, agency: Agency) -> str:
    return agency_permissions.role_in(actor.user, agency)


def _clean_texts(texts: dict[str, str] | None, max_length: int | None = None) -> Translations:
    out: Translations = {}
    for code in languages():
        value = ((texts or {}).get(code) or "").strip()
        if value:
            out[code] = value[:max_length] if max_length else value
    return out


def _check_slug(slug: str) -> str:
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


def _search_text(challenge: Challenge) -> str:
    parts = [*challenge.title.values(), *challenge.summary.values(), challenge.slug]
    return " ".join(parts).casefold()


# --- lookups -----------------------------------------------------------------------------


def get_challenge(slug: str) -> Challenge:
    """The challenge with everything its pages show, in a fixed number of queries."""
    challenge = db.session.scalar(
        select(Challenge)
        .where(Challenge.slug == slug)
        .options(
            selectinload(Challenge.tracks).selectinload(Track.prizes),
            selectinload(Challenge.rounds),
            selectinload(Challenge.milestones),
        )
    )
    if challenge is None:
        raise NotFound(_("No such challenge."))
    return challenge


def get_visible_challenge(user: Any, slug: str) -> Challenge:
    """The challenge if ``user`` may see it. An unpublished challenge, to anyone but its
    participants, does not exist: a plain ``NotFound`` (not a refusal worth auditing)."""
    challenge = get_challenge(slug)
    if not permissions.can_view_challenge(user, challenge):
        raise NotFound(_("No such challenge."))
    return challenge


def get_track(challenge: Challenge, track_slug: str) -> Track:
    track = next((t for t in challenge.tracks if t.slug == track_slug), None)
    if track is None:
        raise NotFound(_("No such track."))
    return track


def get_round(challenge: Challenge, round_id: int) -> Round:
    found = db.session.get(Round, round_id)
    if found is None or found.challenge_id != challenge.id:
        raise NotFound(_("No such round."))
    return found


def get_milestone(challenge: Challenge, milestone_id: int) -> Milestone:
    found = db.session.get(Milestone, milestone_id)
    if found is None or found.challenge_id != challenge.id:
        raise NotFound(_("No such milestone."))
    return found


def _require(condition: bool) -> None:
    if not condition:
        raise NotFound(_("No such challenge."))


# --- challenge ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Texts:
    title: dict[str, str]
    summary: dict[str, str]
    description: dict[str, str]


def _check_texts(texts: Texts) -> Texts:
    title = _clean_texts(texts.title)
    if not title:
        raise DomainError(_("Enter a title in at least one language."), field="title_en")
    for code, value in title.items():
        if len(value) > 200:
            raise DomainError(
                _("The title must be 200 characters or fewer."), field=f"title_{code}"
            )
    summary = _clean_texts(texts.summary)
    for code, value in summary.items():
        if len(value) > 500:
            raise DomainError(
                _("The summary must be 500 characters or fewer."), field=f"summary_{code}"
            )
    description = _clean_texts(texts.description)
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


def _new_track(challenge: Challenge, agency: Agency, position: int) -> Track:
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
    )
    db.session.add(track)
    return track


def create_challenge(
    actor: Actor, agency: Agency, slug: str, texts: Texts, timezone: str | None = None
) -> Challenge:
    """A draft challenge led by ``agency``, with the lead agency's track."""
    if not permissions.can_create_challenge(actor.user, agency.id):
        raise NotFound(_("No such agency."))
    slug = _check_slug(slug)
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
    challenge.search_text = _search_text(challenge)
    db.session.add(challenge)
    _new_track(challenge, agency, 0)
    db.session.flush()
    audit.record(
        actor,
        "challenge.created",
        obj=challenge,
        agency_id=agency.id,
        role=_role(actor, agency),
        after={"slug": slug, "title": texts.title},
    )
    return challenge


def update_texts(actor: Actor, challenge: Challenge, texts: Texts) -> None:
    _require(permissions.can_manage_challenge(actor.user, challenge))
    texts = _check_texts(texts)
    before = {"title": challenge.title, "summary": challenge.summary}
    challenge.title, challenge.summary = texts.title, texts.summary
    challenge.description = texts.description
    challenge.search_text = _search_text(challenge)
    audit.record(
        actor,
        "challenge.texts_updated",
        obj=challenge,
        agency_id=challenge.lead_agency_id,
        role=_role(actor, challenge.lead_agency),
        before=before,
        after={"title": texts.title, "summary": texts.summary},
    )


# --- partners -----------------------------------------------------------------------------


def invite_partner(actor: Actor, challenge: Challenge, email: str) -> PartnerInvitation:
    """Invite a partner agency's admin (by email) to add their agency's track."""
    _require(permissions.can_manage_challenge(actor.user, challenge))
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
    audit.record(
        actor,
        "challenge.partner_invited",
        obj=inv,
        agency_id=challenge.lead_agency_id,
        role=_role(actor, challenge.lead_agency),
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
    _require(permissions.can_manage_challenge(actor.user, inv.challenge))
    if inv.resolution is not None:
        raise Conflict(_("This invitation is already closed."))
    inv.resolution, inv.resolved_at, inv.resolved_by_id = "revoked", clock.now(), actor.user_id
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
    track = _new_track(challenge, agency, len(challenge.tracks))
    db.session.flush()
    inv.resolution, inv.resolved_at, inv.resolved_by_id = "accepted", clock.now(), user.id
    inv.track_id = track.id
    audit.record(
        actor,
        "challenge.partner_joined",
        obj=track,
        agency_id=agency.id,
        role=_role(actor, agency),
        after={"challenge": challenge.slug},
    )
    audit.record(
        actor,
        "challenge.partner_joined",
        obj=track,
        agency_id=challenge.lead_agency_id,
        role=_role(actor, agency),
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
    inv.resolution, inv.resolved_at, inv.resolved_by_id = "declined", clock.now(), user.id
    audit.record(
        actor, "challenge.partner_declined", obj=inv, agency_id=inv.challenge.lead_agency_id
    )


# --- tracks -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrackSettings:
    name: dict[str, str]
    description: dict[str, str]
    languages: list[str]
    contact_email: str | None
    timezone: str
    # One statement per line and language; entrants tick each one when registering.
    attestations: dict[str, str] | None = None


def _check_attestations(raw: dict[str, str] | None, langs: list[str]) -> dict[str, list[str]]:
    statements = {
        code: [line.strip() for line in (raw or {}).get(code, "").splitlines() if line.strip()]
        for code in langs
    }
    statements = {code: lines for code, lines in statements.items() if lines}
    counts = {len(lines) for lines in statements.values()}
    if statements and (len(counts) > 1 or len(statements) != len(langs)):
        missing = next(code for code in langs if len(statements.get(code, [])) != max(counts))
        raise DomainError(
            _("Write the same statements in each of the track's languages, one per line."),
            field=f"attestations_{missing}",
        )
    if any(len(line) > 1000 for lines in statements.values() for line in lines):
        raise DomainError(
            _("Each statement must be 1,000 characters or fewer."), field=f"attestations_{langs[0]}"
        )
    return statements


def _require_track(actor: Actor, track: Track) -> None:
    if not permissions.can_edit_track(actor.user, track):
        raise NotFound(_("No such track."))


def update_track(actor: Actor, track: Track, data: TrackSettings) -> None:
    _require_track(actor, track)
    langs = [code for code in languages() if code in set(data.languages)]
    if not langs:
        raise DomainError(_("Select at least one language."), field="languages")
    name = _clean_texts(data.name, 200)
    missing = [code for code in langs if not name.get(code)]
    if missing:
        raise DomainError(
            _("Enter the track's name in each of its languages."), field=f"name_{missing[0]}"
        )
    if not is_valid_timezone(data.timezone):
        raise DomainError(_("Select a time zone from the list."), field="timezone")
    contact = None
    if data.contact_email and data.contact_email.strip():
        try:
            contact, _norm = check_email(data.contact_email)
        except DomainError as err:
            raise DomainError(err.message, field="contact_email") from err
    attestations = (
        _check_attestations(data.attestations, langs)
        if data.attestations is not None
        else track.attestations
    )
    before = {
        "name": track.name,
        "languages": track.languages,
        "timezone": track.timezone,
        "contact_email": track.contact_email,
        "attestations": track.attestations,
    }
    track.name, track.languages, track.timezone = name, langs, data.timezone
    track.description = _clean_texts(data.description)
    track.contact_email = contact
    track.attestations = attestations
    after = {
        "name": track.name,
        "languages": track.languages,
        "timezone": track.timezone,
        "contact_email": track.contact_email,
        "attestations": track.attestations,
    }
    if before != after:
        audit.record(
            actor,
            "track.updated",
            obj=track,
            agency_id=track.agency_id,
            role=_role(actor, track.agency),
            before=before,
            after=after,
        )


def update_rules(actor: Actor, track: Track, data: dict[str, Any]) -> None:
    """Validate and store the track's eligibility rules. Raises ``DomainError`` per field."""
    _require_track(actor, track)
    try:
        rules = parse_rules(data)
    except RulesError as err:
        raise DomainError(err.message, field=err.field) from err
    stored = rules_to_data(rules)
    if stored != track.rules:
        before = track.rules
        track.rules = stored
        audit.record(
            actor,
            "track.rules_updated",
            obj=track,
            agency_id=track.agency_id,
            role=_role(actor, track.agency),
            before=before,
            after=stored,
        )


@dataclass(frozen=True)
class PrizeData:
    label: dict[str, str]
    amount: str
    currency: str
    count: int | str
    condition: dict[str, str]


def parse_amount(text: str) -> Decimal | None:
    """A money amount typed in the user's language ("150,000.50" in English, "150 000,50" in
    French), or plain digits with a dot. ``None`` when it cannot be read unambiguously."""
    compact = re.sub(r"[\s\u00a0\u202f]", "", text)
    if re.fullmatch(r"\d+(\.\d+)?", compact):
        return Decimal(compact)
    try:
        value = parse_decimal(compact, locale=current_language(), strict=True)
    except NumberFormatError:
        return None
    return Decimal(value)


def _check_prize(data: PrizeData) -> tuple[Translations, Decimal, str, int, Translations]:
    label = _clean_texts(data.label, 200)
    if not label:
        raise DomainError(_("Name the prize in at least one language."), field="label_en")
    amount = parse_amount(str(data.amount))
    if amount is None:
        raise DomainError(_("Enter the amount as a number, e.g. 150000."), field="amount")
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        raise DomainError(_("Enter an amount from 0 to 999,999,999,999."), field="amount")
    if amount != amount.quantize(Decimal("0.01")):
        raise DomainError(_("Use at most two decimals."), field="amount")
    currency = data.currency.strip().upper()
    if pycountry.currencies.get(alpha_3=currency) is None:
        raise DomainError(_("Enter an ISO 4217 currency code, e.g. CAD or USD."), field="currency")
    try:
        count = int(data.count)
    except (TypeError, ValueError) as exc:
        raise DomainError(_("Enter how many of this prize are awarded."), field="count") from exc
    if not 1 <= count <= 1000:
        raise DomainError(
            _("Enter a number from %(low)d to %(high)d.", low=1, high=1000), field="count"
        )
    return label, amount, currency, count, _clean_texts(data.condition, 1000)


def save_prize(actor: Actor, track: Track, prize: Prize | None, data: PrizeData) -> Prize:
    _require_track(actor, track)
    if prize is not None and prize.track_id != track.id:
        raise NotFound(_("No such prize."))
    label, amount, currency, count, condition = _check_prize(data)
    before = None
    if prize is None:
        prize = Prize(track=track, position=len(track.prizes))
        db.session.add(prize)
    else:
        before = {
            "label": prize.label,
            "amount": str(prize.amount),
            "currency": prize.currency,
            "count": prize.count,
        }
    prize.label, prize.amount, prize.currency = label, amount, currency
    prize.count, prize.condition = count, condition
    db.session.flush()
    audit.record(
        actor,
        "track.prize_saved",
        obj=track,
        agency_id=track.agency_id,
        role=_role(actor, track.agency),
        before=before,
        after={"label": label, "amount": str(amount), "currency": currency, "count": count},
    )
    return prize


def get_prize(track: Track, prize_id: int) -> Prize:
    prize = db.session.get(Prize, prize_id)
    if prize is None or prize.track_id != track.id:
        raise NotFound(_("No such prize."))
    return prize


def delete_prize(actor: Actor, track: Track, prize: Prize) -> None:
    _require_track(actor, track)
    if prize.track_id != track.id:
        raise NotFound(_("No such prize."))
    audit.record(
        actor,
        "track.prize_deleted",
        obj=track,
        agency_id=track.agency_id,
        role=_role(actor, track.agency),
        before={"label": prize.label, "amount": str(prize.amount), "currency": prize.currency},
    )
    track.prizes.remove(prize)
    db.session.delete(prize)


def current_terms(track: Track) -> TermsVersion | None:
    return track.terms_versions[-1] if track.terms_versions else None


def publish_terms(actor: Actor, track: Track, body: dict[str, str]) -> TermsVersion | None:
    """Store the terms as a new version (an unchanged text makes no new version)."""
    _require_track(actor, track)
    cleaned = _clean_texts(body)
    missing = [code for code in track.languages if not cleaned.get(code)]
    if missing:
        raise DomainError(
            _("Write the terms in each of the track's languages."), field=f"body_{missing[0]}"
        )
    current = current_terms(track)
    if current is not None and current.body == cleaned:
        return None
    version = TermsVersion(
        track=track,
        version=(current.version + 1) if current else 1,
        body=cleaned,
        created_by_id=actor.user_id,
        created_at=clock.now(),
    )
    db.session.add(version)
    db.session.flush()
    audit.record(
        actor,
        "track.terms_published",
        obj=track,
        agency_id=track.agency_id,
        role=_role(actor, track.agency),
        after={"version": version.version},
    )
    return version


def readiness_problems(track: Track) -> list[str]:
    """What stops a track from being marked ready, in the current language."""
    problems = []
    missing = [code for code in track.languages if not track.name.get(code)]
    if missing:
        problems.append(_("The track needs a name in each of its languages."))
    if not track.contact_email:
        problems.append(_("Give a contact email address for entrants."))
    terms = current_terms(track)
    if terms is None:
        problems.append(_("Publish the terms and conditions."))
    elif any(not terms.body.get(code) for code in track.languages):
        problems.append(_("Publish the terms and conditions in each of the track's languages."))
    try:
        parse_rules(track.rules or {})
    except RulesError:
        problems.append(_("Fix the eligibility rules."))
    return problems


def mark_ready(actor: Actor, track: Track, ready: bool) -> None:
    if not permissions.can_mark_ready(actor.user, track):
        raise NotFound(_("No such track."))
    if ready:
        problems = readiness_problems(track)
        if problems:
            raise DomainError(" ".join(problems))
        if track.ready_at is not None:
            return
        track.ready_at = clock.now()
    else:
        if track.challenge.is_published:
            raise Conflict(_("The challenge is published: its tracks stay ready."))
        if track.ready_at is None:
            return
        track.ready_at = None
    audit.record(
        actor,
        "track.ready" if ready else "track.not_ready",
        obj=track,
        agency_id=track.agency_id,
        role=_role(actor, track.agency),
    )


# --- timeline -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundData:
    name: dict[str, str]
    instants: dict[str, datetime | None]


def _timeline_problems(challenge: Challenge) -> list[str]:
    rounds = sorted(challenge.rounds, key=lambda r: r.position)
    return check_sequence((r.name_in("en"), r.submission_deadline) for r in rounds)


def save_round(
    actor: Actor,
    challenge: Challenge,
    existing: Round | None,
    data: RoundData,
    reason: str | None = None,
) -> Round:
    """Create or change a round of the shared timeline (the same instants for every track).

    Once the challenge is published, moving a date needs a reason; each move is audited and
    recorded as a ``TimelineChange`` (outreach notifies entrants from it).
    """
    _require(permissions.can_manage_challenge(actor.user, challenge))
    if existing is not None and existing.challenge_id != challenge.id:
        raise NotFound(_("No such round."))
    name = _clean_texts(data.name, 200)
    if not name:
        raise DomainError(_("Name the round in at least one language."), field="name_en")
    problems = check_round(data.instants)
    if problems:
        raise DomainError(problems[0].message, field=problems[0].field)
    moved = []
    if existing is not None:
        moved = [f for f in ROUND_INSTANTS if getattr(existing, f) != data.instants.get(f)]
    published = challenge.is_published
    reason = (reason or "").strip()
    changes_timeline = published and (bool(moved) or existing is None)
    if changes_timeline and not reason:
        raise DomainError(
            _("The challenge is published: say why the timeline changes. Entrants will be told."),
            field="reason",
        )
    target = existing or Round(challenge=challenge, position=len(challenge.rounds))
    if existing is None:
        db.session.add(target)
    before = {f: getattr(target, f) for f in ROUND_INSTANTS} if existing else None
    target.name = name
    for field in ROUND_INSTANTS:
        setattr(target, field, data.instants.get(field))
    db.session.flush()
    sequence_problems = _timeline_problems(challenge)
    if sequence_problems:
        raise DomainError(sequence_problems[0], field="submission_deadline")
    if moved:
        target.sequence += 1
    if changes_timeline:
        # One change per moved instant; a new round is announced by its deadline.
        for field in moved if existing is not None else ["submission_deadline"]:
            db.session.add(
                TimelineChange(
                    challenge_id=challenge.id,
                    round_id=target.id,
                    field=field,
                    old_at=before.get(field) if before else None,
                    new_at=getattr(target, field),
                    reason=reason,
                    actor_id=actor.user_id,
                    at=clock.now(),
                )
            )
    audit.record(
        actor,
        "timeline.round_changed" if changes_timeline else "timeline.round_saved",
        obj=target,
        agency_id=challenge.lead_agency_id,
        role=_role(actor, challenge.lead_agency),
        before=before,
        after={
            **{f: getattr(target, f) for f in ROUND_INSTANTS},
            **({"reason": reason} if reason else {}),
        },
    )
    return target


def delete_round(actor: Actor, challenge: Challenge, target: Round) -> None:
    _require(permissions.can_manage_challenge(actor.user, challenge))
    if challenge.is_published:
        raise Conflict(_("A published challenge keeps its rounds; move their dates instead."))
    # Submissions belong to a later domain; ask its table without importing it.
    submissions = Challenge.metadata.tables.get("submission")
    if submissions is not None and db.session.scalar(
        select(submissions.c.id).where(submissions.c.round_id == target.id).limit(1)
    ):
        raise Conflict(_("Entries have answered this round; it cannot be deleted."))
    audit.record(
        actor,
        "timeline.round_deleted",
        obj=target,
        agency_id=challenge.lead_agency_id,
        before=target.instants(),
    )
    challenge.rounds.remove(target)
    db.session.delete(target)
    for position, r in enumerate(sorted(challenge.rounds, key=lambda r: r.position)):
        r.position = position


@dataclass(frozen=True)
class MilestoneData:
    name: dict[str, str]
    starts_at: datetime | None
    ends_at: datetime | None
    url: str | None


def save_milestone(
    actor: Actor,
    challenge: Challenge,
    existing: Milestone | None,
    track: Track | None,
    data: MilestoneData,
    reason: str | None = None,
) -> Milestone:
    """A shared milestone (lead agency) or one local to ``track`` (that track's agency).

    A track's agency can add local milestones but never move a shared one.
    """
    if existing is not None:
        if existing.challenge_id != challenge.id:
            raise NotFound(_("No such milestone."))
        track = existing.track
    if track is not None and track.challenge_id != challenge.id:
        raise NotFound(_("No such track."))
    if track is None:
        _require(permissions.can_manage_challenge(actor.user, challenge))
    else:
        _require_track(actor, track)
    name = _clean_texts(data.name, 200)
    if not name:
        raise DomainError(_("Name the milestone in at least one language."), field="name_en")
    if data.starts_at is None:
        raise DomainError(_("Enter when it starts."), field="starts_at")
    if data.ends_at is not None and data.ends_at <= data.starts_at:
        raise DomainError(_("It must end after it starts."), field="ends_at")
    url = (data.url or "").strip() or None
    if url and not re.match(r"^https?://\S+$", url):
        raise DomainError(_("Enter a web address starting with https://."), field="url")
    moved = existing is not None and (
        existing.starts_at != data.starts_at or existing.ends_at != data.ends_at
    )
    shared_and_published = track is None and challenge.is_published
    reason = (reason or "").strip()
    if shared_and_published and moved and not reason:
        raise DomainError(
            _("The challenge is published: say why the timeline changes. Entrants will be told."),
            field="reason",
        )
    target = existing or Milestone(challenge=challenge, track=track)
    if existing is None:
        db.session.add(target)
    old_start = existing.starts_at if existing else None
    target.name, target.url = name, url
    target.starts_at, target.ends_at = data.starts_at, data.ends_at
    if moved:
        target.sequence += 1
    db.session.flush()
    if shared_and_published and moved:
        db.session.add(
            TimelineChange(
                challenge_id=challenge.id,
                milestone_id=target.id,
                field="starts_at",
                old_at=old_start,
                new_at=target.starts_at,
                reason=reason,
                actor_id=actor.user_id,
                at=clock.now(),
            )
        )
    agency = track.agency if track else challenge.lead_agency
    audit.record(
        actor,
        "timeline.milestone_saved",
        obj=target,
        agency_id=agency.id,
        role=_role(actor, agency),
        after={
            "starts_at": target.starts_at,
            "ends_at": target.ends_at,
            "track": track.slug if track else None,
            **({"reason": reason} if reason else {}),
        },
    )
    return target


def delete_milestone(actor: Actor, challenge: Challenge, target: Milestone) -> None:
    if target.challenge_id != challenge.id:
        raise NotFound(_("No such milestone."))
    if target.track is None:
        _require(permissions.can_manage_challenge(actor.user, challenge))
    else:
        _require_track(actor, target.track)
    audit.record(
        actor,
        "timeline.milestone_deleted",
        obj=target,
        agency_id=(target.track.agency_id if target.track else challenge.lead_agency_id),
        before={"starts_at": target.starts_at},
    )
    challenge.milestones.remove(target)
    db.session.delete(target)


def timeline_changes(challenge: Challenge) -> list[TimelineChange]:
    return list(
        db.session.scalars(
            select(TimelineChange)
            .where(TimelineChange.challenge_id == challenge.id)
            .order_by(TimelineChange.at.desc())
        )
    )


# --- publication --------------------------------------------------------------------------


def publication_problems(challenge: Challenge) -> list[str]:
    problems = []
    not_ready = [t.name_in("en") for t in challenge.tracks if not t.is_ready]
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
    problems.extend(_timeline_problems(challenge))
    return problems


def publish(actor: Actor, challenge: Challenge) -> None:
    _require(permissions.can_manage_challenge(actor.user, challenge))
    if challenge.is_published:
        return
    problems = publication_problems(challenge)
    if problems:
        raise DomainError(" ".join(problems))
    challenge.status = ChallengeStatus.PUBLISHED
    challenge.published_at = clock.now()
    audit.record(
        actor,
        "challenge.published",
        obj=challenge,
        agency_id=challenge.lead_agency_id,
        role=_role(actor, challenge.lead_agency),
    )


# --- next edition -------------------------------------------------------------------------


def launch_next_edition(
    actor: Actor, challenge: Challenge, slug: str, offset_days: int
) -> Challenge:
    """A new draft copying tracks, rules, prizes, terms and the timeline shifted by the offset."""
    _require(permissions.can_manage_challenge(actor.user, challenge))
    slug = _check_slug(slug)
    if not -3660 <= offset_days <= 3660:
        raise DomainError(_("Enter an offset of at most ten years."), field="offset_days")
    if db.session.scalar(select(Challenge.id).where(Challenge.slug == slug)) is not None:
        raise Conflict(_("Another challenge already uses this short address."), field="slug")
    offset = timedelta(days=offset_days)
    zone = challenge.timezone
    copy = Challenge(
        slug=slug,
        lead_agency=challenge.lead_agency,
        status=ChallengeStatus.DRAFT,
        timezone=challenge.timezone,
        edition=challenge.edition + 1,
        previous_edition_id=challenge.id,
        created_by_id=actor.user_id,
        title=dict(challenge.title),
        summary=dict(challenge.summary),
        description=dict(challenge.description),
    )
    copy.search_text = _search_text(copy)
    db.session.add(copy)
    for track in challenge.tracks:
        new = Track(
            challenge=copy,
            agency=track.agency,
            slug=track.slug,
            position=track.position,
            name=dict(track.name),
            description=dict(track.description),
            languages=list(track.languages),
            contact_email=track.contact_email,
            timezone=track.timezone,
            rules=dict(track.rules),
            attestations=dict(track.attestations or {}),
        )
        db.session.add(new)
        for prize in track.prizes:
            db.session.add(
                Prize(
                    track=new,
                    position=prize.position,
                    label=dict(prize.label),
                    amount=prize.amount,
                    currency=prize.currency,
                    count=prize.count,
                    condition=dict(prize.condition),
                )
            )
        terms = current_terms(track)
        if terms is not None:
            db.session.add(
                TermsVersion(
                    track=new,
                    version=1,
                    body=dict(terms.body),
                    created_by_id=actor.user_id,
                    created_at=clock.now(),
                )
            )
        for milestone in challenge.milestones:
            if milestone.track_id == track.id:
                db.session.add(
                    Milestone(
                        challenge=copy,
                        track=new,
                        name=dict(milestone.name),
                        starts_at=_shift(milestone.starts_at, offset, zone),
                        ends_at=_shift(milestone.ends_at, offset, zone),
                        url=milestone.url,
                    )
                )
    for r in challenge.rounds:
        db.session.add(
            Round(
                challenge=copy,
                position=r.position,
                name=dict(r.name),
                **{f: _shift(getattr(r, f), offset, zone) for f in ROUND_INSTANTS},
            )
        )
    for milestone in challenge.milestones:
        if milestone.track_id is None:
            db.session.add(
                Milestone(
                    challenge=copy,
                    name=dict(milestone.name),
                    starts_at=_shift(milestone.starts_at, offset, zone),
                    ends_at=_shift(milestone.ends_at, offset, zone),
                    url=milestone.url,
                )
            )
    db.session.flush()
    audit.record(
        actor,
        "challenge.next_edition",
        obj=copy,
        agency_id=challenge.lead_agency_id,
        role=_role(actor, challenge.lead_agency),
        after={"from": challenge.slug, "offset_days": offset_days},
    )
    return copy


def _shift(instant: datetime | None, offset: timedelta, zone: str = "UTC") -> datetime | None:
    """Move ``instant`` by ``offset`` days keeping its wall-clock time in ``zone`` (a 17:00
    CDT deadline stays 17:00 local after a DST change)."""
    if instant is None:
        return None
    local = instant.astimezone(ZoneInfo(zone))
    return (local + offset).astimezone(UTC)


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
