"""Delivering webhook events: the outbox pattern of ``core.outbox``, for HTTP.

Each ``WebhookDelivery`` row (one per endpoint and event, a unique pair) is claimed
atomically (``UPDATE … RETURNING``, ``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so two
dispatchers never send the same row; each attempt is then made with no transaction open, and
its outcome committed at once with its line in the delivery log (``WebhookAttempt``).

A 2xx answer delivers the row. Anything else (another status, a redirect — never followed —,
a timeout, a refused address) is retried with exponential backoff (30 s doubling, at most
six hours apart) until the row has had ``WEBHOOK_MAX_ATTEMPTS`` attempts; it is then failed.
A row left "sending" by a dead worker is claimed again after ``WEBHOOK_CLAIM_TIMEOUT``
seconds (that claim counts as an attempt). Every attempt carries the event's ``webhook-id``:
a receiver that got a copy before a crash recognises it. A replay (``endpoints.replay``)
queues the row again, same ``webhook-id``, with a fresh count of attempts.

Rows of a disabled endpoint wait: they are not claimed until it is enabled again.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, exists, func, or_, select, update

from competitions.core import claims, clock
from competitions.core.extensions import db
from competitions.webhooks import signing, transport
from competitions.webhooks.destinations import networks
from competitions.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

log = logging.getLogger(__name__)

FIRST_RETRY = timedelta(seconds=30)
LAST_RETRY = timedelta(hours=6)
BATCH = 50
BODY_KEPT = 1000  # characters of an answer's body kept in the log
USER_AGENT = "Tandem-Webhooks/1"


def max_attempts() -> int:
    return int(current_app.config.get("WEBHOOK_MAX_ATTEMPTS", 10))


def retry_delay(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 30 s, 1 min, 2 min… up to 6 h."""
    return min(FIRST_RETRY * (2 ** max(0, attempts - 1)), LAST_RETRY)


def policy() -> transport.Policy:
    """The settings of a request (``WEBHOOK_*``)."""
    config = current_app.config
    allow = config.get("WEBHOOK_ALLOW_NETWORKS") or ()
    if isinstance(allow, str):
        allow = allow.split(",")
    return transport.Policy(
        allow=networks(allow),
        allow_http=bool(config.get("WEBHOOK_ALLOW_HTTP", False)),
        connect_timeout=float(config.get("WEBHOOK_CONNECT_TIMEOUT", 3)),
        read_timeout=float(config.get("WEBHOOK_READ_TIMEOUT", 10)),
        cap=int(config.get("WEBHOOK_RESPONSE_CAP", 2048)),
    )


def claim(limit: int = BATCH, ids: list[int] | None = None) -> list[int]:
    """Mark up to ``limit`` due rows "sending" and answer their ids (committed)."""
    now = clock.now()
    stale = now - timedelta(seconds=current_app.config.get("WEBHOOK_CLAIM_TIMEOUT", 300))
    d = WebhookDelivery
    due = or_(
        and_(
            d.status.in_([DeliveryStatus.QUEUED.value, DeliveryStatus.RETRYING.value]),
            d.next_attempt_at <= now,
        ),
        and_(d.status == DeliveryStatus.SENDING.value, d.claimed_at < stale),
    )
    enabled = exists().where(WebhookEndpoint.id == d.endpoint_id, WebhookEndpoint.enabled)
    chosen = select(d.id).where(due, enabled).order_by(d.next_attempt_at, d.id).limit(limit)
    if ids is not None:
        chosen = chosen.where(d.id.in_(ids))
    if db.session.get_bind().dialect.name == "postgresql":
        chosen = chosen.with_for_update(skip_locked=True, of=d)
    claimed, _failed = claims.mark_claimed(d, chosen.scalar_subquery(), now, max_attempts())
    return claimed


def _next_number(delivery_id: int) -> int:
    last = db.session.scalar(
        select(func.max(WebhookAttempt.number)).where(WebhookAttempt.delivery_id == delivery_id)
    )
    return int(last or 0) + 1


def _record(delivery_id: int, attempts: int, started: Any, answer: transport.Answer) -> str:
    """The attempt's line in the log and the row's new state, committed together."""
    now = clock.now()
    text = answer.body.decode("utf-8", errors="replace")[:BODY_KEPT] if answer.body else None
    db.session.add(
        WebhookAttempt(
            delivery_id=delivery_id,
            number=_next_number(delivery_id),
            started_at=started,
            duration_ms=answer.duration_ms,
            status_code=answer.status_code,
            response_body=text,
            error=answer.error,
        )
    )
    values: dict[str, Any] = {"last_status_code": answer.status_code}
    if answer.succeeded:
        values.update(status=DeliveryStatus.DELIVERED.value, delivered_at=now, last_error=None)
    else:
        values["last_error"] = answer.error or f"HTTP {answer.status_code}"
        if attempts >= max_attempts():
            values["status"] = DeliveryStatus.FAILED.value
            log.warning("webhooks: delivery %s failed: %s", delivery_id, values["last_error"])
        else:
            values["status"] = DeliveryStatus.RETRYING.value
            values["next_attempt_at"] = now + retry_delay(attempts)
    db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return str(values["status"])


def deliver(ids: list[int]) -> dict[str, int]:
    """Make one attempt of each claimed row; answer how many ended in each state."""
    counts: dict[str, int] = {}
    if not ids:
        return counts
    d, e, ep = WebhookDelivery, WebhookEvent, WebhookEndpoint
    rows = db.session.execute(
        select(d.id, d.attempts, e.message_id, e.body, ep)
        .join(e, e.id == d.event_id)
        .join(ep, ep.id == d.endpoint_id)
        .where(d.id.in_(ids))
        .order_by(d.id)
    ).all()
    work = [
        (r.id, r.attempts, r.message_id, r.body, r[4].url, r[4].secrets_in_use(clock.now()))
        for r in rows
    ]
    db.session.rollback()  # no transaction held open while talking to receivers
    settings = policy()
    for delivery_id, attempts, message_id, body, url, keys in work:
        started = clock.now()
        payload = body.encode("utf-8")
        headers = {
            **signing.headers(keys, message_id, int(started.timestamp()), payload),
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
        }
        answer = transport.post(url, headers, payload, settings)
        status = _record(delivery_id, attempts, started, answer)
        counts[status] = counts.get(status, 0) + 1
    return counts


def dispatch(limit: int = BATCH, rounds: int = 20) -> dict[str, int]:
    """Deliver due rows batch by batch until none is left (or ``rounds`` batches)."""
    return claims.drain(claim, deliver, limit, rounds)


_waker = claims.Waker("webhooks.dispatch", "webhooks")


def kick() -> None:
    """After a commit that wrote deliveries: deliver here (``WEBHOOK_DELIVERY = "inline"``),
    wake a worker ("worker", the default), or leave them to beat's tick ("off": tests that
    drive the dispatch themselves)."""
    mode = claims.mode("WEBHOOK_DELIVERY")
    if mode == "off":
        return
    if mode == "inline":
        try:
            dispatch()
        except Exception:
            db.session.rollback()
            log.exception("webhooks: inline delivery failed; the next tick retries")
        return
    _waker.wake()
