"""The outbox: every email is first a row, written in the transaction that decided it.

``mail.send_after_commit`` adds an :class:`OutboxMessage`; once that transaction commits the
row is delivered — by a Celery worker (``outbox.dispatch``, kicked after the commit and run by
beat every few seconds) or, where ``OUTBOX_DELIVERY = "inline"`` (tests), right after the
commit in the same process. A rolled-back change leaves no row, so it emails nobody.

Delivery claims rows atomically (``UPDATE … RETURNING``, ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL), so two dispatchers never send the same row; each row is marked sent as soon as the
SMTP server accepts it. Temporary refusals (4xx, a lost connection) are retried with
exponential backoff up to ``MAX_ATTEMPTS``; permanent ones (5xx) are recorded as failed. A row
left "sending" by a worker that died is claimed again after ``OUTBOX_CLAIM_TIMEOUT`` seconds.
"""

from __future__ import annotations

import enum
import logging
import smtplib
import time
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from competitions.core import clock
from competitions.core.db import Base, UTCDateTime
from competitions.extensions import db

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
LAST_RETRY = timedelta(hours=1)
BATCH = 100


class Status(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    RETRYING = "retrying"
    FAILED = "failed"


class OutboxMessage(Base):
    """One email to one recipient, and what became of it (the delivery ledger)."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    # What caused it (e.g. "submission_version:12:receipt"): one message per source and address.
    source: Mapped[str | None] = mapped_column(sa.String(120))
    to_address: Mapped[str] = mapped_column(sa.String(320))
    sender: Mapped[str | None] = mapped_column(sa.String(320))
    subject: Mapped[str] = mapped_column(sa.String(998))
    text_body: Mapped[str] = mapped_column(sa.Text)
    html_body: Mapped[str | None] = mapped_column(sa.Text)
    headers: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    status: Mapped[str] = mapped_column(sa.String(16), default=Status.QUEUED.value)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    __table_args__ = (
        sa.UniqueConstraint("source", "to_address"),
        sa.Index("ix_outbox_message_due", "status", "next_attempt_at"),
        sa.CheckConstraint(
            "status IN ('queued', 'sending', 'sent', 'retrying', 'failed')",
            name="outbox_status_valid",
        ),
    )


def claim(limit: int = BATCH, ids: list[int] | None = None) -> list[int]:
    """Mark up to ``limit`` due rows as being sent by this process and answer their ids
    (committed: no other dispatcher can take them)."""
    now = clock.now()
    stale = now - timedelta(seconds=current_app.config.get("OUTBOX_CLAIM_TIMEOUT", 300))
    due = (
        select(OutboxMessage.id)
        .where(
            or_(
                and_(
                    OutboxMessage.status.in_([Status.QUEUED.value, Status.RETRYING.value]),
                    OutboxMessage.next_attempt_at <= now,
                ),
                and_(
                    OutboxMessage.status == Status.SENDING.value,
                    OutboxMessage.claimed_at < stale,
                ),
            )
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if ids is not None:
        due = due.where(OutboxMessage.id.in_(ids))
    if db.session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    claimed = list(
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(due.scalar_subquery()))
            .values(
                status=Status.SENDING.value,
                claimed_at=now,
                attempts=OutboxMessage.attempts + 1,
            )
            .returning(OutboxMessage.id),
            execution_options={"synchronize_session": False},
        ).scalars()
    )
    db.session.commit()
    return sorted(claimed)


def _retry_delay(attempts: int) -> timedelta:
    return min(FIRST_RETRY * (2 ** max(0, attempts - 1)), LAST_RETRY)


def _relaxed_commit() -> None:
    """On PostgreSQL, a delivery outcome need not wait for the disk flush: if the *database
    server* crashed in the next instant, the row would still say "sending" and be sent again
    after the claim timeout — a duplicate in a rare crash, never a loss. A killed worker is
    unaffected: the commit itself is acknowledged."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SET LOCAL synchronous_commit TO OFF"))


def _finish(message_id: int, attempts: int, error: BaseException | None) -> str:
    """Record the outcome of one attempt (one UPDATE) and commit it at once."""
    _relaxed_commit()
    now = clock.now()
    values: dict[str, Any]
    if error is None:
        values = {"status": Status.SENT.value, "sent_at": now, "last_error": None}
    else:
        code = getattr(error, "smtp_code", None)
        permanent = isinstance(code, int) and 500 <= code < 600
        values = {"last_error": f"{type(error).__name__}: {error}"[:2000]}
        if permanent or attempts >= MAX_ATTEMPTS:
            values["status"] = Status.FAILED.value
            log.warning("outbox: message %s failed: %s", message_id, error)
        else:
            values["status"] = Status.RETRYING.value
            values["next_attempt_at"] = now + _retry_delay(attempts)
    db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    return str(values["status"])


def deliver(ids: list[int]) -> dict[str, int]:
    """Send the claimed rows ``ids`` over one connection; answer how many ended in each state."""
    from competitions.core import mail

    counts: dict[str, int] = {}
    if not ids:
        return counts
    rows = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
    ).all()
    sender = current_app.config["MAIL_FROM"]
    batch = [
        (
            (row.id, row.attempts),
            mail.build_message(
                mail.Mail(
                    to=row.to_address,
                    subject=row.subject,
                    text=row.text_body,
                    html=row.html_body,
                    headers=dict(row.headers or {}),
                    sender=row.sender,
                ),
                sender,
                message_id=f"outbox.{row.id}.{row.created_at:%Y%m%d%H%M%S}",
            ),
        )
        for row in rows
    ]
    db.session.rollback()  # no transaction held open while talking to the SMTP server
    results = mail.get_transport().send_each([m for _i, m in batch])
    done = 0
    try:
        for ((message_id, attempts), _msg), error in zip(batch, results, strict=False):
            status = _finish(message_id, attempts, error)
            counts[status] = counts.get(status, 0) + 1
            done += 1
    except (OSError, smtplib.SMTPException) as exc:  # the connection itself failed
        log.warning("outbox: SMTP connection failed after %d message(s): %s", done, exc)
        for (message_id, attempts), _msg in batch[done:]:
            status = _finish(message_id, attempts, exc)
            counts[status] = counts.get(status, 0) + 1
    return counts


def dispatch(limit: int = BATCH, rounds: int = 50) -> dict[str, int]:
    """Deliver due rows batch by batch until none is left (or ``rounds`` batches)."""
    totals: dict[str, int] = {}
    for _ in range(rounds):
        ids = claim(limit)
        if not ids:
            break
        for status, n in deliver(ids).items():
            totals[status] = totals.get(status, 0) + n
    return totals


def deliver_now(ids: list[int]) -> None:
    """Inline delivery of the rows a request just committed (``OUTBOX_DELIVERY = "inline"``)."""
    try:
        deliver(claim(len(ids), ids))
    except Exception:
        # The change is committed and the rows stay due: the next dispatch sends them.
        db.session.rollback()
        log.exception("outbox: inline delivery of %s failed", ids)


_kicks = {"last": 0.0, "delayed_until": 0.0}
KICK_EVERY = 1.0  # seconds: at most one wake-up per process per second, then one delayed


def kick(ids: list[int]) -> None:
    """After a commit that wrote ``ids``: deliver them here, or wake a worker.

    Under load a web process wakes the worker at most once a second, plus one delayed wake-up
    for what arrived meanwhile: a dispatch sends every due row, in batches over one connection.
    """
    if current_app.config.get("OUTBOX_DELIVERY", "worker") == "inline":
        deliver_now(ids)
        return
    from competitions.core.tasks import send_task

    now = time.monotonic()
    try:
        if now - _kicks["last"] >= KICK_EVERY:
            _kicks["last"] = now
            send_task("outbox.dispatch")
        elif now >= _kicks["delayed_until"]:
            _kicks["delayed_until"] = now + KICK_EVERY
            send_task("outbox.dispatch", countdown=KICK_EVERY)
    except Exception:
        log.exception("outbox: could not wake a worker; beat's next tick will send them")


def stats() -> dict[str, Any]:
    rows = db.session.execute(
        select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
    ).all()
    return {str(status): int(n) for status, n in rows}
