"""The outbox: an email is a row written with the change that causes it, delivered after the
commit through a real SMTP server, retried on temporary refusals, recorded on permanent ones,
and never sent twice by two dispatchers."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from competitions.core import mail as mail_module
from competitions.core import outbox
from competitions.core.extensions import db
from competitions.core.outbox import OutboxMessage
from tests.support.live import wait_until


def message(to: str, subject: str = "Hello") -> mail_module.Mail:
    return mail_module.Mail(to=to, subject=subject, text="Body", html="<p>Body</p>")


def rows(to: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == to)))


def test_the_row_is_written_with_the_change_and_sent_after_the_commit(db, mail, clock):
    mail_module.send_after_commit(message("ledger@example.org"), source="test:1")
    db.session.flush()
    (row,) = rows("ledger@example.org")
    assert row.status == "queued" and mail.to("ledger@example.org") == []
    db.session.commit()
    (received,) = mail.to("ledger@example.org")
    assert received["Subject"] == "Hello"
    # The same Message-ID for every attempt at this row: a resent copy is the same message.
    assert received["Message-ID"].startswith(f"<outbox.{rows('ledger@example.org')[0].id}.")
    (row,) = rows("ledger@example.org")
    assert row.status == "sent" and row.attempts == 1 and row.sent_at == clock.now()


def test_a_rolled_back_change_leaves_no_row_and_sends_nothing(db, mail):
    mail_module.send_after_commit(message("never@example.org"))
    db.session.rollback()
    db.session.commit()
    assert rows("never@example.org") == [] and mail.to("never@example.org") == []


def test_a_rolled_back_savepoint_takes_its_row_with_it(db, mail):
    mail_module.send_after_commit(message("kept@example.org"))
    savepoint = db.session.begin_nested()
    mail_module.send_after_commit(message("undone@example.org"))
    savepoint.rollback()
    db.session.commit()
    assert rows("undone@example.org") == [] and mail.to("undone@example.org") == []
    assert len(mail.to("kept@example.org")) == 1


def test_one_message_per_source_and_address(db, mail):
    for _ in range(2):
        mail_module.send_after_commit(message("once@example.org"), source="receipt:7")
    db.session.commit()
    mail_module.send_after_commit(message("once@example.org"), source="receipt:7")
    mail_module.send_after_commit(message("other@example.org"), source="receipt:7")
    db.session.commit()
    assert len(rows("once@example.org")) == 1 and len(mail.to("once@example.org")) == 1
    assert len(mail.to("other@example.org")) == 1


def test_a_temporary_refusal_is_retried_with_backoff_then_delivered(db, mail, clock):
    mail.busy = 2
    mail_module.send_after_commit(message("busy@example.org"))
    db.session.commit()
    (row,) = rows("busy@example.org")
    assert row.status == "retrying" and row.attempts == 1 and "421" in row.last_error
    assert row.next_attempt_at == clock.now() + timedelta(seconds=30)
    assert outbox.dispatch() == {}  # not due yet
    clock.advance(timedelta(seconds=31))
    assert outbox.dispatch() == {"retrying": 1}
    db.session.refresh(row)
    assert row.attempts == 2 and row.next_attempt_at == clock.now() + timedelta(seconds=60)
    clock.advance(timedelta(seconds=61))
    assert outbox.dispatch() == {"sent": 1}
    assert len(mail.to("busy@example.org")) == 1


def test_a_permanent_refusal_is_recorded_and_the_rest_of_the_batch_goes(db, mail):
    mail.refuse["nobody@example.org"] = "550 5.1.1 No such user"
    for to in ("a@example.org", "nobody@example.org", "b@example.org"):
        mail_module.send_after_commit(message(to))
    db.session.commit()
    (failed,) = rows("nobody@example.org")
    assert failed.status == "failed" and "550" in failed.last_error
    assert [r.status for r in rows("a@example.org") + rows("b@example.org")] == ["sent", "sent"]
    assert len(mail.to("a@example.org")) == len(mail.to("b@example.org")) == 1


def test_temporary_refusals_are_retried_for_a_day_then_the_message_fails(db, mail, clock):
    mail.busy = 1000
    mail_module.send_after_commit(message("tired@example.org"))
    db.session.commit()
    written = clock.now()
    (row,) = rows("tired@example.org")
    while clock.now() - written < outbox.RETRY_TEMPORARY_FOR - timedelta(hours=1):
        clock.set_now(row.next_attempt_at)
        outbox.dispatch()
        db.session.refresh(row)
        assert row.status == "retrying", row.last_error  # refused for hours: still kept
    assert row.attempts > outbox.MAX_ATTEMPTS  # backoff capped at an hour: ~30 tries a day
    clock.set_now(max(row.next_attempt_at, written + outbox.RETRY_TEMPORARY_FOR))
    outbox.dispatch()
    db.session.refresh(row)
    assert row.status == "failed" and "421" in (row.last_error or "")
    assert mail.to("tired@example.org") == []


def test_an_unreachable_server_keeps_the_messages_for_later(db, mail, clock, app):
    port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = 1  # nothing listens there
    try:
        mail_module.send_after_commit(message("later@example.org"))
        db.session.commit()  # the change is committed whatever happens to the email
    finally:
        app.config["MAIL_PORT"] = port
    (row,) = rows("later@example.org")
    assert row.status == "retrying" and "Connection" in (row.last_error or "")
    clock.advance(timedelta(minutes=1))
    assert outbox.dispatch() == {"sent": 1}
    assert len(mail.to("later@example.org")) == 1


def test_a_row_left_sending_by_a_dead_worker_is_claimed_again(db, mail, clock, app):
    row = OutboxMessage(to_address="orphan@example.org", subject="S", text_body="B")
    db.session.add(row)
    db.session.commit()
    assert outbox.claim(10) == [row.id]  # a worker took it, then died
    assert outbox.claim(10) == []
    clock.advance(timedelta(seconds=app.config["OUTBOX_CLAIM_TIMEOUT"] + 1))
    assert outbox.dispatch() == {"sent": 1}
    assert len(mail.to("orphan@example.org")) == 1


def test_a_claim_takes_orphans_then_due_retries_then_new_rows_in_one_statement(
    db, clock, app, count_queries
):
    now = clock.now()
    stale = now - timedelta(seconds=app.config["OUTBOX_CLAIM_TIMEOUT"] + 1)

    def row(to: str, status: str, due_in: timedelta, claimed_at: Any = None) -> OutboxMessage:
        made = OutboxMessage(
            to_address=to,
            subject="S",
            text_body="B",
            status=status,
            next_attempt_at=now + due_in,
            claimed_at=claimed_at,
        )
        db.session.add(made)
        return made

    new_early = row("new-early@example.org", "queued", -timedelta(hours=2))
    new_late = row("new-late@example.org", "queued", -timedelta(minutes=1))
    row("new-future@example.org", "queued", timedelta(minutes=5))  # not due yet
    retry = row("retry@example.org", "retrying", -timedelta(minutes=10))
    row("retry-later@example.org", "retrying", timedelta(minutes=10))  # not due yet
    orphan = row("orphan@example.org", "sending", -timedelta(hours=1), claimed_at=stale)
    row("busy@example.org", "sending", -timedelta(hours=1), claimed_at=now)  # being sent
    db.session.commit()
    with count_queries() as queries:
        first = outbox.claim(3)
    assert queries.count == 1, queries.statements
    assert first == sorted([orphan.id, retry.id, new_early.id])
    assert outbox.claim(3) == [new_late.id]
    assert outbox.claim(3) == []


# --- committed data: concurrent dispatchers, a real Celery worker ---------------------------


def _fill(live_app: Any, prefix: str, n: int) -> list[str]:
    addresses = [f"{prefix}-{i}@example.org" for i in range(n)]
    with live_app.app_context():
        db.session.execute(delete(OutboxMessage))
        db.session.add_all(
            OutboxMessage(to_address=a, subject="Fan-out", text_body="Body") for a in addresses
        )
        db.session.commit()
    return addresses


def test_two_dispatchers_at_once_send_each_message_exactly_once(live_app, smtp_server):
    smtp_server.clear()
    addresses = _fill(live_app, "fan", 150)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with live_app.app_context():
                outbox.dispatch(limit=10)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for a in addresses:
        assert len(smtp_server.to(a)) == 1, a
    with live_app.app_context():
        assert outbox.stats() == {"sent": 150}


@pytest.mark.worker
def test_a_real_worker_delivers_what_the_web_committed(live_app, smtp_server, celery_worker):
    smtp_server.clear()
    live_app.config["OUTBOX_DELIVERY"] = "worker"
    try:
        with live_app.app_context():
            db.session.execute(delete(OutboxMessage))
            mail_module.send_after_commit(message("via-worker@example.org"), source="w:1")
            db.session.commit()  # kicks outbox.dispatch on the broker
            assert smtp_server.to("via-worker@example.org") == []  # not from the web process
        try:
            wait_until(lambda: smtp_server.to("via-worker@example.org"), timeout=60)
        except AssertionError:
            pytest.fail(f"the worker did not deliver; its log:\n{celery_worker.output()}")
    finally:
        live_app.config["OUTBOX_DELIVERY"] = "inline"

    def status() -> str | None:
        with live_app.app_context():
            value = db.session.scalar(
                select(OutboxMessage.status).where(OutboxMessage.source == "w:1")
            )
            db.session.rollback()
            return value

    # The SMTP server has the message a moment before the worker records it as sent.
    wait_until(lambda: status() == "sent", timeout=30)
    with live_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


# --- one batch, one connection: each outcome recorded as soon as the server answered ---------


def test_a_temporary_refusal_in_the_middle_of_a_batch_retries_that_message_only(db, mail, clock):
    mail.refuse["mid@example.org"] = "450 4.2.1 Mailbox busy, try again later"
    batch = ("first@example.org", "mid@example.org", "last@example.org")
    for to in batch:
        mail_module.send_after_commit(message(to))
    db.session.commit()  # one delivery: the three rows over one connection
    statuses = {to: (rows(to)[0].status, rows(to)[0].attempts) for to in batch}
    assert statuses == {
        "first@example.org": ("sent", 1),
        "mid@example.org": ("retrying", 1),
        "last@example.org": ("sent", 1),
    }
    (busy,) = rows("mid@example.org")
    assert "450" in (busy.last_error or "")
    assert busy.next_attempt_at == clock.now() + outbox.FIRST_RETRY
    mail.refuse.clear()
    clock.advance(outbox.FIRST_RETRY)
    assert outbox.dispatch() == {"sent": 1}
    assert [len(mail.to(to)) for to in batch] == [1, 1, 1]


def test_a_421_in_the_middle_of_a_batch_retries_the_rest_and_resends_nothing_accepted(
    db, mail, clock
):
    """421 closes the connection (RFC 5321): the refused message and the rest of the batch are
    retried later; what the server accepted before stays sent, once."""
    mail.refuse["mid@example.org"] = "421 4.3.2 Shutting down"
    batch = ("first@example.org", "mid@example.org", "third@example.org", "last@example.org")
    for to in batch:
        mail_module.send_after_commit(message(to))
    db.session.commit()
    assert [rows(to)[0].status for to in batch] == ["sent", "retrying", "retrying", "retrying"]
    assert "421" in (rows("mid@example.org")[0].last_error or "")
    mail.refuse.clear()
    clock.advance(outbox.FIRST_RETRY)
    assert outbox.dispatch() == {"sent": 3}
    assert [len(mail.to(to)) for to in batch] == [1, 1, 1, 1]
    assert [rows(to)[0].attempts for to in batch] == [1, 2, 2, 2]


def test_each_outcome_is_committed_after_the_server_accepts_it_and_before_the_next_is_sent(
    live_app, smtp_server
):
    """The window in which a killed worker leaves an accepted message unrecorded (to be sent
    again, with its Message-ID) is one message wide: at each acceptance, as another connection
    sees the ledger, that message is still "sending" and every one accepted before is "sent"."""
    from tests.support.delivery import CountingSMTP, headers

    addresses = _fill(live_app, "window", 12)
    counting = CountingSMTP()
    counting.start()
    seen: list[tuple[str, dict[str, str]]] = []

    def look(_count: int) -> None:
        to = str(headers(counting.received[-1][1])["To"]).lower()
        with live_app.app_context():
            ledger = dict(
                db.session.execute(select(OutboxMessage.to_address, OutboxMessage.status)).all()
            )
            db.session.rollback()
        seen.append((to, ledger))

    counting.on_accept = look
    port = live_app.config["MAIL_PORT"]
    live_app.config["MAIL_PORT"] = counting.port
    try:
        with live_app.app_context():
            assert outbox.dispatch(limit=100) == {"sent": 12}
    finally:
        live_app.config["MAIL_PORT"] = port
        counting.stop()
    assert [to for to, _ledger in seen] == addresses  # one batch, in order, each once
    for n, (to, ledger) in enumerate(seen):
        assert ledger[to] == "sending", (n, to)
        assert all(ledger[a] == "sent" for a in addresses[:n]), n
        assert all(ledger[a] == "sending" for a in addresses[n:]), n
    with live_app.app_context():
        assert outbox.stats() == {"sent": 12}


# --- one bad message never stalls the others --------------------------------------------------


def _raw_row(to: str, subject: str = "S", **fields: Any) -> OutboxMessage:
    """A row written directly (as an older release, or a bug, could have left it)."""
    row = OutboxMessage(to_address=to, subject=subject, text_body="B", **fields)
    db.session.add(row)
    return row


def test_a_message_that_cannot_be_built_fails_alone_and_the_batch_goes_on(db, mail):
    _raw_row("before@example.org")
    bad = _raw_row("broken@example.org", subject="Deep Space\r\nBcc: victim@example.org")
    _raw_row("after@example.org")
    db.session.commit()
    assert outbox.dispatch() == {"sent": 2, "failed": 1}
    db.session.refresh(bad)
    assert bad.status == "failed" and bad.attempts == 1
    assert "linefeed" in (bad.last_error or "")
    assert mail.to("broken@example.org") == [] and mail.to("victim@example.org") == []
    assert len(mail.to("before@example.org")) == len(mail.to("after@example.org")) == 1
    assert outbox.dispatch() == {}  # never tried again


@pytest.fixture
def plain_smtp(app: Any) -> Any:
    """A real SMTP server that does not offer SMTPUTF8, used instead of the usual one."""
    from tests.support.smtp import SMTPCapture

    server = SMTPCapture(smtputf8=False)
    server.start()
    port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = server.port
    try:
        yield server
    finally:
        app.config["MAIL_PORT"] = port
        server.stop()


def test_a_message_the_server_cannot_take_fails_alone_on_the_same_connection(db, plain_smtp):
    """An address that needs SMTPUTF8, which this server does not offer: smtplib refuses that
    message before sending it; the connection serves the rest of the batch."""
    _raw_row("first@example.org")
    bad = _raw_row("josé@example.org")
    _raw_row("last@example.org")
    db.session.commit()
    assert outbox.dispatch() == {"sent": 2, "failed": 1}
    db.session.refresh(bad)
    assert bad.status == "failed" and "SMTPUTF8" in (bad.last_error or "")
    assert len(plain_smtp.to("first@example.org")) == len(plain_smtp.to("last@example.org")) == 1


def test_a_transport_that_raises_for_one_message_fails_that_one_only(db, mail, monkeypatch):
    real = mail_module.get_transport

    class Fussy:
        """Delegates to the real transport, but breaks on one message."""

        def send_many(self, messages: Any) -> None:  # pragma: no cover - not used here
            real().send_many(messages)

        def send_each(self, messages: Any) -> Any:
            inner = real().send_each
            for wire in messages:
                if "fussy@example.org" in wire.recipients:
                    raise RuntimeError("the transport broke on this one")
                yield from inner([wire])

    monkeypatch.setattr(mail_module, "get_transport", lambda config=None: Fussy())
    for to in ("a@example.org", "fussy@example.org", "b@example.org"):
        _raw_row(to)
    db.session.commit()
    assert outbox.dispatch() == {"sent": 2, "failed": 1}
    (fussy,) = rows("fussy@example.org")
    assert fussy.status == "failed" and "broke on this one" in (fussy.last_error or "")
    assert len(mail.to("a@example.org")) == len(mail.to("b@example.org")) == 1


def test_a_row_left_sending_counts_its_attempts_and_fails_after_the_maximum(db, mail, clock, app):
    """A message whose sending never finishes (its worker dies each time) is claimed again at
    most ``MAX_ATTEMPTS`` times in all, then failed, saying why."""
    timeout = timedelta(seconds=app.config["OUTBOX_CLAIM_TIMEOUT"] + 1)
    row = _raw_row("doomed@example.org")
    db.session.commit()
    for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
        assert outbox.claim(10) == [row.id]  # a worker took it, then died
        db.session.refresh(row)
        assert (row.status, row.attempts) == ("sending", attempt)
        if attempt > 1:
            assert "did not finish" in (row.last_error or "")
        clock.advance(timeout)
    assert outbox.claim(10) == []
    db.session.refresh(row)
    assert (row.status, row.attempts) == ("failed", outbox.MAX_ATTEMPTS)
    assert "did not finish" in (row.last_error or "")
    assert outbox.dispatch() == {} and mail.to("doomed@example.org") == []


def test_a_stale_row_already_past_the_maximum_ends_failed(db, clock, app):
    stale = clock.now() - timedelta(seconds=app.config["OUTBOX_CLAIM_TIMEOUT"] + 1)
    row = _raw_row("ancient@example.org", status="sending", attempts=40, claimed_at=stale)
    fresh = _raw_row("fresh@example.org")
    db.session.commit()
    assert outbox.claim(10) == [fresh.id]
    db.session.refresh(row)
    assert row.status == "failed" and row.attempts == 40
    assert "did not finish" in (row.last_error or "")


def test_a_transport_that_cannot_open_a_session_fails_no_message(db, mail, monkeypatch):
    """A setting the SMTP client cannot use (here: any non-network exception while connecting)
    is the connection's fault, not each message's: they wait for a retry."""

    def broken(self: Any) -> Any:
        raise ValueError("a setting smtplib cannot use")

    monkeypatch.setattr(mail_module.SMTPTransport, "_connect", broken)
    for to in ("one@example.org", "two@example.org"):
        _raw_row(to)
    db.session.commit()
    assert outbox.dispatch() == {"retrying": 2}
    assert "cannot use" in (rows("one@example.org")[0].last_error or "")
