"""Languages, time zones and countries: selection, validation and display."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from functools import cache

import pycountry
from babel import Locale
from babel.dates import format_datetime as babel_format_datetime
from flask import current_app, request, session
from flask_babel import get_locale as babel_get_locale
from flask_login import current_user


def languages() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def select_locale() -> str:
    """The interface language: the user's preference, then the session, then the browser."""
    supported = languages()
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
    loc = babel_get_locale()
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


def country_name(code: str | None, lang: str | None = None) -> str:
    if not code:
        return ""
    lang = lang or current_language()
    if "-" in code:
        sub = pycountry.subdivisions.get(code=code)
        country = _country_names(lang).get(code.split("-")[0], code)
        return f"{sub.name}, {country}" if sub is not None else code
    return _country_names(lang).get(code, code)


def country_choices(lang: str | None = None) -> list[tuple[str, str]]:
    names = _country_names(lang or current_language())
    return sorted(names.items(), key=lambda kv: kv[1].casefold())


def language_name(code: str, in_lang: str | None = None) -> str:
    name = Locale.parse(code).get_display_name(in_lang or current_language()) or code
    return name[:1].upper() + name[1:]


def format_instant(
    value: datetime | None, tz: str | None = None, fmt: str = "d MMM y HH:mm zzz"
) -> str:
    """An instant in zone ``tz`` (default: the viewer's) with the zone abbreviation."""
    if value is None:
        return ""
    zone = zoneinfo.ZoneInfo(
        tz or select_timezone() or current_app.config["BABEL_DEFAULT_TIMEZONE"]
    )
    return babel_format_datetime(value, fmt, tzinfo=zone, locale=current_language())
