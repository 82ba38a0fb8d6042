"""The base class of every form: hostile control characters never reach a service."""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable
from functools import lru_cache
from typing import Any, ClassVar

from babel import Locale
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import (
    EmailField,
    FieldList,
    FormField,
    SelectField,
    SelectMultipleField,
    StringField,
    widgets,
)
from wtforms.validators import DataRequired, Length

from competitions.core.i18n import (
    country_choices,
    country_name,
    currency_choices,
    current_language,
    region_choices,
    text_direction,
    timezone_choices,
)
from competitions.core.languages import SUPPORTED_LANGUAGES, content_languages
from competitions.core.translate import lazy_gettext as _l

# C0 controls except tab, line feed and carriage return (kept for multi-line text), and DEL.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_control_characters(text: str) -> bool:
    return bool(_CONTROL.search(text))


def _values(data: Any) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, list | tuple):
        return [v for v in data if isinstance(v, str)]
    return []


CONTROL_MESSAGE = _l("Remove the invisible control characters from this field.")


class BaseForm(FlaskForm):
    """Refuses NUL and other invisible control characters in any field, with a clear message.

    PostgreSQL refuses NUL in text, and such characters are never meaningful in a form. The
    check runs after the fields' own validation and replaces their messages, so the user
    sees the real problem.

    Text an agency writes has one field per language (``title_en``, ``title_de``...): the
    class carries them for every supported language (``add_translated``) and an instance keeps
    those of ``content_languages`` (the languages its object's tracks declare; default: the
    deployment's), in that order: ``form.translated("title")`` lists them.
    """

    # Prefixes of the per-language fields, added by ``add_translated``.
    translated_prefixes: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self, *args: Any, content_languages: Iterable[str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.content_languages = _shown_languages(content_languages)
        for prefix in self.translated_prefixes:
            for code in SUPPORTED_LANGUAGES:
                name = f"{prefix}_{code}"
                if code not in self.content_languages and name in self._fields:
                    del self[name]

    def translated(self, prefix: str) -> list[Any]:
        """The fields of ``prefix`` shown, one per content language, in their order."""
        found = (self._fields.get(f"{prefix}_{code}") for code in self.content_languages)
        return [f for f in found if f is not None]

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for field in self._fields.values():
            if isinstance(field, FormField | FieldList):
                continue  # their inner forms are BaseForms and check themselves
            raw = _values(field.raw_data or [])
            if any(has_control_characters(v) for v in raw):
                field.errors = [str(CONTROL_MESSAGE)]
                valid = False
        return valid


def _shown_languages(declared: Iterable[str] | None) -> tuple[str, ...]:
    return content_languages(declared)


def content_language_name(code: str) -> str:
    """A content language's name in the interface's language ("German", "allemand")."""
    return Locale.parse(code).get_display_name(current_language()) or code


def language_label(what: Any, code: str) -> LazyString:
    """A per-language field's label, e.g. "Title (German)" in the interface's language."""
    return _l(
        "%(what)s (%(language)s)", what=what, language=LazyString(content_language_name, code)
    )


def add_translated(
    form: type[BaseForm],
    prefix: str,
    label: Any,
    factory: Any,
    max_length: int,
    **options: Any,
) -> None:
    """Add to ``form`` one field ``<prefix>_<code>`` per supported language, labelled e.g.
    "Title (German)", marked ``lang`` and ``dir`` and at most ``max_length`` characters long.

    ``label`` is the text before the language, or a function of the language's (lazy) name
    that returns the whole label. ``options`` go to each field (``description``...)."""
    extra = list(options.pop("validators", []))
    for code in SUPPORTED_LANGUAGES:
        if callable(label) and not isinstance(label, LazyString):
            text = label(LazyString(content_language_name, code))
        else:
            text = language_label(label, code)
        field = factory(
            text,
            render_kw={"lang": code, "dir": text_direction(code)},
            validators=[*extra, Length(max=max_length)],
            **options,
        )
        setattr(form, f"{prefix}_{code}", field)
    if prefix not in form.translated_prefixes:
        form.translated_prefixes = (*form.translated_prefixes, prefix)


def per_language(
    form: BaseForm, prefix: str, stored: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The {code: text} of the fields ``prefix_<code>`` shown, over ``stored``: the text of a
    language the form does not show (its track no longer declares it) is kept."""
    values: dict[str, Any] = dict(stored or {})
    for field_ in form.translated(prefix):
        values[field_.name.rsplit("_", 1)[1]] = field_.data or ""
    return values


def fill_per_language(form: BaseForm, prefix: str, values: dict[str, Any] | None) -> None:
    """Fill the fields ``prefix_<code>`` shown from {code: text}."""
    for field_ in form.translated(prefix):
        field_.data = (values or {}).get(field_.name.rsplit("_", 1)[1], "")


def slug_field(max_length: int, label: Any = None, description: Any = "") -> StringField:
    """The short address an agency or a challenge is known by in links: required, at most
    ``max_length`` characters, never spell-checked or capitalized by the browser."""
    return StringField(
        _l("Short address") if label is None else label,
        validators=[DataRequired(_l("Enter a short address.")), Length(max=max_length)],
        description=description,
        render_kw={"spellcheck": "false", "autocapitalize": "none"},
    )


def invitee_email(label: Any, missing: Any = None) -> EmailField:
    """The address an invitation goes to (its format is checked by the service, like every
    address)."""
    required = DataRequired(missing or _l("Enter an email address."))
    return EmailField(label, validators=[required], render_kw={"spellcheck": "false"})


class LongSelect(widgets.Select):
    """A select whose (long, unchanging) option list is rendered once and reused.

    Rendering hundreds of options through WTForms costs milliseconds per field (countries,
    time zones, currencies). A field built with ``key`` (a function naming what its list
    depends on, e.g. the language) has its escaped options' HTML rendered once per key,
    without going through WTForms' per-option objects; only the selected option is marked
    for each request. Choices replaced on a field (or no ``key``) are rendered from the
    field's choices, still cached by their content.
    """

    _rendered: ClassVar[dict[Hashable, str]] = {}

    def __init__(
        self,
        key: Callable[[], Hashable] | None = None,
        choices: Callable[[], Iterable[tuple[str, Any]]] | None = None,
    ) -> None:
        super().__init__()
        self.key, self.choices = key, choices

    @classmethod
    def _options(cls, key: Hashable, pairs: Callable[[], Iterable[tuple[str, str]]]) -> str:
        options = cls._rendered.get(key)
        if options is None:
            options = "".join(
                f'<option value="{escape(value)}">{escape(label)}</option>'
                for value, label in pairs()
            )
            if len(cls._rendered) > 64:
                cls._rendered.clear()
            cls._rendered[key] = options
        return options

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        kwargs.setdefault("id", field.id)
        if "required" not in kwargs and "required" in getattr(field, "flags", ()):
            kwargs["required"] = True
        if self.choices is not None and self.key is not None and _callback(field) is self.choices:
            source = self.choices
            options = self._options(
                (id(type(field)), self.key()),
                lambda: ((str(value), str(label)) for value, label in source()),
            )
        else:
            pairs = tuple((str(c.value), str(c.label)) for c in field.iter_choices())
            options = self._options(pairs, lambda: pairs)
        if field.data not in (None, ""):
            marker = f'<option value="{escape(str(field.data))}">'
            options = options.replace(marker, marker[:7] + " selected" + marker[7:], 1)
        params = widgets.html_params(name=field.name, **kwargs)
        # Every value and label was escaped when the options were rendered.
        return Markup(f"<select {params}>{options}</select>")  # noqa: S704


def _callback(field: Any) -> Any:
    # WTForms (3.3) keeps the callable given as ``choices`` until a view replaces it.
    return getattr(field, "_choices_callable", None)


class TimeZoneField(SelectField):
    """A choice among every time zone (the long option list is rendered once)."""

    def __init__(self, label: Any = None, **kwargs: Any) -> None:
        widget = LongSelect(key=lambda: "", choices=timezone_choices)
        super().__init__(label, choices=timezone_choices, widget=widget, **kwargs)


class CountryField(SelectField):
    """A choice among every country, in the request's language, after an empty first option
    labelled ``blank`` (the options rendered once per language and blank label)."""

    def __init__(self, label: Any = None, blank: Any = "", **kwargs: Any) -> None:
        def choices() -> list[tuple[str, Any]]:
            return [("", blank), *country_choices()]

        widget = LongSelect(key=lambda: (current_language(), str(blank)), choices=choices)
        super().__init__(label, choices=choices, widget=widget, **kwargs)


@lru_cache(maxsize=8)
def _region_options(lang: str) -> str:
    groups = region_choices(lang)
    return "".join(
        f'<optgroup label="{escape(label)}">'
        + "".join(f'<option value="{escape(v)}">{escape(text)}</option>' for v, text in options)
        + "</optgroup>"
        for label, options in groups
    )


class RegionsSelect:
    """A native ``<select>`` of every country and first-level subdivision, in the page's
    language (options rendered once per language); a ``multiple`` one is turned by
    ``static/js/places.js`` into a searchable list. Chosen codes outside the list (a
    second-level subdivision stored earlier) are kept as options of their own, so saving
    again never drops them."""

    def __init__(self, multiple: bool = True, blank: Any = None) -> None:
        self.multiple, self.blank = multiple, blank

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        kwargs.setdefault("id", field.id)
        data = field.data
        chosen = [data] if isinstance(data, str) and data else [str(c) for c in data or []]
        lang = current_language()
        known = {v for _, options in region_choices(lang) for v, _text in options}
        extra = "".join(
            f'<option selected value="{escape(c)}">{escape(country_name(c, lang))} '
            f"({escape(c)})</option>"
            for c in chosen
            if c not in known
        )
        if self.blank is not None:
            extra = f'<option value="">{escape(str(self.blank))}</option>' + extra
        options = _region_options(lang)
        for code in chosen:
            marker = f'<option value="{escape(code)}">'
            options = options.replace(marker, marker[:7] + " selected" + marker[7:], 1)
        if self.multiple:
            kwargs["multiple"] = True
        params = widgets.html_params(name=field.name, **kwargs)
        # Every value and label was escaped above.
        return Markup(f"<select {params}>{extra}{options}</select>")  # noqa: S704


def _picker_messages() -> dict[str, Any]:
    """What ``static/js/places.js`` says, in the page's language (``{n}``: a number)."""
    return {
        "data-place-picker": "",
        "data-msg-search": _l("Search by name or code"),
        "data-msg-matches": _l("{n} places match"),
        "data-msg-one-match": _l("1 place matches"),
        "data-msg-no-match": _l("No place matches"),
        "data-msg-chosen": _l("Chosen"),
        "data-msg-none-chosen": _l("None chosen"),
        "data-msg-remove": _l("Remove {name}"),
    }


class RegionsField(SelectMultipleField):
    """Countries and subdivisions chosen by name; ISO 3166 codes are its data. The codes are
    checked by the service that stores them (it names any unknown one)."""

    widget = RegionsSelect()

    def __init__(self, label: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {"size": 8, **_picker_messages()})
        super().__init__(label, choices=[], validate_choice=False, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = [str(v).strip().upper() for v in valuelist if str(v).strip()]

    def pre_validate(self, form: Any) -> None:
        pass


class JurisdictionField(SelectField):
    """One country or first-level subdivision, chosen by name; its ISO 3166 code is the data
    (checked, with a message naming it, by the service that stores it)."""

    def __init__(self, label: Any = None, **kwargs: Any) -> None:
        widget = RegionsSelect(multiple=False, blank=_l("Select a country or subdivision"))
        super().__init__(label, choices=[], widget=widget, validate_choice=False, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = str(valuelist[0]).strip().upper() if valuelist else None


class CurrencyField(SelectField):
    """A choice among ISO 4217 currencies, named in the page's language; the stored value is
    the code. An unknown code is refused by the service that stores it."""

    def __init__(self, label: Any = None, **kwargs: Any) -> None:
        def choices() -> list[tuple[str, Any]]:
            return [("", _l("Select a currency")), *currency_choices(current_language())]

        widget = LongSelect(key=current_language, choices=choices)
        super().__init__(label, choices=choices, widget=widget, validate_choice=False, **kwargs)
