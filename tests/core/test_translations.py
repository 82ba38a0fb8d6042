"""The French catalog is complete, consistent and compiled."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "competitions/translations/fr/LC_MESSAGES/messages.po"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def _catalog():
    with PO.open("rb") as fh:
        return read_po(fh)


def test_every_message_is_translated_with_the_same_placeholders():
    problems = []
    for message in _catalog():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = sorted(PLACEHOLDER.findall(ids[-1]))
        for text in strings:
            if not text or message.fuzzy:
                problems.append(f"untranslated: {ids[0]!r}")
            elif sorted(PLACEHOLDER.findall(text)) != expected and len(ids) == 1:
                problems.append(f"placeholders differ: {ids[0]!r} -> {text!r}")
    assert not problems, "\n".join(problems)


def test_catalog_covers_every_string_in_the_code_and_templates():
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalog() if m.id}
    method_map = [("**.py", "python"), ("**.html", "jinja2"), ("**.txt", "jinja2")]
    missing = set()
    for folder in ("competitions", "templates"):
        for item in extract_from_dir(
            ROOT / folder,
            method_map=method_map,
            keywords=KEYWORDS,
            # Babel skips "_"-prefixed folders by default; templates/_macros must be included.
            directory_filter=lambda path: not Path(path).name.startswith("."),
        ):
            message = item[2]
            msgid = message if isinstance(message, str) else message[0]
            if msgid and msgid not in known:
                missing.add(msgid)
    assert not missing, "run `make translations` and translate:\n" + "\n".join(sorted(missing))


def test_catalog_is_compiled():
    mo = PO.with_suffix(".mo")
    assert mo.exists(), "run `make install` (it compiles the catalogs)"
    assert mo.stat().st_mtime >= PO.stat().st_mtime - 1


def test_no_message_is_marked_inside_an_f_string():
    """Babel's extractor does not look inside an f-string on Python 3.11: a ``_()`` there never
    reaches the catalog, and the page shows English to everyone ("(at most 300 words)")."""
    import tokenize

    marked = re.compile(r"\{[^{}]*\b(_|_l|gettext|lazy_gettext|ngettext)\(")
    found = []
    for path in sorted((ROOT / "competitions").rglob("*.py")):
        with path.open("rb") as fh:
            for token in tokenize.tokenize(fh.readline):
                literal = token.string.lstrip("rbRB")
                is_f_string = token.type == tokenize.STRING and literal[:1] in "fF"
                if is_f_string and marked.search(token.string):
                    found.append(f"{path.relative_to(ROOT)}:{token.start[0]}")
    assert not found, found
