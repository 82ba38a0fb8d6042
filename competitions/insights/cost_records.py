"""Recording costs: an agency's cost lines on a challenge, and the lead agency's reporting
currency and exchange rates. Services take the acting user, check it, validate plain values
(amounts as typed, ISO 4217 codes, ISO dates) and write audit events; they never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

import pycountry
import sqlalchemy as sa

from competitions.agencies.services import record_in
from competitions.challenges.models import Challenge, Track
from competitions.challenges.services.tracks import parse_amount
from competitions.core.actor import Actor
from competitions.core.errors import DomainError, NotFound, PermissionDenied
from competitions.core.extensions import db
from competitions.core.i18n import territory_currency
from competitions.core.translate import gettext as _
from competitions.insights import permissions
from competitions.insights.models import CostCategory, CostLine, CostSettings, ExchangeRate

MAX_AMOUNT = Decimal("1e12")
EARLIEST = date(2000, 1, 1)
NOTE_MAX = 300


@dataclass(frozen=True)
class CostLineData:
    category: str
    amount: str
    currency: str
    spent_on: str | date | None
    note: str = ""


@dataclass(frozen=True)
class RateData:
    from_currency: str
    rate: str
    rate_date: str | date | None


def check_currency(raw: str | None, field: str) -> str:
    code = (raw or "").strip().upper()
    if not code:
        raise DomainError(_("Select the currency."), field=field)
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise DomainError(
            _("%(code)s is not an ISO 4217 currency. Choose one from the list.", code=code[:12]),
            field=field,
        )
    return code


def _check_date(raw: str | date | None, field: str) -> date:
    if isinstance(raw, date):
        day = raw
    else:
        text = (raw or "").strip()
        if not text:
            raise DomainError(_("Enter the date, e.g. 2026-11-30."), field=field)
        try:
            day = date.fromisoformat(text)
        except ValueError as exc:
            raise DomainError(
                _("Enter a real date as year-month-day, e.g. 2026-11-30."), field=field
            ) from exc
    if not EARLIEST <= day <= date(2100, 12, 31):
        raise DomainError(_("Enter a date from 2000 to 2100."), field=field)
    return day


def _check_amount(raw: str) -> Decimal:
    amount = parse_amount(str(raw or "").strip())
    if amount is None:
        raise DomainError(_("Enter the amount as a number, e.g. 12000."), field="amount")
    if not amount.is_finite() or amount < 0:
        raise DomainError(_("An amount cannot be negative."), field="amount")
    if amount >= MAX_AMOUNT:
        raise DomainError(_("Enter an amount from 0 to 999,999,999,999."), field="amount")
    if amount != amount.quantize(Decimal("0.01")):
        raise DomainError(_("Use at most two decimals."), field="amount")
    return amount


def _check_line(data: CostLineData) -> tuple[str, Decimal, str, date, str]:
    category = (data.category or "").strip()
    if category not in {c.value for c in CostCategory}:
        raise DomainError(_("Choose the kind of cost."), field="category")
    amount = _check_amount(data.amount)
    currency = check_currency(data.currency, "currency")
    spent_on = _check_date(data.spent_on, "spent_on")
    note = " ".join((data.note or "").split())
    if len(note) > NOTE_MAX:
        raise DomainError(_("Keep the note under %(max)d characters.", max=NOTE_MAX), field="note")
    return category, amount, currency, spent_on, note


def _require_recorder(actor: Actor, track: Track) -> None:
    if not permissions.can_record_costs(actor.user, track):
        raise PermissionDenied(_("You may not record this agency's costs."), obj=track)


def lines_of(challenge: Challenge, agency_id: int) -> list[CostLine]:
    return list(
        db.session.scalars(
            sa.select(CostLine)
            .where(CostLine.challenge_id == challenge.id, CostLine.agency_id == agency_id)
            .order_by(CostLine.spent_on, CostLine.id)
        )
    )


def add_line(actor: Actor, track: Track, data: CostLineData) -> CostLine:
    """Record a cost line of the track's agency on the track's challenge."""
    _require_recorder(actor, track)
    category, amount, currency, spent_on, note = _check_line(data)
    line = CostLine(
        challenge_id=track.challenge_id,
        agency_id=track.agency_id,
        category=category,
        amount=amount,
        currency=currency,
        spent_on=spent_on,
        note=note,
        created_by_id=actor.user_id,
    )
    db.session.add(line)
    db.session.flush()
    record_in(
        actor,
        track.agency,
        "cost.line_added",
        line,
        after={
            "challenge": track.challenge.slug,
            "category": category,
            "amount": str(amount),
            "currency": currency,
            "spent_on": spent_on.isoformat(),
            "note": note,
        },
    )
    return line


def get_line(track: Track, line_id: int) -> CostLine:
    line = db.session.get(CostLine, line_id)
    if line is None or (line.challenge_id, line.agency_id) != (track.challenge_id, track.agency_id):
        raise NotFound(_("No such cost line."))
    return line


def delete_line(actor: Actor, track: Track, line: CostLine) -> None:
    _require_recorder(actor, track)
    if (line.challenge_id, line.agency_id) != (track.challenge_id, track.agency_id):
        raise NotFound(_("No such cost line."))
    record_in(
        actor,
        track.agency,
        "cost.line_deleted",
        line,
        before={
            "challenge": track.challenge.slug,
            "category": line.category,
            "amount": str(line.amount),
            "currency": line.currency,
            "spent_on": line.spent_on.isoformat(),
        },
    )
    db.session.delete(line)
    db.session.flush()


# The lead agency's settings: the reporting currency and the exchange rates.


def default_currency(challenge: Challenge) -> str:
    """Until the lead chooses: the currency of the lead agency's jurisdiction, else EUR."""
    return territory_currency(challenge.lead_agency.jurisdiction or "") or "EUR"


def reporting_currency(challenge: Challenge) -> tuple[str, bool]:
    """The reporting currency, and whether the lead chose it (else it is the default)."""
    settings = db.session.get(CostSettings, challenge.id)
    if settings is None:
        return default_currency(challenge), False
    return settings.reporting_currency, True


def _require_lead(actor: Actor, challenge: Challenge) -> None:
    if not permissions.can_set_rates(actor.user, challenge):
        raise PermissionDenied(_("Only the lead agency enters exchange rates."), obj=challenge)


def set_reporting_currency(actor: Actor, challenge: Challenge, raw: str) -> str:
    _require_lead(actor, challenge)
    code = check_currency(raw, "reporting_currency")
    settings = db.session.get(CostSettings, challenge.id)
    before = settings.reporting_currency if settings is not None else None
    if settings is None:
        settings = CostSettings(challenge_id=challenge.id, reporting_currency=code)
        db.session.add(settings)
    settings.reporting_currency = code
    db.session.flush()
    record_in(
        actor,
        challenge.lead_agency,
        "cost.currency_set",
        challenge,
        before={"reporting_currency": before} if before else None,
        after={"reporting_currency": code},
    )
    return code


def rates_of(challenge: Challenge) -> list[ExchangeRate]:
    return list(
        db.session.scalars(
            sa.select(ExchangeRate)
            .where(ExchangeRate.challenge_id == challenge.id)
            .order_by(ExchangeRate.to_currency, ExchangeRate.from_currency)
        )
    )


def _check_rate(raw: str) -> Decimal:
    text = str(raw or "").strip().replace("\u00a0", "").replace(" ", "")
    try:
        rate = Decimal(text.replace(",", "."))
    except InvalidOperation as exc:
        raise DomainError(_("Enter the rate as a number, e.g. 0.68."), field="rate") from exc
    if not rate.is_finite() or rate <= 0:
        raise DomainError(_("A rate must be more than 0."), field="rate")
    if rate >= Decimal("1e9") or rate != rate.quantize(Decimal("1e-8")):
        raise DomainError(
            _("Enter a rate below 1,000,000,000 with at most 8 decimals."), field="rate"
        )
    return rate


def save_rate(actor: Actor, challenge: Challenge, data: RateData) -> ExchangeRate:
    """Enter (or replace) the rate of a currency into the reporting currency."""
    _require_lead(actor, challenge)
    to_currency, _chosen = reporting_currency(challenge)
    from_currency = check_currency(data.from_currency, "from_currency")
    if from_currency == to_currency:
        raise DomainError(
            _("%(code)s is the reporting currency: it needs no rate.", code=to_currency),
            field="from_currency",
        )
    rate = _check_rate(data.rate)
    day = _check_date(data.rate_date, "rate_date")
    row = db.session.scalar(
        sa.select(ExchangeRate).where(
            ExchangeRate.challenge_id == challenge.id,
            ExchangeRate.from_currency == from_currency,
            ExchangeRate.to_currency == to_currency,
        )
    )
    before = None
    if row is None:
        row = ExchangeRate(
            challenge_id=challenge.id, from_currency=from_currency, to_currency=to_currency
        )
        db.session.add(row)
    else:
        before = {"rate": str(row.rate), "rate_date": row.rate_date.isoformat()}
    row.rate, row.rate_date, row.created_by_id = rate, day, actor.user_id
    db.session.flush()
    record_in(
        actor,
        challenge.lead_agency,
        "cost.rate_saved",
        row,
        before=before,
        after={
            "challenge": challenge.slug,
            "rate": str(rate),
            "rate_date": day.isoformat(),
        },
    )
    return row


def delete_rate(actor: Actor, challenge: Challenge, rate_id: int) -> None:
    _require_lead(actor, challenge)
    row = db.session.get(ExchangeRate, rate_id)
    if row is None or row.challenge_id != challenge.id:
        raise NotFound(_("No such exchange rate."))
    record_in(
        actor,
        challenge.lead_agency,
        "cost.rate_deleted",
        row,
        before={"rate": str(row.rate), "rate_date": row.rate_date.isoformat()},
    )
    db.session.delete(row)
    db.session.flush()


def default_currency_of(track: Track) -> str:
    """The currency a new cost line of the track's agency starts with: its jurisdiction's."""
    return territory_currency(track.agency.jurisdiction or "") or "EUR"
