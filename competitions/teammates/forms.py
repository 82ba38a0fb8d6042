"""Forms of the teammates board."""

from __future__ import annotations

from wtforms import IntegerField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional

from competitions.core.forms import BaseForm, CountryField
from competitions.core.translate import lazy_gettext as _l


class PostForm(BaseForm):
    kind = RadioField(
        _l("You are"),
        choices=[
            SelectChoice("individual", _l("A person looking for a team")),
            SelectChoice("team", _l("A team looking for members")),
        ],
        default="individual",
        validate_choice=False,
    )
    offers = TextAreaField(
        _l("What you offer"),
        description=_l("Skills, experience, equipment. Nothing you would not say in public."),
        validators=[Length(max=1000)],
    )
    seeks = TextAreaField(_l("What you look for"), validators=[Length(max=1000)])
    residence = CountryField(_l("Your country of residence"))
    declared_age = IntegerField(
        _l("Your age (optional)"),
        description=_l("Never shown: it only tells you which tracks a team could enter."),
        validators=[Optional(), NumberRange(0, 130, _l("Enter your age in years."))],
    )
    track = SelectField(_l("The track you aim at"), validate_choice=False)


class ContactForm(BaseForm):
    message = TextAreaField(
        _l("Your message"),
        description=_l("Sent through Tandem: your email address is shown only if they accept."),
        validators=[Length(max=1000)],
    )


class AnswerContactForm(BaseForm):
    accept = SelectField(validate_choice=False)


class HideForm(BaseForm):
    reason = TextAreaField(_l("Reason"), validators=[Length(max=1000)])
