"""Dates, numbers, money and directions as each interface language writes them (Babel, CLDR).

Arabic takes its CLDR default numbering system, Latin digits (``ar`` and the Gulf's ``ar_AE``;
Egyptian or Saudi Arabic would default to Arabic-Indic ones): Chromium's ``Intl`` makes the
same choice for ``ar``, so the live countdown and the server's text agree."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from babel.numbers import format_decimal
from flask import Flask
from flask_babel import force_locale

from competitions.challenges.timeline_svg import WIDTH, Bar, Lane, draw
from competitions.core import i18n

NBSP = "\u00a0"
NNBSP = "\u202f"  # French groups thousands with a narrow no-break space
WHEN = datetime(2026, 7, 30, 13, 0, tzinfo=UTC)


@pytest.fixture
def in_request(app: Flask) -> Iterator[None]:
    with app.test_request_context():
        yield


@pytest.mark.parametrize(
    ("lang", "money", "instant", "number", "score", "day", "left"),
    [
        (
            "de",
            f"220.000,00{NBSP}AED",
            "30. Juli 2026 17:00 +04",
            "1.234.567,5",
            "3,50",
            "5. März 2026",
            "3 Tage, 4 Stunden",
        ),
        (
            "es",
            f"220.000,00{NBSP}AED",
            "30 jul 2026 17:00 +04",
            "1.234.567,5",
            "3,50",
            "5 mar 2026",
            "3 días, 4 horas",
        ),
        (
            "ar",
            f"220,000.00{NBSP}AED",
            "30 يوليو 2026 17:00 +04",
            "1,234,567.5",
            "3.50",
            "5 مارس 2026",
            "3 أيام و4 ساعات",
        ),
        # The two languages of old keep their forms.
        (
            "en",
            f"220,000.00{NBSP}AED",
            "30 Jul 2026 17:00 +04",
            "1,234,567.5",
            "3.50",
            "5 Mar 2026",
            "3 days, 4 hours",
        ),
        (
            "fr",
            f"220{NNBSP}000,00{NBSP}AED",
            "30 juil. 2026 17:00 +04",
            f"1{NNBSP}234{NNBSP}567,5",
            "3,50",
            "5 mars 2026",
            f"3{NBSP}jours, 4{NBSP}heures",
        ),
    ],
)
def test_each_language_writes_money_instants_numbers_days_and_durations_its_way(
    in_request: None,
    lang: str,
    money: str,
    instant: str,
    number: str,
    score: str,
    day: str,
    left: str,
) -> None:
    with force_locale(lang):
        assert i18n.format_money(220000, "AED") == money
        assert i18n.format_instant(WHEN, "Asia/Dubai") == instant
        assert i18n.format_number(1234567.5) == number
        assert i18n.format_number(3.5, 2) == score
        assert i18n.format_day(date(2026, 3, 5)) == day
        assert i18n.format_duration(timedelta(days=3, hours=4, minutes=5)) == left


NUMBERS = [
    0,
    -0.0,
    0.005,
    0.015,
    -0.004,
    2.675,
    3.5,
    -12.345,
    99.995,
    1234.5,
    -1234567.891,
    10**12 + 0.5,
    Decimal("7.125"),
    Decimal("-0.000"),
    *(random.Random(5).uniform(-150, 150) for _ in range(300)),
]


@pytest.mark.parametrize("lang", ["en", "fr", "de", "es", "ar"])
def test_numbers_are_written_as_babel_writes_them(in_request: None, lang: str) -> None:
    """``format_number`` keeps the locale's symbols instead of asking Babel for them on every
    number: it writes what Babel's ``format_decimal`` writes, rounding half to even."""
    for digits in (None, 0, 1, 2, 3):
        pattern = "#,##0.##" if digits is None else "#,##0" + ("." + "0" * digits if digits else "")
        with force_locale(lang):
            for value in NUMBERS:
                expected = format_decimal(
                    Decimal(str(value)), format=pattern, locale=lang, decimal_quantization=True
                )
                assert i18n.format_number(value, digits) == expected, (value, digits)
    with force_locale(lang):
        assert i18n.format_number(float("inf")) == format_decimal(float("inf"), locale=lang)


def test_arabic_digits_are_those_of_the_locales_default_numbering_system(
    in_request: None,
) -> None:
    with force_locale("ar"):
        text = i18n.format_money(1500, "AED") + i18n.format_instant(WHEN, "UTC")
    assert re.search(r"[0-9]", text)
    assert not re.search(r"[\u0660-\u0669]", text)  # no Arabic-Indic digits


def test_signed_scores_percents_and_back_arrows_follow_the_language(in_request: None) -> None:
    with force_locale("de"):
        assert i18n.format_signed(-1.25) == "\u22121,25"
        assert i18n.format_signed(0.4) == "+0,40"
        assert i18n.format_percent(42) == f"42{NBSP}%"
        assert i18n.back_arrow() == "←"
    with force_locale("ar"):
        assert i18n.back_arrow() == "→"  # "back" points to where an Arabic line starts


@pytest.mark.parametrize(
    ("lang", "direction"),
    [("ar", "rtl"), ("he", "rtl"), ("fa", "rtl"), ("de", "ltr"), ("es", "ltr")],
)
def test_direction_comes_from_cldr(lang: str, direction: str) -> None:
    assert i18n.text_direction(lang) == direction


@pytest.mark.parametrize("code", ["zz-not-a-language", "x", "qq"])
def test_an_unknown_code_is_left_to_right(code: str) -> None:
    assert i18n.text_direction(code) == "ltr"


def test_a_regional_code_has_its_languages_direction() -> None:
    assert i18n.text_direction("ar-AE") == "rtl"
    assert i18n.text_direction("en_GB") == "ltr"


@pytest.mark.parametrize(
    ("accept", "lang", "direction", "stylesheet"),
    [
        ("ar", "ar", "rtl", "/static/vendor/bootstrap-5.3.8/bootstrap.rtl.min.css"),
        ("de-DE,de;q=0.9", "de", "ltr", "/bootstrap/static/css/bootstrap.min.css"),
        ("es", "es", "ltr", "/bootstrap/static/css/bootstrap.min.css"),
    ],
)
def test_pages_carry_their_languages_direction_and_stylesheet(
    client: object, accept: str, lang: str, direction: str, stylesheet: str
) -> None:
    html = client.get("/", headers={"Accept-Language": accept}).get_data(as_text=True)  # type: ignore[attr-defined]
    assert f'<html lang="{lang}" dir="{direction}">' in html
    assert f'href="{stylesheet}' in html


def test_the_rtl_stylesheet_is_served_with_its_license(client: object) -> None:
    response = client.get("/static/vendor/bootstrap-5.3.8/bootstrap.rtl.min.css")  # type: ignore[attr-defined]
    assert response.status_code == 200
    head = response.get_data(as_text=True)[:300]
    assert "Bootstrap  v5.3.8" in head and "Licensed under MIT" in head
    response.close()


def _lanes() -> list[Lane]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        Lane("Proposals", [Bar(start, start + timedelta(days=30), "submission")], []),
        Lane(
            "Pilots",
            [Bar(start + timedelta(days=120), start + timedelta(days=200), "submission")],
            [],
        ),
    ]


def _bars(svg: str) -> list[float]:
    return [float(x) for x in re.findall(r'<rect x="([0-9.]+)"', svg)]


def test_the_timeline_runs_right_to_left_in_arabic(in_request: None) -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    ltr = str(draw(_lanes(), now, "en", "Timeline"))
    rtl = str(draw(_lanes(), now, "ar", "Timeline"))
    assert 'direction="ltr"' in ltr and 'direction="rtl"' in rtl
    first, later = _bars(ltr)
    assert first < later  # time flows to the right...
    first, later = _bars(rtl)
    assert first > later  # ...and to the left in Arabic
    # Round names stand at the start of the line: the left edge, or the right one.
    assert '<text x="8" y="' in ltr
    assert f'<text x="{WIDTH - 8}" y="' in rtl
    assert 'text-anchor="start"' in rtl
