"""The one source of "now" for the application.

Everything that depends on the current instant (token expiry, deadlines, window state) calls
``clock.now()`` so tests can freeze or move time without patching the standard library.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_frozen: datetime | None = None


def now() -> datetime:
    """The current instant, timezone-aware in UTC."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC)


def set_now(instant: datetime | None) -> None:
    """Freeze the clock at ``instant`` (aware), or release it with ``None``."""
    global _frozen
    if instant is not None and instant.tzinfo is None:
        raise ValueError("the clock only accepts timezone-aware instants")
    _frozen = instant.astimezone(UTC) if instant is not None else None


def advance(delta: timedelta) -> datetime:
    """Move a frozen clock forward (freezing it at the real time first if needed)."""
    set_now(now() + delta)
    return now()


@contextmanager
def frozen_at(instant: datetime) -> Iterator[None]:
    previous = _frozen
    set_now(instant)
    try:
        yield
    finally:
        set_now(previous)
