"""Pilot forms."""

from __future__ import annotations

from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from competitions.core.forms import BaseForm
from competitions.core.translate import lazy_gettext as _l


class OfferForm(BaseForm):
    host = SelectField(_l("Host agency"), validate_choice=False)
    test_bed = StringField(
        _l("Test-bed"),
        description=_l("Where the pilot runs, e.g. the district or the service that hosts it."),
    )
    objectives = TextAreaField(
        _l("Objectives"), description=_l("What the pilot should achieve, in a few lines.")
    )
    host_people = TextAreaField(
        _l("People involved at the host"),
        description=_l("Names and roles, one a line. The team's side is its members."),
    )
    starts_on = DateField(
        _l("Start date"),
        validators=[Optional()],
        description=_l("The plan follows the 100-day template from this day; you can edit it."),
    )
    budget = StringField(
        _l("Budget drawn from your budget for success"),
        description=_l("Drawn when the team accepts; leave empty for none."),
        render_kw={"inputmode": "decimal"},
    )


class UpdateForm(BaseForm):
    body = TextAreaField(_l("Status update"), description=_l("What happened, what comes next."))


class KPIForm(BaseForm):
    name = StringField(_l("KPI"), description=_l("e.g. Response time of the service."))
    unit = StringField(_l("Unit"), description=_l("e.g. minutes, %, tonnes of CO₂."))
    key = StringField(
        _l("Shared key (optional)"),
        description=_l(
            "The same short key in each host's pilot of this winner puts the KPIs side by side, "
            "e.g. response-time."
        ),
    )
    baseline = StringField(_l("Baseline"), render_kw={"inputmode": "decimal"})
    target = StringField(_l("Target"), render_kw={"inputmode": "decimal"})


class MeasurementForm(BaseForm):
    kpi = SelectField(_l("KPI measured"), validate_choice=False)
    value = StringField(_l("Value"), render_kw={"inputmode": "decimal"})
    measured_on = DateField(_l("Day of the measurement"), validators=[Optional()])


class EndForm(BaseForm):
    outcome = RadioField(_l("Outcome"), choices=[], validate_choice=False)
    reasons = TextAreaField(
        _l("Reasons and lessons"),
        description=_l("Why the pilot ends so: what worked, what did not. It is kept."),
    )
