"""Side effects that may happen only once the current transaction has committed.

Sending an email or deleting a replaced file must not happen for a change that is rolled
back. ``run_after_commit`` queues a callable on the session; it runs after the outermost
commit (not when a SAVEPOINT is released) and is dropped if the transaction rolls back —
or if the SAVEPOINT it was queued in rolls back. ``run_after_rollback`` is the converse (undo
a side effect already made), with the same SAVEPOINT rule. A failing callable is logged; the
change it follows is already committed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)
_KEY = "tandem_after_commit"
_UNDO_KEY = "tandem_after_rollback"
_READY_KEY = "tandem_committed"


Queued = tuple[SessionTransaction, Callable[[], None]]


def _queue(session: Session, key: str) -> list[Queued]:
    if session.get_transaction() is None:
        session.begin()  # so that a rollback before any SQL still discards the queue
    queue: list[Queued] = session.info.setdefault(key, [])
    return queue


def innermost(session: Session) -> SessionTransaction:
    """The transaction (or SAVEPOINT) that work done now belongs to."""
    return _innermost(session)


def _innermost(session: Session) -> SessionTransaction:
    transaction = session.get_nested_transaction() or session.get_transaction()
    assert transaction is not None
    return transaction


def run_after_commit(callback: Callable[[], None], *, session: Session | None = None) -> None:
    """Run ``callback`` after the commit; ``session`` given: tied to its whole transaction,
    not to the SAVEPOINT open now."""
    from competitions.core.extensions import db

    queue = _queue(session or db.session(), _KEY)
    root = session.get_transaction() if session is not None else None
    queue.append((root or _innermost(db.session()), callback))


def run_after_rollback(callback: Callable[[], None]) -> None:
    """Undo a side effect already made (e.g. bytes written to storage) if the transaction
    rolls back; forgotten once it commits."""
    from competitions.core.extensions import db

    session = db.session()
    _queue(session, _UNDO_KEY).append((_innermost(session), callback))


def outcome_unknown(session: Session) -> None:
    """The connection was lost while committing: the change may have been applied. The undo
    actions queued for a rollback (deleting the files the change stored) are dropped, not run:
    a file no row names is harmless, a recorded version without its file is not. They are
    logged, so that what they would have removed can be checked once the database is back."""
    undo = session.info.pop(_UNDO_KEY, [])
    if undo:
        log.warning(
            "commit outcome unknown (connection lost); kept instead of undone: %s",
            ", ".join(repr(callback) for _t, callback in undo),
        )


def _call(callbacks: list[Callable[[], None]], what: str) -> None:
    for callback in callbacks:
        try:
            callback()
        except Exception:
            log.exception("%s action %r failed", what, callback)


@event.listens_for(Session, "after_commit")
def _ready(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT was released; the outer transaction can still roll back
    session.info.pop(_UNDO_KEY, None)
    # Run by ``run_committed`` once ``commit()`` has returned: inside this event the session
    # cannot emit SQL, and a callback (outbox delivery) may need it.
    ready = [callback for _t, callback in session.info.pop(_KEY, [])]
    session.info.setdefault(_READY_KEY, []).extend(ready)


def run_committed(session: Session) -> None:
    """Run the callbacks of the transaction ``session`` just committed (by ``TandemSession``)."""
    while session.info.get(_READY_KEY):
        _call(session.info.pop(_READY_KEY), "after-commit")


def within(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    """Whether ``transaction`` is ``ended`` or nested in it."""
    return _within(transaction, ended)


def _within(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(Session, "after_soft_rollback")
def _drop(session: Session, previous_transaction: SessionTransaction) -> None:
    """Forget what was queued in the transaction (or SAVEPOINT) rolled back; undo its effects."""
    if previous_transaction.parent is not None and not previous_transaction.nested:
        return  # a subtransaction: the real rollback comes with its parent
    for key in (_KEY, _UNDO_KEY):
        queue: list[Queued] = session.info.get(key, [])
        ended = [q for q in queue if _within(q[0], previous_transaction)]
        session.info[key] = [q for q in queue if not _within(q[0], previous_transaction)]
        if key == _UNDO_KEY:
            _call([callback for _t, callback in reversed(ended)], "after-rollback")
