"""The form of one agency's section of the lessons learned."""

from __future__ import annotations

from wtforms import TextAreaField
from wtforms.fields.choices import SelectChoice

from competitions.agencies.forms import CheckboxesField
from competitions.core.forms import BaseForm
from competitions.core.translate import lazy_gettext as _l
from competitions.lessons.services import FIGURES

HINT = _l("One lesson per line.")


class SectionForm(BaseForm):
    keep = TextAreaField(_l("Keep: what worked and should be done again"), description=HINT)
    change = TextAreaField(_l("Change: what to do differently next time"), description=HINT)
    stop = TextAreaField(_l("Stop: what not to do again"), description=HINT)
    figures = CheckboxesField(
        _l("The figures these lessons rest on"),
        description=_l("Each one links to its charts and tables on the insights page."),
        choices=[SelectChoice(key, label) for key, label in FIGURES.items()],
        validate_choice=False,  # the service says which are unknown, in words
    )


class ButtonForm(BaseForm):
    pass
