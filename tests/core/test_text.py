"""One-line values as services accept them."""

from __future__ import annotations

import pytest

from competitions.core.errors import DomainError
from competitions.core.text import one_line, required_line


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  Deep   Space\tFood ", "Deep Space Food"),
        ("Title\r\nBcc: victim@example.org", "Title Bcc: victim@example.org"),
        ("Nul\x00 and bell\x07 and CSI\x9b2K", "Nul and bell and CSI2K"),
        ("Right-to-left \u202ename", "Right-to-left \u202ename"),  # a format character: kept
        (None, ""),
    ],
)
def test_a_line_has_no_line_break_and_no_control_character(raw, clean):
    assert one_line(raw) == clean


def test_a_required_line_says_what_is_wrong_on_its_field():
    assert required_line(" A\nB ", "name", 3, "missing", "too long") == "A B"
    with pytest.raises(DomainError, match="missing") as err:
        required_line("\r\n\x07", "name", 3, "missing", "too long")
    assert err.value.field == "name"
    with pytest.raises(DomainError, match="too long"):
        required_line("ABCD", "name", 3, "missing", "too long")
