"""A track, configured by its own agency: settings, eligibility rules, prizes, terms, and
readiness (what stops it from being marked ready, and marking it)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pycountry
from babel.numbers import NumberFormatError, parse_decimal

from competitions.accounts.services import check_email
from competitions.agencies.services import record_in
from competitions.challenges import permissions
from competitions.challenges.eligibility import RulesError, parse_rules, rules_to_data
from competitions.challenges.models import Prize, TermsVersion, Track, Translations
from competitions.challenges.services import clean_lines, clean_texts, current_terms, get_owned
from competitions.core import clock
from competitions.core.actor import Actor
from competitions.core.errors import Conflict, DomainError, NotFound
from competitions.core.extensions import db
from competitions.core.i18n import current_language, is_valid_timezone, languages
from competitions.core.text import one_line
from competitions.core.translate import gettext as _
from competitions.core.translate import lazy_gettext as _l


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
        code: [line for line in map(one_line, (raw or {}).get(code, "").splitlines()) if line]
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


def _require_editor(actor: Actor, track: Track) -> None:
    if not permissions.can_edit_track(actor.user, track):
        raise NotFound(_("No such track."))


def update_track(actor: Actor, track: Track, data: TrackSettings) -> None:
    _require_editor(actor, track)
    langs = [code for code in languages() if code in set(data.languages)]
    if not langs:
        raise DomainError(_("Select at least one language."), field="languages")
    name = clean_lines(data.name, 200)
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
        {  # the statements of languages the track no longer declares are kept
            **{k: v for k, v in (track.attestations or {}).items() if k not in langs},
            **_check_attestations(data.attestations, langs),
        }
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
    track.description = clean_texts(data.description)
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
        record_in(
            actor,
            track.agency,
            "track.updated",
            track,
            before=before,
            after=after,
        )


def update_rules(actor: Actor, track: Track, data: dict[str, Any]) -> None:
    """Validate and store the track's eligibility rules. Raises ``DomainError`` per field."""
    _require_editor(actor, track)
    try:
        rules = parse_rules(data)
    except RulesError as err:
        raise DomainError(err.message, field=err.field) from err
    stored = rules_to_data(rules)
    if stored != track.rules:
        before = track.rules
        track.rules = stored
        record_in(
            actor,
            track.agency,
            "track.rules_updated",
            track,
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
    label = clean_lines(data.label, 200)
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
    if not currency:
        raise DomainError(_("Select the currency."), field="currency")
    if pycountry.currencies.get(alpha_3=currency) is None:
        raise DomainError(
            _("%(code)s is not an ISO 4217 currency. Choose one from the list.", code=currency),
            field="currency",
        )
    try:
        count = int(data.count)
    except (TypeError, ValueError) as exc:
        raise DomainError(_("Enter how many of this prize are awarded."), field="count") from exc
    if not 1 <= count <= 1000:
        raise DomainError(
            _("Enter a number from %(low)d to %(high)d.", low=1, high=1000), field="count"
        )
    return label, amount, currency, count, clean_lines(data.condition, 1000)


def save_prize(actor: Actor, track: Track, prize: Prize | None, data: PrizeData) -> Prize:
    _require_editor(actor, track)
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
    record_in(
        actor,
        track.agency,
        "track.prize_saved",
        track,
        before=before,
        after={"label": label, "amount": str(amount), "currency": currency, "count": count},
    )
    return prize


def get_prize(track: Track, prize_id: int) -> Prize:
    return get_owned(Prize, prize_id, _l("No such prize."), track_id=track.id)


def delete_prize(actor: Actor, track: Track, prize: Prize) -> None:
    _require_editor(actor, track)
    if prize.track_id != track.id:
        raise NotFound(_("No such prize."))
    record_in(
        actor,
        track.agency,
        "track.prize_deleted",
        track,
        before={"label": prize.label, "amount": str(prize.amount), "currency": prize.currency},
    )
    track.prizes.remove(prize)
    db.session.delete(prize)


def publish_terms(actor: Actor, track: Track, body: dict[str, str]) -> TermsVersion | None:
    """Store the terms as a new version (an unchanged text makes no new version)."""
    _require_editor(actor, track)
    cleaned = clean_texts(body)
    missing = [code for code in track.languages if not cleaned.get(code)]
    if missing:
        raise DomainError(
            _("Write the terms in each of the track's languages."), field=f"body_{missing[0]}"
        )
    current = current_terms(track)
    # Compared as cleaned: terms stored before with "\r\n" line breaks are the same text.
    if current is not None and clean_texts(current.body) == cleaned:
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
    record_in(
        actor,
        track.agency,
        "track.terms_published",
        track,
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
    record_in(actor, track.agency, "track.ready" if ready else "track.not_ready", track)
