"""Forms for following a challenge and managing a subscription."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, SelectField
from wtforms.validators import DataRequired, Length

from competitions.core.forms import BaseForm


def language_choices() -> list[tuple[str, Any]]:
    return [("en", "English"), ("fr", "Français")]


class FollowForm(BaseForm):
    email = EmailField(
        _l("Email address"),
        validators=[DataRequired(_l("Enter your email address.")), Length(max=320)],
    )
    language = SelectField(_l("Language of the emails"), validate_choice=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.language.choices = language_choices()


class PreferencesForm(BaseForm):
    language = SelectField(_l("Language of the emails"), validate_choice=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.language.choices = language_choices()
