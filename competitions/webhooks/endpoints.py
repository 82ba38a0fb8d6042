"""An agency's webhook endpoints: created and changed by its admins, every change audited.

The signing secret is shown once — when the endpoint is created and at each rotation. A
rotation keeps the previous secret signing for ``WEBHOOK_ROTATION_OVERLAP`` seconds (a day by
default): each delivery then carries both signatures, so the receiver switches at its pace.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from competitions.agencies.models import Agency
from competitions.agencies.permissions import can_manage_agency
from competitions.core import audit, clock
from competitions.core.actor import Actor
from competitions.core.after_commit import run_after_commit
from competitions.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from competitions.core.extensions import db
from competitions.core.translate import gettext as _
from competitions.webhooks import events, signing
from competitions.webhooks.delivery import kick, policy
from competitions.webhooks.destinations import UnsafeDestination, check
from competitions.webhooks.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

MAX_ENDPOINTS = 20  # per agency
LOG_SIZE = 50  # deliveries listed on an endpoint's page


@dataclass(frozen=True)
class EndpointData:
    url: str
    description: str
    event_types: list[str]
    enabled: bool = True


@dataclass(frozen=True)
class Issued:
    """An endpoint and its new secret: the only moment the secret is shown."""

    endpoint: WebhookEndpoint
    secret: str


def _require_admin(actor: Actor, agency: Agency, obj: object = None) -> None:
    if not can_manage_agency(actor.user, agency):
        raise PermissionDenied(
            _("Only the agency's admins manage its webhooks."), obj=obj or agency
        )


def _check_url(url: str) -> str:
    url = (url or "").strip()
    if not url:
        raise DomainError(_("Enter the address that receives the events."), "url")
    if len(url) > 2000:
        raise DomainError(_("Use at most 2,000 characters."), "url")
    settings = policy()
    parts = urlsplit(url)
    if parts.scheme != "https" and not (settings.allow_http and parts.scheme == "http"):
        raise DomainError(
            _("Use an address that starts with https://, such as https://example.org/hooks."),
            "url",
        )
    try:
        host = parts.hostname
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        host = None
    if not host or any(c.isspace() for c in url):
        raise DomainError(_("Enter a full address, such as https://example.org/hooks."), "url")
    if parts.username or parts.password:
        raise DomainError(_("Leave user names and passwords out of the address."), "url")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        # An address given as numbers is checked now; a name is checked at each delivery.
        try:
            check(
                url,
                settings.allow,
                allow_http=settings.allow_http,
                resolver=lambda h, p: [str(literal)],
            )
        except UnsafeDestination:
            raise DomainError(
                _("This address is inside a private network: events cannot be sent there."),
                "url",
            ) from None
    return url


def _check(data: EndpointData) -> EndpointData:
    url = _check_url(data.url)
    description = " ".join((data.description or "").split())
    if len(description) > 200:
        raise DomainError(_("Use at most 200 characters."), "description")
    known = {k.name for k in events.subscribable()}
    chosen = sorted(set(data.event_types or []))
    if not chosen:
        raise DomainError(_("Choose at least one event to receive."), "event_types")
    if not set(chosen) <= known:
        raise DomainError(_("Choose events from the list."), "event_types")
    return EndpointData(url, description, chosen, bool(data.enabled))


def _summary(e: WebhookEndpoint) -> dict[str, object]:
    return {
        "url": e.url,
        "description": e.description,
        "event_types": list(e.event_types or []),
        "enabled": e.enabled,
    }


def create_endpoint(actor: Actor, agency: Agency, data: EndpointData) -> Issued:
    """A new endpoint of ``agency`` with a new secret (shown once)."""
    _require_admin(actor, agency)
    data = _check(data)
    count = db.session.scalar(select(func.count()).where(WebhookEndpoint.agency_id == agency.id))
    if (count or 0) >= MAX_ENDPOINTS:
        raise DomainError(
            _("An agency has at most %(n)d endpoints. Remove one first.", n=MAX_ENDPOINTS)
        )
    secret = signing.new_secret()
    endpoint = WebhookEndpoint(
        agency_id=agency.id,
        url=data.url,
        description=data.description,
        event_types=data.event_types,
        enabled=data.enabled,
        secret=secret,
        created_by_id=actor.user_id,
        created_at=clock.now(),
    )
    audit.created(actor, "webhook_endpoint.created", endpoint, after=_summary(endpoint))
    return Issued(endpoint, secret)


def update_endpoint(actor: Actor, endpoint: WebhookEndpoint, data: EndpointData) -> bool:
    """Change the address, description, events or state; answer whether anything changed."""
    _require_admin(actor, endpoint.agency, endpoint)
    data = _check(data)
    before = _summary(endpoint)
    endpoint.url, endpoint.description = data.url, data.description
    endpoint.event_types, endpoint.enabled = data.event_types, data.enabled
    after = _summary(endpoint)
    if after == before:
        return False
    changed = [k for k in after if after[k] != before[k]]
    audit.record(
        actor,
        "webhook_endpoint.updated",
        obj=endpoint,
        agency_id=endpoint.agency_id,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
    )
    if endpoint.enabled and not before["enabled"]:
        run_after_commit(kick)  # deliveries that waited while it was disabled
    return True


def rotate_secret(actor: Actor, endpoint: WebhookEndpoint) -> Issued:
    """A new secret (shown once); the current one keeps signing for the overlap."""
    _require_admin(actor, endpoint.agency, endpoint)
    now = clock.now()
    overlap = timedelta(seconds=int(current_app.config.get("WEBHOOK_ROTATION_OVERLAP", 86400)))
    secret = signing.new_secret()
    endpoint.previous_secret, endpoint.previous_secret_until = endpoint.secret, now + overlap
    endpoint.secret, endpoint.rotated_at = secret, now
    audit.record(
        actor,
        "webhook_endpoint.secret_rotated",
        obj=endpoint,
        agency_id=endpoint.agency_id,
        after={"previous_secret_until": endpoint.previous_secret_until},
    )
    return Issued(endpoint, secret)


def remove_endpoint(actor: Actor, endpoint: WebhookEndpoint) -> None:
    """Remove the endpoint and its delivery log (nothing more is sent to it)."""
    _require_admin(actor, endpoint.agency, endpoint)
    audit.record(
        actor,
        "webhook_endpoint.removed",
        obj=endpoint,
        agency_id=endpoint.agency_id,
        before=_summary(endpoint),
    )
    db.session.delete(endpoint)


def send_ping(actor: Actor, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A test event to this endpoint alone (delivered like any other, with its log)."""
    _require_admin(actor, endpoint.agency, endpoint)
    if not endpoint.enabled:
        raise Conflict(_("Enable the endpoint before sending it a test."))
    event = events.ping(endpoint)
    audit.record(
        actor,
        "webhook_endpoint.pinged",
        obj=endpoint,
        agency_id=endpoint.agency_id,
        after={"webhook_id": event.message_id},
    )
    delivery = db.session.scalar(
        select(WebhookDelivery).where(WebhookDelivery.event_id == event.id)
    )
    assert delivery is not None
    return delivery


def replay(actor: Actor, delivery: WebhookDelivery) -> None:
    """Send the delivery again (a new attempt, the same ``webhook-id``), with a fresh count
    of attempts."""
    endpoint = delivery.endpoint
    _require_admin(actor, endpoint.agency, delivery)
    if delivery.status == DeliveryStatus.SENDING.value:
        raise Conflict(_("This delivery is being sent right now. Try again in a moment."))
    before = delivery.status
    delivery.status = DeliveryStatus.QUEUED.value
    delivery.attempts = 0
    delivery.next_attempt_at = clock.now()
    audit.record(
        actor,
        "webhook_delivery.replayed",
        obj=delivery,
        agency_id=endpoint.agency_id,
        before={"status": before},
        after={"webhook_id": delivery.event.message_id},
    )
    run_after_commit(kick)


def agency_endpoints(agency: Agency) -> list[WebhookEndpoint]:
    return list(
        db.session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.agency_id == agency.id)
            .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
        )
    )


def get_endpoint(agency: Agency, endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.agency_id != agency.id:
        raise NotFound(_("No such endpoint."))
    return endpoint


def get_delivery(endpoint: WebhookEndpoint, delivery_id: int) -> WebhookDelivery:
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint.id:
        raise NotFound(_("No such delivery."))
    return delivery


def recent_deliveries(endpoint: WebhookEndpoint, limit: int = LOG_SIZE) -> list[WebhookDelivery]:
    """The endpoint's latest deliveries, newest first (with their events)."""
    return list(
        db.session.scalars(
            select(WebhookDelivery)
            .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
            .where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
            .limit(limit)
        )
    )


def agency_deliveries(agency: Agency, limit: int = 10) -> list[WebhookDelivery]:
    """The latest deliveries to any of the agency's endpoints, newest first."""
    return list(
        db.session.scalars(
            select(WebhookDelivery)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(WebhookEndpoint.agency_id == agency.id)
            .options(contains_eager(WebhookDelivery.endpoint))
            .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
            .limit(limit)
        )
    )


def counts_by_status(endpoint_ids: list[int]) -> dict[int, dict[str, int]]:
    """For each endpoint, how many deliveries are in each state (one query)."""
    found: dict[int, dict[str, int]] = {i: {} for i in endpoint_ids}
    if not endpoint_ids:
        return found
    rows = db.session.execute(
        select(WebhookDelivery.endpoint_id, WebhookDelivery.status, func.count())
        .where(WebhookDelivery.endpoint_id.in_(endpoint_ids))
        .group_by(WebhookDelivery.endpoint_id, WebhookDelivery.status)
    ).all()
    for endpoint_id, status, n in rows:
        found[endpoint_id][status] = int(n)
    return found
