"""Award and reserve forms."""

from __future__ import annotations

from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from competitions.agencies.forms import CheckboxesField
from competitions.core.forms import BaseForm, CurrencyField, add_translated
from competitions.core.translate import lazy_gettext as _l


class AwardForm(BaseForm):
    winner = SelectField(
        _l("Winning entry"),
        validators=[DataRequired(_l("Choose the winning entry."))],
        description=_l("The track's winners in released results."),
    )
    prize = SelectField(_l("Prize"), validators=[DataRequired(_l("Choose the prize."))])
    amount = StringField(
        _l("Amount"),
        validators=[DataRequired(_l("Enter the amount."))],
        description=_l("What this winner receives, e.g. 30000 or 2500.50."),
        render_kw={"inputmode": "decimal"},
    )
    currency = CurrencyField(_l("Currency"), validators=[DataRequired(_l("Select the currency."))])
    conditions = CheckboxesField(
        _l("Prize conditions that apply"),
        choices=[],
        validate_choice=False,
        description=_l(
            "From the track's eligibility rules. The winners send the evidence of each one "
            "with their entry's documents; you verify it there."
        ),
    )


class PaymentForm(BaseForm):
    paid_on = DateField(
        _l("Date of the payment"),
        validators=[Optional()],
        description=_l("The day the money was sent."),
    )
    reference = StringField(
        _l("Payment reference"),
        validators=[Length(max=120)],
        description=_l("The transfer, cheque or voucher number, as your finance team knows it."),
    )


class ReserveForm(BaseForm):
    amount = StringField(
        _l("Amount"),
        validators=[DataRequired(_l("Enter the amount."))],
        description=_l("A number, e.g. 500000."),
        render_kw={"inputmode": "decimal"},
    )
    currency = CurrencyField(_l("Currency"), validators=[DataRequired(_l("Select the currency."))])
    public = BooleanField(
        _l("Show it on the track's public page, next to the prizes"),
        description=_l(
            "Innovators then know that a winner can scale. Leave it unticked until the budget "
            "is committed."
        ),
    )


add_translated(ReserveForm, "purpose", _l("What it may fund"), TextAreaField, 1000)
