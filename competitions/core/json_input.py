"""JSON that comes from outside (a typed form definition, an autosave body), read so that no
document can crash the request: nesting is bounded before parsing (Python's parser would hit
its recursion limit), and every way the parser can refuse — syntax, a number with thousands of
digits, a recursion error — is one ``JSONInputError`` saying why."""

from __future__ import annotations

import json
from typing import Any

from flask import request

from competitions.core.translate import gettext as _

MAX_DEPTH = 32


class JSONInputError(ValueError):
    """The text is not JSON Tandem accepts; ``message`` is translated for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def depth_of(text: str) -> int:
    """How deeply arrays and objects nest in ``text`` (brackets inside strings do not count)."""
    deepest = depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def load(text: str, max_depth: int = MAX_DEPTH) -> Any:
    """The data in ``text``, or ``JSONInputError``."""
    if depth_of(text) > max_depth:
        raise JSONInputError(
            _("This nests lists or objects too deeply (at most %(n)d levels).", n=max_depth)
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise JSONInputError(
            _(
                "This is not valid JSON (line %(line)d, column %(col)d).",
                line=exc.lineno,
                col=exc.colno,
            )
        ) from exc
    except (ValueError, RecursionError) as exc:  # e.g. an integer of thousands of digits
        raise JSONInputError(_("This holds a number too long to read.")) from exc


def request_json(max_depth: int = MAX_DEPTH) -> Any:
    """The request's JSON body, or ``None`` when there is none Tandem accepts."""
    try:
        return load(request.get_data(as_text=True), max_depth)
    except JSONInputError:
        return None
