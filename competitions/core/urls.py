"""Absolute links built from the configured BASE_URL — never from the request's Host header."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, url_for

#: Stands for the row's id while ``id_url`` builds its pattern (an id no table reaches).
_PLACEHOLDER = 987_654_321_012


def external_url(endpoint: str, **values: Any) -> str:
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)


def is_safe_next(target: str | None) -> bool:
    """A post-login redirect target must be a local path (no scheme, host or `//`)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and "\\" not in target


def id_url(endpoint: str, key: str, **values: Any) -> Callable[[int], str]:
    """``url_for(endpoint, key=id, **values)`` for many ids: the URL is built once with a
    placeholder and each id formatted into it (a table's links, one per row, cost a routing
    build each otherwise). ``key`` must be an ``int`` converter's argument."""
    arguments: dict[str, Any] = {**values, key: _PLACEHOLDER}
    prefix, found, suffix = url_for(endpoint, **arguments).partition(str(_PLACEHOLDER))
    if not found or "?" in prefix:
        raise ValueError(f"{endpoint} does not put {key} in its path")
    return lambda object_id: f"{prefix}{int(object_id)}{suffix}"
