"""Append-only audit log: who did what to which object, before/after, from where, when."""

from __future__ import annotations

import logging
import re
import unicodedata
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from competitions.core import clock
from competitions.core.actor import Actor
from competitions.core.db import Base, UTCDateTime

log = logging.getLogger("tandem.audit")

T = TypeVar("T")

# C0 and C1 control characters, DEL, and the Unicode line/paragraph separators and bidi
# overrides that can forge or hide log lines.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_MAX_TEXT = 2000


def neutralize(value: Any, limit: int = _MAX_TEXT) -> Any:
    """Replace control characters in every string of ``value`` by a visible escape.

    Strings are cut to ``limit`` characters (an ellipsis marks the cut).
    """
    if isinstance(value, str):
        text = _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", value)
        return text if len(text) <= limit else text[: limit - 1] + "…"
    if isinstance(value, dict):
        return {str(neutralize(k)): neutralize(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [neutralize(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float):
        return value
    return neutralize(str(value))


def _fold(text: str | None) -> str | None:
    return unicodedata.normalize("NFKC", text.strip()).casefold() if text else text


class AuditEvent(Base):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    actor_label: Mapped[str | None] = mapped_column(sa.String(320))
    role: Mapped[str] = mapped_column(sa.String(40))
    action: Mapped[str] = mapped_column(sa.String(80), index=True)
    object_type: Mapped[str | None] = mapped_column(sa.String(40))
    object_id: Mapped[str | None] = mapped_column(sa.String(64))
    object_label: Mapped[str | None] = mapped_column(sa.String(400))
    agency_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    ip: Mapped[str | None] = mapped_column(sa.String(64))
    via: Mapped[str] = mapped_column(sa.String(16), default="web")

    __table_args__ = (sa.Index("ix_audit_event_object", "object_type", "object_id"),)


def record(
    actor: Actor,
    action: str,
    *,
    obj: Any = None,
    object_type: str | None = None,
    object_id: Any = None,
    object_label: str | None = None,
    agency_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    role: str | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
    """Add an audit event to the session (committed with the change it describes)."""
    from competitions.core.extensions import db

    if obj is not None:
        object_type = object_type or getattr(obj, "audit_type", type(obj).__name__.lower())
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
        if object_label is None:
            object_label = getattr(obj, "audit_label", None)
    user = actor.user
    entry = AuditEvent(
        at=clock.now(),
        actor_id=actor.user_id,
        # Case-folded like account emails, so the actor filter matches however it was typed.
        actor_label=neutralize(_fold(actor_label or (user.email if user else None)), 320),
        role=role or actor.base_role,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else neutralize(str(object_id), 64),
        object_label=neutralize(object_label, 400),
        agency_id=agency_id,
        before=neutralize(before) if before is not None else None,
        after=neutralize(after) if after is not None else None,
        ip=neutralize(actor.ip, 64),
        via=actor.via,
    )
    db.session.add(entry)
    log.info(
        "audit action=%s actor=%s role=%s object=%s:%s ip=%s",
        action,
        entry.actor_label,
        entry.role,
        object_type,
        entry.object_id,
        entry.ip,
    )
    return entry


def created(
    actor: Actor,
    action: str,
    obj: T,
    *,
    agency_id: int | None = None,
    after: dict[str, Any] | None = None,
) -> T:
    """Add the new ``obj`` to the session, flush it (so it has its id) and record ``action``.

    The agency defaults to the object's own (``audit_agency_id``), as for a denial in
    ``core.web``.
    """
    from competitions.core.extensions import db

    db.session.add(obj)
    db.session.flush()
    if agency_id is None:
        agency_id = getattr(obj, "audit_agency_id", None)
    record(actor, action, obj=obj, agency_id=agency_id, after=after)
    return obj


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, flush_context: Any, instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditLogIsAppendOnly("audit events cannot be changed or deleted")


# Database-level guard, installed by the migrations on both engines.
SQLITE_TRIGGERS = (
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
    BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
    BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""",
)
POSTGRES_TRIGGERS = (
    """CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'audit_event is append-only'; END $$""",
    """CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
)


def events_query(
    *, agency_id: int | None = None, action: str | None = None, actor: str | None = None
) -> sa.Select[AuditEvent]:
    """Newest first; ``action`` matches a prefix (``account.`` for all account events)."""
    stmt = sa.select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if agency_id is not None:
        stmt = stmt.where(AuditEvent.agency_id == agency_id)
    if action:
        stmt = stmt.where(AuditEvent.action.startswith(action.strip(), autoescape=True))
    if actor:
        stmt = stmt.where(AuditEvent.actor_label.contains(_fold(actor) or "", autoescape=True))
    return stmt
