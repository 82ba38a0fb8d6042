"""Periodic work (the beat's ticks): one unit that fails never stops the others.

A tick goes through many independent units (a round's reminders, a challenge's timeline
changes, an announcement to release), committing each as it goes. ``isolated`` wraps one: if it
raises, its uncommitted work is rolled back and the error logged with what it was, and the tick
goes on with the next unit; the failed one is tried again at the next tick.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from competitions.core.extensions import db

log = logging.getLogger(__name__)


@contextmanager
def isolated(tick: str, unit: str) -> Iterator[None]:
    """``with isolated("outreach.deadline_notices", f"round {rnd.id}"):`` — an exception in
    the block is logged and swallowed, after a rollback of the session."""
    try:
        yield
    except Exception:
        db.session.rollback()
        log.exception("%s: %s failed; skipped until the next tick", tick, unit)
