"""Text as services accept it: a single-line value (a name, a title, a subject, a label)
never holds a line break or another control character, whichever way it came in (a form, the
CLI, a worker, an import), so it can go into an email header or a log line as it is. A longer
text (a description, a message) keeps its line breaks and tabs, and loses every other control
character.

Every service cleans what it accepts with these, per value (``one_line``, ``text_block``) or
per language (``lines_in``, ``blocks_in``)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from competitions.core.errors import DomainError

# C0 and C1 control characters and DEL (white space among them becomes a space).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
# The same, but for the line break and the tab that a longer text keeps.
_CONTROL_IN_BLOCK = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_BREAK = re.compile("\r\n?|[\x85\u2028\u2029]")


def one_line(text: str | None) -> str:
    """``text`` with runs of white space (line breaks included) folded to one space, other
    control characters removed, and no space at either end."""
    return " ".join(_CONTROL.sub(_space_or_nothing, text or "").split())


def _space_or_nothing(match: re.Match[str]) -> str:
    return " " if match.group().isspace() else ""


def text_block(text: str | None) -> str:
    """A longer text: every line break as ``\\n``, other control characters (but the tab)
    removed, and no white space at either end."""
    return _CONTROL_IN_BLOCK.sub("", _LINE_BREAK.sub("\n", text or "")).strip()


def required_line(text: str | None, field: str, limit: int, missing: str, too_long: str) -> str:
    """A one-line value that must be given and fit in ``limit`` characters (``DomainError``
    on ``field`` otherwise)."""
    line = one_line(text)
    if not line:
        raise DomainError(missing, field=field)
    if len(line) > limit:
        raise DomainError(too_long, field=field)
    return line


def lines_in(texts: Mapping[str, Any] | None, codes: Iterable[str]) -> dict[str, str]:
    """Per-language one-line texts (a title in each language): those of the languages
    ``codes``, in that order, each through ``one_line``, the empty ones left out."""
    given = texts or {}
    out = {code: one_line(str(given.get(code) or "")) for code in codes}
    return {code: value for code, value in out.items() if value}


def blocks_in(texts: Mapping[str, Any] | None, codes: Iterable[str]) -> dict[str, str]:
    """Per-language longer texts, like ``lines_in`` but each through ``text_block``."""
    given = texts or {}
    out = {code: text_block(str(given.get(code) or "")) for code in codes}
    return {code: value for code, value in out.items() if value}


def plain_number(value: Decimal) -> str:
    """``value`` without trailing zeros and never in exponent form: ``10.00`` is "10", not
    "1E+1" (what ``str(value.normalize())`` gives)."""
    return format(value.normalize(), "f")
