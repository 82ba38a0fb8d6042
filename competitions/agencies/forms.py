"""Agency forms."""

from __future__ import annotations

from typing import Any

from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, URLField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from competitions.agencies.models import Role
from competitions.core.forms import (
    BaseForm,
    JurisdictionField,
    TimeZoneField,
    invitee_email,
    slug_field,
)
from competitions.core.i18n import language_name, languages
from competitions.core.translate import lazy_gettext as _l


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def role_choices() -> list[tuple[str, Any]]:
    return [(Role.STAFF.value, _l("Staff")), (Role.ADMIN.value, _l("Administrator"))]


class AgencyForm(BaseForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Enter the agency's name.")), Length(max=200)],
        description=_l("The full official name, e.g. Canadian Space Agency."),
    )
    short_name = StringField(
        _l("Short name"),
        validators=[Optional(), Length(max=40)],
        description=_l("An acronym or short form shown in tight spaces, e.g. CSA."),
    )
    slug = slug_field(
        64, description=_l("Lower-case letters, digits and hyphens; used in links, e.g. csa.")
    )
    jurisdiction = JurisdictionField(
        _l("Jurisdiction"),
        validators=[DataRequired(_l("Select the country or subdivision of the agency."))],
        description=_l("A country such as Canada, or a subdivision such as Berlin, Germany."),
    )
    timezone = TimeZoneField(
        _l("Time zone"),
        description=_l("The legal time in which this agency's deadlines are stated."),
    )
    languages = CheckboxesField(_l("Languages"))
    website = URLField(_l("Website"), validators=[Optional(), Length(max=400)])
    require_mfa = BooleanField(
        _l("Require two-step sign-in for members and judges"),
        description=_l(
            "Members of this agency and judges of its challenges and tracks must sign in with "
            "a code from an authenticator app as well as their password."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.languages.choices = [(c, language_name(c)) for c in languages()]


class LogoForm(BaseForm):
    logo = FileField(
        _l("Logo"),
        description=_l("PNG, JPEG or WebP, at most 1 MB. Shown on your agency's pages and emails."),
        render_kw={"accept": "image/png,image/jpeg,image/webp"},
    )


class InviteForm(BaseForm):
    email = invitee_email(
        _l("Email address"), _l("Enter the email address of the person to invite.")
    )
    role = SelectField(_l("Role"), default=Role.STAFF.value)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = role_choices()


class RoleForm(BaseForm):
    role = SelectField(_l("Role"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = role_choices()


class AuditFilterForm(BaseForm):
    class Meta:
        csrf = False

    action = StringField(_l("Action"), validators=[Optional(), Length(max=80)])
    actor = StringField(_l("Actor email"), validators=[Optional(), Length(max=320)])
