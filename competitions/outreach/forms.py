"""Forms for following a challenge and managing a subscription."""

from __future__ import annotations

from typing import Any

from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from competitions.agencies.forms import CheckboxesField
from competitions.challenges.forms import LocalDateTimeField
from competitions.core.forms import BaseForm, TimeZoneField, add_translated
from competitions.core.i18n import language_name
from competitions.core.languages import deployment_languages
from competitions.core.translate import lazy_gettext as _l
from competitions.outreach.models import Audience

AUDIENCE_LABELS: dict[str, Any] = {
    Audience.SUBSCRIBERS: _l("People following the challenge"),
    Audience.ENTRIES: _l("Every member of every entry"),
    Audience.SUBMITTED: _l("Entries that have submitted in a round"),
    Audience.NOT_SUBMITTED: _l("Entries that have not submitted in a round yet"),
    Audience.FINALISTS: _l("Entries that advance from a round (finalists)"),
    Audience.JUDGES: _l("Every judge on the panels"),
    Audience.JUDGES_INCOMPLETE: _l("Judges with reviews left in a round"),
}


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def language_choices() -> list[tuple[str, Any]]:
    """The deployment's languages, each named in itself ("Deutsch", "العربية")."""
    return [(code, language_name(code, code)) for code in deployment_languages()]


class PreferencesForm(BaseForm):
    language = SelectField(_l("Language of the emails"), validate_choice=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.language.choices = language_choices()


class FollowForm(PreferencesForm):
    """The address to follow with, and its preferences."""

    email = EmailField(
        _l("Email address"),
        validators=[DataRequired(_l("Enter your email address.")), Length(max=320)],
    )


class AnnouncementForm(BaseForm):
    """Subject and Markdown message per language, the audience, and the round for audiences
    that depend on submissions."""

    scope = SelectField(_l("From"), validate_choice=False)
    audiences = CheckboxesField(_l("Who receives it"), validate_choice=False)
    round_id = SelectField(_l("Round"), validate_choice=False, coerce=_int_or_none)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.audiences.choices = [(str(a), label) for a, label in AUDIENCE_LABELS.items()]


add_translated(AnnouncementForm, "subject", _l("Subject"), StringField, 200)
add_translated(
    AnnouncementForm,
    "body",
    lambda language: _l("Message (%(language)s, Markdown)", language=language),
    TextAreaField,
    20000,
)


class ScheduleForm(BaseForm):
    release_at = LocalDateTimeField(
        _l("Release at"),
        description=_l("Every track's audience gets it at this instant."),
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
    )
    timezone = TimeZoneField(
        _l("Time zone"), description=_l("The challenge's shared timeline zone by default.")
    )


class NoticeSettingsForm(BaseForm):
    hours = StringField(
        _l("Remind entrants without a final submission, hours before each deadline"),
        description=_l("Numbers separated by commas, e.g. 168, 24, 2 (7 days, 1 day, 2 hours)."),
        validators=[Length(max=100)],
    )
    judging_hours = StringField(
        _l("Remind judges with reviews left, hours before judging closes"),
        description=_l("Numbers separated by commas, e.g. 72, 24 (3 days, 1 day)."),
        validators=[Length(max=100)],
    )
