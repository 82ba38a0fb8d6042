"""Submission forms built at run time from a round's field definitions."""

from __future__ import annotations

from typing import Any

from wtforms import (
    BooleanField,
    Field,
    MultipleFileField,
    RadioField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from competitions.agencies.forms import CheckboxesField
from competitions.challenges.forms import LocalDateTimeField
from competitions.core.forms import BaseForm, TimeZoneField
from competitions.core.translate import gettext as _
from competitions.core.translate import lazy_gettext as _l
from competitions.submissions.fields import FieldDef, FieldType


class FormDefinitionForm(BaseForm):
    definition = TextAreaField(
        _l("Fields of the form (JSON)"),
        validators=[Length(max=200_000)],
        description=_l("A list of fields; see the example below. Every track uses this form."),
        render_kw={"rows": 18, "spellcheck": "false", "class": "font-monospace"},
    )


class ExtensionForm(BaseForm):
    timezone = TimeZoneField(
        _l("Time zone of the new deadline"),
        description=_l("The track's legal time unless you choose another."),
        validate_choice=False,  # checked, with a message, where it is used
    )
    until = LocalDateTimeField(_l("New deadline"))
    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)])


def _choices(f: FieldDef, lang: str) -> list[SelectChoice]:
    return [
        SelectChoice(o.value, o.label.get(lang) or next(iter(o.label.values()))) for o in f.options
    ]


def _field_for(f: FieldDef, lang: str) -> Field:
    label, description = f.label_in(lang), f.help_in(lang)
    common: dict[str, Any] = {"description": description}
    if f.type == FieldType.SHORT_TEXT:
        return StringField(
            label, validators=[Optional(), Length(max=f.max_length or 500)], **common
        )
    if f.type == FieldType.LONG_TEXT:
        hint = description
        if f.max_words:
            limit = _("at most %(n)d words", n=f.max_words)
            hint = f"{description} ({limit})".strip()
        return TextAreaField(
            label, description=hint, render_kw={"rows": 8, "data-max-words": f.max_words or ""}
        )
    if f.type == FieldType.NUMBER:
        return StringField(label, render_kw={"inputmode": "decimal"}, **common)
    if f.type == FieldType.CHOICE:
        return RadioField(
            label,
            choices=_choices(f, lang),
            validate_choice=False,
            validators=[Optional()],
            **common,
        )
    if f.type == FieldType.MULTI_CHOICE:
        return CheckboxesField(label, choices=_choices(f, lang), validate_choice=False, **common)
    if f.type == FieldType.URL:
        return URLField(label, validators=[Optional(), Length(max=2000)], **common)
    if f.type == FieldType.DATE:
        return StringField(label, render_kw={"type": "date"}, **common)
    if f.type == FieldType.ATTESTATION:
        return BooleanField(label, **common)
    accept = ",".join(f".{kind}" for kind in f.file_types)
    return MultipleFileField(
        label,
        description=(
            f"{description} "
            + str(
                _l(
                    "Accepted: %(types)s, at most %(mb)d MB each, %(n)d in all.",
                    types=", ".join(f.file_types).upper(),
                    mb=f.max_size_mb,
                    n=f.max_files,
                )
            )
        ).strip(),
        render_kw={"accept": accept, "multiple": f.max_files > 1},
    )


def build_form_class(fields: list[FieldDef], lang: str) -> type[BaseForm]:
    """A WTForms class with one field per definition (labels and help in ``lang``)."""

    class SubmissionForm(BaseForm):
        pass

    for f in fields:
        setattr(SubmissionForm, f.key, _field_for(f, lang))
    return SubmissionForm


def answers_from(form: BaseForm, fields: list[FieldDef]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for f in fields:
        if f.type == FieldType.FILE:
            continue
        value = getattr(form, f.key).data
        if f.type == FieldType.ATTESTATION:
            value = bool(value)
        elif f.type == FieldType.MULTI_CHOICE:
            value = list(value or [])
        elif isinstance(value, str):
            value = value.strip()
        answers[f.key] = value
    return answers
