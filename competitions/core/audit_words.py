"""An audit event's change in words: each field by its label (domains register theirs, since
``core`` imports no domain), with its value before and after."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from competitions.core.i18n import format_instant

_INSTANT = re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:\d\d|Z)$")

_LABELS: dict[str, Any] = {}


def label_fields(labels: Mapping[str, Any]) -> None:
    """Register human labels (lazy strings) for field names found in audit events."""
    _LABELS.update(labels)


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str


def _text(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_text(v)}" for k, v in value.items())
    if isinstance(value, str) and _INSTANT.match(value):
        # Instants are stored in UTC; the log's times are in UTC too.
        return format_instant(datetime.fromisoformat(value), "UTC")
    return str(value)


def audit_changes(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> list[FieldChange]:
    """The fields an event names, labelled, with what changed first; a field without a
    registered label keeps its name."""
    before, after = before or {}, after or {}
    keys = list(dict.fromkeys([*before, *after]))
    rows = [
        FieldChange(str(_LABELS.get(k, k)), _text(before.get(k)), _text(after.get(k))) for k in keys
    ]
    return sorted(rows, key=lambda r: r.before == r.after)
