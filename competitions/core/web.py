"""Small helpers for views: the acting user, domain errors onto forms, denial with audit."""

from __future__ import annotations

from typing import IO, Any, NoReturn

from flask import Response, abort, request, send_file
from flask_login import current_user
from flask_wtf import FlaskForm

from competitions.core import audit
from competitions.core.actor import Actor
from competitions.core.errors import DomainError
from competitions.extensions import client_ip, db


def current_actor() -> Actor:
    user = current_user._get_current_object() if current_user.is_authenticated else None
    return Actor(user=user, ip=client_ip(), via="web")


def form_error(form: FlaskForm, err: DomainError) -> None:
    """Show a service's error on the field it names, or at the top of the form."""
    field = getattr(form, err.field, None) if err.field else None
    if field is not None:
        field.errors = [*list(field.errors or []), err.message]
    else:
        form.form_errors.append(err.message)


def deny(obj: Any = None, *, agency_id: int | None = None, status: int = 404) -> NoReturn:
    """Record an authorization failure in the audit log, then answer 404 (or ``status``).

    404 is the default so that objects of another agency or team do not reveal they exist.
    """
    db.session.rollback()
    audit.record(
        current_actor(),
        "authz.denied",
        obj=obj,
        agency_id=agency_id,
        after={"method": request.method, "path": request.path, "endpoint": request.endpoint},
    )
    db.session.commit()
    abort(status)


def send_attachment(handle: IO[bytes], mimetype: str, filename: str) -> Response:
    """An uploaded file, always as a download: never sniffed, rendered or cached by the browser."""
    response = send_file(
        handle, mimetype=mimetype, as_attachment=True, download_name=filename, max_age=0
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
