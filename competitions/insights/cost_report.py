"""A challenge's cost per partner, read from the database and arranged for one viewer: the
figures (``costs``) in tables whose cells carry how they were computed; the page and the CSV
are written from the same tables, so they never disagree.

What is counted (per track, i.e. per partner agency; grouped queries, the same on both engines):

- **Registered teams**: the track's active entries (not withdrawn).
- **Eligible submissions**: eligible submissions to the challenge's first round (the funnel's
  *eligible*: submitted, not withdrawn, entry not found ineligible) — every entrant's way in.
- **Finalists**: entries advanced from the round before the last one (admitted to the final
  round); in a one-round challenge, the winners.
- **Winners**: entries advanced from the last round (the funnel's *winners*).
- **Countries**: distinct countries of the active entries (as on the insights page).
- **First-time entrants**: active entries none of whose team members was on a team with an
  entry in another challenge registered earlier.
- **Followers**: confirmed subscribers of the challenge (they follow the challenge, not a track:
  shown for all partners only).

Who sees what (``permissions``): a partner agency sees its own column and all partners
together; the lead agency and platform admins every partner side by side. Cost lines one by
one are shown only to their own agency (``cost_records``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal
from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import aliased

from competitions.awards.models import Reserve
from competitions.challenges.models import Challenge, Prize, Track
from competitions.core.extensions import db
from competitions.core.i18n import current_language, format_money, format_number
from competitions.core.spreadsheet import CsvPieces
from competitions.core.translate import gettext as _
from competitions.core.translate import ngettext
from competitions.entries.models import Entry, TeamMember
from competitions.insights import aggregation, cost_records, costs, permissions
from competitions.insights.models import CostCategory, CostLine, ExchangeRate
from competitions.outreach.models import Subscription, SubscriptionStatus

CATEGORIES = (costs.PRIZES, costs.RESERVE, *(c.value for c in CostCategory))


def category_label(key: str) -> str:
    return {
        costs.PRIZES: _("Prizes (from the track's prizes)"),
        costs.RESERVE: _("Budget for success (the agency's scale-up reserve)"),
        CostCategory.STAFF: _("Staff time"),
        CostCategory.MARKETING: _("Marketing and outreach"),
        CostCategory.EVENTS: _("Events"),
        CostCategory.PLATFORM: _("Platform and tools"),
        CostCategory.OTHER: _("Other"),
    }.get(key, key)


def outcome_label(key: str) -> str:
    return {
        "registered": _("Registered teams"),
        "eligible": _("Eligible submissions"),
        "finalists": _("Finalists"),
        "winners": _("Winners"),
    }[key]


def cost_per_label(key: str) -> str:
    return {
        "registered": _("Cost per registered team"),
        "eligible": _("Cost per eligible submission"),
        "finalists": _("Cost per finalist"),
        "winners": _("Cost per winner"),
    }[key]


def _counted(outcome: str, n: int) -> str:
    number = format_number(n)
    if outcome == "registered":
        return ngettext("%(count)s registered team", "%(count)s registered teams", n, count=number)
    if outcome == "eligible":
        return ngettext(
            "%(count)s eligible submission", "%(count)s eligible submissions", n, count=number
        )
    if outcome == "finalists":
        return ngettext("%(count)s finalist", "%(count)s finalists", n, count=number)
    return ngettext("%(count)s winner", "%(count)s winners", n, count=number)


def _none(outcome: str) -> str:
    return {
        "registered": _("No registered team yet: no cost per registered team."),
        "eligible": _("No eligible submission yet: no cost per eligible submission."),
        "finalists": _("No finalist yet: no cost per finalist."),
        "winners": _("No winner yet: no cost per winner."),
    }[outcome]


def format_rate(rate: Decimal) -> str:
    """A rate with all its decimals (up to 8), as the viewer's language writes numbers."""
    return format_decimal(rate, format="#,##0.########", locale=current_language())


def format_day(day: date) -> str:
    return format_date(day, "medium", locale=current_language())


def words(lang: str) -> costs.Words:
    return costs.Words(
        money=format_money,
        number=format_rate,
        day=format_day,
        converted=_("%(amount)s \u00d7 %(rate)s (rate of %(day)s) = %(converted)s"),
        missing=_("Rate missing for %(codes)s: the lead agency enters it to see this figure."),
        outcome=_counted,
        none=_none,
        nothing=_("Nothing recorded."),
    )


# The database's figures.


@dataclass(frozen=True)
class EditionFigures:
    """Everything counted of one edition, per track (and the challenge's followers)."""

    registered: Mapping[int, int]
    first_time: Mapping[int, int]
    funnel: tuple[aggregation.RoundCount, ...]
    countries: Mapping[int, frozenset[str]]
    followers: int
    spending: Mapping[int, Mapping[str, list[costs.Money]]]  # agency id -> category -> amounts
    currency: str
    currency_chosen: bool
    rates: tuple[ExchangeRate, ...]


def _entrants(challenge: Challenge) -> tuple[dict[int, int], dict[int, int]]:
    """Registered teams and first-time entrants per track (one query)."""
    mine = aliased(TeamMember)
    theirs = aliased(TeamMember)
    other = aliased(Entry)
    earlier = exists(
        select(1)
        .select_from(mine)
        .join(theirs, theirs.user_id == mine.user_id)
        .join(other, other.team_id == theirs.team_id)
        .where(
            mine.team_id == Entry.team_id,
            other.challenge_id != Entry.challenge_id,
            other.registered_at < Entry.registered_at,
        )
    )
    rows = db.session.execute(
        select(
            Entry.track_id,
            func.count(Entry.id),
            func.coalesce(func.sum(case((~earlier, 1), else_=0)), 0),
        )
        .where(Entry.challenge_id == challenge.id, Entry.withdrawn_at.is_(None))
        .group_by(Entry.track_id)
    ).all()
    return {t: n for t, n, _f in rows}, {t: int(f) for t, _n, f in rows}


def _followers(challenge: Challenge) -> int:
    return int(
        db.session.scalar(
            select(func.count(Subscription.id)).where(
                Subscription.challenge_id == challenge.id,
                Subscription.status == SubscriptionStatus.ACTIVE.value,
            )
        )
        or 0
    )


def _spending(challenge: Challenge) -> dict[int, dict[str, list[costs.Money]]]:
    """Per agency: its cost lines summed per category and currency, its track's prizes
    (amount times count) and its budget for success, each summed per currency (three grouped
    queries)."""
    found: dict[int, dict[str, list[costs.Money]]] = {}
    lines = db.session.execute(
        select(CostLine.agency_id, CostLine.category, CostLine.currency, func.sum(CostLine.amount))
        .where(CostLine.challenge_id == challenge.id)
        .group_by(CostLine.agency_id, CostLine.category, CostLine.currency)
    ).all()
    for agency_id, category, currency, amount in lines:
        found.setdefault(agency_id, {}).setdefault(category, []).append(
            costs.Money(Decimal(amount), currency)
        )
    prizes = db.session.execute(
        select(Track.agency_id, Prize.currency, func.sum(Prize.amount * Prize.count))
        .join(Track, Track.id == Prize.track_id)
        .where(Track.challenge_id == challenge.id)
        .group_by(Track.agency_id, Prize.currency)
    ).all()
    for agency_id, currency, amount in prizes:
        found.setdefault(agency_id, {}).setdefault(costs.PRIZES, []).append(
            costs.Money(Decimal(amount), currency)
        )
    reserves = db.session.execute(
        select(Reserve.agency_id, Reserve.currency, func.sum(Reserve.amount))
        .where(Reserve.challenge_id == challenge.id)
        .group_by(Reserve.agency_id, Reserve.currency)
    ).all()
    for agency_id, currency, amount in reserves:
        found.setdefault(agency_id, {}).setdefault(costs.RESERVE, []).append(
            costs.Money(Decimal(amount), currency)
        )
    return found


def edition_figures(challenge: Challenge) -> EditionFigures:
    """Every count of one edition: eight queries, whatever its size."""
    registered, first_time = _entrants(challenge)
    countries: dict[int, set[str]] = {}
    for row in aggregation.countries(challenge):
        if row.key:
            countries.setdefault(row.track_id, set()).add(row.key)
    currency, chosen = cost_records.reporting_currency(challenge)
    return EditionFigures(
        registered=registered,
        first_time=first_time,
        funnel=aggregation.funnel(challenge),
        countries={t: frozenset(c) for t, c in countries.items()},
        followers=_followers(challenge),
        spending=_spending(challenge),
        currency=currency,
        currency_chosen=chosen,
        rates=tuple(cost_records.rates_of(challenge)),
    )


def track_outcomes(
    challenge: Challenge, figures: EditionFigures
) -> dict[int, tuple[costs.Outcomes, int]]:
    """Per track: its outcomes, and its submissions to the first round."""
    rounds = [r.id for r in challenge.rounds]
    funnel = {(f.track_id, f.round_id): f for f in figures.funnel}
    found = {}
    for track in challenge.tracks:
        at = [funnel.get((track.id, r)) for r in rounds]
        first = at[0] if at else None
        last = at[-1] if at else None
        final = at[-2] if len(at) >= 2 else last
        found[track.id] = (
            costs.Outcomes(
                registered=figures.registered.get(track.id, 0),
                eligible=first.eligible if first else 0,
                finalists=final.advanced if final else 0,
                winners=last.advanced if last else 0,
            ),
            first.submitted if first else 0,
        )
    return found


def report_of(
    challenge: Challenge, figures: EditionFigures, tracks: Sequence[Track]
) -> costs.CostReport:
    """The figures of ``tracks`` (the viewer's), and all partners together (every track)."""
    outcomes = track_outcomes(challenge, figures)
    rates = [
        costs.Rate(r.from_currency, r.to_currency, Decimal(r.rate), r.rate_date)
        for r in figures.rates
    ]

    def partner(track: Track) -> costs.PartnerInput:
        return costs.PartnerInput(
            key=str(track.agency_id),
            label=track.agency.name,
            spending=figures.spending.get(track.agency_id, {}),
            outcomes=outcomes[track.id][0],
            countries=figures.countries.get(track.id, frozenset()),
            first_time=figures.first_time.get(track.id, 0),
        )

    everyone = costs.compute(
        [partner(t) for t in challenge.tracks],
        figures.currency,
        rates,
        CATEGORIES,
        figures.followers,
        _("All partners"),
    )
    shown = {str(t.agency_id) for t in tracks}
    return costs.CostReport(
        everyone.currency,
        tuple(p for p in everyone.partners if p.key in shown),
        everyone.overall,
        everyone.followers,
        everyone.rates,
    )


# Tables: what the page shows and the CSV holds.


@dataclass(frozen=True)
class Cell:
    text: str  # as shown ("300.00 EUR", "40", "—")
    value: str  # for the CSV: a plain number, or "" when there is none
    currency: str  # "" for counts
    how: str  # how it was computed ("" for counts read as they are)


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[Cell, ...]], ...]


def _money_cell(amount: Decimal | None, currency: str, how: str) -> Cell:
    if amount is None:
        return Cell("—", "", currency, how)
    return Cell(format_money(amount, currency), str(amount), currency, how)


def _count_cell(n: int, how: str = "") -> Cell:
    return Cell(format_number(n), str(n), "", how)


def tables_of(report: costs.CostReport, lang: str, prefix: str = "") -> tuple[Table, ...]:
    w = words(lang)
    columns = [*report.partners, report.overall]
    labels = tuple(p.label for p in columns)
    spending_rows = [
        (
            category_label(key),
            tuple(
                _money_cell(t.amount, t.currency, costs.explain_total(t, w))
                for t in (dict(p.categories)[key] for p in columns)
            ),
        )
        for key in CATEGORIES
    ]
    spending_rows.append(
        (
            _("Total"),
            tuple(
                _money_cell(p.total.amount, p.total.currency, costs.explain_total(p.total, w))
                for p in columns
            ),
        )
    )
    per_outcome: list[tuple[str, tuple[Cell, ...]]] = []
    for outcome in costs.OUTCOMES:
        per_outcome.append(
            (outcome_label(outcome), tuple(_count_cell(p.outcomes.count(outcome)) for p in columns))
        )
        per_outcome.append(
            (
                cost_per_label(outcome),
                tuple(
                    _money_cell(
                        p.ratio(outcome).value,
                        p.total.currency,
                        costs.explain_ratio(p.ratio(outcome), w),
                    )
                    for p in columns
                ),
            )
        )
    follow = _("Followers follow the challenge, not a track.")
    reach_rows = [
        (_("Countries of entrants"), tuple(_count_cell(p.countries) for p in columns)),
        (_("First-time entrants"), tuple(_count_cell(p.first_time) for p in columns)),
        (
            _("Followers"),
            tuple(
                _count_cell(report.followers) if p.key == "all" else Cell("—", "", "", follow)
                for p in columns
            ),
        ),
    ]
    return (
        Table(f"{prefix}spending", _("Spending"), labels, tuple(spending_rows)),
        Table(f"{prefix}per-outcome", _("Cost per outcome"), labels, tuple(per_outcome)),
        Table(f"{prefix}reach", _("Reach"), labels, tuple(reach_rows)),
    )


@dataclass(frozen=True)
class Edition:
    challenge: Challenge
    report: costs.CostReport
    tables: tuple[Table, ...]
    currency_chosen: bool
    used: tuple[str, ...]  # currencies spent that are not the reporting currency
    rates: tuple[ExchangeRate, ...]  # every rate entered, into any currency


@dataclass(frozen=True)
class CostPage:
    challenge: Challenge
    current: Edition
    previous: Edition | None
    previous_hidden: bool  # there is one, the viewer may not see its figures
    every_partner: bool
    recording: tuple[Track, ...]  # tracks whose agency's lines the viewer records
    rates: tuple[ExchangeRate, ...]


def _edition(user: Any, challenge: Challenge, lang: str, prefix: str) -> Edition:
    figures = edition_figures(challenge)
    report = report_of(challenge, figures, permissions.visible_tracks(user, challenge))
    used = sorted(
        {
            m.currency
            for per in figures.spending.values()
            for amounts in per.values()
            for m in amounts
        }
        - {figures.currency}
    )
    return Edition(
        challenge,
        report,
        tables_of(report, lang, prefix),
        figures.currency_chosen,
        tuple(used),
        figures.rates,
    )


def previous_of(challenge: Challenge) -> Challenge | None:
    if challenge.previous_edition_id is None:
        return None
    return db.session.get(Challenge, challenge.previous_edition_id)


def cost_page(user: Any, challenge: Challenge, lang: str) -> CostPage:
    """The cost page of ``challenge`` for ``user`` (who may view its costs)."""
    current = _edition(user, challenge, lang, "")
    before = previous_of(challenge)
    previous, hidden = None, False
    if before is not None:
        if permissions.can_view_costs(user, before):
            previous = _edition(user, before, lang, "previous-")
        else:
            hidden = True
    return CostPage(
        challenge=challenge,
        current=current,
        previous=previous,
        previous_hidden=hidden,
        every_partner=permissions.sees_every_track(user, challenge),
        recording=tuple(permissions.recording_tracks(user, challenge)),
        rates=tuple(r for r in current.rates if r.to_currency == current.report.currency),
    )


def page_csv(page: CostPage, edition_label: Callable[[Challenge], str]) -> Iterator[str]:
    """Every figure of the page, one per row: edition, table, figure, partner, value, currency,
    how it was computed (formula-safe CSV)."""
    out = CsvPieces()
    out.writerow(
        [_("Edition"), _("Table"), _("Figure"), _("Partner"), _("Value"), _("Currency"), _("How")]
    )
    for edition in (page.current, page.previous):
        if edition is None:
            continue
        label = edition_label(edition.challenge)
        for table in edition.tables:
            for figure, cells in table.rows:
                for partner, cell in zip(table.columns, cells, strict=True):
                    out.writerow(
                        [label, table.title, figure, partner, cell.value, cell.currency, cell.how]
                    )
        yield out.take()
