"""Cost per partner: what each agency spent on a challenge, what it got, and the ratio of the
two — pure computation, plain data in and figures out (no Flask, no database). Each figure
carries what it was computed from, so a page can say how ("12,000.00 EUR ÷ 40 eligible
submissions = 300.00 EUR"): see ``explain_total`` and ``explain_ratio``.

Rules:

- **Spending** of a partner = its prizes (read from its track's prizes: amount times count) plus its
  cost lines (staff time, marketing, events, platform, other), per category.
- **Amounts of several currencies** are summed per currency first, then each sum is converted
  once into the reporting currency with the rate the lead agency entered (1 unit of the
  currency = ``rate`` units of the reporting currency), rounded to the cent (half up). A
  currency without a rate makes the total *missing* (its currencies named), never a wrong
  number; so does every ratio built on it.
- **Cost per outcome** = total ÷ count of the outcome (registered teams, eligible submissions,
  finalists, winners), rounded to the cent (half up); none when the count is 0.
- **All partners**: every partner's amounts and outcomes added, countries counted once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
PRIZES = "prizes"  # the category of the prizes, next to CostCategory's values
RESERVE = "reserve"  # the agency's budget for success (scale-up reserve), set aside for winners
OUTCOMES = ("registered", "eligible", "finalists", "winners")


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str  # ISO 4217


@dataclass(frozen=True)
class Rate:
    """1 ``from_currency`` = ``rate`` ``to_currency``, as read on ``day``."""

    from_currency: str
    to_currency: str
    rate: Decimal
    day: date


@dataclass(frozen=True)
class Conversion:
    """One currency's sum and its value in the reporting currency (``rate`` None: the same
    currency; ``converted`` None: no rate)."""

    native: Money
    rate: Rate | None
    converted: Decimal | None


@dataclass(frozen=True)
class Total:
    currency: str  # the reporting currency
    conversions: tuple[Conversion, ...]

    @property
    def missing(self) -> tuple[str, ...]:
        """The currencies that have no rate to the reporting currency."""
        return tuple(c.native.currency for c in self.conversions if c.converted is None)

    @property
    def amount(self) -> Decimal | None:
        """The sum in the reporting currency; None when a rate is missing."""
        if self.missing:
            return None
        return sum((c.converted or Decimal(0) for c in self.conversions), Decimal(0))


@dataclass(frozen=True)
class Ratio:
    outcome: str  # one of OUTCOMES
    total: Total
    count: int

    @property
    def value(self) -> Decimal | None:
        amount = self.total.amount
        if amount is None or self.count <= 0:
            return None
        return (amount / self.count).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Outcomes:
    registered: int = 0  # registered teams (active entries)
    eligible: int = 0  # eligible submissions
    finalists: int = 0
    winners: int = 0

    def count(self, outcome: str) -> int:
        return int(getattr(self, outcome))

    def __add__(self, other: Outcomes) -> Outcomes:
        return Outcomes(*(self.count(o) + other.count(o) for o in OUTCOMES))


@dataclass(frozen=True)
class PartnerInput:
    """What is known of one partner (agency) in one edition."""

    key: str  # stable between editions: the agency's id as text
    label: str
    spending: Mapping[str, Sequence[Money]]  # category -> amounts (any currencies)
    outcomes: Outcomes
    countries: frozenset[str] = frozenset()
    first_time: int = 0  # first-time entrants


@dataclass(frozen=True)
class PartnerCosts:
    key: str
    label: str
    categories: tuple[tuple[str, Total], ...]  # in the order asked, empty ones included
    total: Total
    outcomes: Outcomes
    ratios: tuple[Ratio, ...]  # one per OUTCOMES
    countries: int
    first_time: int

    def ratio(self, outcome: str) -> Ratio:
        return next(r for r in self.ratios if r.outcome == outcome)


@dataclass(frozen=True)
class CostReport:
    currency: str
    partners: tuple[PartnerCosts, ...]
    overall: PartnerCosts  # every partner together
    followers: int
    rates: tuple[Rate, ...] = field(default=())

    @property
    def missing(self) -> tuple[str, ...]:
        return self.overall.total.missing


def total_of(amounts: Iterable[Money], currency: str, rates: Mapping[str, Rate]) -> Total:
    """``amounts`` summed per currency, each sum converted into ``currency`` with ``rates``
    (keyed by the currency converted from); the reporting currency first, then by code."""
    sums: dict[str, Decimal] = {}
    for money in amounts:
        sums[money.currency] = sums.get(money.currency, Decimal(0)) + money.amount
    conversions = []
    for code in sorted(sums, key=lambda c: (c != currency, c)):
        native = Money(sums[code], code)
        if code == currency:
            conversions.append(Conversion(native, None, native.amount))
            continue
        rate = rates.get(code)
        if rate is None or rate.to_currency != currency:
            conversions.append(Conversion(native, None, None))
            continue
        converted = (native.amount * rate.rate).quantize(CENT, rounding=ROUND_HALF_UP)
        conversions.append(Conversion(native, rate, converted))
    return Total(currency, tuple(conversions))


def _partner(
    key: str,
    label: str,
    spending: Mapping[str, Sequence[Money]],
    outcomes: Outcomes,
    countries: frozenset[str],
    first_time: int,
    categories: Sequence[str],
    currency: str,
    rates: Mapping[str, Rate],
) -> PartnerCosts:
    per_category = tuple((c, total_of(spending.get(c, ()), currency, rates)) for c in categories)
    everything = [m for c in categories for m in spending.get(c, ())]
    total = total_of(everything, currency, rates)
    return PartnerCosts(
        key=key,
        label=label,
        categories=per_category,
        total=total,
        outcomes=outcomes,
        ratios=tuple(Ratio(o, total, outcomes.count(o)) for o in OUTCOMES),
        countries=len(countries),
        first_time=first_time,
    )


def compute(
    partners: Sequence[PartnerInput],
    currency: str,
    rates: Iterable[Rate],
    categories: Sequence[str],
    followers: int = 0,
    overall_label: str = "",
) -> CostReport:
    """Every partner's costs, outcomes and ratios in ``currency``, and all partners together.
    Rates to another currency than ``currency`` are ignored (their currencies are missing)."""
    usable = {r.from_currency: r for r in rates if r.to_currency == currency}
    rows = tuple(
        _partner(
            p.key,
            p.label,
            p.spending,
            p.outcomes,
            p.countries,
            p.first_time,
            categories,
            currency,
            usable,
        )
        for p in partners
    )
    spending: dict[str, list[Money]] = {}
    for p in partners:
        for category, amounts in p.spending.items():
            spending.setdefault(category, []).extend(amounts)
    outcomes = sum((p.outcomes for p in partners), Outcomes())
    countries = frozenset().union(*(p.countries for p in partners))
    overall = _partner(
        "all",
        overall_label,
        spending,
        outcomes,
        countries,
        sum(p.first_time for p in partners),
        categories,
        currency,
        usable,
    )
    return CostReport(currency, rows, overall, followers, tuple(usable.values()))


# How a figure was computed, in words. The formatting (money, numbers, dates, the outcome's
# name) is the caller's, in the viewer's language.

MoneyFormat = Callable[[Decimal, str], str]


@dataclass(frozen=True)
class Words:
    money: MoneyFormat
    number: Callable[[Decimal], str]
    day: Callable[[date], str]
    # "%(amount)s times %(rate)s (rate of %(day)s) = %(converted)s"
    converted: str
    # "rate missing for %(codes)s"
    missing: str
    # outcome -> (count -> "40 eligible submissions")
    outcome: Callable[[str, int], str]
    # "no %(outcome)s" when the count is 0
    none: Callable[[str], str]
    nothing: str  # "nothing recorded"


def explain_total(total: Total, words: Words) -> str:
    """``"10,000.00 CAD x 0.68 (rate of 30 Nov 2026) = 6,800.00 EUR + 5,200.00 EUR =
    12,000.00 EUR"``, or the currencies whose rate is missing."""
    if total.missing:
        return words.missing % {"codes": ", ".join(total.missing)}
    if not total.conversions:
        return words.nothing
    parts = []
    for c in total.conversions:
        if c.rate is None:
            parts.append(words.money(c.native.amount, c.native.currency))
        else:
            parts.append(
                words.converted
                % {
                    "amount": words.money(c.native.amount, c.native.currency),
                    "rate": words.number(c.rate.rate),
                    "day": words.day(c.rate.day),
                    "converted": words.money(c.converted or Decimal(0), total.currency),
                }
            )
    text = " + ".join(parts)
    if len(parts) > 1:
        text += " = " + words.money(total.amount or Decimal(0), total.currency)
    return text


def explain_ratio(ratio: Ratio, words: Words) -> str:
    """``"12,000.00 EUR ÷ 40 eligible submissions = 300.00 EUR"``."""
    if ratio.total.missing:
        return words.missing % {"codes": ", ".join(ratio.total.missing)}
    if ratio.count <= 0:
        return words.none(ratio.outcome)
    amount = ratio.total.amount or Decimal(0)
    value = ratio.value or Decimal(0)
    return (
        f"{words.money(amount, ratio.total.currency)} ÷ {words.outcome(ratio.outcome, ratio.count)}"
        f" = {words.money(value, ratio.total.currency)}"
    )
