"""Forms of the cost pages. Values are checked by the services (``cost_records``), which name
the field of any problem; the forms only say what is required."""

from __future__ import annotations

from typing import Any

from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Optional

from competitions.core.forms import BaseForm, CurrencyField
from competitions.core.translate import lazy_gettext as _l
from competitions.insights.cost_report import category_label
from competitions.insights.models import CostCategory


def _categories() -> list[tuple[str, Any]]:
    return [
        ("", _l("Choose the kind of cost")),
        *((c.value, category_label(c)) for c in CostCategory),
    ]


class CostLineForm(BaseForm):
    category = SelectField(
        _l("Kind of cost"),
        choices=_categories,
        validate_choice=False,
        validators=[DataRequired(_l("Choose the kind of cost."))],
        description=_l("Prizes are not entered here: they are read from your track's prizes."),
    )
    amount = StringField(
        _l("Amount"),
        validators=[DataRequired(_l("Enter the amount."))],
        description=_l("A number, e.g. 12000 or 2500.50."),
        render_kw={"inputmode": "decimal"},
    )
    currency = CurrencyField(_l("Currency"), validators=[DataRequired(_l("Select the currency."))])
    spent_on = StringField(
        _l("Date"),
        validators=[DataRequired(_l("Enter the date, e.g. 2026-11-30."))],
        description=_l("When it was spent or invoiced, as year-month-day."),
        render_kw={"type": "date"},
    )
    note = StringField(
        _l("Note (optional)"),
        validators=[Optional()],
        description=_l("What it was, e.g. 'Launch webinar'. Seen only by your agency."),
    )


class ReportingCurrencyForm(BaseForm):
    reporting_currency = CurrencyField(
        _l("Reporting currency"),
        validators=[DataRequired(_l("Select the currency."))],
        description=_l("Every partner's costs are added up in this currency."),
    )


class RateForm(BaseForm):
    from_currency = CurrencyField(
        _l("Currency"), validators=[DataRequired(_l("Select the currency."))]
    )
    rate = StringField(
        _l("Rate"),
        validators=[DataRequired(_l("Enter the rate."))],
        description=_l("How much 1 unit of this currency is worth in the reporting currency."),
        render_kw={"inputmode": "decimal"},
    )
    rate_date = StringField(
        _l("Date of the rate"),
        validators=[DataRequired(_l("Enter the date, e.g. 2026-11-30."))],
        render_kw={"type": "date"},
    )
