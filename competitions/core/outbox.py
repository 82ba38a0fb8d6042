"""The outbox: every email is first a row, written in the transaction that decided it.

``mail.send_after_commit`` adds an :class:`OutboxMessage`; once that transaction commits the
row is delivered — by a Celery worker (``outbox.dispatch``, kicked after the commit and run by
beat every few seconds) or, where ``OUTBOX_DELIVERY = "inline"`` (tests), right after the
commit in the same process. A rolled-back change leaves no row, so it emails nobody.

Delivery claims rows atomically (``UPDATE … RETURNING``, ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL), so two dispatchers never send the same row; each row is marked sent as soon as the
SMTP server accepts it. Temporary refusals (4xx, a lost connection) are retried with
exponential backoff (30 s doubling up to one hour) for ``RETRY_TEMPORARY_FOR`` (a day) after the
message was written — a mail server refusing everything for hours delays the backlog, it does
not lose it; a message still refused after that is recorded as failed. Permanent refusals (5xx)
are recorded as failed at once. A row left "sending" by a worker that died is claimed again
after ``OUTBOX_CLAIM_TIMEOUT`` seconds; each claim counts as an attempt, so a row that never
finishes sending (it kills its worker) fails once it has had ``MAX_ATTEMPTS`` attempts.

One message never holds up the others: one that cannot be built (a header with a line break)
or that the transport cannot send (``mail.Unsendable``, or any exception of the transport that
is not a connection failure) is recorded as failed with its error, and the batch goes on.
"""

from __future__ import annotations

import enum
import logging
import smtplib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import and_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from competitions.core import claims, clock, mail
from competitions.core.db import Base, SurrogateKey, UTCDateTime
from competitions.core.extensions import db

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8  # claims of a row that never finished sending (its worker died each time)
RETRY_TEMPORARY_FOR = timedelta(days=1)  # temporary refusals are retried this long
FIRST_RETRY = timedelta(seconds=30)
LAST_RETRY = timedelta(hours=1)
BATCH = 100


class Status(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    RETRYING = "retrying"
    FAILED = "failed"


class OutboxMessage(SurrogateKey, Base):
    """One email to one recipient, and what became of it (the delivery ledger)."""

    __tablename__ = "outbox_message"

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
    # The challenge subscription an announcement was sent under (None for other mail): the
    # insights count the outreach per subscription language and unsubscription by this id,
    # not by matching 100,000 addresses case-insensitively per view.
    subscription_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("subscription.id", ondelete="SET NULL")
    )

    __table_args__ = (
        sa.UniqueConstraint("source", "to_address"),
        # For the foreign key (a challenge's deletion nulls its subscriptions' ids).
        sa.Index(
            "ix_outbox_message_subscription_id",
            "subscription_id",
            postgresql_where=sa.text("subscription_id IS NOT NULL"),
            sqlite_where=sa.text("subscription_id IS NOT NULL"),
        ),
        sa.Index("ix_outbox_message_due", "status", "next_attempt_at"),
        sa.CheckConstraint(
            "status IN ('queued', 'sending', 'sent', 'retrying', 'failed')",
            name="outbox_status_valid",
        ),
    )


def claim(limit: int = BATCH, ids: list[int] | None = None) -> list[int]:
    """Mark up to ``limit`` due rows as being sent by this process and answer their ids
    (committed: no other dispatcher can take them).

    Rows left "sending" by a dead worker come first, then due retries, then due new rows, each
    kind the earliest due first. Each kind is read in the order of the ``(status,
    next_attempt_at)`` index, so a claim stops after ``limit`` rows instead of sorting every
    due row (about 100 ms a claim with 100,000 rows due at one instant). One statement: the
    three kinds are three limited index walks united, the first ``limit`` of them updated."""
    now = clock.now()
    stale = now - timedelta(seconds=current_app.config.get("OUTBOX_CLAIM_TIMEOUT", 300))
    m = OutboxMessage
    kinds = [
        and_(m.status == Status.SENDING.value, m.claimed_at < stale),
        and_(m.status == Status.RETRYING.value, m.next_attempt_at <= now),
        and_(m.status == Status.QUEUED.value, m.next_attempt_at <= now),
    ]
    skip_locked = db.session.get_bind().dialect.name == "postgresql"
    walks = []
    for rank, kind in enumerate(kinds):
        due = (
            select(m.id, sa.literal(rank).label("kind"), m.next_attempt_at)
            .where(kind)
            .order_by(m.next_attempt_at)
            .limit(limit)
        )
        if ids is not None:
            due = due.where(m.id.in_(ids))
        if skip_locked:
            due = due.with_for_update(skip_locked=True)
        walks.append(select(due.cte(f"due_{rank}")))
    candidates = sa.union_all(*walks).subquery()
    chosen = (
        select(candidates.c.id)
        .order_by(candidates.c.kind, candidates.c.next_attempt_at)
        .limit(limit)
    )
    claimed, failed = claims.mark_claimed(m, chosen.scalar_subquery(), now, MAX_ATTEMPTS)
    if failed:
        log.warning("outbox: messages %s failed: %s", failed, claims.ABANDONED)
    return claimed


ANALYZE_AFTER = 1000


def written_in_bulk(n: int) -> None:
    """After writing ``n`` rows at once (an announcement): on PostgreSQL, refresh the table's
    statistics in this transaction (they apply once it commits). With statistics that still
    count few due rows, the planner would read every due row and sort them at each claim
    instead of walking the index (100 ms instead of 1 ms a claim with 100,000 rows due)."""
    if n >= ANALYZE_AFTER and db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("ANALYZE outbox_message"))


def _retry_delay(attempts: int) -> timedelta:
    return min(FIRST_RETRY * (2 ** max(0, attempts - 1)), LAST_RETRY)


def _relaxed_commit() -> None:
    """On PostgreSQL, a delivery outcome need not wait for the disk flush: if the *database
    server* crashed in the next instant, the row would still say "sending" and be sent again
    after the claim timeout — a duplicate in a rare crash, never a loss. A killed worker is
    unaffected: the commit itself is acknowledged."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SET LOCAL synchronous_commit TO OFF"))


Key = tuple[int, int, datetime]  # (message id, attempts, when the message was written)
_t = cast(sa.Table, OutboxMessage.__table__)
# One statement for every outcome, built once (executing it again costs no compilation).
_RECORD = (
    update(_t)
    .where(_t.c.id == sa.bindparam("message_id"))
    .values(
        status=sa.bindparam("status", type_=_t.c.status.type),
        last_error=sa.bindparam("last_error", type_=_t.c.last_error.type),
        sent_at=sa.func.coalesce(sa.bindparam("sent_at", type_=_t.c.sent_at.type), _t.c.sent_at),
        next_attempt_at=sa.func.coalesce(
            sa.bindparam("retry_at", type_=_t.c.next_attempt_at.type), _t.c.next_attempt_at
        ),
    )
)


def _permanent(error: BaseException) -> bool:
    """A 5xx refusal, or a fault of the message itself (not of the server or the connection:
    those are ``OSError`` or ``SMTPException``, worth another try)."""
    code = getattr(error, "smtp_code", None)
    if isinstance(code, int):
        return 500 <= code < 600
    return not isinstance(error, OSError | smtplib.SMTPException)


def _outcome(key: Key, error: BaseException | None) -> dict[str, Any]:
    """The parameters of ``_RECORD`` for one attempt's outcome."""
    message_id, attempts, created_at = key
    now = clock.now()
    values: dict[str, Any] = {"message_id": message_id, "sent_at": None, "retry_at": None}
    if error is None:
        return {**values, "status": Status.SENT.value, "sent_at": now, "last_error": None}
    values["last_error"] = f"{type(error).__name__}: {error}"[:2000]
    if _permanent(error) or now - created_at >= RETRY_TEMPORARY_FOR:
        values["status"] = Status.FAILED.value
        log.warning("outbox: message %s failed: %s", message_id, error)
    else:
        values["status"] = Status.RETRYING.value
        values["retry_at"] = now + _retry_delay(attempts)
    return values


@contextmanager
def _ledger() -> Iterator[Callable[[Key, BaseException | None], str]]:
    """A recorder of outcomes, each committed at once (before the next message is sent).

    On PostgreSQL with an engine (production, workers), one connection for the whole batch in
    autocommit mode with ``synchronous_commit`` off (see ``_relaxed_commit``): one round trip
    per outcome. Otherwise (SQLite; a session bound to a connection, as in the tests' rollback
    isolation) through the session, one commit per outcome as well."""
    bind = db.session.get_bind()
    if isinstance(bind, sa.Engine) and bind.dialect.name == "postgresql":
        with bind.connect() as conn:
            auto = conn.execution_options(isolation_level="AUTOCOMMIT")
            auto.exec_driver_sql("SET synchronous_commit TO OFF")

            def direct(key: Key, error: BaseException | None) -> str:
                values = _outcome(key, error)
                auto.execute(_RECORD, values)  # committed when it returns
                return str(values["status"])

            try:
                yield direct
            finally:
                if not conn.invalidated:
                    auto.exec_driver_sql("RESET synchronous_commit")
        return

    def through_session(key: Key, error: BaseException | None) -> str:
        _relaxed_commit()
        values = _outcome(key, error)
        db.session.execute(_RECORD, values)
        db.session.commit()
        return str(values["status"])

    yield through_session


Record = Callable[[Key, BaseException | None], None]


def _wires(rows: list[Any], record: Record) -> list[tuple[Key, mail.Wire]]:
    """The bytes of each row; a row that cannot be built is recorded as failed here."""
    sender = current_app.config["MAIL_FROM"]
    batch = []
    for row in rows:
        key = (row.id, row.attempts, row.created_at)
        try:
            wire = mail.wire_message(
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
            )
        except Exception as exc:  # e.g. a line break in a header: this row only
            log.warning("outbox: message %s cannot be built: %s", row.id, exc)
            record(key, exc)
            continue
        batch.append((key, wire))
    return batch


def _send(batch: list[tuple[Key, mail.Wire]], record: Record) -> None:
    """Hand ``batch`` to the transport, recording each answer as it comes. A failure of the
    connection puts the rest back for later; any other exception fails the message in flight
    alone, and the rest goes on over a new connection."""
    transport = mail.get_transport()
    while batch:
        answers = iter(transport.send_each([wire for _key, wire in batch]))
        done, broke = 0, False
        try:
            while done < len(batch) and not broke:
                key = batch[done][0]
                try:
                    error = next(answers)
                except StopIteration:
                    error = ConnectionError("the transport gave no answer for this message")
                except (OSError, smtplib.SMTPException) as exc:  # the connection failed
                    log.warning("outbox: SMTP connection failed after %d message(s): %s", done, exc)
                    for rest, _wire in batch[done:]:
                        record(rest, exc)
                    return
                except Exception as exc:  # this message broke the transport: it alone fails
                    log.exception("outbox: message %s could not be sent", key[0])
                    error, broke = exc, True
                record(key, error)
                done += 1
        finally:
            close = getattr(answers, "close", None)
            if close is not None:
                close()  # a generator's connection is closed now, not when collected
        batch = batch[done:]


def deliver(ids: list[int]) -> dict[str, int]:
    """Send the claimed rows ``ids`` over one connection; answer how many ended in each state.

    Each outcome is committed as soon as the SMTP server has answered that message, before the
    next one is sent: a worker killed mid-batch can have sent at most the message in flight
    without recording it (it is sent again, with the same Message-ID, after the claim times
    out)."""
    counts: dict[str, int] = {}
    if not ids:
        return counts
    t = OutboxMessage.__table__.c
    rows = db.session.execute(
        select(
            t.id,
            t.attempts,
            t.to_address,
            t.subject,
            t.text_body,
            t.html_body,
            t.headers,
            t.sender,
            t.created_at,
        )
        .where(t.id.in_(ids))
        .order_by(t.id)
    ).all()
    db.session.rollback()  # no transaction held open while talking to the SMTP server
    with _ledger() as finish:

        def record(key: Key, error: BaseException | None) -> None:
            status = finish(key, error)
            counts[status] = counts.get(status, 0) + 1

        _send(_wires(list(rows), record), record)
    return counts


def dispatch(limit: int = BATCH, rounds: int = 50) -> dict[str, int]:
    """Deliver due rows batch by batch until none is left (or ``rounds`` batches)."""
    return claims.drain(claim, deliver, limit, rounds)


def deliver_now(ids: list[int]) -> None:
    """Inline delivery of the rows a request just committed (``OUTBOX_DELIVERY = "inline"``)."""
    try:
        deliver(claim(len(ids), ids))
    except Exception:
        # The change is committed and the rows stay due: the next dispatch sends them.
        db.session.rollback()
        log.exception("outbox: inline delivery of %s failed", ids)


_waker = claims.Waker("outbox.dispatch", "outbox")


def kick(ids: list[int]) -> None:
    """After a commit that wrote ``ids``: deliver them here (``OUTBOX_DELIVERY = "inline"``),
    or wake a worker (at most once a second per process, see ``claims.Waker``)."""
    if claims.mode("OUTBOX_DELIVERY") == "inline":
        deliver_now(ids)
        return
    _waker.wake()


def stats() -> dict[str, Any]:
    rows = db.session.execute(
        select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
    ).all()
    return {str(status): int(n) for status, n in rows}
