"""Forms of the questions and answers."""

from __future__ import annotations

from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from competitions.core.forms import BaseForm, add_translated
from competitions.core.translate import lazy_gettext as _l


class AskForm(BaseForm):
    track = SelectField(
        _l("Which track is it about?"),
        description=_l("Every track's agency sees a question about no track in particular."),
        validate_choice=False,
    )
    body = TextAreaField(
        _l("Your question"),
        description=_l(
            "Only you and the agencies see it. If it concerns everyone, the agencies publish "
            "an answer in their own words, never your name."
        ),
        validators=[DataRequired(_l("Write your question.")), Length(max=4000)],
    )


class AnswerForm(BaseForm):
    """The answer's scope, and per language: topic, public wording of the question, reply."""

    scope = SelectField(_l("The answer speaks for"), validate_choice=False)
    changes_rules = BooleanField(
        _l("This answer changes the rules"),
        description=_l(
            "Then the terms of the tracks concerned get a new version first (entrants accept "
            "them again), and the answer is published after."
        ),
    )


class CorrectionForm(BaseForm):
    """A published answer's corrected texts, per language, and why it was corrected."""

    changes_rules = BooleanField(
        _l("This correction changes the rules"),
        description=_l(
            "Then withdraw the answer instead: the terms of the tracks concerned get a new "
            "version first, and the answer is published again after."
        ),
    )
    note = TextAreaField(
        _l("What was corrected, and why"),
        description=_l("Its agencies read it in the answer's history; the public does not."),
        validators=[Length(max=1000)],
    )


for _form in (AnswerForm, CorrectionForm):
    add_translated(_form, "topic", _l("Topic"), StringField, 80)
    add_translated(
        _form, "question", _l("The question, as the public reads it"), TextAreaField, 1000
    )
    add_translated(_form, "body", _l("Answer in Markdown"), TextAreaField, 20000)


class ReasonForm(BaseForm):
    reason = TextAreaField(_l("Reason"), validators=[Length(max=1000)])


class MergeForm(BaseForm):
    target = SelectField(_l("Merge into"), validate_choice=False, coerce=str)


class ButtonForm(BaseForm):
    """A CSRF-protected button."""
