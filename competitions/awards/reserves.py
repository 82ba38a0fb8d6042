"""Budget for success: the scale-up money an agency reserves for a challenge when it sets it
up (amount, currency, what it may fund), shown next to its track's prizes, drawn down by
pilots (``draw``) and counted with the challenge's costs (``reserved_in``).

Each agency taking part has at most one reserve per challenge, in one currency. Whether the
public sees it is the agency's choice (``public``): a published budget tells innovators that a
winner can scale, but an agency may not commit in public before its budget is appropriated.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from competitions.awards import permissions
from competitions.awards.models import Reserve, ReserveDraw
from competitions.awards.services import parse_money
from competitions.challenges.models import Challenge, Track
from competitions.core import audit
from competitions.core.actor import Actor
from competitions.core.errors import DomainError, NotFound
from competitions.core.extensions import db
from competitions.core.languages import SUPPORTED_LANGUAGES
from competitions.core.text import blocks_in, one_line
from competitions.core.translate import gettext as _

PURPOSE_MAX = 1000


@dataclass(frozen=True)
class ReserveData:
    amount: str
    currency: str
    purpose: dict[str, str]
    public: bool


def reserve_of(challenge: Challenge, agency_id: int) -> Reserve | None:
    return db.session.scalar(
        select(Reserve).where(Reserve.challenge_id == challenge.id, Reserve.agency_id == agency_id)
    )


def reserves_of(challenge: Challenge) -> list[Reserve]:
    return list(
        db.session.scalars(
            select(Reserve).where(Reserve.challenge_id == challenge.id).order_by(Reserve.id)
        )
    )


def set_reserve(actor: Actor, track: Track, data: ReserveData) -> Reserve:
    """Create or change the reserve of the track's agency for the track's challenge."""
    if not permissions.can_set_reserve(actor.user, track):
        raise NotFound(_("No such track."))
    amount, currency = parse_money(data.amount, data.currency)
    # Texts of languages the track no longer declares are kept.
    purpose = blocks_in(data.purpose, SUPPORTED_LANGUAGES)
    first = f"purpose_{(track.languages or ['en'])[0]}"
    if not any(code in purpose for code in track.languages or ["en"]):
        raise DomainError(
            _("Say what the budget may fund in at least one of the track's languages."), first
        )
    if any(len(v) > PURPOSE_MAX for v in purpose.values()):
        raise DomainError(_("Keep what it may fund to %(n)d characters.", n=PURPOSE_MAX), first)
    reserve = reserve_of(track.challenge, track.agency_id)
    if reserve is not None and reserve.draws:
        if currency != reserve.currency:
            raise DomainError(
                _("Pilots already drew on this budget: its currency cannot change."), "currency"
            )
        if amount < reserve.drawn:
            raise DomainError(
                _("Pilots already drew %(drawn)s: the budget cannot be less.", drawn=reserve.drawn),
                "amount",
            )
    after = {
        "amount": str(amount),
        "currency": currency,
        "purpose": purpose,
        "public": bool(data.public),
    }
    if reserve is None:
        reserve = Reserve(
            challenge_id=track.challenge_id,
            agency_id=track.agency_id,
            amount=amount,
            currency=currency,
            purpose=purpose,
            public=bool(data.public),
        )
        return audit.created(actor, "reserve.set", reserve, agency_id=track.agency_id, after=after)
    before = {
        "amount": str(reserve.amount),
        "currency": reserve.currency,
        "purpose": reserve.purpose,
        "public": reserve.public,
    }
    reserve.amount, reserve.currency = amount, currency
    reserve.purpose, reserve.public = purpose, bool(data.public)
    audit.record(
        actor, "reserve.changed", obj=reserve, agency_id=track.agency_id, before=before, after=after
    )
    return reserve


def draw(actor: Actor, reserve: Reserve, amount: Decimal, purpose: str) -> ReserveDraw:
    """Take ``amount`` (in the reserve's currency) from the reserve, for a pilot: never more
    than is left. The caller checks who may draw (the pilot's host agency)."""
    purpose = one_line(purpose)[:400]
    if not purpose:
        raise DomainError(_("Say what the money is drawn for."), "purpose")
    if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise DomainError(_("Enter an amount from 0.01 with at most two decimals."), "amount")
    if amount > reserve.available:
        raise DomainError(
            _(
                "Only %(left)s %(currency)s is left in this budget.",
                left=reserve.available,
                currency=reserve.currency,
            ),
            "amount",
        )
    row = ReserveDraw(reserve=reserve, amount=amount, purpose=purpose, drawn_by_id=actor.user_id)
    db.session.add(row)
    db.session.flush()
    audit.record(
        actor,
        "reserve.drawn",
        obj=reserve,
        agency_id=reserve.agency_id,
        after={"amount": str(amount), "purpose": purpose, "left": str(reserve.available)},
    )
    return row


def reserved_in(challenge: Challenge) -> dict[str, Decimal]:
    """The challenge's budgets for success per currency (for the cost per outcome)."""
    out: dict[str, Decimal] = {}
    for r in reserves_of(challenge):
        out[r.currency] = out.get(r.currency, Decimal("0")) + r.amount
    return out
