"""Errors of the machine-facing API as ``application/problem+json`` (RFC 9457).

Everything under ``API_PREFIX`` is read by programs, not people: its errors are problem
documents (``type``, ``title``, ``status``, ``detail``, plus members of our own such as
``errors``), in the language ``Accept-Language`` asks for, and the signed-in browser session
plays no part in it (``is_api_request``).
"""

from __future__ import annotations

from typing import Any

from flask import Response, json, request

API_PREFIX = "/api/"
PROBLEM_MIMETYPE = "application/problem+json"


def is_api_request() -> bool:
    """Whether the current request is addressed to the API (not a page)."""
    return bool(request) and request.path.startswith(API_PREFIX)


def problem(status: int, title: str, detail: str | None = None, **members: Any) -> Response:
    """A problem document answered with ``status``. ``type`` is ``about:blank`` (the status
    says what happened) unless ``members`` names another."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update({k: v for k, v in members.items() if v is not None})
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_MIMETYPE)
    response.headers["Cache-Control"] = "no-store"
    return response
