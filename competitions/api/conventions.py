"""What every API operation does the same way.

- **Cursor pagination**: lists are ordered by their rows' ids, ascending, which never change;
  ``cursor`` is an opaque string naming the last id seen, so a page never repeats or skips a
  row however many are added meanwhile. ``next_cursor`` is the position after the page's last
  row, on the last page too (null only before any row): keep it to ask later for what is new.
  ``has_more`` says whether another page follows now, and a ``Link: <…>; rel="next"`` header
  gives its URL.
- **ETag / If-None-Match**: every successful read carries a strong ETag of its body; sending
  it back answers ``304 Not Modified`` without a body.
- **Rate limits**: ``RateLimit-Limit``, ``RateLimit-Remaining``, ``RateLimit-Reset`` (seconds)
  and ``RateLimit-Policy`` on every answer; 429 with ``Retry-After`` past the limit.
- **Instants** are ISO 8601 with their offset (UTC, and each track's legal zone where it
  matters); countries are ISO 3166 codes, currencies ISO 4217, amounts decimal strings.
- **Languages**: texts are given in the language ``Accept-Language`` asks for (one of the
  deployment's, ``TANDEM_LANGUAGES``), else in one the challenge has; ``Content-Language``
  says which was asked for.
- **Bodies** of writes are JSON documents: another content type is a 415, no body a 400
  (neither is read as an empty document, which would reset what it leaves out).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from flask import Response, abort, request, url_for
from marshmallow import Schema, fields, validate

from competitions.core.extensions import db, rate_limit_headers
from competitions.core.i18n import current_language
from competitions.core.instants import in_zone
from competitions.core.problems import problem
from competitions.core.translate import gettext as _

T = TypeVar("T")
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
MAX_LIMIT = 100
DEFAULT_LIMIT = 50


class PageArgs(Schema):
    cursor = fields.String(
        load_default=None,
        metadata={"description": "The `next_cursor` of the previous page; none for the first."},
    )
    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"Items per page (1 to {MAX_LIMIT})."},
    )


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The last id the cursor names (0: from the start); a cursor we did not make is a 400."""
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        version, _sep, value = raw.partition(":")
        last = int(value)
        if version != "v1" or last < 0 or last > 2**63:
            raise ValueError(raw)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        abort(
            problem(
                400,
                _("Bad request"),
                _("The cursor is not one this API gave: start again without it."),
            )
        )
    return last


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_cursor: str | None
    has_more: bool


def paginate(stmt: Any, id_column: Any, args: dict[str, Any]) -> Page:
    """One page of ``stmt`` in ascending ``id_column`` after the cursor in ``args``."""
    after, limit = decode_cursor(args.get("cursor")), int(args["limit"])
    rows = list(
        db.session.scalars(
            stmt.where(id_column > after).order_by(None).order_by(id_column).limit(limit + 1)
        )
    )
    more = len(rows) > limit
    rows = rows[:limit]
    position = encode_cursor(rows[-1].id) if rows else args.get("cursor")
    return Page(rows, position, more)


def page_body(page: Page, dump: Callable[[Any], T]) -> dict[str, Any]:
    return page_fields(page, [dump(row) for row in page.items])


def page_fields(page: Page, items: list[Any]) -> dict[str, Any]:
    return {"items": items, "next_cursor": page.next_cursor, "has_more": page.has_more}


def link_next(page: Page) -> dict[str, str]:
    """The ``Link`` header to the next page (none on the last page)."""
    if not page.has_more or page.next_cursor is None or request.endpoint is None:
        return {}
    args = {**(request.view_args or {}), **request.args.to_dict(), "cursor": page.next_cursor}
    url = url_for(request.endpoint, _external=True, **args)
    return {"Link": f'<{url}>; rel="next"'}


def text(texts: dict[str, str] | None, fallback: Sequence[str] = ()) -> str:
    """A per-language text in the request's language, else a fallback language's, else any."""
    texts = texts or {}
    for code in (current_language(), *fallback):
        if texts.get(code):
            return texts[code]
    return next((v for v in texts.values() if v), "")


def local(instant: datetime | None, zone: str) -> datetime | None:
    """``instant`` on the wall clock of ``zone`` (an IANA name), with that zone's offset."""
    return in_zone(instant, ZoneInfo(zone)) if instant is not None else None


def require_json_body() -> None:
    """A write's body must be a JSON document (see the module's docstring)."""
    if request.method not in BODY_METHODS:
        return
    if not request.is_json:
        abort(
            problem(
                415,
                _("Unsupported media type"),
                _("Send the body as JSON, with Content-Type: application/json."),
            )
        )
    if not request.get_data(cache=True).strip():
        abort(problem(400, _("Bad request"), _("The body is empty: send a JSON document.")))


def finish(response: Response) -> Response:
    """The common headers of every API answer, and the 304 of a read whose ETag matches."""
    rate_limit_headers(response)
    response.headers["Content-Language"] = current_language()
    response.vary.update(("Accept-Language", "Authorization"))
    if request.method in ("GET", "HEAD") and response.status_code == 200:
        response.headers.setdefault(
            "Cache-Control",
            "private, no-cache" if "Authorization" in request.headers else "no-cache",
        )
        if "ETag" not in response.headers:  # a file's is its SHA-256, set by its view
            response.add_etag()
        response.make_conditional(request)
    return response
