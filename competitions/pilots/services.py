"""Pilots: offered by a host agency to a winner, accepted (or declined) by the team's lead,
run on a plan of milestones the host signs off, measured by KPIs, ended with an outcome and
its reasons (the lesson kept). Every change is audited on the pilot; the other side is told
by email through the outbox, in each recipient's language.

The budget: an offer names an amount of the host's budget for success for the challenge (the
awards' ``Reserve``), checked against what is left; it is drawn when the team accepts, through
``awards.reserves.draw`` (which refuses to overdraw), under a lock of the reserve's row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import force_locale
from sqlalchemy import select

from competitions.agencies.models import Agency, Membership, Role
from competitions.awards import reserves
from competitions.awards.models import Award, Reserve
from competitions.core import audit, clock, mail
from competitions.core.actor import Actor
from competitions.core.errors import DomainError, NotFound
from competitions.core.extensions import db
from competitions.core.i18n import languages
from competitions.core.text import one_line, text_block
from competitions.core.translate import gettext as _
from competitions.core.translate import lazy_gettext as _l
from competitions.core.urls import external_url
from competitions.pilots import permissions
from competitions.pilots.models import (
    KPIMeasurement,
    Pilot,
    PilotKPI,
    PilotMilestone,
    PilotOutcome,
    PilotStatus,
    PilotUpdate,
)
from competitions.pilots.webhook_events import pilot_updated

TEXT_MAX = 4000
LINE_MAX = 200
MAX_MILESTONES = 20
MAX_KPIS = 12
# The 100-day template: (day after the start, title).
TEMPLATE = [
    (0, _l("Kick-off")),
    (30, _l("First results")),
    (60, _l("Mid-term review")),
    (90, _l("Final measurements")),
    (100, _l("Final review")),
]
STATUS_LABELS = {
    PilotStatus.OFFERED: _l("Offered"),
    PilotStatus.ACTIVE: _l("Under way"),
    PilotStatus.DECLINED: _l("Declined"),
    PilotStatus.ENDED: _l("Ended"),
}
OUTCOME_LABELS = {
    PilotOutcome.SCALED: _l("Scaled"),
    PilotOutcome.EXTENDED: _l("Extended"),
    PilotOutcome.STOPPED: _l("Stopped"),
}
ACTION_LABELS = {
    "pilot.offered": _l("Pilot offered"),
    "pilot.accepted": _l("Offer accepted"),
    "pilot.declined": _l("Offer declined"),
    "pilot.plan_changed": _l("Plan changed"),
    "pilot.kpi_added": _l("KPI added"),
    "pilot.measured": _l("KPI measured"),
    "pilot.update_posted": _l("Status update posted"),
    "pilot.signed_off": _l("Milestone signed off"),
    "pilot.ended": _l("Pilot ended"),
    "pilot.publicity_changed": _l("Public page consent changed"),
}
# Remind the team to post an update when its last one (or the start) is this old.
UPDATE_EVERY = timedelta(days=14)
# Milestone reminders: this many days before the due date, and after it while not signed off.
BEFORE_DUE = 3
AFTER_DUE = 1


def pilot_action(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))  # type: ignore[call-overload]


def outcome_label(outcome: str) -> str:
    return str(OUTCOME_LABELS.get(outcome, outcome))  # type: ignore[call-overload]


def parse_number(text: str, field: str) -> Decimal:
    """A number as people type it (``12.5``, ``12,5``, ``-3``, ``1 200``), or a
    ``DomainError`` on ``field``."""
    raw = one_line(text).replace(" ", "").replace("\u202f", "")
    if raw.count(",") == 1 and "." not in raw:
        raw = raw.replace(",", ".")
    raw = raw.replace(",", "")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise DomainError(_("Enter a number, e.g. 12.5."), field)
    if abs(value) >= Decimal("1e12") or value != value.quantize(Decimal("0.0001")):
        raise DomainError(_("Enter a number below a trillion, with at most 4 decimals."), field)
    return value


def _line(text: str, field: str, missing: str) -> str:
    value = one_line(text)
    if not value:
        raise DomainError(missing, field)
    if len(value) > LINE_MAX:
        raise DomainError(_("Keep it to %(n)d characters.", n=LINE_MAX), field)
    return value


def _block(text: str, field: str, missing: str | None) -> str:
    value = text_block(text)
    if not value and missing:
        raise DomainError(missing, field)
    if len(value) > TEXT_MAX:
        raise DomainError(_("Keep it to %(n)d characters.", n=TEXT_MAX), field)
    return value


# --- the offer ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OfferData:
    host_agency_id: int | None
    test_bed: str
    objectives: str
    host_people: str
    starts_on: date | None
    budget: str


def host_language(pilot: Pilot) -> str:
    """The language the host writes its pilot in: the host agency's first language that the
    platform speaks, else its track's first, else English."""
    spoken = set(languages())
    host = pilot.host or db.session.get(Agency, pilot.host_agency_id)  # before the flush
    for code in (host.languages if host is not None else None) or []:
        if code in spoken:
            return str(code)
    track = pilot.award.track.challenge.track_of(pilot.host_agency_id) or pilot.award.track
    return track.languages[0] if track.languages else "en"


def host_reserve(award: Award, host_agency_id: int) -> Reserve | None:
    return reserves.reserve_of(award.track.challenge, host_agency_id)


def offer(actor: Actor, award: Award, data: OfferData) -> Pilot:
    """The host agency offers the award's winner a pilot in its test-bed, on the 100-day
    template's plan from ``starts_on``; the team is told."""
    challenge = award.track.challenge
    hosts = permissions.hostable_agency_ids(actor.user, challenge)
    if not hosts:
        raise NotFound(_("No such award."))
    if data.host_agency_id not in hosts:
        raise DomainError(_("Choose the host agency."), "host")
    host_id = data.host_agency_id
    if db.session.scalar(
        select(Pilot.id).where(Pilot.award_id == award.id, Pilot.host_agency_id == host_id)
    ):
        raise DomainError(_("This agency already offered this winner a pilot."), "host")
    test_bed = _line(data.test_bed, "test_bed", _("Name the test-bed."))
    objectives = _block(data.objectives, "objectives", _("Say what the pilot should achieve."))
    host_people = _block(data.host_people, "host_people", None)
    if data.starts_on is None:
        raise DomainError(_("Enter the day the pilot starts."), "starts_on")
    reserve = host_reserve(award, host_id)
    budget = Decimal("0")
    if one_line(data.budget):
        budget = parse_number(data.budget, "budget")
        if budget < 0 or budget != budget.quantize(Decimal("0.01")):
            raise DomainError(_("Enter an amount from 0 with at most two decimals."), "budget")
    if budget > 0 and reserve is None:
        raise DomainError(
            _("This agency has no budget for success in this challenge: set one first."),
            "budget",
        )
    if reserve is not None and budget > reserve.available:
        raise DomainError(
            _(
                "Only %(left)s %(currency)s is left in this budget.",
                left=reserve.available,
                currency=reserve.currency,
            ),
            "budget",
        )
    pilot = Pilot(
        award=award,
        host_agency_id=host_id,
        test_bed=test_bed,
        objectives=objectives,
        host_people=host_people,
        starts_on=data.starts_on,
        budget=budget,
        currency=reserve.currency if reserve is not None else award.currency,
        status=PilotStatus.OFFERED,
        offered_by_id=actor.user_id,
    )
    # The template's titles in the host's language.
    with force_locale(host_language(pilot)):
        for day, title in TEMPLATE:
            pilot.milestones.append(
                PilotMilestone(title=str(title), due_on=data.starts_on + timedelta(days=day))
            )
    audit.created(
        actor,
        "pilot.offered",
        pilot,
        agency_id=host_id,
        after={
            "award": award.id,
            "test_bed": test_bed,
            "starts_on": data.starts_on.isoformat(),
            "budget": str(budget),
        },
    )
    _tell_team(
        pilot,
        "pilots/offered",
        lambda: _("%(host)s offers %(team)s a pilot", host=pilot.host.name, team=_team(pilot)),
    )
    return pilot


def _team(pilot: Pilot) -> str:
    return pilot.award.entry.team.name


def _locked_reserve(reserve: Reserve) -> Reserve:
    """The reserve re-read under a row lock (PostgreSQL), so two acceptances drawing on it
    happen one after the other, each seeing what the other drew."""
    db.session.execute(select(Reserve.id).where(Reserve.id == reserve.id).with_for_update())
    db.session.refresh(reserve)
    db.session.expire(reserve, ["draws"])
    return reserve


def decide(actor: Actor, pilot: Pilot, accept: bool) -> None:
    """The team's lead accepts the offer (the budget is drawn, the pilot is active) or
    declines it; the host's admins are told."""
    if not permissions.can_decide(actor.user, pilot):
        raise NotFound(_("No such pilot."))
    if pilot.status != PilotStatus.OFFERED:
        raise DomainError(_("This offer is already answered."))
    if accept and pilot.budget > 0:
        reserve = host_reserve(pilot.award, pilot.host_agency_id)
        if reserve is None:
            raise DomainError(_("The host's budget for success is gone: ask the host."))
        reserve = _locked_reserve(reserve)
        if reserve.currency != pilot.currency or pilot.budget > reserve.available:
            raise DomainError(
                _(
                    "The host's budget for success no longer holds %(amount)s %(currency)s: "
                    "ask the host to change the offer.",
                    amount=pilot.budget,
                    currency=pilot.currency,
                )
            )
        pilot.draw = reserves.draw(
            actor, reserve, pilot.budget, f"Pilot: {_team(pilot)} @ {pilot.test_bed}"
        )
    pilot.status = PilotStatus.ACTIVE if accept else PilotStatus.DECLINED
    pilot.decided_at = clock.now()
    pilot.decided_by_id = actor.user_id
    audit.record(
        actor,
        "pilot.accepted" if accept else "pilot.declined",
        obj=pilot,
        agency_id=pilot.host_agency_id,
        before={"status": PilotStatus.OFFERED.value},
        after={"status": pilot.status},
    )
    _tell_host(
        pilot,
        "pilots/decided",
        lambda: (
            _("%(team)s accepts the pilot", team=_team(pilot))
            if accept
            else _("%(team)s declines the pilot", team=_team(pilot))
        ),
        accepted=accept,
    )
    pilot_updated(pilot, "accepted" if accept else "declined", pilot.decided_at.isoformat())


# --- the plan, KPIs, updates --------------------------------------------------------------


def _require_manager(actor: Actor, pilot: Pilot) -> None:
    if not permissions.can_manage(actor.user, pilot):
        raise NotFound(_("No such pilot."))


def _require_open(pilot: Pilot) -> None:
    if pilot.status in (PilotStatus.DECLINED, PilotStatus.ENDED):
        raise DomainError(_("This pilot is over: it cannot change any more."))


@dataclass(frozen=True)
class PlanRow:
    milestone_id: int | None  # None: a new milestone
    title: str
    due_on: date | None


def save_plan(actor: Actor, pilot: Pilot, rows: list[PlanRow]) -> None:
    """Change the plan: rename or move milestones not signed off yet, add new ones (a row
    without id and with a title), remove those not signed off whose title is emptied."""
    _require_manager(actor, pilot)
    _require_open(pilot)
    before = [(m.title, m.due_on.isoformat()) for m in pilot.milestones]
    by_id = {m.id: m for m in pilot.milestones}
    for n, row in enumerate(rows, start=1):
        _apply_row(pilot, by_id, n, row)
    if not pilot.milestones:
        raise DomainError(_("Keep at least one milestone in the plan."))
    if len(pilot.milestones) > MAX_MILESTONES:
        raise DomainError(_("A plan has at most %(n)d milestones.", n=MAX_MILESTONES))
    db.session.flush()
    after = [(m.title, m.due_on.isoformat()) for m in pilot.milestones]
    if after != before:
        audit.record(
            actor,
            "pilot.plan_changed",
            obj=pilot,
            agency_id=pilot.host_agency_id,
            before={"plan": before},
            after={"plan": after},
        )


def _apply_row(pilot: Pilot, by_id: dict[int, PilotMilestone], n: int, row: PlanRow) -> None:
    title = one_line(row.title)
    if len(title) > LINE_MAX:
        raise DomainError(_("Keep it to %(n)d characters.", n=LINE_MAX))
    if row.milestone_id is None:
        if title and row.due_on is None:
            raise DomainError(_("Enter the new milestone's due date."))
        if title and row.due_on is not None:
            pilot.milestones.append(PilotMilestone(title=title, due_on=row.due_on))
        return
    milestone = by_id.get(row.milestone_id)
    if milestone is None:
        raise DomainError(_("This milestone is no longer in the plan: reload the page."))
    if milestone.is_signed_off:
        return  # a signed-off milestone is history
    if not title:
        pilot.milestones.remove(milestone)
        return
    if row.due_on is None:
        raise DomainError(_("Enter the due date of milestone %(n)d.", n=n))
    milestone.title, milestone.due_on = title, row.due_on


def add_kpi(
    actor: Actor,
    pilot: Pilot,
    name: str,
    unit: str,
    baseline: str,
    target: str,
    key: str = "",
) -> PilotKPI:
    """A KPI of the pilot; ``key`` (optional) matches it with the same KPI of the winner's
    pilots in other hosts, whose names are in their own languages."""
    _require_manager(actor, pilot)
    _require_open(pilot)
    name = _line(name, "name", _("Name the KPI."))
    key = one_line(key).casefold()
    if len(key) > 60:
        raise DomainError(_("Keep it to %(n)d characters.", n=60), "key")
    unit = one_line(unit)
    if not unit:
        raise DomainError(_("Give the unit, e.g. percent or tonnes."), "unit")
    if len(unit) > 40:
        raise DomainError(_("Keep it to %(n)d characters.", n=40), "unit")
    if any(k.name.casefold() == name.casefold() for k in pilot.kpis):
        raise DomainError(_("This pilot already has a KPI with this name."), "name")
    if len(pilot.kpis) >= MAX_KPIS:
        raise DomainError(_("A pilot has at most %(n)d KPIs.", n=MAX_KPIS))
    kpi = PilotKPI(
        pilot=pilot,
        name=name,
        key=key,
        unit=unit,
        baseline=parse_number(baseline, "baseline"),
        target=parse_number(target, "target"),
    )
    db.session.add(kpi)
    db.session.flush()
    audit.record(
        actor,
        "pilot.kpi_added",
        obj=pilot,
        agency_id=pilot.host_agency_id,
        after={
            "kpi": name,
            "key": key,
            "unit": unit,
            "baseline": str(kpi.baseline),
            "target": str(kpi.target),
        },
    )
    return kpi


def record_measurement(
    actor: Actor, pilot: Pilot, kpi_id: int | None, value: str, measured_on: date | None
) -> KPIMeasurement:
    """A KPI's value on a day, recorded by the host or the team."""
    if not permissions.can_measure(actor.user, pilot):
        raise NotFound(_("No such pilot."))
    if pilot.status != PilotStatus.ACTIVE:
        raise DomainError(_("Measurements are recorded while the pilot is active."))
    kpi = next((k for k in pilot.kpis if k.id == kpi_id), None)
    if kpi is None:
        raise DomainError(_("Choose one of the pilot's KPIs."), "kpi")
    number = parse_number(value, "value")
    if measured_on is None:
        raise DomainError(_("Enter the day of the measurement."), "measured_on")
    if measured_on > clock.now().date() + timedelta(days=1):
        raise DomainError(_("A measurement cannot be in the future."), "measured_on")
    row = KPIMeasurement(
        kpi=kpi, value=number, measured_on=measured_on, recorded_by_id=actor.user_id
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        actor,
        "pilot.measured",
        obj=pilot,
        agency_id=pilot.host_agency_id,
        after={"kpi": kpi.name, "value": str(number), "on": measured_on.isoformat()},
    )
    pilot_updated(pilot, "measured", row.id)
    return row


def post_update(actor: Actor, pilot: Pilot, body: str) -> PilotUpdate:
    """The team posts a status update; the host's members see it on the pilot's page."""
    if not (permissions.is_team(actor.user, pilot) or actor.is_platform_admin):
        raise NotFound(_("No such pilot."))
    if pilot.status != PilotStatus.ACTIVE:
        raise DomainError(_("Updates are posted while the pilot is active."))
    text = _block(body, "body", _("Write the update."))
    update = PilotUpdate(pilot=pilot, body=text, posted_by_id=actor.user_id)
    db.session.add(update)
    db.session.flush()
    audit.record(
        actor,
        "pilot.update_posted",
        obj=pilot,
        agency_id=pilot.host_agency_id,
        after={"update": update.id},
    )
    pilot_updated(pilot, "update_posted", update.id)
    return update


def sign_off(actor: Actor, pilot: Pilot, milestone_id: int) -> PilotMilestone:
    """The host signs off a milestone of an active pilot."""
    _require_manager(actor, pilot)
    milestone = next((m for m in pilot.milestones if m.id == milestone_id), None)
    if milestone is None:
        raise NotFound(_("No such milestone."))
    if pilot.status != PilotStatus.ACTIVE:
        raise DomainError(_("Milestones are signed off while the pilot is active."))
    if milestone.is_signed_off:
        raise DomainError(_("This milestone is already signed off."))
    milestone.signed_off_at = clock.now()
    milestone.signed_off_by_id = actor.user_id
    audit.record(
        actor,
        "pilot.signed_off",
        obj=pilot,
        agency_id=pilot.host_agency_id,
        after={"milestone": milestone.title, "due_on": milestone.due_on.isoformat()},
    )
    pilot_updated(pilot, "signed_off", milestone.id)
    return milestone


def end(actor: Actor, pilot: Pilot, outcome: str, reasons: str) -> None:
    """The host ends an active pilot: scaled, extended or stopped, with the reasons (the
    lesson kept)."""
    _require_manager(actor, pilot)
    if pilot.status != PilotStatus.ACTIVE:
        raise DomainError(_("Only an active pilot can end."))
    if outcome not in {o.value for o in PilotOutcome}:
        raise DomainError(_("Choose how the pilot ends."), "outcome")
    text = _block(reasons, "reasons", _("Say why: the lesson is kept for the next pilots."))
    pilot.status = PilotStatus.ENDED
    pilot.outcome = outcome
    pilot.reasons = text
    pilot.ended_at = clock.now()
    pilot.ended_by_id = actor.user_id
    audit.record(
        actor,
        "pilot.ended",
        obj=pilot,
        agency_id=pilot.host_agency_id,
        before={"status": PilotStatus.ACTIVE.value},
        after={"status": "ended", "outcome": outcome, "reasons": text},
    )
    pilot_updated(pilot, "ended", outcome)


# --- notices ------------------------------------------------------------------------------


def send(
    pilot: Pilot,
    users: list[Any],
    template: str,
    subject: Callable[[], str],
    source: str | None = None,
    **context: Any,
) -> int:
    link = external_url("pilots.pilot", pilot_id=pilot.id)
    sent = 0
    for user in users:
        lang = user.preferred_language or "en"
        with force_locale(lang):
            title = subject()
        mail.send_after_commit(
            mail.render_mail(
                template,
                user.email,
                lang,
                title,
                pilot=pilot,
                team=_team(pilot),
                host=pilot.host.name,
                link=link,
                **context,
            ),
            source=source,
        )
        sent += 1
    return sent


def team_users(pilot: Pilot) -> list[Any]:
    return [m.user for m in pilot.award.entry.team.members]


def host_admins(pilot: Pilot) -> list[Any]:
    return [
        m.user
        for m in db.session.scalars(
            select(Membership).where(
                Membership.agency_id == pilot.host_agency_id, Membership.role == Role.ADMIN
            )
        )
    ]


def _tell_team(pilot: Pilot, template: str, subject: Callable[[], str], **context: Any) -> None:
    send(pilot, team_users(pilot), template, subject, **context)


def _tell_host(pilot: Pilot, template: str, subject: Callable[[], str], **context: Any) -> None:
    send(pilot, host_admins(pilot), template, subject, **context)
