"""The cost computation alone (``insights.costs``): plain data in, figures out, each with how it
was computed; a missing rate gives no number, never a wrong one."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from competitions.insights import costs
from competitions.insights.costs import Money, Outcomes, PartnerInput, Rate

CATEGORIES = ("prizes", "staff", "marketing")
D = Decimal


def words() -> costs.Words:
    return costs.Words(
        money=lambda amount, code: f"{amount:,.2f} {code}",
        number=lambda d: str(d.normalize()),
        day=lambda d: d.isoformat(),
        converted="%(amount)s \u00d7 %(rate)s (rate of %(day)s) = %(converted)s",
        missing="rate missing for %(codes)s",
        outcome=lambda o, n: f"{n} {o}",
        none=lambda o: f"no {o}",
        nothing="nothing",
    )


def partner(key, spending, outcomes, countries=(), first_time=0):
    return PartnerInput(key, key.upper(), spending, outcomes, frozenset(countries), first_time)


CSA = partner(
    "csa",
    {"prizes": [Money(D("10000"), "CAD")], "staff": [Money(D("2000"), "CAD")]},
    Outcomes(registered=30, eligible=20, finalists=5, winners=2),
    countries={"CA"},
    first_time=12,
)
NASA = partner(
    "nasa",
    {"marketing": [Money(D("1000"), "USD"), Money(D("500.50"), "USD")]},
    Outcomes(registered=50, eligible=40, finalists=10, winners=0),
    countries={"US", "FR", "CA"},
    first_time=20,
)
CAD_TO_USD = Rate("CAD", "USD", D("0.7312"), date(2026, 11, 30))


def test_amounts_are_summed_per_currency_then_converted_once():
    report = costs.compute([CSA, NASA], "USD", [CAD_TO_USD], CATEGORIES, followers=7)
    csa, nasa = report.partners
    # 12,000 CAD x 0.7312 = 8,774.40 USD
    assert csa.total.amount == D("8774.40")
    assert nasa.total.amount == D("1500.50")
    assert report.overall.total.amount == D("10274.90")
    assert csa.ratio("eligible").value == D("438.72")  # 8,774.40 / 20
    assert nasa.ratio("winners").value is None  # no winner: no cost per winner
    assert report.overall.outcomes == Outcomes(80, 60, 15, 2)
    assert report.overall.countries == 3  # CA counted once
    assert report.overall.first_time == 32
    assert report.followers == 7
    w = words()
    assert costs.explain_total(csa.total, w) == (
        "12,000.00 CAD \u00d7 0.7312 (rate of 2026-11-30) = 8,774.40 USD"
    )
    assert costs.explain_ratio(csa.ratio("eligible"), w) == (
        "8,774.40 USD ÷ 20 eligible = 438.72 USD"
    )
    assert costs.explain_ratio(nasa.ratio("winners"), w) == "no winners"
    assert costs.explain_total(report.overall.total, w) == (
        "1,500.50 USD + 12,000.00 CAD \u00d7 0.7312 (rate of 2026-11-30) = 8,774.40 USD"
        " = 10,274.90 USD"
    )


def test_a_missing_rate_names_the_currency_and_gives_no_number():
    report = costs.compute([CSA, NASA], "USD", [], CATEGORIES)
    csa, nasa = report.partners
    assert csa.total.amount is None and csa.total.missing == ("CAD",)
    assert csa.ratio("registered").value is None
    assert costs.explain_ratio(csa.ratio("registered"), words()) == "rate missing for CAD"
    assert nasa.total.amount == D("1500.50")  # NASA spent USD only
    assert report.overall.total.amount is None
    assert report.missing == ("CAD",)


def test_a_rate_into_another_currency_is_not_used():
    report = costs.compute([CSA], "EUR", [CAD_TO_USD], CATEGORIES)
    assert report.partners[0].total.missing == ("CAD",)


def test_rounding_is_to_the_cent_half_up_and_stays_decimal():
    p = partner("x", {"staff": [Money(D("100"), "EUR")]}, Outcomes(registered=3))
    report = costs.compute([p], "EUR", [], CATEGORIES)
    value = report.partners[0].ratio("registered").value
    assert value == D("33.33") and isinstance(value, Decimal)
    half = partner("y", {"staff": [Money(D("0.05"), "GBP")]}, Outcomes(registered=1))
    rate = Rate("GBP", "EUR", D("0.5"), date(2026, 1, 1))
    assert costs.compute([half], "EUR", [rate], CATEGORIES).partners[0].total.amount == D("0.03")


def test_nothing_recorded_is_zero_and_said():
    p = partner("z", {}, Outcomes(registered=2))
    report = costs.compute([p], "EUR", [], CATEGORIES)
    assert report.partners[0].total.amount == D(0)
    assert costs.explain_total(report.partners[0].total, words()) == "nothing"
    assert report.partners[0].ratio("registered").value == D("0.00")
