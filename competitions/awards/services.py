"""Awards: recorded by a track's agency from its released results, their prize conditions
satisfied with evidence the winners send through the entry's eligibility documents, then
approved and paid.

The life of an award::

    pending_conditions --(every condition satisfied; admin approves)--> approved
    approved --(admin records the payment: date and reference)--> paid

A condition is satisfied when the agency verifies its evidence (``entries.documents.review``
sends ``document_reviewed``; ``evidence_reviewed`` below receives it). The award keeps the
number of its open conditions, which the database requires to be 0 before approval. Every
change is audited on the award; the winners are emailed (through the outbox, in their own
language) when the award is recorded and when a condition's evidence is reviewed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pycountry
from flask_babel import force_locale
from sqlalchemy import select

from competitions.awards import permissions
from competitions.awards.models import Award, AwardCondition, AwardStatus, ConditionStatus
from competitions.challenges.eligibility import EntrantType, PrizeCondition, Status, rules_or_none
from competitions.challenges.models import Prize, Round, Track
from competitions.challenges.services.tracks import parse_amount
from competitions.core import audit, clock, mail
from competitions.core.actor import Actor
from competitions.core.audit import AuditEvent
from competitions.core.errors import DomainError, NotFound
from competitions.core.extensions import db
from competitions.core.text import lines_in, one_line
from competitions.core.translate import gettext as _
from competitions.core.translate import lazy_gettext as _l
from competitions.core.translate import ngettext
from competitions.core.urls import external_url
from competitions.entries import documents
from competitions.entries.models import (
    DocumentRequirement,
    DocumentScope,
    DocumentStatus,
    EligibilityDocument,
    Entry,
    Team,
)
from competitions.judging.models import Advancement
from competitions.judging.rubrics import last_stage_of

EVIDENCE_TYPES = ["pdf", "png", "jpeg"]
EVIDENCE_MAX_MB = 10
MAX_CONDITIONS = 10
REFERENCE_MAX = 120

STATUS_LABELS = {
    AwardStatus.PENDING_CONDITIONS: _l("Pending conditions"),
    AwardStatus.APPROVED: _l("Approved for payment"),
    AwardStatus.PAID: _l("Paid"),
}
ACTION_LABELS = {
    "award.recorded": _l("Award recorded"),
    "award.condition_satisfied": _l("Evidence verified: condition satisfied"),
    "award.evidence_rejected": _l("Evidence rejected: condition open"),
    "award.approved": _l("Approved for payment"),
    "award.paid": _l("Payment recorded"),
}
CONDITION_LABELS = {
    ConditionStatus.OPEN: _l("To satisfy"),
    ConditionStatus.SATISFIED: _l("Satisfied"),
}


def award_action(action: str) -> str:
    """What an audit event of an award says, in the current language."""
    return str(ACTION_LABELS.get(action, action))


# --- the winners a track may award --------------------------------------------------------


@dataclass(frozen=True)
class Winner:
    """An active entry of the track that advanced at the last stage of a released round."""

    entry: Entry
    round: Round
    rank: int | None


def released_winners(track: Track) -> list[Winner]:
    """The track's winners in every round whose results are out (one query)."""
    challenge = track.challenge
    if not challenge.is_published:
        return []
    rows = db.session.execute(
        select(Advancement, Entry, Round)
        .join(Entry, Entry.id == Advancement.entry_id)
        .join(Round, Round.id == Advancement.round_id)
        .where(
            Entry.track_id == track.id,
            Entry.withdrawn_at.is_(None),
            Round.challenge_id == challenge.id,
            Round.results_at <= clock.now(),
            Advancement.advancing.is_(True),
            Advancement.stage == last_stage_of(Advancement.round_id),
        )
        .order_by(Round.position, Advancement.rank, Advancement.entry_id)
    ).all()
    return [Winner(entry, round_, a.rank) for a, entry, round_ in rows]


def track_conditions(track: Track) -> list[PrizeCondition]:
    """The prize conditions of the track's rules, in their order (none while the rules do
    not parse)."""
    rules = rules_or_none(track.rules)
    return list(rules.prize_conditions) if rules is not None else []


def applicable_indexes(track: Track, entry: Entry) -> list[int]:
    """Which of the track's prize conditions apply to the entry's team (its entrant type)."""
    kind = EntrantType(entry.team.entrant_type)
    return [i for i, c in enumerate(track_conditions(track)) if c.applies_to(kind)]


# --- recording an award -------------------------------------------------------------------


@dataclass(frozen=True)
class AwardData:
    winner: str  # "<round id>:<entry id>"
    prize_id: int | None
    amount: str
    currency: str
    conditions: list[int] = field(default_factory=list)  # indexes in the track's conditions


def parse_money(amount_text: str, currency_text: str) -> tuple[Decimal, str]:
    """A positive amount with at most two decimals and an ISO 4217 currency, or a
    ``DomainError`` on the field at fault."""
    amount = parse_amount(str(amount_text or ""))
    if amount is None:
        raise DomainError(_("Enter the amount as a number, e.g. 150000."), "amount")
    if not amount.is_finite() or amount <= 0 or amount >= Decimal("1e12"):
        raise DomainError(_("Enter an amount from 0.01 to 999,999,999,999."), "amount")
    if amount != amount.quantize(Decimal("0.01")):
        raise DomainError(_("Use at most two decimals."), "amount")
    currency = (currency_text or "").strip().upper()
    if not currency:
        raise DomainError(_("Select the currency."), "currency")
    if (
        not re.fullmatch(r"[A-Z]{3}", currency)
        or pycountry.currencies.get(alpha_3=currency) is None
    ):
        raise DomainError(
            _("%(code)s is not an ISO 4217 currency. Choose one from the list.", code=currency),
            "currency",
        )
    return amount, currency


def _winner(track: Track, key: str) -> Winner:
    round_id, _sep, entry_id = (key or "").partition(":")
    found = next(
        (
            w
            for w in released_winners(track)
            if str(w.round.id) == round_id and str(w.entry.id) == entry_id
        ),
        None,
    )
    if found is None:
        raise DomainError(_("Choose a winner of released results."), "winner")
    return found


def record_award(actor: Actor, track: Track, data: AwardData) -> Award:
    """Record that a winning entry of the track receives a prize, with the prize conditions
    that apply; each condition opens an evidence slot in the entry's documents."""
    if not permissions.can_manage_awards(actor.user, track):
        raise NotFound(_("No such track."))
    winner = _winner(track, data.winner)
    entry = winner.entry
    if entry.effective_eligibility != Status.ELIGIBLE:
        raise DomainError(
            _("This entry takes part for recognition only: it cannot receive prize money."),
            "winner",
        )
    prize = _prize_left(track, entry, data.prize_id)
    amount, currency = parse_money(data.amount, data.currency)
    applicable = [dict(c.text) for c in track_conditions(track)]
    chosen = sorted(set(data.conditions))
    if any(not 0 <= i < len(applicable) for i in chosen):
        raise DomainError(_("Choose among the track's prize conditions."), "conditions")
    if len(chosen) > MAX_CONDITIONS:
        raise DomainError(_("An award has at most %(n)d conditions.", n=MAX_CONDITIONS))
    award = Award(
        track=track,
        entry=entry,
        round_id=winner.round.id,
        prize=prize,
        prize_label=dict(prize.label),
        amount=amount,
        currency=currency,
        status=AwardStatus.PENDING_CONDITIONS,
        open_conditions=len(chosen),
        recorded_by_id=actor.user_id,
    )
    for position, index in enumerate(chosen):
        text = lines_in(applicable[index], track.languages or list(applicable[index]))
        text = text or {k: one_line(v) for k, v in applicable[index].items() if v}
        requirement = DocumentRequirement(
            track=track,
            entry_id=entry.id,
            position=position,
            scope=DocumentScope.TEAM.value,
            label=text,
            help=_evidence_help(track),
            file_types=list(EVIDENCE_TYPES),
            max_size_mb=EVIDENCE_MAX_MB,
        )
        award.conditions.append(
            AwardCondition(position=position, text=text, requirement=requirement)
        )
    audit.created(
        actor,
        "award.recorded",
        award,
        agency_id=track.agency_id,
        after={
            "entry": entry.id,
            "round": winner.round.id,
            "prize": prize.id,
            "amount": str(amount),
            "currency": currency,
            "conditions": [c.text for c in award.conditions],
        },
    )
    _tell_team(
        award,
        "awards/recorded",
        lambda track: _(
            "%(team)s is awarded a prize in %(track)s", team=entry.team.name, track=track
        ),
    )
    return award


def _prize_left(track: Track, entry: Entry, prize_id: int | None) -> Prize:
    """The track's prize to give the entry, locked (on PostgreSQL) so that two admins cannot
    give more of it than it counts: refused when the entry has it or none is left."""
    prize = db.session.get(Prize, prize_id, with_for_update=True) if prize_id else None
    if prize is None or prize.track_id != track.id:
        raise DomainError(_("Choose one of the track's prizes."), "prize")
    given = db.session.scalars(select(Award).where(Award.prize_id == prize.id)).all()
    if any(a.entry_id == entry.id for a in given):
        raise DomainError(_("This entry already has this prize."), "prize")
    if len(given) >= prize.count:
        raise DomainError(
            ngettext(
                "This prize is given %(num)d time: it is already awarded.",
                "This prize is given %(num)d times: all are already awarded.",
                prize.count,
            ),
            "prize",
        )
    return prize


def _evidence_help(track: Track) -> dict[str, str]:
    """The hint shown next to an evidence slot, in each of the track's languages."""
    out = {}
    for code in track.languages or ["en"]:
        with force_locale(code):
            out[code] = _("Send the document that shows this prize condition is met.")
    return out


# --- conditions: the evidence's review ----------------------------------------------------


def condition_of_requirement(requirement_id: int) -> AwardCondition | None:
    return db.session.scalar(
        select(AwardCondition).where(AwardCondition.requirement_id == requirement_id)
    )


@documents.document_reviewed.connect
def evidence_reviewed(document: EligibilityDocument, actor: Actor, decision: str) -> None:
    """The agency verified (the condition is satisfied) or rejected (it is open again) the
    evidence of a prize condition; refused once the award is approved."""
    if document.requirement.entry_id is None:
        return  # an ordinary eligibility document
    condition = condition_of_requirement(document.requirement_id)
    if condition is None:
        return
    award = _locked(condition.award)
    if not award.is_pending:
        raise DomainError(
            _("This award is already approved: the evidence of its conditions is settled.")
        )
    before = {"condition": condition.id, "status": condition.status}
    if decision == DocumentStatus.VERIFIED:
        if condition.status == ConditionStatus.OPEN:
            award.open_conditions -= 1
        condition.status = ConditionStatus.SATISFIED
        condition.satisfied_at = clock.now()
        condition.satisfied_by_id = actor.user_id
        condition.evidence_id = document.id
        action = "award.condition_satisfied"
    else:
        if condition.status == ConditionStatus.SATISFIED:
            award.open_conditions += 1
        condition.status = ConditionStatus.OPEN
        condition.satisfied_at = condition.satisfied_by_id = condition.evidence_id = None
        action = "award.evidence_rejected"
    db.session.flush()
    audit.record(
        actor,
        action,
        obj=award,
        agency_id=award.track.agency_id,
        before=before,
        after={
            "condition": condition.id,
            "status": condition.status,
            "document": document.id,
            "reason": document.review_reason,
        },
    )
    _tell_team(
        award,
        "awards/condition_reviewed",
        lambda track: _("A prize condition of your award in %(track)s was reviewed", track=track),
        condition=condition,
        document=document,
    )


# --- approval and payment -----------------------------------------------------------------


def _require_manager(actor: Actor, award: Award) -> None:
    if not permissions.can_manage_awards(actor.user, award.track):
        raise NotFound(_("No such award."))


def _locked(award: Award) -> Award:
    """The award re-read under a row lock (on PostgreSQL), so a review of its evidence and
    its approval or payment happen one after the other, each seeing the other's result."""
    # The lock on the award's row alone (its joined relations would make an outer join,
    # which PostgreSQL does not lock), then its current values.
    db.session.execute(select(Award.id).where(Award.id == award.id).with_for_update())
    db.session.refresh(award)
    return award


def approve(actor: Actor, award: Award) -> None:
    """Approve the award for payment: every condition must be satisfied."""
    _require_manager(actor, award)
    _locked(award)
    if award.status != AwardStatus.PENDING_CONDITIONS:
        raise DomainError(_("This award is already approved."))
    open_ = [c for c in award.conditions if not c.is_satisfied]
    if open_ or award.open_conditions:
        raise DomainError(
            ngettext(
                "%(num)d prize condition is not satisfied yet: verify its evidence first.",
                "%(num)d prize conditions are not satisfied yet: verify their evidence first.",
                max(len(open_), award.open_conditions),
            )
        )
    now = clock.now()
    award.status = AwardStatus.APPROVED
    award.approved_at = now
    award.approved_by_id = actor.user_id
    # The evidence is settled: its slots leave the entry's documents (the documents stay).
    for condition in award.conditions:
        condition.requirement.retired_at = now
    audit.record(
        actor,
        "award.approved",
        obj=award,
        agency_id=award.track.agency_id,
        before={"status": AwardStatus.PENDING_CONDITIONS.value},
        after={"status": AwardStatus.APPROVED.value},
    )


def mark_paid(actor: Actor, award: Award, paid_on: date | None, reference: str) -> None:
    """Record the payment of an approved award: the date it was paid and its reference (a
    transfer or voucher number)."""
    _require_manager(actor, award)
    _locked(award)
    if award.status == AwardStatus.PAID:
        raise DomainError(_("This award is already paid."))
    if award.status != AwardStatus.APPROVED:
        raise DomainError(_("Approve the award before recording its payment."))
    if paid_on is None:
        raise DomainError(_("Enter the date of the payment."), "paid_on")
    today = clock.now().date()
    if paid_on > today + timedelta(days=1):
        raise DomainError(_("The payment date cannot be in the future."), "paid_on")
    reference = one_line(reference)
    if not reference:
        raise DomainError(_("Enter the payment's reference."), "reference")
    if len(reference) > REFERENCE_MAX:
        raise DomainError(
            _("The reference must be %(n)d characters or fewer.", n=REFERENCE_MAX), "reference"
        )
    award.status = AwardStatus.PAID
    award.paid_on = paid_on
    award.payment_reference = reference
    award.paid_recorded_at = clock.now()
    award.paid_by_id = actor.user_id
    audit.record(
        actor,
        "award.paid",
        obj=award,
        agency_id=award.track.agency_id,
        before={"status": AwardStatus.APPROVED.value},
        after={"status": "paid", "paid_on": paid_on.isoformat(), "reference": reference},
    )


# --- reading ------------------------------------------------------------------------------


def get_award(award_id: int) -> Award:
    award = db.session.get(Award, award_id)
    if award is None:
        raise NotFound(_("No such award."))
    return award


def awards_of_track(track: Track) -> list[Award]:
    return list(
        db.session.scalars(
            select(Award).where(Award.track_id == track.id).order_by(Award.id)
        ).unique()
    )


def awards_of_entry(entry: Entry) -> list[Award]:
    return list(
        db.session.scalars(
            select(Award).where(Award.entry_id == entry.id).order_by(Award.id)
        ).unique()
    )


def awards_of_team(team: Team) -> list[Award]:
    return list(
        db.session.scalars(
            select(Award)
            .join(Entry, Entry.id == Award.entry_id)
            .where(Entry.team_id == team.id)
            .order_by(Award.id)
        ).unique()
    )


@dataclass
class Totals:
    """Money per currency and payout status (Decimal, never mixed across currencies)."""

    rows: dict[str, dict[str, Decimal]]

    @property
    def currencies(self) -> list[str]:
        return sorted(self.rows)


def totals(awards: list[Award]) -> Totals:
    rows: dict[str, dict[str, Decimal]] = defaultdict(
        lambda: dict.fromkeys([s.value for s in AwardStatus], Decimal("0"))
    )
    for a in awards:
        rows[a.currency][a.status] += a.amount
    return Totals(dict(rows))


def evidence_of(award: Award) -> dict[int, EligibilityDocument | None]:
    """Each condition's current evidence document (or None), by condition id (one query)."""
    ids = [c.requirement_id for c in award.conditions]
    current = (
        {
            d.requirement_id: d
            for d in db.session.scalars(
                select(EligibilityDocument).where(
                    EligibilityDocument.requirement_id.in_(ids),
                    EligibilityDocument.superseded_at.is_(None),
                )
            )
        }
        if ids
        else {}
    )
    return {c.id: current.get(c.requirement_id) for c in award.conditions}


def history(award: Award) -> list[AuditEvent]:
    """Every change of the award, oldest first."""
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "award", AuditEvent.object_id == str(award.id))
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )


# --- notices ------------------------------------------------------------------------------


def _tell_team(award: Award, template: str, subject: Callable[[str], str], **context: Any) -> None:
    """Email every member of the winning team, in their own language, through the outbox;
    ``subject(track name)`` is called in the recipient's language."""
    link = external_url("awards.award", award_id=award.id)
    for member in award.entry.team.members:
        user = member.user
        lang = user.preferred_language or "en"
        track = award.track.name_in(lang)
        with force_locale(lang):
            title = subject(track)
        mail.send_after_commit(
            mail.render_mail(
                template,
                user.email,
                lang,
                title,
                award=award,
                team=award.entry.team.name,
                track=track,
                prize=award.prize_in(lang),
                link=link,
                **context,
            )
        )
