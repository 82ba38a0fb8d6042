"""Redis, the Celery broker, down while entrants submit: a private ``redis-server`` (no
persistence), a real Celery worker and beat on it, a live app on a database of its own.

With Redis killed, submissions are still accepted: the receipt is an outbox row written in the
submission's transaction, and waking a worker after the commit is best effort (a failure is
logged; beat's next tick sends what is due). Once Redis is back (empty: whatever was queued is
gone), beat's ticks reach the worker again and every receipt is delivered to the real SMTP
server, exactly once each.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from competitions.core.extensions import db
from competitions.core.outbox import OutboxMessage
from tests.faults.conftest import ONCE
from tests.faults.rig import Entrant, check_nothing_half_written, live_app, open_now, teams
from tests.support.delivery import CeleryProcess
from tests.support.live import LiveServer, wait_until
from tests.support.private_services import PrivateRedis
from tests.support.smtp import SMTPCapture

pytestmark = [pytest.mark.faults, ONCE]

TEAMS = 3
EACH = 2  # submissions per team while Redis is down


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[tuple[Flask, LiveServer, PrivateRedis, SMTPCapture]]:
    broker = PrivateRedis()
    broker.start()
    smtp = SMTPCapture()
    smtp.start()
    extra = {"CELERY_BROKER_URL": broker.url, "OUTBOX_DELIVERY": "worker"}
    app = live_app(tmp_path, f"sqlite:///{tmp_path / 'live.db'}", smtp.port, **extra)
    env = {
        "TANDEM_ENV": "testing",
        "TANDEM_INSTANCE_PATH": str(tmp_path),
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "MAIL_TRANSPORT": "smtp",
        "MAIL_HOST": "127.0.0.1",
        "MAIL_PORT": str(smtp.port),
        "STORAGE_DIR": str(tmp_path / "storage"),
        "STORAGE_URL": "",
        "TANDEM_TEST_TICK": "1",  # beat's outbox tick every second (production: 5 s)
        **extra,
    }
    worker = CeleryProcess(env, "faults-worker")
    beat = CeleryProcess(env, "faults-beat", kind="beat")
    live = LiveServer(app)
    try:
        worker.start()
        beat.start()
        live.start()
        yield app, live, broker, smtp
    finally:
        live.stop()
        beat.stop()
        worker.stop()
        broker.kill()
        smtp.stop()
        with app.app_context():
            db.engine.dispose()


def test_submissions_are_accepted_with_redis_down_and_receipts_follow_once_it_returns(
    rig: tuple[Flask, LiveServer, PrivateRedis, SMTPCapture], tmp_path: Path
) -> None:
    app, live, broker, smtp = rig
    entrants = [Entrant(live.url, team) for team in teams(app, TEAMS, open_now())]
    for entrant in entrants:
        entrant.sign_in()
    entrants[0].submit()  # with Redis up: the worker sends the receipt at once
    smtp.wait_for(entrants[0].team.email, 1, timeout=30)

    broker.kill()
    for _ in range(EACH):
        for entrant in entrants:
            answer = entrant.submit()
            assert answer.status == 302, answer.body[:3000]  # accepted: a receipt page
    with app.app_context():
        pending = db.session.scalars(
            select(OutboxMessage.status).where(OutboxMessage.status != "sent")
        ).all()
    assert len(pending) == TEAMS * EACH  # written with the submissions, waiting
    assert len(smtp.messages) == 1

    broker.start()  # same port, empty
    for entrant in entrants:
        smtp.wait_for(entrant.team.email, len(entrant.accepted()), timeout=60)
    with app.app_context():
        wait_until(lambda: _all_sent(), timeout=30)

    for entrant in entrants:
        receipts = smtp.to(entrant.team.email)
        assert len(receipts) == len(entrant.accepted())  # none lost, none doubled
        ids = Counter(str(m["Message-ID"]) for m in receipts)
        assert all(n == 1 for n in ids.values())
        numbers = sorted(a.number for a in entrant.accepted() if a.number is not None)
        assert numbers == list(range(1, len(numbers) + 1))
    check_nothing_half_written(app, tmp_path / "storage")


def _all_sent() -> bool:
    db.session.rollback()
    statuses: Any = Counter(db.session.scalars(select(OutboxMessage.status)))
    return set(statuses) == {"sent"}
