"""``/metrics``: off without a token, refused without the right one, and the figures an
operator alerts on — mail and webhook backlogs and their age, tasks waiting in a real Redis,
and each worker task's last run, recorded by a real Celery worker."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
import redis

from competitions.core.extensions import db
from competitions.core.outbox import OutboxMessage
from competitions.core.task_runs import TaskRun
from tests.support.private_services import PrivateRedis

TOKEN = "s3cret-metrics-token"
SAMPLE = re.compile(
    r'^([a-z_]+)(\{(?:[a-z_]+="[^"\\]*",?)*\})? (-?[0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?)$'
)


@pytest.fixture
def token(app: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    return TOKEN


def scrape(client: Any) -> dict[str, float]:
    """The scrape's samples by name and labels, after checking the text format line by line."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    samples: dict[str, float] = {}
    described: set[str] = set()
    for line in response.get_data(as_text=True).splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            described.add(line.split()[2])
            continue
        match = SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        assert match.group(1) in described, f"{match.group(1)} has no HELP/TYPE"
        samples[match.group(1) + (match.group(2) or "")] = float(match.group(3))
    return samples


def test_there_is_no_such_page_without_a_token(client):
    assert client.get("/metrics").status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", TOKEN])
def test_a_scrape_needs_the_token(client, token, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert "tandem_" not in response.get_data(as_text=True)


def _mail(status: str, due_in: timedelta, now: Any) -> OutboxMessage:
    row = OutboxMessage(
        source=f"metrics:{uuid.uuid4().hex}",
        to_address="someone@example.org",
        subject="s",
        text_body="b",
        status=status,
        next_attempt_at=now + due_in,
    )
    db.session.add(row)
    return row


def test_the_mail_backlog_and_the_age_of_its_oldest_due_message(client, token, clock):
    now = clock.now()
    _mail("queued", timedelta(seconds=-90), now)  # due for a minute and a half: stuck
    _mail("queued", timedelta(seconds=-10), now)
    _mail("retrying", timedelta(minutes=5), now)  # not due yet
    _mail("failed", timedelta(seconds=-3600), now)  # given up: not due
    _mail("sent", timedelta(seconds=-7200), now)  # delivered: not counted
    db.session.commit()
    got = scrape(client)
    assert got['tandem_outbox_messages{status="queued"}'] == 2
    assert got['tandem_outbox_messages{status="retrying"}'] == 1
    assert got['tandem_outbox_messages{status="failed"}'] == 1
    assert got['tandem_outbox_messages{status="sending"}'] == 0
    assert not any('status="sent"' in k for k in got)
    assert got["tandem_outbox_due_messages"] == 2
    assert got["tandem_outbox_oldest_due_seconds"] == 90
    assert got["tandem_database_up"] == 1
    # Webhooks: every status still to deliver, at zero; nothing due.
    assert got['tandem_webhook_deliveries{status="queued"}'] == 0
    assert got["tandem_webhook_oldest_due_seconds"] == 0
    assert got["tandem_scrape_duration_seconds"] >= 0


def test_each_task_s_last_run_and_counts(client, token, clock):
    now = clock.now()
    db.session.add(
        TaskRun(
            task="outbox.dispatch",
            last_success_at=now - timedelta(seconds=4),
            last_failure_at=now - timedelta(hours=2),
            successes=120,
            failures=1,
        )
    )
    db.session.commit()
    got = scrape(client)
    name = 'tandem_task_last_success_timestamp_seconds{task="outbox.dispatch"}'
    assert got[name] == pytest.approx((now - timedelta(seconds=4)).timestamp())
    name = 'tandem_task_last_failure_timestamp_seconds{task="outbox.dispatch"}'
    assert got[name] == pytest.approx((now - timedelta(hours=2)).timestamp())
    assert got['tandem_task_runs_total{task="outbox.dispatch",outcome="success"}'] == 120
    assert got['tandem_task_runs_total{task="outbox.dispatch",outcome="failure"}'] == 1


def test_tasks_waiting_in_a_real_redis_and_a_broker_that_is_down(app, client, token, monkeypatch):
    broker = PrivateRedis()
    broker.start()
    try:
        monkeypatch.setitem(
            app.config, "CELERY", {**app.config["CELERY"], "broker_url": broker.url}
        )
        queue = redis.Redis.from_url(broker.url)
        queue.rpush("celery", "a", "b", "c")
        queue.close()
        got = scrape(client)
        assert got["tandem_broker_up"] == 1
        assert got['tandem_broker_queue_tasks{queue="celery"}'] == 3
    finally:
        broker.kill()
    got = scrape(client)  # the page still answers, and says the broker did not
    assert got["tandem_broker_up"] == 0
    assert got["tandem_database_up"] == 1


def test_the_folder_broker_publishes_no_queue(app, client, token, monkeypatch):
    monkeypatch.setitem(
        app.config, "CELERY", {**app.config["CELERY"], "broker_url": "filesystem://"}
    )
    got = scrape(client)
    assert not any(k.startswith("tandem_broker") for k in got)
