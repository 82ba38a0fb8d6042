"""Team and registration forms."""

from __future__ import annotations

from typing import Any

from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from competitions.agencies.forms import CheckboxesField
from competitions.challenges.eligibility import Status
from competitions.challenges.forms import entrant_type_choices
from competitions.core.forms import BaseForm, CountryField, add_translated, invitee_email
from competitions.core.translate import lazy_gettext as _l
from competitions.entries.models import DocumentStatus


class MemberProfileFields(BaseForm):
    residence = CountryField(
        _l("Your country of residence"),
        blank=_l("Select a country"),
        validate_choice=False,
        description=_l("Tracks decide prize eligibility from where members reside."),
    )
    declared_age = IntegerField(
        _l("Your age"),
        validators=[
            Optional(),
            NumberRange(min=0, max=130, message=_l("Enter your age in years.")),
        ],
        description=_l("Some tracks have a minimum age. You attest that it is true."),
        render_kw={"inputmode": "numeric"},
    )


class TeamEditForm(BaseForm):
    name = StringField(
        _l("Team name"),
        validators=[DataRequired(_l("Enter a name for the team.")), Length(max=120)],
    )
    entrant_type = SelectField(_l("We are"), validate_choice=False)
    organisation_name = StringField(
        _l("Organisation's name"),
        validators=[Length(max=200)],
        description=_l("Only for businesses and other organisations."),
    )
    organisation_country = CountryField(
        _l("Country where the organisation is established"),
        blank=_l("Not an organisation"),
        validate_choice=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.entrant_type.choices = entrant_type_choices()


class TeamForm(TeamEditForm, MemberProfileFields):
    """A new team, and the details of its lead (who creates it)."""


class InviteMemberForm(BaseForm):
    email = invitee_email(_l("Email address of the person to invite"))


class JoinForm(MemberProfileFields):
    pass


class RegisterForm(BaseForm):
    team = SelectField(_l("Team"), coerce=int, validate_choice=False)
    track = HiddenField()
    terms_version = HiddenField()
    accept_terms = BooleanField(_l("I have read and accept the terms and conditions of this track"))
    attestations = CheckboxesField(_l("Statements"), coerce=int, validate_choice=False)


class NewTermsForm(BaseForm):
    """The team lead accepts the track's terms again after they changed."""

    terms_version = HiddenField()
    accept_terms = BooleanField(_l("I have read and accept the new terms of this track"))


class EligibilityDecisionForm(BaseForm):
    decision = SelectField(_l("Decision"), validate_choice=False)
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(_l("Give the reason for this decision.")), Length(max=2000)],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.decision.choices = [
            ("", _l("Follow the rules (no override)")),
            (Status.ELIGIBLE.value, _l("Eligible")),
            (Status.RECOGNITION.value, _l("Eligible for recognition only")),
            (Status.INELIGIBLE.value, _l("Not eligible")),
        ]


class RequirementForm(BaseForm):
    """A document a track asks for; names and explanations per track language."""

    scope = SelectField(_l("Who sends it"), validate_choice=False)
    file_types = CheckboxesField(_l("Accepted file types"), validate_choice=False)
    max_size_mb = IntegerField(
        _l("Size limit (MB)"),
        default=10,
        validators=[DataRequired(_l("Give a size limit in MB.")), NumberRange(min=1, max=20)],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from competitions.entries.documents import ALLOWED_TYPES, SCOPE_LABELS

        super().__init__(*args, **kwargs)
        self.scope.choices = [(k.value, v) for k, v in SCOPE_LABELS.items()]
        self.file_types.choices = [(t, t.upper()) for t in ALLOWED_TYPES]


add_translated(RequirementForm, "label", _l("Name"), StringField, 200, validators=[Optional()])
add_translated(
    RequirementForm, "help", _l("Explanation"), TextAreaField, 1000, validators=[Optional()]
)


class DocumentReviewForm(BaseForm):
    decision = SelectField(_l("Decision"), validate_choice=False)
    reason = TextAreaField(_l("Reason (required to reject)"), validators=[Length(max=2000)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.decision.choices = [
            (DocumentStatus.VERIFIED.value, _l("Verify")),
            (DocumentStatus.REJECTED.value, _l("Reject")),
        ]
