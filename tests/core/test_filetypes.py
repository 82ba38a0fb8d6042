"""The name a stored file is offered under: the rest of the uploader's name, made safe, and the
extension of the type its content was detected as."""

from __future__ import annotations

import pytest

from competitions.core.filetypes import CONTENT_TYPES, typed_name


@pytest.mark.parametrize(
    ("name", "content_type", "expected"),
    [
        ("invoice.html", "application/pdf", "invoice.pdf"),
        ("photo.JPG", "image/jpeg", "photo.JPG"),
        ("photo.jpeg", "image/jpeg", "photo.jpeg"),
        ("photo.png", "image/jpeg", "photo.jpg"),
        ("plan", CONTENT_TYPES["docx"], "plan.docx"),
        ("plan.zip", CONTENT_TYPES["docx"], "plan.docx"),
        ("data.csv", "text/plain", "data.txt"),
        ("data.txt", "text/csv", "data.csv"),
        ("C:\\Users\\me\\evil.exe", "application/zip", "evil.zip"),
        ("a.b.c.html", "image/png", "a.b.c.png"),
        (".htaccess", "text/plain", "htaccess.txt"),
        ("", "video/mp4", "file.mp4"),
        ("mystery.pdf", "application/x-unknown", "mystery.bin"),
        ("x" * 300 + ".pdf", "application/pdf", "x" * 140 + ".pdf"),
        ("x" * 300 + ".html", "application/pdf", "x" * 140 + ".pdf"),
    ],
)
def test_the_extension_is_the_detected_types(name, content_type, expected):
    assert typed_name(name, content_type) == expected


def test_a_fallback_stem_is_used_when_nothing_is_left():
    assert typed_name("...", "application/pdf", "document") == "document.pdf"
