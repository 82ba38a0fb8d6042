"""Named locks for periodic work, so that two beat processes never run the same tick at once.

On PostgreSQL: a session-level advisory lock held by a connection of its own for the whole
tick (the tick itself commits as it goes); it is released at the end, or by the server if the
process dies. SQLite has one writer at a time anyway, so the lock is always granted there.
Ticks stay safe without it (their claims are atomic); the lock saves the duplicate work.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from competitions.core.extensions import db


@contextmanager
def tick_lock(name: str) -> Iterator[bool]:
    """``with tick_lock("x") as mine:`` — ``mine`` is False if another process holds it."""
    engine = db.engine
    if engine.dialect.name != "postgresql":
        yield True
        return
    with engine.connect() as conn:
        key = {"name": f"tandem.{name}"}
        mine = bool(conn.scalar(sa.text("SELECT pg_try_advisory_lock(hashtext(:name))"), key))
        conn.commit()
        try:
            yield mine
        finally:
            if mine:
                conn.scalar(sa.text("SELECT pg_advisory_unlock(hashtext(:name))"), key)
                conn.commit()
