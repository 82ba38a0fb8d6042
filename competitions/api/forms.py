"""The form an agency admin creates an API token with."""

from __future__ import annotations

from wtforms import RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from competitions.core.forms import BaseForm
from competitions.core.translate import lazy_gettext as _l


class TokenForm(BaseForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Give the token a name.")), Length(max=80)],
        description=_l(
            "What uses it, such as “Grants system”. Shown in the list and the audit log."
        ),
    )
    scope = RadioField(
        _l("What it may do"),
        choices=[
            SelectChoice("read", _l("Read only")),
            SelectChoice("write", _l("Read and write")),
        ],
        default="read",
    )
    days = SelectField(
        _l("Expires after"),
        choices=[
            SelectChoice("7", _l("7 days")),
            SelectChoice("30", _l("30 days")),
            SelectChoice("90", _l("90 days")),
            SelectChoice("365", _l("1 year")),
        ],
        default="90",
    )
