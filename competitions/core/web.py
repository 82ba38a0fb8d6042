"""The web kit: what every view does the same way.

- ``Pages``: each domain's blueprint; ``@bp.signed_in(rule)`` declares a page for signed-in
  people only (``@bp.route`` for public pages).
- ``current_actor()``: the acting user, passed explicitly to services.
- ``guard(obj, rule)`` / ``require(allowed, obj)``: load-then-check in one line. A refusal is
  recorded in the audit log and answers 404, so objects of another agency or team never
  reveal that they exist. A ``PermissionDenied`` raised by a service is answered the same way
  (``core.errors``), so views need not repeat the rules their services check. ``NotFound``
  from a service answers 404 by itself: views do not catch it.
- ``found(x)`` turns a look-up that found nothing into that 404; ``flash_errors(form)`` shows
  the messages of a form posted from another page.
- ``attempt(form)``: the form → service → commit step. On success the transaction is
  committed (and an optional message flashed); on a ``DomainError`` it is rolled back and the
  message is shown on the form field it names (or flashed when there is no form).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any, NoReturn, TypeVar

from flask import Blueprint, Response, abort, flash, jsonify, request, send_file
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from competitions.core import audit
from competitions.core.actor import Actor
from competitions.core.errors import DomainError, FieldErrors, NotFound, PermissionDenied
from competitions.core.extensions import client_ip, db
from competitions.core.filetypes import typed_name

T = TypeVar("T")
View = TypeVar("View", bound=Callable[..., Any])


class Pages(Blueprint):
    """A domain's blueprint. ``signed_in(rule)`` declares a page for signed-in people only:
    ``route`` with ``login_required`` (a visitor is sent to the sign-in page, then back).
    Who among the signed-in may see it is the view's ``guard``."""

    def signed_in(self, rule: str, **options: Any) -> Callable[[View], View]:
        def declare(view: View) -> View:
            if not getattr(view, "signed_in_only", False):  # one check for several rules
                view = login_required(view)
                setattr(view, "signed_in_only", True)  # noqa: B010
            return self.route(rule, **options)(view)

        return declare


def current_actor() -> Actor:
    user = current_user._get_current_object() if current_user.is_authenticated else None
    return Actor(user=user, ip=client_ip(), via="web")


def form_error(form: FlaskForm, err: DomainError) -> None:
    """Show a service's error on the field it names, or at the top of the form; several
    fields' errors (``FieldErrors``) each on its field, under the error's message."""
    if isinstance(err, FieldErrors):
        form.form_errors.append(err.message)
        for key, message in err.problems.items():
            form_error(form, DomainError(message, field=key or None))
        return
    field = getattr(form, err.field, None) if err.field else None
    if field is not None:
        field.errors = [*list(field.errors or []), err.message]
    else:
        form.form_errors.append(err.message)


def refusal_json(err: DomainError) -> ResponseReturnValue:
    """A service's refusal answered to a script: 400 with a message per field when it names
    fields (``{"status": "invalid", "message": …, "errors": {field: message}}``), else 409
    (``{"status": "refused", "message": …}``: the state does not allow it)."""
    if isinstance(err, FieldErrors):
        problems = err.problems
    else:
        problems = {err.field: err.message} if err.field else {}
    if not problems:
        return jsonify(status="refused", message=err.message), 409
    return jsonify(status="invalid", message=err.message, errors=problems), 400


def record_denial(
    obj: Any = None, *, agency_id: int | None = None, reason: str | None = None
) -> None:
    """Write (and commit) the audit event of a refused request; what was pending is undone.

    The agency defaults to the object's own (``audit_agency_id``), so the denial shows in
    that agency's audit log.
    """
    db.session.rollback()
    if agency_id is None:
        agency_id = getattr(obj, "audit_agency_id", None)
    details = {"method": request.method, "path": request.path, "endpoint": request.endpoint}
    if reason:
        details["reason"] = reason
    audit.record(current_actor(), "authz.denied", obj=obj, agency_id=agency_id, after=details)
    db.session.commit()


def deny(obj: Any = None, *, agency_id: int | None = None, status: int = 404) -> NoReturn:
    """Record an authorization failure in the audit log, then answer 404 (or ``status``).

    404 is the default so that objects of another agency or team do not reveal they exist.
    """
    record_denial(obj, agency_id=agency_id)
    abort(status)


def require(allowed: bool, obj: Any = None, *, agency_id: int | None = None) -> None:
    """Deny (audited 404) unless ``allowed``."""
    if not allowed:
        deny(obj, agency_id=agency_id)


def guard(obj: T, rule: Callable[[Any, T], bool], *, agency_id: int | None = None) -> T:
    """``obj`` if ``rule(current_user, obj)`` holds; otherwise an audited 404."""
    require(rule(current_user, obj), obj, agency_id=agency_id)
    return obj


def found(obj: T | None) -> T:
    """``obj``, or a 404 when the look-up found nothing."""
    if obj is None:
        raise NotFound("not found")
    return obj


def flash_errors(form: FlaskForm) -> None:
    """Flash a form's validation messages (for forms posted from another page)."""
    for errors in form.errors.values():
        for message in errors:
            flash(str(message), "danger")


class Outcome:
    """What ``attempt`` did: true once the change is committed; ``error`` when refused."""

    def __init__(self) -> None:
        self.done = False
        self.error: DomainError | None = None

    def __bool__(self) -> bool:
        return self.done


@contextmanager
def attempt(
    form: FlaskForm | None = None,
    *,
    success: str | None = None,
    category: str = "success",
    quiet: bool = False,
) -> Iterator[Outcome]:
    """Run the block (a service call) in the request's transaction and settle it.

    Committed when the block returns, then ``success`` is flashed. A ``DomainError`` rolls
    back and goes onto ``form`` (flashed when there is no form, kept only in the outcome's
    ``error`` when ``quiet``: a JSON answer says it); the block's exception is then swallowed
    and the outcome is false. ``NotFound`` and ``PermissionDenied`` are rolled back and passed
    on: they answer 404 (the latter audited).
    """
    outcome = Outcome()
    try:
        yield outcome
    except (NotFound, PermissionDenied):
        db.session.rollback()
        raise
    except DomainError as err:
        db.session.rollback()
        outcome.error = err
        if form is not None:
            form_error(form, err)
        elif not quiet:
            flash(err.message, "danger")
    else:
        db.session.commit()
        outcome.done = True
        if success:
            flash(success, category)


def commit_for_page() -> None:
    """Commit what the request wrote, keeping what it read loaded for the page rendered next.

    A plain commit expires every loaded object, and the template then reads each one again,
    row by row (a judge's queue: two queries per assigned submission).
    """
    session = db.session()
    saved = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = saved


def send_attachment(handle: IO[bytes], mimetype: str, filename: str) -> Response:
    """An uploaded file, always as a download: never sniffed, rendered or cached by the browser,
    and named by its type (``mimetype``, detected from its content when it was stored) whatever
    name it was stored under."""
    response = send_file(
        handle,
        mimetype=mimetype,
        as_attachment=True,
        download_name=typed_name(filename, mimetype),
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
