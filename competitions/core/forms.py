"""The base class of every form: hostile control characters never reach a service."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, Form
from wtforms.validators import StopValidation

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


class NoControlCharacters:
    """Refuse NUL and other invisible control characters with a clear message.

    PostgreSQL refuses NUL in text, and such characters are never meaningful in a form.
    """

    message = _l("Remove the invisible control characters from this field.")

    def __call__(self, form: Form, field: Field) -> None:
        raw = [*_values(field.raw_data or []), *_values(field.data)]
        if any(has_control_characters(v) for v in raw):
            field.errors = []
            raise StopValidation(str(self.message))


class BaseForm(FlaskForm):
    class Meta:
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            validators = [NoControlCharacters(), *unbound_field.kwargs.get("validators", ())]
            return unbound_field.bind(form=form, validators=validators, **options)
