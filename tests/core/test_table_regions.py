"""Every table sits in a region that scrolls on its own (``_macros/tables.html``), so that no
page is wider than a phone's screen: a new template's table cannot forget it."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_every_table_is_inside_a_table_region() -> None:
    bare = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        if "emails" in path.parts or path.parent.name == "_macros":
            continue
        text = path.read_text()
        tables = len(re.findall(r"<table\b", text))
        regions = len(re.findall(r"{%\s*call\s+table_region\(", text))
        if tables > regions:
            bare.append(f"{path.relative_to(TEMPLATES)}: {tables} tables, {regions} regions")
    assert not bare, bare
