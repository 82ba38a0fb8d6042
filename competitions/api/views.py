"""The pages about the API: its reference (rendered on the server from the OpenAPI document,
no script) and an agency's API tokens (created, shown once, revoked)."""

from __future__ import annotations

from typing import Any

from flask import current_app, make_response, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from competitions.agencies import permissions as agency_permissions
from competitions.agencies import services as agency_services
from competitions.api import bp, openapi_document, tokens
from competitions.api.forms import TokenForm
from competitions.core import clock
from competitions.core.translate import gettext as _
from competitions.core.web import attempt, current_actor, guard

METHODS = ("get", "post", "put", "patch", "delete")


def _operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Each operation of the document, in its order, with what the reference shows."""
    found = []
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            found.append(
                {
                    "id": op.get("operationId") or f"{method}-{path}",
                    "method": method.upper(),
                    "path": path,
                    "tag": (op.get("tags") or [""])[0],
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "token": bool(op.get("security")),
                    "parameters": [*item.get("parameters", []), *op.get("parameters", [])],
                    "responses": sorted(op.get("responses", {}).items()),
                }
            )
    return found


@bp.route("/developers/api")
def reference() -> ResponseReturnValue:
    document = openapi_document(current_app)
    return render_template(
        "api/reference.html",
        info=document["info"],
        tags=document.get("tags", []),
        operations=_operations(document),
        document_url=url_for("api-docs.openapi_json"),
    )


@bp.signed_in("/agencies/<slug>/api-tokens", methods=["GET", "POST"])
def api_tokens(slug: str) -> ResponseReturnValue:
    agency = guard(agency_services.get_agency(slug), agency_permissions.can_manage_agency)
    form = TokenForm()
    issued = None
    if form.validate_on_submit():
        data = tokens.NewToken(
            form.name.data or "", form.scope.data or "", int(form.days.data or 0)
        )
        with attempt(form, success=_("The token was created. Copy it now: it is shown only once.")):
            issued = tokens.create_token(current_actor(), agency, data)
        if issued is not None:
            form = TokenForm(formdata=None)
    response = make_response(
        render_template(
            "api/tokens.html",
            agency=agency,
            form=form,
            issued=issued,
            tokens=tokens.agency_tokens(agency),
            now=clock.now(),
        )
    )
    response.headers["Cache-Control"] = "no-store"  # the secret is in it once
    return response


@bp.signed_in("/agencies/<slug>/api-tokens/<int:token_id>/revoke", methods=["POST"])
def revoke_token(slug: str, token_id: int) -> ResponseReturnValue:
    agency = guard(agency_services.get_agency(slug), agency_permissions.can_manage_agency)
    token = tokens.get_token(agency, token_id)
    with attempt(success=_("The token was revoked: it no longer works."), category="info"):
        tokens.revoke_token(current_actor(), token)
    return redirect(url_for("api.api_tokens", slug=agency.slug))
