"""The form of a webhook endpoint."""

from __future__ import annotations

from typing import Any

from wtforms import BooleanField, StringField
from wtforms.validators import Length

from competitions.agencies.forms import CheckboxesField
from competitions.core.forms import BaseForm
from competitions.core.translate import lazy_gettext as _l
from competitions.webhooks import events


def _choices() -> list[tuple[str, Any]]:
    return [(k.name, k.label) for k in events.subscribable()]


class EndpointForm(BaseForm):
    url = StringField(
        _l("Address (URL)"),
        validators=[Length(max=2000)],
        description=_l(
            "Where Tandem sends the events, such as https://example.org/tandem-hooks. "
            "It must start with https://."
        ),
    )
    description = StringField(
        _l("Description (optional)"),
        validators=[Length(max=200)],
        description=_l("What receives the events, such as “Grants system”."),
    )
    event_types = CheckboxesField(
        _l("Events to send"),
        choices=_choices,
        validate_choice=False,  # checked by the service, with a clear message
    )
    enabled = BooleanField(_l("Send events to this endpoint"), default=True)
