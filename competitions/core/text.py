"""Text as services accept it: a single-line value (a name, a title, a subject) never holds a
line break or another control character, whichever way it came in (a form, the CLI, a
worker), so it can go into an email header or a log line as it is."""

from __future__ import annotations

import re

from competitions.core.errors import DomainError

# C0 and C1 control characters and DEL; white space among them is folded first.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def one_line(text: str | None) -> str:
    """``text`` with runs of white space (line breaks included) folded to one space, other
    control characters removed, and no space at either end."""
    return _CONTROL.sub("", " ".join((text or "").split()))


def required_line(text: str | None, field: str, limit: int, missing: str, too_long: str) -> str:
    """A one-line value that must be given and fit in ``limit`` characters (``DomainError``
    on ``field`` otherwise)."""
    line = one_line(text)
    if not line:
        raise DomainError(missing, field=field)
    if len(line) > limit:
        raise DomainError(too_long, field=field)
    return line
