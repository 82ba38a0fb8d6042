"""Helpers for the agency tests: audit queries, page parsing, sample images."""

from __future__ import annotations

import html
import re
import struct
from typing import Any

from sqlalchemy import select

from competitions.core.audit import AuditEvent
from competitions.core.extensions import db

BASE_URL = "https://tandem.test"

# Minimal but well-formed headers of each accepted image type (content is what counts).
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40 + b"\xff\xd9"
WEBP = b"RIFF" + struct.pack("<I", 40) + b"WEBPVP8 " + b"\x00" * 32

# What the audit log must never store raw (same set as competitions.core.audit).
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def events(action: str | None = None, **where: Any) -> list[AuditEvent]:
    """Audit events, oldest first, optionally of one action and matching column values."""
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    if action is not None:
        stmt = stmt.where(AuditEvent.action == action)
    for column, value in where.items():
        stmt = stmt.where(getattr(AuditEvent, column) == value)
    return list(db.session.scalars(stmt))


def page_text(response: Any) -> str:
    """The response body with HTML entities decoded (messages contain apostrophes)."""
    return html.unescape(response.get_data(as_text=True))


def field_error(response: Any, field_id: str) -> str:
    """The error text shown under one form field ('' when there is none)."""
    match = re.search(
        rf'<div id="{re.escape(field_id)}-error"[^>]*>(.*?)</div>',
        response.get_data(as_text=True),
        re.S,
    )
    if not match:
        return ""
    text = re.sub(r"<[^>]+>", " ", match.group(1))
    return " ".join(html.unescape(text).split())


def audit_actions(response: Any) -> list[str]:
    """The action column of an audit page, top to bottom."""
    return re.findall(r"<td><code>([^<]+)</code></td>", response.get_data(as_text=True))


def invitation_path(link: str) -> str:
    assert link.startswith(f"{BASE_URL}/invitations/"), link
    return link[len(BASE_URL) :]
