"""CSV meant for spreadsheets: written in pieces for a streamed response, with a byte-order
mark first (so spreadsheets read accents as UTF-8), and cells that a spreadsheet would run as
a formula neutralized (OWASP CSV injection)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


class CsvPieces:
    """Rows written as CSV text and taken piece by piece; the first piece starts with the
    byte-order mark."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._buffer.write("\ufeff")
        self._writer = csv.writer(self._buffer)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow(row)

    def take(self) -> str:
        """What was written since the last piece was taken."""
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text
