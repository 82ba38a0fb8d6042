"""Forms of the survey pages (the questions themselves use the round form builder's)."""

from __future__ import annotations

from typing import Any

from wtforms import IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, NumberRange, Optional

from competitions.agencies.forms import CheckboxesField
from competitions.core.forms import BaseForm, add_translated
from competitions.core.translate import lazy_gettext as _l
from competitions.submissions.builder import TYPE_NAMES, FieldTypeForm
from competitions.submissions.fields import FieldType
from competitions.surveys.models import SurveyAudience

AUDIENCE_LABELS: dict[str, Any] = {
    SurveyAudience.ENTRANTS: _l(
        "Entrants (those who registered and did not submit are also asked why)"
    ),
    SurveyAudience.JUDGES: _l("Judges (after a round: those who were given its submissions)"),
    SurveyAudience.PARTNERS: _l("Staff of the agencies taking part"),
}


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class SurveyForm(BaseForm):
    scope = SelectField(_l("Whose people are asked"), validate_choice=False)
    round_id = SelectField(
        _l("When"),
        validate_choice=False,
        coerce=_int_or_none,
        description=_l("After a round, or at the end of the challenge."),
    )
    audiences = CheckboxesField(_l("Who is asked"), validate_choice=False)
    anonymous = RadioField(
        _l("Anonymous or named"),
        choices=[
            SelectChoice(
                "yes",
                _l(
                    "Anonymous: nobody, not even the platform, can tell who answered what; "
                    "groups of fewer than 5 responses are not shown"
                ),
            ),
            SelectChoice("no", _l("Named: each response is shown with its author's name")),
        ],
        default="yes",
        validators=[DataRequired(_l("Choose whether the survey is anonymous."))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.audiences.choices = [(str(a), label) for a, label in AUDIENCE_LABELS.items()]


add_translated(SurveyForm, "title", _l("Title"), StringField, 200)
add_translated(
    SurveyForm,
    "intro",
    lambda language: _l("Introduction (%(language)s, optional)", language=language),
    TextAreaField,
    5000,
)


class SendForm(BaseForm):
    days_open = IntegerField(
        _l("Days the survey stays open"),
        default=14,
        validators=[
            DataRequired(_l("Enter a number of days.")),
            NumberRange(1, 90, _l("Enter a whole number from %(min)s to %(max)s.")),
        ],
        render_kw={"inputmode": "numeric", "class": "form-control w-auto"},
    )
    remind_after = IntegerField(
        _l("Remind those who have not answered after this many days (optional)"),
        default=7,
        validators=[
            Optional(),
            NumberRange(1, 89, _l("Enter a whole number from %(min)s to %(max)s.")),
        ],
        render_kw={"inputmode": "numeric", "class": "form-control w-auto"},
    )


class SurveyFieldTypeForm(FieldTypeForm):
    """The round builder's choice of field type, without file uploads."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.type.choices = [
            SelectChoice(str(k), label) for k, label in TYPE_NAMES.items() if k != FieldType.FILE
        ]
