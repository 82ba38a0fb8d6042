"""A short-lived, per-process cache of public pages for visitors who are not signed in.

Public pages (the challenge directory, a challenge's page) are the same for every anonymous
visitor speaking the same language, so each process renders them at most once per
``PUBLIC_PAGE_CACHE_SECONDS`` (default 10 s; 0 turns the cache off). Signed-in users,
requests with pending flash messages and non-GET requests always get a fresh page.

The CSRF token of the language-switch form is per session, so the cached HTML holds a
placeholder that is replaced by the visitor's own token when the page is served.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps
from threading import Lock
from typing import Any

from flask import Response, current_app, g, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from competitions.core.i18n import current_language

TOKEN_PLACEHOLDER = "__tandem_csrf_token__"  # noqa: S105 (a marker, not a secret)
MAX_ENTRIES = 2000

_entries: OrderedDict[tuple[str, str], tuple[float, bytes, str]] = OrderedDict()
_lock = Lock()


def csrf_token() -> str:
    """The Jinja ``csrf_token()``: a placeholder while a page is rendered for the cache."""
    return TOKEN_PLACEHOLDER if g.get("rendering_for_cache") else generate_csrf()


def clear() -> None:
    with _lock:
        _entries.clear()


def _cacheable() -> bool:
    return (
        request.method == "GET"
        and not current_user.is_authenticated
        and not session.get("_flashes")
        and current_app.config.get("PUBLIC_PAGE_CACHE_SECONDS", 0) > 0
    )


def _serve(body: bytes, mimetype: str, status: int = 200) -> Response:
    text = body.replace(TOKEN_PLACEHOLDER.encode(), generate_csrf().encode())
    response = Response(text, status=status, mimetype=mimetype)
    response.headers["Vary"] = "Cookie, Accept-Language"
    return response


def cached_public_page(view: Callable[..., Any]) -> Callable[..., Any]:
    """Cache ``view``'s successful responses for anonymous visitors (see module docstring)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not _cacheable():
            return view(*args, **kwargs)
        key = (request.full_path, current_language())
        ttl = float(current_app.config["PUBLIC_PAGE_CACHE_SECONDS"])
        now = time.monotonic()
        with _lock:
            hit = _entries.get(key)
            if hit is not None and hit[0] > now:
                _entries.move_to_end(key)
                return _serve(hit[1], hit[2])
        g.rendering_for_cache = True
        try:
            response = current_app.make_response(view(*args, **kwargs))
        finally:
            g.rendering_for_cache = False
        # A page that holds a real CSRF token (a form rendered its own) is never shared.
        if response.status_code != 200 or response.direct_passthrough or "csrf_token" in g:
            return response
        body = response.get_data()
        with _lock:
            _entries[key] = (now + ttl, body, response.mimetype or "text/html")
            _entries.move_to_end(key)
            while len(_entries) > MAX_ENTRIES:
                _entries.popitem(last=False)
        return _serve(body, response.mimetype or "text/html")

    return wrapper
