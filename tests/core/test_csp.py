"""The strict Content-Security-Policy has no exception, so no page may rely on what it blocks:
style attributes, ``<style>`` elements, inline scripts or event-handler attributes. Emails are
not pages (mail clients need inline styles) and are left out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from competitions.core.security import CSP

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
PAGES = sorted(p for p in TEMPLATES.rglob("*.html") if "emails" not in p.parts)
BLOCKED = {
    "a style attribute": re.compile(r"\sstyle\s*=", re.I),
    "a <style> element": re.compile(r"<style[\s>]", re.I),
    # A JSON-LD data block is not a script: it never runs, and script-src does not apply.
    "an inline script": re.compile(
        r"<script(?![^>]*\s(src=|type=\"application/ld\+json\"))[^>]*>", re.I
    ),
    "an event-handler attribute": re.compile(r"\son[a-z]+\s*=", re.I),
    "a javascript: address": re.compile(r"javascript:", re.I),
}


def test_the_policy_allows_no_inline_style_or_script():
    assert "'unsafe-inline'" not in CSP and "style-src 'self'" in CSP


@pytest.mark.parametrize("template", PAGES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_page_template_relies_on_what_the_policy_blocks(template):
    source = template.read_text(encoding="utf-8")
    found = [what for what, pattern in BLOCKED.items() if pattern.search(source)]
    assert not found, f"{template.name}: {', '.join(found)}"


def has_style_attribute(html: str) -> bool:
    """Whether rendered HTML holds a style attribute (what the tests of each page check)."""
    return bool(BLOCKED["a style attribute"].search(html))
