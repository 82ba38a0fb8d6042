"""The SMTP server refusing everything for an hour, in simulated time.

A real SMTP server (aiosmtpd) answers ``451`` to every command that could carry a message
(MAIL, RCPT and DATA) while it is "refusing". Sixty messages are written; the outbox's periodic
delivery (``outbox.dispatch``, beat's tick) runs once a simulated minute on the application
clock for an hour, then the server accepts again. The backlog drains: each message is delivered
exactly once, none was recorded as failed — temporary refusals are retried with backoff for a
day (``outbox.RETRY_TEMPORARY_FOR``); before, eight attempts ended after about 63 minutes.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import select

from competitions.core import mail as mail_module
from competitions.core import outbox
from competitions.core.extensions import db
from competitions.core.outbox import OutboxMessage
from tests.support.smtp import free_port

pytestmark = pytest.mark.faults

REFUSAL = "451 4.3.0 Mail server temporarily unavailable, try again later"
MESSAGES = 60


class RefusingSMTP:
    """Answers 451 to MAIL, RCPT and DATA while ``refusing``; otherwise accepts and keeps."""

    def __init__(self) -> None:
        self.port = free_port()
        self.lock = threading.Lock()
        self.refusing = True
        self.refusals = 0
        self.received: list[bytes] = []
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    def _refuse(self) -> str | None:
        with self.lock:
            if self.refusing:
                self.refusals += 1
                return REFUSAL
        return None

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        refused = self._refuse()
        if refused:
            return refused
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        refused = self._refuse()
        if refused:
            return refused
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        refused = self._refuse()
        if refused:
            return refused
        with self.lock:
            self.received.append(bytes(envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def refusing_smtp(app: Flask) -> Iterator[RefusingSMTP]:
    server = RefusingSMTP()
    server.controller.start()
    port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = server.port
    try:
        yield server
    finally:
        app.config["MAIL_PORT"] = port
        server.controller.stop()


def _statuses() -> Counter[str]:
    return Counter(db.session.scalars(select(OutboxMessage.status)))


def test_an_hour_of_refusals_delays_the_backlog_and_loses_or_doubles_nothing(
    db: Any, clock: Any, refusing_smtp: RefusingSMTP
) -> None:
    for i in range(MESSAGES):
        mail = mail_module.Mail(to=f"entrant{i}@example.org", subject=f"Receipt {i}", text="B")
        mail_module.send_after_commit(mail, source=f"fault:{i}")
    db.session.commit()  # delivered inline at once: refused
    assert _statuses() == {"retrying": MESSAGES}

    start = clock.now()
    while clock.now() - start < timedelta(hours=1):
        clock.advance(timedelta(minutes=1))
        outbox.dispatch()  # beat's periodic tick
        assert _statuses() == {"retrying": MESSAGES}  # refused, never given up
    attempts = db.session.scalars(select(OutboxMessage.attempts)).all()
    assert min(attempts) >= 7 and refusing_smtp.received == []
    assert refusing_smtp.refusals >= 7 * MESSAGES

    with refusing_smtp.lock:
        refusing_smtp.refusing = False
    for _ in range(120):  # up to two more simulated hours: the backoff is at most an hour
        if _statuses() == {"sent": MESSAGES}:
            break
        clock.advance(timedelta(minutes=1))
        outbox.dispatch()
    assert _statuses() == {"sent": MESSAGES}

    received = Counter(str(message_from_bytes(raw)["To"]) for raw in refusing_smtp.received)
    assert received == Counter(f"entrant{i}@example.org" for i in range(MESSAGES))  # once each
