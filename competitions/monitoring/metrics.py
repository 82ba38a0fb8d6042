"""``/metrics``: what an operator watches, in Prometheus' text format.

Every figure is read at scrape time from what all nodes share (the database, the broker), so
any web node answers the same and a scraper may go through the load balancer. Per-request
latency is the proxy's and gunicorn's to report (``--statsd-host``); these are the signals only
Tandem knows: mail and webhook backlogs and their age, tasks waiting in the broker, and when
each worker task last ran. Off unless ``METRICS_TOKEN`` is set; the scraper sends it as a
bearer token.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app

from competitions.core import clock, outbox
from competitions.core.extensions import db
from competitions.core.task_runs import TaskRun
from competitions.webhooks.models import DeliveryStatus, WebhookDelivery

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# The broker's queue that tasks go to (Celery's default) and the Redis key of its list.
QUEUE = "celery"


@dataclass
class Family:
    """One metric: its name, type, help and samples (labels, value)."""

    name: str
    kind: str
    help: str
    samples: list[tuple[dict[str, str], float]] = field(default_factory=list)

    def add(self, value: float, **labels: str) -> Family:
        self.samples.append((labels, value))
        return self


def authorized(header: str | None) -> bool:
    """Whether ``Authorization`` carries the configured token (compared in constant time)."""
    token = current_app.config.get("METRICS_TOKEN", "")
    scheme, _, given = (header or "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(given, token)


def enabled() -> bool:
    return bool(current_app.config.get("METRICS_TOKEN"))


def collect() -> list[Family]:
    """Every family, read now. A part that cannot be read says so in its ``_up`` gauge."""
    started = time.perf_counter()
    now = clock.now()
    families: list[Family] = []
    database = Family("tandem_database_up", "gauge", "1 if the database answered this scrape.")
    try:
        families += _queue_families("outbox", "messages", outbox.OutboxMessage, _OUTBOX, now)
        families += _queue_families("webhook", "deliveries", WebhookDelivery, _WEBHOOKS, now)
        families += _task_families()
        database.add(1)
    except Exception:
        log.exception("metrics: the database could not be read")
        database.add(0)
    finally:
        db.session.rollback()
    families.append(database)
    families += _broker_families()
    families.append(
        Family(
            "tandem_scrape_duration_seconds", "gauge", "How long this scrape took to collect."
        ).add(time.perf_counter() - started)
    )
    return families


# Statuses still to deliver or given up on (delivered rows only grow, and are not counted).
_OUTBOX = ("queued", "sending", "retrying", "failed")
_WEBHOOKS = tuple(s.value for s in DeliveryStatus if s != DeliveryStatus.DELIVERED)
_DUE = ("queued", "retrying")


def _queue_families(
    prefix: str, noun: str, model: Any, statuses: tuple[str, ...], now: datetime
) -> list[Family]:
    counts: dict[str, int] = {
        str(status): int(n)
        for status, n in db.session.execute(
            sa.select(model.status, sa.func.count())
            .where(model.status.in_(statuses))
            .group_by(model.status)
        ).all()
    }
    by_status = Family(
        f"tandem_{prefix}_{noun}",
        "gauge",
        f"{prefix.capitalize()} {noun} not delivered, by status (failed: given up).",
    )
    for status in statuses:
        by_status.add(counts.get(status, 0), status=status)
    due_count, oldest = db.session.execute(
        sa.select(sa.func.count(), sa.func.min(model.next_attempt_at)).where(
            model.status.in_(_DUE), model.next_attempt_at <= now
        )
    ).one()
    age = (now - oldest).total_seconds() if oldest is not None else 0.0
    return [
        by_status,
        Family(
            f"tandem_{prefix}_due_{noun}", "gauge", f"{prefix.capitalize()} {noun} due now."
        ).add(due_count),
        Family(
            f"tandem_{prefix}_oldest_due_seconds",
            "gauge",
            f"How long the oldest {prefix} {noun[:-1]} due has waited (0: none due); "
            "it grows when no worker delivers.",
        ).add(max(age, 0.0)),
    ]


def _task_families() -> list[Family]:
    success = Family(
        "tandem_task_last_success_timestamp_seconds",
        "gauge",
        "When each worker task last succeeded (Unix time); beat runs outbox.dispatch every 5 s.",
    )
    failure = Family(
        "tandem_task_last_failure_timestamp_seconds",
        "gauge",
        "When each worker task last failed (Unix time).",
    )
    runs = Family("tandem_task_runs_total", "counter", "Runs of each worker task, by outcome.")
    for row in db.session.scalars(sa.select(TaskRun).order_by(TaskRun.task)):
        if row.last_success_at is not None:
            success.add(row.last_success_at.timestamp(), task=row.task)
        if row.last_failure_at is not None:
            failure.add(row.last_failure_at.timestamp(), task=row.task)
        runs.add(row.successes, task=row.task, outcome="success")
        runs.add(row.failures, task=row.task, outcome="failure")
    return [success, failure, runs]


def _broker_families() -> list[Family]:
    """The length of the tasks' queue in Redis (the production broker); nothing for the
    embedded folder broker."""
    url = current_app.config["CELERY"]["broker_url"]
    if not url.startswith(("redis://", "rediss://")):
        return []
    up = Family("tandem_broker_up", "gauge", "1 if the broker answered this scrape.")
    length = Family(
        "tandem_broker_queue_tasks", "gauge", "Tasks waiting in the broker for a worker."
    )
    try:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        try:
            length.add(float(client.llen(QUEUE)), queue=QUEUE)
        finally:
            client.close()
        up.add(1)
    except Exception as exc:
        log.warning("metrics: the broker could not be read: %s", exc)
        up.add(0)
    return [up, length]


def exposition(families: Iterable[Family]) -> str:
    """The families in Prometheus' text format (version 0.0.4)."""
    lines: list[str] = []
    for family in families:
        lines.append(f"# HELP {family.name} {_help(family.help)}")
        lines.append(f"# TYPE {family.name} {family.kind}")
        for labels, value in family.samples:
            inner = ",".join(f'{k}="{_label(v)}"' for k, v in labels.items())
            name = f"{family.name}{{{inner}}}" if inner else family.name
            lines.append(f"{name} {_value(value)}")
    return "\n".join(lines) + "\n"


def _help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _label(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _value(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))
