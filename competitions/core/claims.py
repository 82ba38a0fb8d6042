"""What the email outbox (``core.outbox``) and webhook deliveries (``webhooks.delivery``) share:
claiming due rows for one dispatcher, draining them batch by batch, and waking a worker.

A queue row has ``status``, ``claimed_at``, ``attempts`` and ``last_error`` columns and the
statuses "sending" and "failed". Claiming is one ``UPDATE … RETURNING`` over the ids a queue
chose (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, in the queue's own choice): no two
dispatchers take the same row.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import and_, update

from competitions.core.extensions import db

log = logging.getLogger(__name__)

SENDING = "sending"
FAILED = "failed"
ABANDONED = "an attempt did not finish in time (its worker stopped while sending it)"


def mark_claimed(
    model: Any, chosen: sa.ScalarSelect[Any], now: datetime, max_attempts: int
) -> tuple[list[int], list[int]]:
    """Mark the rows ``chosen`` selects "sending" (committed) and answer (claimed, failed) ids.

    A chosen row still "sending" was left by a worker that stopped: its claim counts as an
    attempt, and it fails instead once it had them all (SET reads the row's old values)."""
    abandoned = model.status == SENDING
    gives_up = and_(abandoned, model.attempts >= max_attempts)
    outcome = db.session.execute(
        update(model)
        .where(model.id.in_(chosen))
        .values(
            status=sa.case((gives_up, FAILED), else_=SENDING),
            claimed_at=now,
            attempts=sa.case((gives_up, model.attempts), else_=model.attempts + 1),
            last_error=sa.case(
                (gives_up, f"{ABANDONED}; no attempt left"),
                (abandoned, ABANDONED),
                else_=model.last_error,
            ),
        )
        .returning(model.id, model.status),
        execution_options={"synchronize_session": False},
    ).all()
    db.session.commit()
    claimed = sorted(i for i, status in outcome if status == SENDING)
    failed = sorted(i for i, status in outcome if status == FAILED)
    return claimed, failed


def drain(
    claim: Callable[[int], list[int]],
    deliver: Callable[[list[int]], dict[str, int]],
    limit: int,
    rounds: int,
) -> dict[str, int]:
    """Deliver due rows batch by batch until none is left (or ``rounds`` batches).

    A batch smaller than ``limit`` took every row due when it was claimed: no further claim
    (rows written meanwhile come with their own wake-up, or beat's next tick)."""
    totals: dict[str, int] = {}
    for _ in range(rounds):
        ids = claim(limit)
        if not ids:
            break
        for status, n in deliver(ids).items():
            totals[status] = totals.get(status, 0) + n
        if len(ids) < limit:
            break
    return totals


class Waker:
    """Wakes the worker that runs ``task`` after a commit wrote rows for it: under load, at most
    once a second per process, plus one delayed wake-up for what arrived meanwhile (a dispatch
    sends every due row, in batches over one connection)."""

    EVERY = 1.0  # seconds

    def __init__(self, task: str, what: str) -> None:
        self.task, self.what = task, what
        self.last = 0.0
        self.delayed_until = 0.0

    def wake(self) -> None:
        from competitions.core.tasks import send_task

        now = time.monotonic()
        try:
            if now - self.last >= self.EVERY:
                self.last = now
                send_task(self.task)
            elif now >= self.delayed_until:
                self.delayed_until = now + self.EVERY
                send_task(self.task, countdown=self.EVERY)
        except Exception:
            log.exception("%s: could not wake a worker; beat's next tick will send them", self.what)


def mode(setting: str) -> str:
    """How a queue delivers after a commit: "worker" (the default), "inline" or "off"."""
    return str(current_app.config.get(setting, "worker"))
