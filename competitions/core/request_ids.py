"""A request id for every request, to follow one request through the logs of several nodes.

It is the proxy's ``X-Request-Id`` when the app trusts a proxy (``TRUSTED_PROXIES``; nginx
sends ``$request_id``, so its access log and the app's lines share it) and the value looks
like an id, else one made here. The response carries it back in ``X-Request-Id``, every log
line written during the request shows it, and the error page prints it as a reference that a
person can quote to the support desk.
"""

from __future__ import annotations

import logging
import re
import uuid

from flask import Flask, Response, current_app, g, has_request_context, request

HEADER = "X-Request-Id"
_LOOKS_LIKE_AN_ID = re.compile(r"[A-Za-z0-9._-]{8,128}\Z")


def current() -> str:
    """The id of the request being served ("-" outside a request)."""
    if not has_request_context():
        return "-"
    found = g.get("request_id")
    if found is None:
        given = request.headers.get(HEADER, "")
        trusted = bool(current_app.config.get("TRUSTED_PROXIES"))
        found = given if trusted and _LOOKS_LIKE_AN_ID.match(given) else uuid.uuid4().hex
        g.request_id = found
    return str(found)


def _send_back(response: Response) -> Response:
    response.headers.setdefault(HEADER, current())
    return response


class LogFilter(logging.Filter):
    """Adds ``request_id`` to every record (for ``%(request_id)s`` in the log format)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current()
        return True


def _assign() -> None:
    current()  # fixed before anything logs (a value returned here would be the response)


def init_app(app: Flask) -> None:
    app.before_request(_assign)
    app.after_request(_send_back)
