"""The shared timeline: validation, window state computed on read, and display in two zones.

Pure functions (no database): instants are timezone-aware UTC ``datetime`` objects.
"""

from __future__ import annotations

import enum
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from competitions.challenges.models import ROUND_INSTANTS
from competitions.core import instants as supported_range
from competitions.core.translate import gettext as _
from competitions.core.translate import lazy_gettext as _l

INSTANT_LABELS = {
    "registration_opens": _l("Registration opens"),
    "registration_closes": _l("Registration closes"),
    "submission_opens": _l("Submissions open"),
    "submission_deadline": _l("Submission deadline"),
    "judging_closes": _l("Judging closes"),
    "results_at": _l("Results released"),
}
REQUIRED = ("submission_opens", "submission_deadline", "judging_closes", "results_at")


class WindowState(enum.StrEnum):
    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"


def window_state(opens: datetime | None, closes: datetime | None, now: datetime) -> WindowState:
    """Open from ``opens`` (inclusive) until ``closes`` (inclusive: the deadline instant counts)."""
    if opens is not None and now < opens:
        return WindowState.UPCOMING
    if closes is not None and now > closes:
        return WindowState.CLOSED
    return WindowState.OPEN


class LocalTimeError(ValueError):
    pass


def to_utc(local: datetime, zone: str) -> datetime:
    """Interpret a naive wall-clock time in ``zone``; refuse times skipped by a DST change.

    An ambiguous time (clocks going back) is the first occurrence; its zone abbreviation is
    shown wherever it is displayed, so the choice is visible.
    """
    if not supported_range.plausible(local):  # year 0 or 10000 in UTC: not even convertible
        raise LocalTimeError(supported_range.range_message())
    if local.tzinfo is not None:
        return local.astimezone(zoneinfo.ZoneInfo("UTC"))
    tz = zoneinfo.ZoneInfo(zone)
    aware = local.replace(tzinfo=tz, fold=0)
    # A wall time in a DST gap does not survive a round trip through UTC.
    back = aware.astimezone(zoneinfo.ZoneInfo("UTC")).astimezone(tz)
    if back.replace(tzinfo=None) != local:
        raise LocalTimeError(
            _(
                "%(time)s does not exist in %(zone)s: the clocks skip that hour. "
                "Choose a time outside it.",
                time=local.strftime("%Y-%m-%d %H:%M"),
                zone=zone,
            )
        )
    return aware.astimezone(zoneinfo.ZoneInfo("UTC"))


@dataclass(frozen=True)
class TimelineProblem:
    field: str
    message: str


def check_round(instants: Mapping[str, datetime | None]) -> list[TimelineProblem]:
    """Every problem with one round's instants, each on the field it concerns (only those
    outside the supported range when there are any: their order means nothing)."""
    problems = [
        TimelineProblem(field, supported_range.range_message())
        for field in ROUND_INSTANTS
        if (value := instants.get(field)) is not None and not supported_range.supported(value)
    ]
    if problems:
        return problems
    for field in REQUIRED:
        if instants.get(field) is None:
            problems.append(
                TimelineProblem(
                    field,
                    _(
                        "Enter the date and time: %(what)s.",
                        what=str(INSTANT_LABELS[field]).lower(),
                    ),
                )
            )
    opens, closes = instants.get("registration_opens"), instants.get("registration_closes")
    if opens and closes and closes <= opens:
        problems.append(
            TimelineProblem("registration_closes", _("Registration must close after it opens."))
        )
    pairs = [
        (
            "submission_opens",
            "submission_deadline",
            _("The submission deadline must be after submissions open."),
        ),
        (
            "submission_deadline",
            "judging_closes",
            _("Judging must close at or after the submission deadline."),
        ),
        ("judging_closes", "results_at", _("Results must be released at or after judging closes.")),
    ]
    for earlier, later, message in pairs:
        a, b = instants.get(earlier), instants.get(later)
        if a is None or b is None:
            continue
        strictly = earlier == "submission_opens"
        if (b <= a) if strictly else (b < a):
            problems.append(TimelineProblem(later, message))
    reg_opens, sub_opens = instants.get("registration_opens"), instants.get("submission_opens")
    if reg_opens and sub_opens and reg_opens > sub_opens:
        problems.append(
            TimelineProblem(
                "registration_opens", _("Registration must open no later than submissions.")
            )
        )
    deadline = instants.get("submission_deadline")
    if closes and deadline and closes > deadline:
        problems.append(
            TimelineProblem(
                "registration_closes",
                _("Registration must close no later than the submission deadline."),
            )
        )
    return problems


def check_sequence(deadlines: Iterable[tuple[str, datetime]]) -> list[str]:
    """Rounds must follow each other: each deadline after the previous one."""
    problems = []
    previous: tuple[str, datetime] | None = None
    for name, deadline in deadlines:
        if previous is not None and deadline <= previous[1]:
            problems.append(
                _(
                    "The deadline of %(later)s must be after the deadline of %(earlier)s.",
                    later=name,
                    earlier=previous[0],
                )
            )
        previous = (name, deadline)
    return problems


def shift(instant: datetime | None, offset: timedelta) -> datetime | None:
    return instant + offset if instant is not None else None


def round_field_names() -> tuple[str, ...]:
    return ROUND_INSTANTS
