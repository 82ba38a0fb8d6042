"""Challenge forms. Text an agency writes has one field per language its tracks declare
(``title_en``, ...: ``core.forms.add_translated``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    FieldList,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from competitions.agencies.forms import CheckboxesField
from competitions.challenges.eligibility import EntrantType, MemberPolicy, entrant_type_label
from competitions.core.forms import (
    BaseForm,
    CountryField,
    CurrencyField,
    RegionsField,
    TimeZoneField,
    add_translated,
    invitee_email,
    slug_field,
)
from competitions.core.i18n import language_name
from competitions.core.instants import in_zone
from competitions.core.languages import deployment_languages
from competitions.core.translate import lazy_gettext as _l


class LocalDateTimeField(DateTimeLocalField):
    """A wall-clock date and time (converted to UTC with the form's chosen time zone)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("format", ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"])
        kwargs.setdefault("validators", [Optional()])
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            self.data = None
            raise ValueError(str(_l("Enter a date and time like 2025-07-30 17:00."))) from exc


class ChallengeForm(BaseForm):
    slug = slug_field(80, description=_l("Used in links, e.g. deep-space-food-2025."))
    timezone = TimeZoneField(
        _l("Time zone of the shared timeline"),
        description=_l("Dates of the shared timeline are entered in this zone by default."),
    )


class TextsForm(BaseForm):
    pass


for _form in (ChallengeForm, TextsForm):
    add_translated(_form, "title", _l("Title"), StringField, 200)
    add_translated(_form, "summary", _l("Summary"), TextAreaField, 500)
    add_translated(_form, "description", _l("Description (Markdown)"), TextAreaField, 50_000)


class PartnerInviteForm(BaseForm):
    email = invitee_email(_l("Email address of the partner agency's administrator"))


class AcceptPartnerForm(BaseForm):
    agency = SelectField(_l("Agency that will run the track"), coerce=int, validate_choice=False)


class TrackForm(BaseForm):
    languages = CheckboxesField(_l("Languages of the track"))
    contact_email = EmailField(
        _l("Contact email for entrants"),
        validators=[Optional(), Length(max=320)],
        render_kw={"spellcheck": "false"},
    )
    timezone = TimeZoneField(
        _l("Legal time zone"), description=_l("Deadlines are stated to entrants in this zone.")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any of the deployment's languages (a track declares those its texts use).
        self.languages.choices = [(c, language_name(c)) for c in deployment_languages()]


add_translated(TrackForm, "name", _l("Track name"), StringField, 200)
add_translated(TrackForm, "description", _l("About this track (Markdown)"), TextAreaField, 20_000)
add_translated(
    TrackForm,
    "attestations",
    _l("Statements entrants confirm when registering, one per line"),
    TextAreaField,
    10_000,
)


def entrant_type_choices() -> list[tuple[str, str]]:
    return [(t.value, entrant_type_label(t.value)) for t in EntrantType]


class RulesForm(BaseForm):
    allowed_countries = RegionsField(
        _l("Countries (or subdivisions) whose residents may win prizes"),
        description=_l("Type a name to find it, e.g. Canada or Québec. Choose none for anywhere."),
    )
    excluded_countries = RegionsField(
        _l("Excluded countries"),
        description=_l("Nobody from these may take part, not even for recognition."),
    )
    entrant_types = CheckboxesField(_l("Who may enter"))
    establishment_countries = RegionsField(
        _l("Where organisations must be established"),
        description=_l("Choose none to use the countries above."),
    )
    team_min = IntegerField(_l("Smallest team"), validators=[Optional()], default=1)
    team_max = IntegerField(
        _l("Largest team"), validators=[Optional()], description=_l("Leave empty for no limit.")
    )
    minimum_age = IntegerField(_l("Minimum age"), validators=[Optional()])
    member_policy = RadioField(
        _l("Which members must reside in those countries"), default=MemberPolicy.ALL.value
    )
    recognition_for_others = BooleanField(
        _l("Entrants from elsewhere may take part for recognition, without prize money")
    )
    exclusive = BooleanField(
        _l("Entrants may not enter more than one track of this challenge"), default=True
    )
    condition_types = CheckboxesField(
        _l("The prize condition below applies to"),
        description=_l("Leave all unticked to apply it to every entrant."),
    )
    condition2_types = CheckboxesField(
        _l("The second prize condition applies to"),
        description=_l("Leave all unticked to apply it to every entrant."),
    )
    condition3_types = CheckboxesField(
        _l("The third prize condition applies to"),
        description=_l("Leave all unticked to apply it to every entrant."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.entrant_types.choices = entrant_type_choices()
        for prefix in PRIZE_CONDITION_SLOTS:
            getattr(self, f"{prefix}_types").choices = entrant_type_choices()
        self.member_policy.choices = [
            (MemberPolicy.ALL.value, _l("Every member")),
            (MemberPolicy.LEAD.value, _l("The team lead")),
            (MemberPolicy.MAJORITY.value, _l("A majority of members")),
        ]


# A track states up to three conditions on receiving a prize (each winner's award lists those
# that apply to it): the first keeps its historical field names.
PRIZE_CONDITION_SLOTS = ("condition", "condition2", "condition3")
add_translated(RulesForm, "condition", _l("Condition on receiving a prize"), TextAreaField, 1000)
add_translated(RulesForm, "condition2", _l("Second prize condition"), TextAreaField, 1000)
add_translated(RulesForm, "condition3", _l("Third prize condition"), TextAreaField, 1000)


class PrizeForm(BaseForm):
    amount = StringField(
        _l("Amount"),
        validators=[DataRequired(_l("Enter the amount."))],
        description=_l("A number, e.g. 150000 or 2500.50."),
        render_kw={"inputmode": "decimal"},
    )
    currency = CurrencyField(_l("Currency"), validators=[DataRequired(_l("Select the currency."))])
    count = IntegerField(
        _l("How many are awarded"),
        validators=[
            InputRequired(_l("Enter how many of this prize are awarded.")),
            NumberRange(min=1, max=1000),
        ],
        default=1,
    )


add_translated(PrizeForm, "label", _l("Prize name"), StringField, 200)
add_translated(PrizeForm, "condition", _l("Condition"), StringField, 1000)


class TermsForm(BaseForm):
    pass


add_translated(TermsForm, "body", _l("Terms and conditions (Markdown)"), TextAreaField, 100_000)


def _change_reason(description: Any) -> TextAreaField:
    """Why a date of the timeline moves: entrants of a published challenge are told."""
    return TextAreaField(
        _l("Reason for the change"), validators=[Length(max=2000)], description=description
    )


class RoundForm(BaseForm):
    timezone = TimeZoneField(
        _l("Time zone of the dates below"),
        description=_l("Each instant is the same for every track; choose the zone you type in."),
    )
    registration_opens = LocalDateTimeField(_l("Registration opens (optional)"))
    registration_closes = LocalDateTimeField(_l("Registration closes (optional)"))
    submission_opens = LocalDateTimeField(_l("Submissions open"))
    submission_deadline = LocalDateTimeField(_l("Submission deadline"))
    judging_closes = LocalDateTimeField(_l("Judging closes"))
    results_at = LocalDateTimeField(_l("Results released"))
    reason = _change_reason(_l("Needed once the challenge is published: entrants are told."))


add_translated(RoundForm, "name", _l("Round name"), StringField, 200)


class MilestoneForm(BaseForm):
    timezone = TimeZoneField(_l("Time zone of the dates below"))
    starts_at = LocalDateTimeField(_l("Starts"))
    ends_at = LocalDateTimeField(_l("Ends (optional)"))
    url = StringField(_l("Link (optional)"), validators=[Length(max=400)])
    reason = _change_reason(
        _l("Needed to move a shared milestone once the challenge is published.")
    )


add_translated(MilestoneForm, "name", _l("Milestone name"), StringField, 200)


class NextEditionForm(BaseForm):
    slug = slug_field(80, _l("Short address of the new edition"))
    offset_days = IntegerField(
        _l("Shift every date by (days)"),
        validators=[InputRequired(_l("Enter a number of days.")), NumberRange(min=-3660, max=3660)],
        default=365,
    )


class MemberRow(BaseForm):
    class Meta:
        csrf = False

    residence = CountryField(
        _l("Country of residence"), blank=_l("Select a country"), validate_choice=False
    )
    age = IntegerField(_l("Age"), validators=[Optional(), NumberRange(min=0, max=120)])


class EligibilityCheckForm(BaseForm):
    """The public "where can we enter?" check: a team described without an account."""

    class Meta:
        csrf = False

    entrant_type = SelectField(_l("We are"), default=EntrantType.TEAM.value)
    organisation_country = CountryField(
        _l("Country where the organisation is established"),
        blank=_l("Not an organisation"),
        validate_choice=False,
        description=_l("Only for businesses and other organisations."),
    )
    members = FieldList(FormField(MemberRow), min_entries=3, max_entries=10)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.entrant_type.choices = entrant_type_choices()


def local_naive(instant: datetime | None, zone: str) -> datetime | None:
    """An instant as the naive wall-clock time shown in a datetime-local input (in UTC if the
    zone cannot hold it: see ``core.instants.in_zone``)."""
    import zoneinfo

    if instant is None:
        return None
    return in_zone(instant, zoneinfo.ZoneInfo(zone)).replace(tzinfo=None)
