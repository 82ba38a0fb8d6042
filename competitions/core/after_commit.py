"""Side effects that may happen only once the current transaction has committed.

Sending an email or deleting a replaced file must not happen for a change that is rolled
back. ``run_after_commit`` queues a callable on the session; it runs after the outermost
commit (not when a SAVEPOINT is released) and is dropped if the transaction rolls back.
A failing callable is logged; the change it follows is already committed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
_KEY = "tandem_after_commit"
_UNDO_KEY = "tandem_after_rollback"


def pending(session: Session) -> list[Callable[[], None]]:
    """The session's queue (created, and a transaction begun, if needed)."""
    if session.get_transaction() is None:
        session.begin()  # so that a rollback before any SQL still discards the queue
    queue: list[Callable[[], None]] = session.info.setdefault(_KEY, [])
    return queue


def run_after_commit(callback: Callable[[], None]) -> None:
    from competitions.extensions import db

    pending(db.session()).append(callback)


def run_after_rollback(callback: Callable[[], None]) -> None:
    """Undo a side effect already made (e.g. bytes written to storage) if the transaction
    rolls back; forgotten once it commits."""
    from competitions.extensions import db

    session = db.session()
    if session.get_transaction() is None:
        session.begin()
    session.info.setdefault(_UNDO_KEY, []).append(callback)


@event.listens_for(Session, "after_commit")
def _run(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT was released; the outer transaction can still roll back
    session.info.pop(_UNDO_KEY, None)
    for callback in session.info.pop(_KEY, []):
        try:
            callback()
        except Exception:
            log.exception("after-commit action %r failed", callback)


@event.listens_for(Session, "after_soft_rollback")
def _drop(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:  # the whole unit of work was rolled back
        session.info.pop(_KEY, None)
        for callback in session.info.pop(_UNDO_KEY, []):
            try:
                callback()
            except Exception:
                log.exception("after-rollback action %r failed", callback)
