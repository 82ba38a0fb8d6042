"""The form builder: one field of a round's submission form edited at a time.

Every change makes the full new definition (a list of dicts, as ``fields.parse_fields``
reads it) and hands it to ``services.define_form``, so the builder obeys the same checks as
JSON import, including the rule that keys of an already-submitted form stay. A field's key is
made from its label when the field is added and never changes after; so are option values.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

from wtforms import (
    BooleanField,
    FieldList,
    FloatField,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, NumberRange, Optional, ValidationError

from competitions.agencies.forms import CheckboxesField
from competitions.core.forms import BaseForm
from competitions.core.i18n import language_name, text_direction
from competitions.core.translate import lazy_gettext as _l
from competitions.submissions.fields import (
    FILE_KINDS,
    MAX_FILE_MB,
    FieldsError,
    FieldType,
    parse_fields,
)

TYPE_NAMES = {
    FieldType.SHORT_TEXT: _l("Short text"),
    FieldType.LONG_TEXT: _l("Long text"),
    FieldType.NUMBER: _l("Number"),
    FieldType.CHOICE: _l("One choice from a list"),
    FieldType.MULTI_CHOICE: _l("Several choices from a list"),
    FieldType.URL: _l("Web address"),
    FieldType.DATE: _l("Date"),
    FieldType.ATTESTATION: _l("Statement to confirm (a tick box)"),
    FieldType.FILE: _l("File upload"),
}
CHOICES = (FieldType.CHOICE, FieldType.MULTI_CHOICE)
MAX_TEXT = 500
MAX_OPTIONS = 100
MAX_HELP = 2000


# --- keys and lists -------------------------------------------------------------------------


def slug_key(label: str, taken: set[str], prefix: str = "field") -> str:
    """A key made from ``label`` (lower-case ASCII letters, digits and ``_``, starting with a
    letter, at most 40 characters), not in ``taken``."""
    ascii_text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")[:32].strip("_")
    if not base or not base[0].isalpha():
        base = f"{prefix}_{base}".strip("_")[:32]
    key, n = base, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key


def index_of(data: list[dict[str, Any]], key: str) -> int | None:
    return next((i for i, item in enumerate(data) if item.get("key") == key), None)


def moved(data: list[dict[str, Any]], index: int, offset: int) -> list[dict[str, Any]]:
    """``data`` with the item at ``index`` moved by ``offset`` (unchanged at either end)."""
    target = index + offset
    out = list(data)
    if 0 <= target < len(out):
        out[index], out[target] = out[target], out[index]
    return out


# --- the per-type settings form --------------------------------------------------------------


def _texts(form: Any, name: str, langs: list[str]) -> dict[str, str]:
    texts = {lang: (form[f"{name}_{lang}"].data or "").strip() for lang in langs}
    return {lang: text for lang, text in texts.items() if text}


def _marked(lang: str) -> dict[str, str]:
    return {"lang": lang, "dir": text_direction(lang)}


def option_form_class(langs: list[str]) -> type[Form]:
    """One option of a choice: its stable value and a label per language."""

    class OptionForm(Form):
        value = HiddenField()

    for lang in langs:
        label = _l("Option (%(language)s)", language=language_name(lang))
        setattr(OptionForm, f"label_{lang}", StringField(label, render_kw=_marked(lang)))
    return OptionForm


class FieldSettingsForm(BaseForm):
    """What every field has; ``settings_form_class`` adds a type's own settings."""

    langs: list[str] = []
    kind: FieldType = FieldType.SHORT_TEXT
    required = BooleanField(_l("An answer is required"))

    def validate_min(self, field: Any) -> None:
        if field.data is not None and not math.isfinite(field.data):
            raise ValidationError(_l("Enter a number, like 10 or 2.5."))

    def validate_max(self, field: Any) -> None:
        self.validate_min(field)
        low = self["min"].data
        if low is not None and field.data is not None and field.data < low:
            raise ValidationError(_l("Enter a maximum at least as large as the minimum."))

    def validate_options(self, field: Any) -> None:
        if len(field.entries) > MAX_OPTIONS:
            raise ValidationError(_l("Offer at most 100 options."))
        labelled = [e for e in field.entries if _texts(e.form, "label", self.langs)]
        if not labelled:
            raise ValidationError(_l("Give at least one option a label."))
        if any(
            len(t) > MAX_TEXT
            for e in labelled
            for t in _texts(e.form, "label", self.langs).values()
        ):
            raise ValidationError(_l("Keep each option under 500 characters."))

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for lang in self.langs:
            for name, limit in (("label", MAX_TEXT), ("help", MAX_HELP)):
                f = self[f"{name}_{lang}"]
                if len(f.data or "") > limit:
                    f.errors = [*f.errors, str(_l("Use at most %(n)d characters.", n=limit))]
                    valid = False
        if not _texts(self, "label", self.langs):
            first = self[f"label_{self.langs[0]}"]
            first.errors = [*first.errors, str(_l("Enter the question in at least one language."))]
            valid = False
        return valid

    def field_data(self, key: str) -> dict[str, Any]:
        """The field as a definition item (``fields.parse_fields`` checks it)."""
        item: dict[str, Any] = {
            "key": key,
            "type": str(self.kind),
            "label": _texts(self, "label", self.langs),
            "required": bool(self.required.data),
        }
        help_texts = _texts(self, "help", self.langs)
        if help_texts:
            item["help"] = help_texts
        for name in ("max_length", "max_words", "min", "max", "max_size_mb", "max_files"):
            if name in self and self[name].data is not None:
                item[name] = self[name].data
        if "file_types" in self:
            item["file_types"] = list(self["file_types"].data or [])
        if "options" in self:
            item["options"] = self.options_data()
        return item

    def options_data(self) -> list[dict[str, Any]]:
        options: list[dict[str, Any]] = []
        taken = {e.form.value.data for e in self["options"].entries if e.form.value.data}
        for entry in self["options"].entries:
            label = _texts(entry.form, "label", self.langs)
            if not label:
                continue
            value = entry.form.value.data or slug_key(next(iter(label.values())), taken, "option")
            taken.add(value)
            options.append({"value": value, "label": label})
        return options

    def fill(self, item: dict[str, Any]) -> None:
        """Show a stored field's settings."""
        for lang in self.langs:
            self[f"label_{lang}"].data = (item.get("label") or {}).get(lang, "")
            self[f"help_{lang}"].data = (item.get("help") or {}).get(lang, "")
        self.required.data = bool(item.get("required"))
        for name in ("max_length", "max_words", "min", "max", "max_size_mb", "max_files"):
            if name in self:
                self[name].data = item.get(name)
        if "file_types" in self:
            self["file_types"].data = list(item.get("file_types") or [])
        if "options" in self:
            options = self["options"]
            while options.entries:
                options.pop_entry()
            for option in item.get("options") or [{}]:
                labels = option.get("label") or {}
                data = {"value": option.get("value", "")}
                data.update({f"label_{lang}": labels.get(lang, "") for lang in self.langs})
                options.append_entry(data)


def _number(label: Any, low: int, high: int) -> IntegerField:
    message = _l("Enter a whole number from %(low)d to %(high)d.", low=low, high=high)
    return IntegerField(
        label,
        validators=[Optional(), NumberRange(low, high, message)],
        render_kw={"inputmode": "numeric", "class": "form-control w-auto"},
    )


def _type_settings(kind: FieldType, langs: list[str]) -> dict[str, Any]:
    if kind == FieldType.SHORT_TEXT:
        return {"max_length": _number(_l("Most characters (optional, up to 500)"), 1, 500)}
    if kind == FieldType.LONG_TEXT:
        return {
            "max_words": _number(_l("Most words (optional)"), 1, 100_000),
            "max_length": _number(_l("Most characters (optional)"), 1, 100_000),
        }
    if kind == FieldType.NUMBER:
        bad = _l("Enter a number, like 10 or 2.5.")
        return {
            "min": FloatField(_l("Smallest number allowed (optional)"), [Optional()], bad),
            "max": FloatField(_l("Largest number allowed (optional)"), [Optional()], bad),
        }
    if kind in CHOICES:
        return {"options": FieldList(FormField(option_form_class(langs)), min_entries=1)}
    if kind == FieldType.FILE:
        return {
            "file_types": CheckboxesField(
                _l("File types accepted"),
                choices=[SelectChoice(k, k.upper()) for k in FILE_KINDS],
                validators=[DataRequired(_l("Choose at least one file type."))],
            ),
            "max_size_mb": _number(
                _l("Largest file, in MB (1 to %(n)d)", n=MAX_FILE_MB), 1, MAX_FILE_MB
            ),
            "max_files": _number(_l("Most files (1 to 50)"), 1, 50),
        }
    return {}


def settings_form_class(kind: FieldType, langs: list[str]) -> type[FieldSettingsForm]:
    """The settings form of one field type, with a label and help text per language."""
    attrs: dict[str, Any] = {"langs": langs, "kind": kind}
    for lang in langs:
        name = language_name(lang)
        attrs[f"label_{lang}"] = StringField(
            _l("Question (%(language)s)", language=name), render_kw=_marked(lang)
        )
        attrs[f"help_{lang}"] = TextAreaField(
            _l("Help text (%(language)s, optional)", language=name),
            render_kw={"rows": 2, **_marked(lang)},
        )
    if kind == FieldType.ATTESTATION:
        attrs["required"] = BooleanField(_l("The box must be ticked to submit"))
    attrs.update(_type_settings(kind, langs))
    return type("FieldSettings", (FieldSettingsForm,), attrs)


class FieldTypeForm(BaseForm):
    class Meta:
        csrf = False  # a GET form: it only chooses which page comes next

    type = RadioField(
        _l("What kind of answer do you need?"),
        choices=[SelectChoice(str(k), label) for k, label in TYPE_NAMES.items()],
        validators=[DataRequired(_l("Choose the kind of answer."))],
    )


class RemoveFieldForm(BaseForm):
    confirm = HiddenField(validators=[DataRequired()])


# --- what the field pages of the round builder and of the surveys share ---------------------


def with_field(
    data: list[dict[str, Any]],
    form: FieldSettingsForm,
    key: str | None,
    reserved: frozenset[str] = frozenset(),
) -> list[dict[str, Any]]:
    """The list of field definitions with ``form``'s field added (``key`` None: under a new
    key made from its label, not taken nor ``reserved``) or put in place of field ``key``."""
    data = [dict(item) for item in data]
    if key is None:
        label = next(iter(form.field_data("x")["label"].values()))
        taken = {str(item.get("key")) for item in data} | set(reserved)
        data.append(form.field_data(slug_key(label, taken)))
    else:
        index = index_of(data, key)
        if index is None:
            raise KeyError(key)
        item = form.field_data(key)
        # Texts in languages the form does not show (a track dropped one) are kept: the
        # field's label and help, and each option's label (options matched by their value).
        for name in ("label", "help"):
            _keep_hidden_texts(item, name, data[index].get(name), form.langs)
        before = {str(o.get("value")): o for o in data[index].get("options") or []}
        for option in item.get("options") or []:
            stored = before.get(str(option["value"]))
            if stored is not None:
                _keep_hidden_texts(option, "label", stored.get("label"), form.langs)
        data[index] = item
    return data


def _keep_hidden_texts(
    item: dict[str, Any], name: str, stored: dict[str, str] | None, shown: list[str]
) -> None:
    kept = {code: text for code, text in (stored or {}).items() if code not in shown}
    if kept:
        item[name] = {**kept, **item.get(name, {})}


def options_action(form: FieldSettingsForm, action: str) -> bool:
    """Add or remove an option row (no JavaScript needed) when ``action`` (the button
    pressed) says so; true when it did."""
    if "options" not in form or action == "save":
        return False
    if action == "add_option":
        form["options"].append_entry()
    elif action.startswith("remove_option:"):
        index = action.partition(":")[2]
        entries = form["options"].entries
        if (
            index.isascii()
            and index.isdecimal()
            and len(index) < 4
            and int(index) < len(entries) > 1
        ):
            entries.pop(int(index))
    return True


def preview_fields(
    form: FieldSettingsForm, key: str | None, langs: list[str]
) -> list[tuple[str, Any]]:
    """The field as people will see it in each language, from the settings as typed (saved
    or not); empty while the settings cannot make a field yet (no question typed)."""
    from competitions.submissions.forms import build_form_class

    try:
        (item,) = parse_fields([form.field_data(key or "new_field")])
    except FieldsError:
        return []
    return [
        (
            lang,
            build_form_class([item], lang)(
                formdata=None, prefix=f"preview-{lang}", meta={"csrf": False}
            )[item.key],
        )
        for lang in langs
    ]
