"""One-line values as services accept them."""

from __future__ import annotations

import pytest

from competitions.core.errors import DomainError
from competitions.core.text import blocks_in, lines_in, one_line, required_line, text_block


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


def test_a_text_block_keeps_its_lines_and_tabs_and_loses_other_control_characters():
    raw = " Line one\r\nLine two\rLine\tthree\u2028four\x00\x07\x1b[2J\x9b end \n"
    assert text_block(raw) == "Line one\nLine two\nLine\tthree\nfour[2J end"
    assert text_block(None) == ""


def test_per_language_texts_keep_the_given_languages_cleaned_and_drop_empty_ones():
    texts = {"fr": " Titre\r\nBcc: x@example.org ", "en": "Title\x00", "de": "Titel", "es": " \n"}
    assert lines_in(texts, ["en", "fr", "es"]) == {
        "en": "Title",
        "fr": "Titre Bcc: x@example.org",
    }
    assert list(lines_in(texts, ["fr", "en"])) == ["fr", "en"]
    assert blocks_in({"en": "A\r\nB\x00", "fr": ""}, ["en", "fr"]) == {"en": "A\nB"}
    assert lines_in(None, ["en"]) == {} == blocks_in(None, ["en"])


def test_a_control_character_next_to_white_space_leaves_no_space_behind():
    assert one_line("Short\r\n\x00") == "Short"
    assert one_line("\x00 A \x07 B \x1b") == "A B"
