"""The pages of an agency's webhooks: its endpoints (created with a secret shown once), each
endpoint's settings and delivery log (rotate the secret, send a test, replay a delivery)."""

from __future__ import annotations

import json
from typing import Any

from flask import make_response, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from competitions.agencies import permissions as agency_permissions
from competitions.agencies import services as agency_services
from competitions.agencies.models import Agency
from competitions.core.audit_words import label_fields
from competitions.core.translate import gettext as _
from competitions.core.translate import lazy_gettext as _l
from competitions.core.web import attempt, current_actor, guard
from competitions.webhooks import bp, endpoints, events
from competitions.webhooks.forms import EndpointForm
from competitions.webhooks.models import WebhookEndpoint

# How the audit log names the fields of its webhook events (not "url", "description" or
# "enabled": other domains' events use those words too).
label_fields(
    {
        "event_types": _l("Events to send"),
        "previous_secret_until": _l("Previous secret signs until"),
        "webhook_id": "webhook-id",
    }
)


def _agency(slug: str) -> Agency:
    return guard(agency_services.get_agency(slug), agency_permissions.can_manage_agency)


def _data(form: EndpointForm) -> endpoints.EndpointData:
    return endpoints.EndpointData(
        form.url.data or "",
        form.description.data or "",
        list(form.event_types.data or []),
        bool(form.enabled.data),
    )


def _no_store(html: str, status: int = 200) -> ResponseReturnValue:
    response = make_response(html, status)
    response.headers["Cache-Control"] = "no-store"  # a secret may be in it, once
    return response


@bp.signed_in("/agencies/<slug>/webhooks", methods=["GET", "POST"])
def endpoint_list(slug: str) -> ResponseReturnValue:
    agency = _agency(slug)
    form = EndpointForm()
    issued, status = None, 200
    if form.validate_on_submit():
        with attempt(
            form, success=_("The endpoint was created. Copy its secret now: it is shown only once.")
        ):
            issued = endpoints.create_endpoint(current_actor(), agency, _data(form))
        if issued is not None:
            form = EndpointForm(formdata=None)
        else:
            status = 400
    elif form.is_submitted():
        status = 400
    found = endpoints.agency_endpoints(agency)
    return _no_store(
        render_template(
            "webhooks/endpoints.html",
            agency=agency,
            form=form,
            issued=issued,
            endpoints=found,
            counts=endpoints.counts_by_status([e.id for e in found]),
            recent=endpoints.agency_deliveries(agency),
            labels=_labels(),
            statuses=_statuses(),
        ),
        status,
    )


def _labels() -> dict[str, Any]:
    return {k.name: k.label for k in events.REGISTRY.values()}


def _statuses() -> dict[str, Any]:
    return {
        "queued": _("Waiting"),
        "sending": _("Being sent"),
        "delivered": _("Delivered"),
        "retrying": _("Will be retried"),
        "failed": _("Failed"),
    }


def _endpoint_page(
    agency: Agency,
    endpoint: WebhookEndpoint,
    form: EndpointForm | None = None,
    issued: endpoints.Issued | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    if form is None:
        form = EndpointForm(obj=endpoint, formdata=None)
    return _no_store(
        render_template(
            "webhooks/endpoint.html",
            agency=agency,
            endpoint=endpoint,
            form=form,
            issued=issued,
            deliveries=endpoints.recent_deliveries(endpoint),
            labels=_labels(),
            statuses=_statuses(),
        ),
        status,
    )


@bp.signed_in("/agencies/<slug>/webhooks/<int:endpoint_id>", methods=["GET", "POST"])
def endpoint(slug: str, endpoint_id: int) -> ResponseReturnValue:
    agency = _agency(slug)
    found = endpoints.get_endpoint(agency, endpoint_id)
    form = EndpointForm(obj=found)
    if form.validate_on_submit():
        with attempt(form, success=_("The endpoint was saved.")) as done:
            endpoints.update_endpoint(current_actor(), found, _data(form))
        if done:
            return redirect(url_for("webhooks.endpoint", slug=slug, endpoint_id=endpoint_id))
        return _endpoint_page(agency, found, form, status=400)
    if form.is_submitted():
        return _endpoint_page(agency, found, form, status=400)
    return _endpoint_page(agency, found)


@bp.signed_in("/agencies/<slug>/webhooks/<int:endpoint_id>/rotate", methods=["POST"])
def rotate_secret(slug: str, endpoint_id: int) -> ResponseReturnValue:
    agency = _agency(slug)
    found = endpoints.get_endpoint(agency, endpoint_id)
    issued = None
    with attempt(success=_("A new secret was made. Copy it now: it is shown only once.")):
        issued = endpoints.rotate_secret(current_actor(), found)
    return _endpoint_page(agency, found, issued=issued)


@bp.signed_in("/agencies/<slug>/webhooks/<int:endpoint_id>/remove", methods=["POST"])
def remove(slug: str, endpoint_id: int) -> ResponseReturnValue:
    agency = _agency(slug)
    found = endpoints.get_endpoint(agency, endpoint_id)
    with attempt(
        success=_("The endpoint was removed: nothing more is sent to it."), category="info"
    ):
        endpoints.remove_endpoint(current_actor(), found)
    return redirect(url_for("webhooks.endpoint_list", slug=slug))


@bp.signed_in("/agencies/<slug>/webhooks/<int:endpoint_id>/ping", methods=["POST"])
def ping(slug: str, endpoint_id: int) -> ResponseReturnValue:
    agency = _agency(slug)
    found = endpoints.get_endpoint(agency, endpoint_id)
    with attempt(
        success=_("A test event was sent. Its delivery is listed below."), category="info"
    ):
        endpoints.send_ping(current_actor(), found)
    return redirect(url_for("webhooks.endpoint", slug=slug, endpoint_id=endpoint_id))


@bp.signed_in("/agencies/<slug>/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>")
def delivery(slug: str, endpoint_id: int, delivery_id: int) -> ResponseReturnValue:
    agency = _agency(slug)
    found = endpoints.get_endpoint(agency, endpoint_id)
    record = endpoints.get_delivery(found, delivery_id)
    try:
        payload = json.dumps(json.loads(record.event.body), indent=2, ensure_ascii=False)
    except ValueError:
        payload = record.event.body
    return render_template(
        "webhooks/delivery.html",
        agency=agency,
        endpoint=found,
        delivery=record,
        payload=payload,
        labels=_labels(),
        statuses=_statuses(),
    )


@bp.signed_in(
    "/agencies/<slug>/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/replay",
    methods=["POST"],
)
def replay(slug: str, endpoint_id: int, delivery_id: int) -> ResponseReturnValue:
    agency = _agency(slug)
    found = endpoints.get_endpoint(agency, endpoint_id)
    record = endpoints.get_delivery(found, delivery_id)
    with attempt(
        success=_("The delivery was queued again, with the same webhook-id."), category="info"
    ):
        endpoints.replay(current_actor(), record)
    return redirect(
        url_for("webhooks.delivery", slug=slug, endpoint_id=endpoint_id, delivery_id=delivery_id)
    )
