"""Languages, time zones and countries: selection, validation and display."""

from __future__ import annotations

import gettext
import re
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache, lru_cache, partial
from typing import Any, Literal

import pycountry
from babel import Locale, UnknownLocaleError
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.dates import format_timedelta
from babel.numbers import (
    format_currency,
    get_decimal_symbol,
    get_group_symbol,
    get_territory_currencies,
    parse_pattern,
)
from babel.numbers import format_percent as format_percent_babel
from babel.units import format_unit
from flask import current_app, request, session
from flask_babel import force_locale
from flask_login import current_user

from competitions.core.instants import in_zone
from competitions.core.problems import is_api_request
from competitions.core.translate import gettext as _
from competitions.core.translate import locale


def languages() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def select_locale() -> str:
    """The interface language: the user's preference, then the session, then the browser
    (for the API, only what the request's ``Accept-Language`` asks for)."""
    supported = languages()
    if is_api_request():
        return request.accept_languages.best_match(supported) or supported[0]
    if getattr(current_user, "is_authenticated", False):
        pref = getattr(current_user, "preferred_language", None)
        if pref in supported:
            return str(pref)
    lang = session.get("lang") if request else None
    if lang in supported:
        return str(lang)
    best = request.accept_languages.best_match(supported) if request else None
    return best or supported[0]


def select_timezone() -> str | None:
    if getattr(current_user, "is_authenticated", False):
        tz = getattr(current_user, "timezone", None)
        if tz and is_valid_timezone(tz):
            return str(tz)
    return None


def current_language() -> str:
    loc = locale()
    return loc.language if loc is not None else languages()[0]


@cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_valid_timezone(name: str) -> bool:
    return name in _timezones()


@cache
def timezone_choices() -> list[tuple[str, str]]:
    names = sorted(
        tz for tz in _timezones() if "/" in tz and not tz.startswith(("Etc/", "SystemV/"))
    )
    return [("UTC", "UTC"), *((n, n.replace("_", " ")) for n in names)]


@cache
def _country_codes() -> tuple[str, ...]:
    return tuple(sorted(c.alpha_2 for c in pycountry.countries))


@cache
def _english_country_names() -> dict[str, str]:
    return {c.alpha_2: c.name for c in pycountry.countries}


def is_valid_country(code: str) -> bool:
    return code in _country_codes()


def is_valid_jurisdiction(code: str) -> bool:
    """An ISO 3166-1 alpha-2 country or an ISO 3166-2 subdivision (e.g. ``DE-BE``)."""
    if is_valid_country(code):
        return True
    return pycountry.subdivisions.get(code=code) is not None


@cache
def _country_names(lang: str) -> dict[str, str]:
    territories = Locale.parse(lang).territories
    return {
        code: territories.get(code) or _english_country_names()[code] for code in _country_codes()
    }


@cache
def _subdivision_translations(lang: str) -> gettext.NullTranslations:
    return gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=[lang], fallback=True)


def subdivision_name(code: str, lang: str | None = None) -> str:
    """An ISO 3166-2 subdivision's own name in ``lang`` where pycountry has it ("Québec")."""
    sub = pycountry.subdivisions.get(code=code)
    if sub is None:
        return code
    return _subdivision_translations(lang or current_language()).gettext(sub.name)


def country_name(code: str | None, lang: str | None = None) -> str:
    if not code:
        return ""
    lang = lang or current_language()
    if "-" in code:
        if pycountry.subdivisions.get(code=code) is None:
            return code
        country = _country_names(lang).get(code.split("-")[0], code)
        return f"{subdivision_name(code, lang)}, {country}"
    return _country_names(lang).get(code, code)


@cache
def region_choices(lang: str) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """Countries, then their first-level subdivisions (ISO 3166-2), as option groups of
    (code, "name (code)") in ``lang``: the choices of a place picker."""
    countries = tuple((code, f"{name} ({code})") for code, name in country_choices(lang))
    subs = [
        (s.code, f"{country_name(s.code, lang)} ({s.code})")
        for s in pycountry.subdivisions
        if s.parent_code is None
    ]
    subs.sort(key=lambda kv: (_country_names(lang).get(kv[0][:2], "").casefold(), kv[1]))
    with_babel = _subdivision_group_labels(lang)
    return ((with_babel[0], countries), (with_babel[1], tuple(subs)))


def _subdivision_group_labels(lang: str) -> tuple[str, str]:
    with force_locale(lang):
        return _("Countries"), _("Subdivisions (provinces, states, regions)")


@cache
def currency_choices(lang: str) -> tuple[tuple[str, str], ...]:
    """ISO 4217 currencies in use, as (code, "name (code)") in ``lang``, sorted by name."""
    names = Locale.parse(lang).currencies
    codes = sorted(c.alpha_3 for c in pycountry.currencies if c.alpha_3 in names)
    pairs = [(code, f"{names[code]} ({code})") for code in codes]
    return tuple(sorted(pairs, key=lambda kv: kv[1].casefold()))


def territory_currency(territory: str) -> str | None:
    """The currency legal today in a country (or a subdivision's country), e.g. CA → CAD."""
    found = get_territory_currencies(territory.split("-", 1)[0].upper())
    return found[0] if found else None


def country_choices(lang: str | None = None) -> list[tuple[str, str]]:
    names = _country_names(lang or current_language())
    return sorted(names.items(), key=lambda kv: kv[1].casefold())


def text_direction(lang: str | None = None) -> Literal["ltr", "rtl"]:
    """The writing direction of a language (default: the page's) from its CLDR data: "rtl"
    for Arabic, Hebrew, Persian..., "ltr" otherwise (and for a code Babel does not know)."""
    return _direction(lang or current_language())


@cache
def _direction(lang: str) -> Literal["ltr", "rtl"]:
    try:
        order = Locale.parse(lang.replace("-", "_")).character_order
    except (ValueError, TypeError, UnknownLocaleError):
        return "ltr"
    return "rtl" if order == "right-to-left" else "ltr"


def page_direction() -> Literal["ltr", "rtl"]:
    """The direction of the page being rendered (``<html dir=...>``)."""
    return text_direction(current_language())


def back_arrow() -> str:
    """The arrow of a "back to ..." link: it points to where reading starts ("←", "→" in RTL)."""
    return "\u2192" if page_direction() == "rtl" else "\u2190"


def language_name(code: str, in_lang: str | None = None) -> str:
    name = Locale.parse(code).get_display_name(in_lang or current_language()) or code
    return name[:1].upper() + name[1:]


def viewer_timezone() -> str:
    """The signed-in user's zone, else the default (UTC); pages add the browser's via JS."""
    return select_timezone() or str(current_app.config["BABEL_DEFAULT_TIMEZONE"])


@cache
def day_pattern(lang: str) -> str:
    """How the language writes a day with its month's short name: CLDR's ``yMMMd`` skeleton
    ("30 juil. 2026", "30. Juli 2026", "30 jul 2026", "30 يوليو 2026"); English takes the
    British order ("30 Jul 2026"), which no reader on either side of the Atlantic misreads."""
    return str(Locale.parse("en_GB" if lang == "en" else lang).datetime_skeletons["yMMMd"].pattern)


def format_instant(
    value: datetime | None, tz: str | None = None, fmt: str | None = None, zone: bool = True
) -> str:
    """An instant in zone ``tz`` (default: the viewer's), with the zone's abbreviation
    (CDT, CEST...) from the time-zone database, which is DST-correct. One that zone cannot
    hold (year 1 or 9999, stored before ``core.instants`` kept them out) is shown in UTC.
    ``fmt`` is a Babel pattern; by default the language's day (``day_pattern``) and 24-hour
    time."""
    if value is None:
        return ""
    lang = current_language()
    pattern = fmt or f"{day_pattern(lang)} HH:mm"
    return _format_instant(value, tz or viewer_timezone(), pattern, zone, lang)


@lru_cache(maxsize=4096)
def _format_instant(value: datetime, tz: str, fmt: str, zone: bool, lang: str) -> str:
    # Pages repeat the same few instants (deadlines) in a few zones: format each once.
    local = in_zone(value, zoneinfo.ZoneInfo(tz))
    text = babel_format_datetime(local, fmt, tzinfo=local.tzinfo, locale=lang)
    return f"{text} {local.strftime('%Z')}" if zone else text


def format_money(amount: Any, currency: str) -> str:
    """An amount with its ISO currency code, in the viewer's language ("150,000.00 USD",
    "150 000,00 USD"): a bare "$" would not say whether it is Canadian or U.S. dollars."""
    return format_currency(amount, currency, format="#,##0.00\u00a0¤¤", locale=current_language())


def format_number(value: Any, digits: int | None = None) -> str:
    """A number as people of the current locale write it: without trailing zeros, or with
    exactly ``digits`` decimals (scores: "3.50", "3,50"). Digits are those of the locale's
    default numbering system in CLDR: Latin for ``ar`` (as in the browser's ``Intl``)."""
    if value is None:
        return ""
    pattern = "#,##0.##" if digits is None else "#,##0" + ("." + "0" * digits if digits else "")
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not number.is_finite():
        locale = Locale.parse(current_language())
        return parse_pattern(pattern).apply(number, locale, decimal_quantization=True)
    return _number_format(current_language(), pattern).apply(number)


@dataclass(frozen=True)
class _NumberFormat:
    """A plain decimal pattern (no percent, exponent or significant digits) with the locale's
    symbols, applied as Babel's ``NumberPattern.apply`` applies it (tests compare the two):
    Babel looks the symbols up again for every number, and a results page writes a thousand."""

    prefix: tuple[str, str]  # positive, negative
    suffix: tuple[str, str]
    decimal: str
    group: str
    grouping: tuple[int, int]
    min_int: int
    min_frac: int
    max_frac: int

    def apply(self, value: Decimal) -> str:
        negative = int(value.is_signed())
        rounded = abs(value).normalize().quantize(Decimal(1).scaleb(-self.max_frac))
        digits, _, fraction = f"{rounded:f}".partition(".")
        digits = digits.rjust(self.min_int, "0")
        size, grouped = self.grouping[0], ""
        while len(digits) > size:
            grouped = self.group + digits[-size:] + grouped
            digits = digits[:-size]
            size = self.grouping[1]
        fraction = (fraction or "0").ljust(self.min_frac, "0")
        if self.max_frac == 0 or (self.min_frac == 0 and int(fraction) == 0):
            fraction = ""
        else:
            while len(fraction) > self.min_frac and fraction[-1] == "0":
                fraction = fraction[:-1]
            fraction = self.decimal + fraction
        return self.prefix[negative] + digits + grouped + fraction + self.suffix[negative]


@lru_cache(maxsize=64)
def _number_format(lang: str, pattern: str) -> _NumberFormat:
    locale = Locale.parse(lang)
    parsed = parse_pattern(pattern)
    assert parsed.scale == 0 and not parsed.exp_prec and "@" not in pattern, pattern
    unquote = partial(re.sub, r"'([^']*)'", lambda m: m.group(1) or "'")
    return _NumberFormat(
        prefix=(unquote(parsed.prefix[0]), unquote(parsed.prefix[1])),
        suffix=(unquote(parsed.suffix[0]), unquote(parsed.suffix[1])),
        decimal=get_decimal_symbol(locale),
        group=get_group_symbol(locale),
        grouping=(parsed.grouping[0], parsed.grouping[1]),
        min_int=parsed.int_prec[0],
        min_frac=parsed.frac_prec[0],
        max_frac=parsed.frac_prec[1],
    )


def format_signed(value: Any, digits: int = 2) -> str:
    """A deviation with its sign always written ("+0.40"; a minus sign U+2212 before "1,25")."""
    if value is None:
        return ""
    text = format_number(abs(value), digits)
    return ("+" if value >= 0 else "\u2212") + text


def format_percent(value: Any) -> str:
    """A share given in percent (42.0 → "42%", "42 %"), as the locale writes it."""
    if value is None:
        return ""
    return format_percent_babel(Decimal(str(value)) / 100, locale=current_language())


def format_day(value: date | None) -> str:
    """A calendar day in the viewer's language, in the same shape as ``format_instant``'s
    default ("30 Jul 2026", "30 juil. 2026", "30. Juli 2026")."""
    if value is None:
        return ""
    lang = current_language()
    return babel_format_date(value, day_pattern(lang), locale=lang)


_SIZE_UNITS = (
    (10**9, "digital-gigabyte"),
    (10**6, "digital-megabyte"),
    (10**3, "digital-kilobyte"),
)


def format_file_size(size: int) -> str:
    """A file size in the viewer's language, in decimal units ("1.5 MB", "1,5 Mo", "12 bytes",
    "12 octets"): Jinja's ``filesizeformat`` writes English units on every page."""
    lang = current_language()
    for scale, unit in _SIZE_UNITS:
        if size >= scale:
            return format_unit(size / scale, unit, length="short", format="#,##0.#", locale=lang)
    return format_unit(size, "digital-byte", length="long", locale=lang)


def format_duration(delta: timedelta) -> str:
    """A remaining time as its two largest units, e.g. "3 days, 4 hours" / "3 jours, 4 heures";
    seconds count in the last hour ("4 minutes, 10 seconds", "10 seconds"), as the page's live
    countdown (static/js/tandem.js) shows them."""
    seconds = max(int(delta.total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    units: list[tuple[int, Literal["day", "hour", "minute", "second"]]] = [
        (days, "day"),
        (hours, "hour"),
        (minutes, "minute"),
        (seconds if not (days or hours) else 0, "second"),
    ]
    lang = current_language()
    parts: list[str] = []
    for amount, unit in units:
        if amount and len(parts) < 2:  # the two largest: the others are not formatted
            parts.append(
                format_timedelta(
                    timedelta(**{f"{unit}s": amount}),
                    granularity=unit,
                    threshold=10**9,
                    locale=lang,
                )
            )
    if not parts:
        return format_timedelta(timedelta(seconds=0), granularity="second", locale=lang)
    return _list_separator(lang).join(parts)


@cache
def _list_separator(lang: str) -> str:
    """What stands between the items of a list in CLDR ("A, B, C"; Arabic "A وB وC"): the live
    countdown takes the same from ``Intl.ListFormat``."""
    return str(Locale.parse(lang).list_patterns["standard"]["middle"]).format("", "")
