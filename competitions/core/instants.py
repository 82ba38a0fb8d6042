"""The instants Tandem accepts, and how one outside them is still shown.

Every instant that enters (a round's dates, a milestone, an announcement's release, an
extension, dates shifted to a next edition) lies between ``EARLIEST`` and ``LATEST``: services
refuse others with ``check``, on the field they came in. Years 1 and 9999 would otherwise be
stored, and then every page or task that puts them in a time zone or on a scale fails (a
``datetime`` cannot hold year 0 or year 10000 of a zone next to UTC).

Rows written before the range was enforced may still hold such instants: display code puts an
instant in a zone with ``in_zone``, which never raises (it keeps UTC when the zone cannot hold
it), and leaves instants outside the range off scales and calendars (``supported``).
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from competitions.core.errors import DomainError
from competitions.core.translate import gettext as _

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


def supported(value: datetime) -> bool:
    """Whether ``value`` (aware, in any zone) lies in the supported range. Comparing aware
    instants converts nothing, so this holds for any value a ``datetime`` can hold."""
    return EARLIEST <= value <= LATEST


def plausible(wall_time: datetime) -> bool:
    """Whether a wall-clock time (naive, or aware in any zone) is near enough to the range to
    be turned into UTC safely; the exact range is checked on the UTC instant after that."""
    return EARLIEST.year - 1 <= wall_time.year <= LATEST.year + 1


def range_message() -> str:
    return _(
        "Enter a date between the years %(first)d and %(last)d.",
        first=EARLIEST.year,
        last=LATEST.year,
    )


def check(value: datetime | None, field: str) -> None:
    """``DomainError`` on ``field`` unless ``value`` is missing or in the supported range."""
    if value is not None and not supported(value):
        raise DomainError(range_message(), field=field)


def in_zone(value: datetime, zone: tzinfo) -> datetime:
    """``value`` in ``zone``; in UTC when that zone's wall clock cannot hold it (the first or
    last hours a ``datetime`` can hold, stored before the range was enforced)."""
    try:
        return value.astimezone(zone)
    except OverflowError:
        return value.astimezone(UTC)
