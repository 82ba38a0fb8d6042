"""Domain errors raised by services, and the friendly HTTP error pages."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Flask, current_app, g, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from competitions.core import request_ids
from competitions.core.problems import is_api_request, problem
from competitions.core.translate import gettext as _

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

log = logging.getLogger(__name__)

T = TypeVar("T")


class DomainError(Exception):
    """A rule of the domain was broken; ``message`` is already translated for the user.

    ``field`` names the form field the message belongs to, when there is one.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class FieldErrors(DomainError):
    """Several fields refused at once: ``problems`` maps each field's name to its message
    (``""``: the form as a whole); ``message`` says what happened to the whole."""

    def __init__(self, message: str, problems: dict[str, str]) -> None:
        super().__init__(message)
        self.problems = problems


class NotFound(DomainError):
    """The object does not exist *or* the actor may not know it exists."""


class PermissionDenied(DomainError):
    """The actor may not do this. Answered on the web as an audited 404 (see ``core.web``).

    ``obj``, when given, is the object the actor was refused (recorded in the audit log).
    """

    def __init__(self, message: str, field: str | None = None, *, obj: Any = None) -> None:
        super().__init__(message, field)
        self.obj = obj


class Conflict(DomainError):
    """The change conflicts with the current state (e.g. a duplicate)."""


class Unavailable(DomainError):
    """Something the change needs (the database, the file storage) failed for a while; nothing
    was saved and the same request can be sent again later. Answered 503 with Retry-After."""


RETRY_AFTER_SECONDS = 5


def must_exist(value: T | None, message: str) -> T:
    """``value``, or ``NotFound(message)`` when there is none (a service's look-up)."""
    if value is None:
        raise NotFound(message)
    return value


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and not request.accept_mimetypes["text/html"]


def _titles() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Bad request"), _("The request could not be understood. Please try again.")),
        403: (_("Access denied"), _("You do not have permission to do this.")),
        404: (
            _("Page not found"),
            _("We could not find that page. Check the address or go back to the home page."),
        ),
        405: (_("Not allowed"), _("This address does not accept that kind of request.")),
        413: (
            _("File too large"),
            _("What you sent is larger than we accept. Choose a smaller file and try again."),
        ),
        429: (
            _("Too many attempts"),
            _("You have tried this too many times. Wait a little and try again."),
        ),
        500: (
            _("Something went wrong"),
            _("Sorry, an error occurred on our side. It has been logged; please try again later."),
        ),
        503: (_("Service unavailable"), _("The service is temporarily unavailable.")),
    }


def render_error(code: int, detail: str | None = None) -> ResponseReturnValue:
    title, message = _titles().get(code, (_("Error"), _("An error occurred.")))
    if is_api_request():
        return problem(code, title, detail or message)
    if _wants_json():
        return jsonify(error=title, message=detail or message, status=code), code
    return (
        render_template(
            "errors/error.html",
            code=code,
            title=title,
            message=message,
            detail=detail,
            reference=request_ids.current() if code >= 500 else None,
        ),
        code,
    )


def api_problem(err: HTTPException) -> ResponseReturnValue:
    """An HTTP error of the API as a problem document; one the API built itself (``abort``
    with a response) as it is. Refused input (422) lists its messages per field."""
    if err.response is not None:
        return err.response
    code = err.code or 500
    title, message = _titles().get(code, (err.name, err.description or ""))
    data = getattr(err, "data", None) or {}
    errors = data.get("messages") if isinstance(data, dict) else None
    if code == 422:
        title, message = _("Unprocessable content"), _("Some of what was sent is not valid.")
    detail = message
    if code == 429 and err.description:
        detail = _("Limit: %(limit)s.", limit=err.description)
    response = problem(code, title, detail, errors=errors)
    given = dict(err.get_headers())
    for name in ("Retry-After", "Allow"):
        if given.get(name):
            response.headers[name] = given[name]
    return response


def database_lost(err: BaseException) -> bool:
    """Whether ``err`` says the database went away (restarted, unreachable), not that the
    statement was wrong: worth answering "try again" rather than "our fault"."""
    if isinstance(err, sa_exc.DisconnectionError | sa_exc.OperationalError):
        return True
    return isinstance(err, sa_exc.DBAPIError) and bool(err.connection_invalidated)


def _quiet_rollback() -> None:
    from competitions.core.extensions import db

    try:
        # Also runs the request's after-rollback undo (e.g. deletes the files it stored).
        db.session.rollback()
    except Exception:  # the connection is gone; the pool replaces it on the next checkout
        log.warning("rollback after a lost database connection failed", exc_info=True)


def unavailable(detail: str | None = None) -> ResponseReturnValue:
    """503 with ``Retry-After``: nothing was saved; the same request can be sent again.

    Should the error page fail to render, a plain-text answer."""
    try:
        response = make_response(render_error(503, detail))
    except Exception:
        log.exception("the 503 page could not be rendered")
        response = make_response((detail or "Service unavailable", 503))
        response.mimetype = "text/plain"
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _as_anonymous() -> None:
    """Answer the rest of this request as to an anonymous visitor: the signed-in user's row
    (and so their language) may be what could not be read, and reading it again would fail."""
    g._login_user = current_app.login_manager.anonymous_user()  # type: ignore[attr-defined]


def _register_unavailable(app: Flask) -> None:
    @app.errorhandler(sa_exc.DBAPIError)
    @app.errorhandler(sa_exc.DisconnectionError)
    def database_error(err: Exception) -> ResponseReturnValue:
        if not database_lost(err):
            raise err  # a real bug: Flask answers 500 and logs it
        log.warning("database unavailable on %s: %s", request.path, err)
        _quiet_rollback()
        _as_anonymous()
        return unavailable(
            _(
                "We could not reach our database for a moment, so what you just sent was not "
                "saved. Please send it again in a few seconds."
            )
        )

    @app.errorhandler(Unavailable)
    def service_unavailable(err: Unavailable) -> ResponseReturnValue:
        log.warning("unavailable on %s: %s", request.path, err.message)
        _quiet_rollback()
        return unavailable(err.message)


def register_error_handlers(app: Flask) -> None:
    _register_unavailable(app)

    @app.errorhandler(CSRFError)
    def csrf_error(err: CSRFError) -> ResponseReturnValue:
        log.warning("CSRF failure on %s: %s", request.path, err.description)
        return render_error(
            400,
            _(
                "Your form expired or was sent from another site. "
                "Nothing was saved; please go back, reload the page and submit again."
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException) -> ResponseReturnValue:
        if is_api_request():
            return api_problem(err)
        code = err.code or 500
        if code == 429:
            detail = _("Limit: %(limit)s.", limit=err.description) if err.description else None
            return render_error(429, detail)
        if code in (400, 403, 404, 405, 413, 503):
            return render_error(code)
        return err

    @app.errorhandler(NotFound)
    def domain_not_found(err: NotFound) -> ResponseReturnValue:
        from competitions.core.extensions import db

        db.session.rollback()
        return render_error(404)

    @app.errorhandler(PermissionDenied)
    def domain_forbidden(err: PermissionDenied) -> ResponseReturnValue:
        # A service's refusal is answered like a view's: audited, and 404 so that nothing
        # reveals whether the object exists.
        from competitions.core.web import record_denial

        log.info("permission denied on %s: %s", request.path, err.message)
        record_denial(err.obj, reason=err.message)
        return render_error(404)

    @app.errorhandler(500)
    def server_error(err: Exception) -> ResponseReturnValue:
        # The original exception is logged by Flask; make sure the session is usable again.
        from competitions.core.extensions import db

        db.session.rollback()
        return render_error(500)
