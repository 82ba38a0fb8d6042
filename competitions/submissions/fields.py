"""Submission forms as data: field definitions per round, validated, built into WTForms at
run time, and the checks a final submission must pass.

A definition is a list of fields, e.g.::

    [{"key": "summary", "type": "long_text", "label": {"en": "Summary", "fr": "Résumé"},
      "help": {"en": "What does it do?"}, "required": true, "max_words": 300},
     {"key": "report", "type": "file", "label": {"en": "Design report"},
      "file_types": ["pdf"], "max_size_mb": 20, "max_files": 1, "required": true}]
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from competitions.core.forms import CONTROL_MESSAGE, has_control_characters
from competitions.core.translate import gettext as _
from competitions.core.translate import ngettext


class FieldType(enum.StrEnum):
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    NUMBER = "number"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    URL = "url"
    DATE = "date"
    ATTESTATION = "attestation"
    FILE = "file"


FIELD_TYPES = tuple(FieldType)
FILE_KINDS = ("pdf", "png", "jpeg", "webp", "zip", "docx", "xlsx", "pptx", "mp4", "txt", "csv")
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_FILE_MB = 500


class FieldsError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Option:
    value: str
    label: dict[str, str]


@dataclass(frozen=True)
class FieldDef:
    key: str
    type: FieldType
    label: dict[str, str]
    help: dict[str, str] = field(default_factory=dict)
    required: bool = False
    max_words: int | None = None
    max_length: int | None = None
    min: float | None = None
    max: float | None = None
    options: tuple[Option, ...] = ()
    file_types: tuple[str, ...] = ()
    max_size_mb: int = 20
    max_files: int = 1

    def label_in(self, lang: str) -> str:
        return self.label.get(lang) or next(iter(self.label.values()), self.key)

    def help_in(self, lang: str) -> str:
        if not self.help:
            return ""
        return self.help.get(lang) or next(iter(self.help.values()), "")


def _texts(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not any(
        isinstance(v, str) and v.strip() for v in value.values()
    ):
        raise FieldsError(_("%(where)s needs a text in at least one language.", where=where))
    return {str(k): str(v).strip() for k, v in value.items() if isinstance(v, str) and v.strip()}


def _number(value: Any, where: str) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise FieldsError(_("%(where)s must be a number.", where=where)) from exc


def _int(value: Any, where: str, low: int, high: int) -> int | None:
    if value in (None, ""):
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise FieldsError(
            _(
                "%(where)s must be a whole number from %(low)d to %(high)d.",
                where=where,
                low=low,
                high=high,
            )
        )
    return value


def parse_fields(data: Any) -> list[FieldDef]:
    """Validate a definition (a list of dicts); raises ``FieldsError`` saying what is wrong."""
    if not isinstance(data, list):
        raise FieldsError(_("The form must be a list of fields."))
    if len(data) > 60:
        raise FieldsError(_("A form can have at most 60 fields."))
    seen: set[str] = set()
    return [_parse_field(raw, _("Field %(n)d", n=n), seen) for n, raw in enumerate(data, 1)]


def _parse_field(raw: Any, where: str, seen: set[str]) -> FieldDef:
    """One field of a definition; ``seen`` holds the keys of the fields before it."""
    if not isinstance(raw, dict):
        raise FieldsError(_("%(where)s must be an object.", where=where))
    key = _key(raw, where, seen)
    kind = raw.get("type")
    if kind not in FIELD_TYPES:
        raise FieldsError(
            _(
                "%(where)s: the type must be one of %(types)s.",
                where=where,
                types=", ".join(FIELD_TYPES),
            )
        )
    options = _options(raw, where) if kind in (FieldType.CHOICE, FieldType.MULTI_CHOICE) else ()
    file_types = _file_types(raw, where) if kind == FieldType.FILE else ()
    minimum = _number(raw.get("min"), where)
    maximum = _number(raw.get("max"), where)
    if minimum is not None and maximum is not None and maximum < minimum:
        raise FieldsError(_("%(where)s: the maximum is below the minimum.", where=where))
    return FieldDef(
        key=key,
        type=FieldType(kind),
        label=_texts(raw.get("label"), where),
        help=_texts(raw["help"], where) if raw.get("help") else {},
        required=bool(raw.get("required")),
        max_words=_int(raw.get("max_words"), where, 1, 100_000),
        max_length=_int(raw.get("max_length"), where, 1, 100_000),
        min=minimum,
        max=maximum,
        options=options,
        file_types=file_types,
        max_size_mb=_int(raw.get("max_size_mb"), where, 1, MAX_FILE_MB) or 20,
        max_files=_int(raw.get("max_files"), where, 1, 50) or 1,
    )


def _key(raw: dict[str, Any], where: str, seen: set[str]) -> str:
    key = str(raw.get("key", ""))
    if not KEY_RE.match(key):
        raise FieldsError(
            _(
                "%(where)s: the key must be lower-case letters, digits or _, starting with a "
                "letter.",
                where=where,
            )
        )
    if key in seen:
        raise FieldsError(_("%(where)s: the key %(key)s is used twice.", where=where, key=key))
    seen.add(key)
    return key


def _options(raw: dict[str, Any], where: str) -> tuple[Option, ...]:
    raw_options = raw.get("options")
    if not isinstance(raw_options, list) or not raw_options:
        raise FieldsError(_("%(where)s: list the options to choose from.", where=where))
    values = [str(o.get("value", "")) if isinstance(o, dict) else "" for o in raw_options]
    if not all(values) or len(set(values)) != len(values):
        raise FieldsError(_("%(where)s: each option needs its own value.", where=where))
    return tuple(Option(str(o["value"]), _texts(o.get("label"), where)) for o in raw_options)


def _file_types(raw: dict[str, Any], where: str) -> tuple[str, ...]:
    file_types = tuple(str(t) for t in raw.get("file_types") or ())
    unknown = [t for t in file_types if t not in FILE_KINDS]
    if not file_types or unknown:
        raise FieldsError(
            _(
                "%(where)s: allowed file types are %(types)s.",
                where=where,
                types=", ".join(FILE_KINDS),
            )
        )
    return file_types


def fields_to_data(fields: list[FieldDef]) -> list[dict[str, Any]]:
    out = []
    for f in fields:
        item: dict[str, Any] = {
            "key": f.key,
            "type": f.type,
            "label": f.label,
            "required": f.required,
        }
        if f.help:
            item["help"] = f.help
        for name in ("max_words", "max_length", "min", "max"):
            if getattr(f, name) is not None:
                item[name] = getattr(f, name)
        if f.options:
            item["options"] = [{"value": o.value, "label": o.label} for o in f.options]
        if f.type == FieldType.FILE:
            item.update(
                file_types=list(f.file_types), max_size_mb=f.max_size_mb, max_files=f.max_files
            )
        out.append(item)
    return out


# --- checking answers ---------------------------------------------------------------------
#
# Two levels. ``malformed`` is what no answer may ever be, even in a draft saved by the form or
# by autosave: of the wrong type for its field, an option that is not offered, longer than its
# field allows (characters or words), or holding invisible control characters or lone
# surrogates (not text: PostgreSQL cannot store them, a page cannot show them). A draft may be
# incomplete, or hold a number out of range or a half-typed address; ``check_answer`` adds
# those checks for the final submission.

URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# The most characters an answer may have, by type (a definition's max_length may lower it).
MAX_CHARACTERS = {
    FieldType.SHORT_TEXT: 500,
    FieldType.LONG_TEXT: 200_000,
    FieldType.NUMBER: 50,
    FieldType.URL: 2000,
    FieldType.DATE: 50,
}


def words(text: str) -> int:
    return len(text.split())


def unreadable(text: str) -> bool:
    """Whether ``text`` holds invisible control characters or lone surrogates."""
    return has_control_characters(text) or bool(_LONE_SURROGATE.search(text))


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list) and len(value) == 0)


def _wrong_type(f: FieldDef) -> str:
    """The message for an answer that is not even of its field's type."""
    if f.type == FieldType.NUMBER:
        return _("Enter a number.")
    if f.type == FieldType.URL:
        return _("Enter a web address starting with https://.")
    if f.type == FieldType.DATE:
        return _("Enter a date like 2025-07-30.")
    return _("Enter text.")


def malformed(f: FieldDef, value: Any) -> str | None:
    """Why ``value`` may not be kept as ``f``'s answer, even in a draft (``None``: it may).
    An empty answer (``None``, ``""``, ``[]``) may always be kept."""
    if _empty(value) or f.type == FieldType.FILE:
        return None
    if f.type == FieldType.ATTESTATION:
        return None if isinstance(value, bool) else _("Tick the box or leave it empty.")
    if f.type == FieldType.MULTI_CHOICE:
        return _check_choices(f, value)
    if not isinstance(value, str):
        return _("Choose one of the options.") if f.type == FieldType.CHOICE else _wrong_type(f)
    if f.type == FieldType.CHOICE:
        return _check_choice(f, value)
    if unreadable(value):
        return str(CONTROL_MESSAGE)
    limit = MAX_CHARACTERS[f.type]
    if f.max_length and f.type in (FieldType.SHORT_TEXT, FieldType.LONG_TEXT):
        limit = min(limit, f.max_length)
    if len(value) > limit:
        return _("Use at most %(n)d characters.", n=limit)
    if f.max_words and words(value) > f.max_words:
        return ngettext(
            "Use at most %(num)d word (you wrote %(used)d).",
            "Use at most %(num)d words (you wrote %(used)d).",
            f.max_words,
            used=words(value),
        )
    return None


def draft_problems(fields: list[FieldDef], answers: dict[str, Any]) -> dict[str, str]:
    """{field key: message} for the answers that may not be kept even in a draft."""
    problems = {}
    for f in fields:
        if f.key in answers:
            problem = malformed(f, answers[f.key])
            if problem:
                problems[f.key] = problem
    return problems


def check_answer(f: FieldDef, value: Any) -> str | None:
    """The problem with one answer at submission (``None`` if fine). Empty answers are
    checked elsewhere."""
    if _empty(value):
        return None
    problem = malformed(f, value)
    if problem:
        return problem
    check = _CHECKS.get(f.type)
    return check(f, value) if check else None


def _check_number(f: FieldDef, value: str) -> str | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return _("Enter a number.")
    if not math.isfinite(number):
        return _("Enter a number.")
    if f.min is not None and number < f.min:
        return _("Enter a number of at least %(n)s.", n=_fmt(f.min))
    if f.max is not None and number > f.max:
        return _("Enter a number of at most %(n)s.", n=_fmt(f.max))
    return None


def _check_choice(f: FieldDef, value: str) -> str | None:
    return None if value in {o.value for o in f.options} else _("Choose one of the options.")


def _check_choices(f: FieldDef, value: Any) -> str | None:
    allowed = {o.value for o in f.options}
    if isinstance(value, list) and all(isinstance(v, str) and v in allowed for v in value):
        return None
    return _("Choose among the options.")


def _check_url(f: FieldDef, value: str) -> str | None:
    return None if URL_RE.match(value) else _("Enter a web address starting with https://.")


def _check_date(f: FieldDef, value: str) -> str | None:
    try:
        date.fromisoformat(value)
    except ValueError:
        return _("Enter a date like 2025-07-30.")
    return None


# What the final submission checks beyond ``malformed`` (the answer is a string by then).
_CHECKS: dict[str, Callable[[FieldDef, str], str | None]] = {
    FieldType.NUMBER: _check_number,
    FieldType.URL: _check_url,
    FieldType.DATE: _check_date,
}


def _fmt(number: float) -> str:
    return str(int(number)) if number == int(number) else str(number)


def completeness_problems(
    fields: list[FieldDef], answers: dict[str, Any], file_counts: dict[str, int]
) -> dict[str, str]:
    """What stops ``answers`` from being submitted: {field key: message}."""
    problems: dict[str, str] = {}
    for f in fields:
        if f.type == FieldType.FILE:
            count = file_counts.get(f.key, 0)
            if f.required and count == 0:
                problems[f.key] = _("Upload this file.")
            elif count > f.max_files:
                problems[f.key] = ngettext(
                    "Upload at most %(num)d file.", "Upload at most %(num)d files.", f.max_files
                )
            continue
        value = answers.get(f.key)
        if isinstance(value, str):
            value = value.strip()
        empty = value in (None, "", []) or (f.type == FieldType.ATTESTATION and value is not True)
        if f.required and empty:
            problems[f.key] = (
                _("Confirm this statement.")
                if f.type == FieldType.ATTESTATION
                else _("Answer this question.")
            )
            continue
        problem = check_answer(f, value)
        if problem:
            problems[f.key] = problem
    return problems


def display_answer(f: FieldDef, value: Any, lang: str) -> str:
    """An answer as people read it: option labels rather than their values."""
    labels = {
        o.value: o.label.get(lang) or next(iter(o.label.values()), o.value) for o in f.options
    }
    if value in (None, "", []):
        return "—"
    if f.type == FieldType.ATTESTATION:
        return "✓" if value is True else "—"
    if f.type == FieldType.MULTI_CHOICE and isinstance(value, list):
        return ", ".join(labels.get(str(v), str(v)) for v in value)
    if f.type == FieldType.CHOICE:
        return labels.get(str(value), str(value))
    return str(value)
