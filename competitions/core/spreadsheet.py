"""CSV meant for spreadsheets: written in pieces for a streamed response, with a byte-order
mark first (so spreadsheets read accents as UTF-8), and every cell that a spreadsheet would run
as a formula neutralized (OWASP CSV injection).

The writer guards every cell itself, headers included: a header can carry text people typed (a
form field's label), and a caller that forgets ``cell()`` must not open a hole. A cell is
neutralized with a leading apostrophe when its text starts, after any white space, with one of
``= + - @`` (or their full-width forms), or starts with a tab or a line break. Numbers (``int``,
``float``, ``Decimal``) are written as they are: a number is never a formula, and a negative
score must stay a number in the spreadsheet.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

_FORMULA_START = ("=", "+", "-", "@")
_CONTROL_START = ("\t", "\r", "\n")


def cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (idempotent)."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal):
        return str(value)
    text = str(value)
    first = unicodedata.normalize("NFKC", text.lstrip()[:1])
    if first.startswith(_FORMULA_START) or text.startswith(_CONTROL_START):
        return "'" + text
    return text


class CsvPieces:
    """Rows written as CSV text and taken piece by piece; the first piece starts with the
    byte-order mark. Every cell of every row goes through ``cell()``."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._buffer.write("\ufeff")
        self._writer = csv.writer(self._buffer)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([cell(value) for value in row])

    def take(self) -> str:
        """What was written since the last piece was taken."""
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text
