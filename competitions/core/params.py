"""Numbers that come in a URL — path segments, query strings, form fields — are bounded
before they reach the database: an id is a positive 32-bit integer (larger ones cannot exist,
and would overflow the database's integer), a page number is at most ``MAX_PAGE``. Anything
else is treated as absent, so the page answers "not found" or its first page, never 500.

- ``BoundedInt`` replaces the ``<int:...>`` URL converter: a path id out of range is a 404.
- ``db_id`` and ``page_number`` are ``type=`` functions for ``request.args.get``.
- ``paginate`` is ``db.paginate`` with the page read through ``page_number``.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_sqlalchemy.pagination import Pagination
from werkzeug.routing import IntegerConverter

from competitions.core.extensions import db

MAX_ID = 2**31 - 1  # PostgreSQL's integer; SQLite's is wider
MAX_PAGE = 100_000


class BoundedInt(IntegerConverter):
    """``<int:...>`` that matches 0 to ``MAX_ID`` only (the rule does not match otherwise)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def db_id(raw: str) -> int:
    """A positive id that can exist, for ``request.args.get(name, type=db_id)``; raises
    ``ValueError`` (Flask then answers the default) for anything else."""
    value = int(raw)
    if not 1 <= value <= MAX_ID:
        raise ValueError(raw)
    return value


def page_number(raw: str) -> int:
    """A page number from 1 to ``MAX_PAGE`` (below 1 is the first page, above is the last
    that can be asked for)."""
    return min(max(int(raw), 1), MAX_PAGE)


def paginate(
    select: Any, per_page: int, max_per_page: int | None = None, **options: Any
) -> Pagination:
    """``db.paginate`` with a bounded page number (a huge one would overflow the OFFSET)."""
    page = request.args.get("page", 1, type=page_number)
    return db.paginate(
        select,
        page=page,
        per_page=per_page,
        max_per_page=max_per_page,
        error_out=False,
        **options,
    )
