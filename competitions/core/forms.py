"""The base class of every form: hostile control characters never reach a service."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, FormField

# C0 controls except tab, line feed and carriage return (kept for multi-line text), and DEL.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_control_characters(text: str) -> bool:
    return bool(_CONTROL.search(text))


def _values(data: Any) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, list | tuple):
        return [v for v in data if isinstance(v, str)]
    return []


CONTROL_MESSAGE = _l("Remove the invisible control characters from this field.")


class BaseForm(FlaskForm):
    """Refuses NUL and other invisible control characters in any field, with a clear message.

    PostgreSQL refuses NUL in text, and such characters are never meaningful in a form. The
    check runs after the fields' own validation and replaces their messages, so the user
    sees the real problem.
    """

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for field in self._fields.values():
            if isinstance(field, FormField | FieldList):
                continue  # their inner forms are BaseForms and check themselves
            raw = _values(field.raw_data or [])
            if any(has_control_characters(v) for v in raw):
                field.errors = [str(CONTROL_MESSAGE)]
                valid = False
        return valid
