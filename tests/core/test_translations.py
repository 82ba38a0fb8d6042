"""Every catalog (French, German, Spanish, Arabic…) is complete, consistent and compiled."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "competitions/translations"
LANGUAGES = sorted(
    p.name for p in TRANSLATIONS.iterdir() if (p / "LC_MESSAGES/messages.po").exists()
)
PO = TRANSLATIONS / "fr/LC_MESSAGES/messages.po"
# %(name)s / %(n)d interpolation, and the {name} of str.format or of JavaScript-filled strings.
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|\{[a-z_]+\}")
# The number a plural form may leave out where the language says it in words ("un seul", Arabic's
# singular and dual): only these, and never in the language's last (most general) form.
COUNTS = {"%(count)d", "%(count)s", "%(num)d", "%(n)d"}
PLURAL_FORMS = {"de": {2}, "fr": {2, 3}, "es": {2, 3}, "ar": {6}}
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "_l": None,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "lazy_pgettext": ((1, "c"), 2),
}


def _key(message) -> tuple[str | None, str]:
    """(msgctxt, msgid): the same word in two contexts is two messages."""
    return message.context, message.id if isinstance(message.id, str) else message.id[0]


def _catalog(path: Path = PO):
    with path.open("rb") as fh:
        return read_po(fh)


def _po(language: str) -> Path:
    return TRANSLATIONS / language / "LC_MESSAGES/messages.po"


def test_the_catalogs_are_found():
    assert {"fr", "de"} <= set(LANGUAGES)


def placeholder_problems(msgids: tuple[str, ...], strings: tuple[str, ...]) -> list[str]:
    """What is wrong with the placeholders of a translation ([] when nothing)."""
    if len(msgids) == 1:
        expected = Counter(PLACEHOLDER.findall(msgids[0]))
        found = Counter(PLACEHOLDER.findall(strings[0]))
        return (
            [] if found == expected else [f"placeholders differ: {msgids[0]!r} -> {strings[0]!r}"]
        )
    expected = Counter(PLACEHOLDER.findall(msgids[-1]))
    problems = []
    for index, text in enumerate(strings):
        found = Counter(PLACEHOLDER.findall(text))
        missing = expected - found
        extra = found - expected
        may_omit = index < len(strings) - 1 and set(missing) <= COUNTS
        if extra or (missing and not may_omit):
            problems.append(
                f"placeholders differ in plural form {index}: {msgids[0]!r} -> {text!r}"
            )
    return problems


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_with_the_same_placeholders(language):
    problems = []
    for message in _catalog(_po(language)):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(f"untranslated or fuzzy: {ids[0]!r}")
            continue
        problems += placeholder_problems(ids, strings)
    assert not problems, f"{language}:\n" + "\n".join(problems)


def test_the_placeholder_check_allows_only_an_omitted_count():
    plural = ("%(num)d entry in %(track)s", "%(num)d entries in %(track)s")
    assert (
        placeholder_problems(
            plural, ("une inscription dans %(track)s", "%(num)d inscriptions dans %(track)s")
        )
        == []
    )
    # The track is not a number: it may never be left out.
    assert placeholder_problems(plural, ("une inscription", "%(num)d inscriptions dans %(track)s"))
    # The last form must say the number.
    assert placeholder_problems(
        plural, ("%(num)d inscription dans %(track)s", "inscriptions dans %(track)s")
    )
    assert placeholder_problems(plural, ("%(num)d in %(track)s %(team)s", "%(num)d in %(track)s"))
    assert placeholder_problems(("Remove {name}",), ("Retirer {nom}",))
    assert placeholder_problems(("%(n)d of %(total)d",), ("%(n)d sur %(n)d",))


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_has_the_msgids_of_the_template(language):
    with (TRANSLATIONS / "messages.pot").open("rb") as fh:
        template = {_key(m) for m in read_po(fh) if m.id}
    catalog = {_key(m) for m in _catalog(_po(language)) if m.id}
    assert template - catalog == set(), f"{language}: run pybabel update (see COMMON rules)"
    assert catalog - template == set(), (
        f"{language}: obsolete messages; update with --ignore-obsolete"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_plural_header_is_present_and_right(language):
    # The header entry's text, its quoted lines joined (Arabic's Plural-Forms is wrapped).
    first_entry = _po(language).read_text(encoding="utf-8").split("\n\n", 1)[0]
    text = "".join(re.findall(r'^"(.*)"$', first_entry, flags=re.M))
    header = re.search(r"Plural-Forms: nplurals=(\d+); plural=(.+?);?\\n", text)
    catalog = _catalog(_po(language))
    assert header, f"{language}: no Plural-Forms header"
    # French and Spanish: CLDR now adds a "many" form for round millions, older catalogs have 2.
    expected = PLURAL_FORMS.get(language, {get_plural(language).num_plurals})
    assert int(header.group(1)) in expected, f"{language}: nplurals={header.group(1)}"
    assert catalog.num_plurals == int(header.group(1))
    for message in catalog:
        if message.id and isinstance(message.id, tuple):
            assert len(message.string) == catalog.num_plurals, f"{language}: {message.id[0]!r}"


def test_catalog_covers_every_string_in_the_code_and_templates():
    known = {_key(m) for m in _catalog() if m.id}
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
            message, context = item[2], item[4]
            msgid = message if isinstance(message, str) else message[0]
            if msgid and (context, msgid) not in known:
                missing.add(f"{context}: {msgid}" if context else msgid)
    assert not missing, "run `make translations` and translate:\n" + "\n".join(sorted(missing))


def test_a_word_in_two_contexts_is_two_messages():
    """ "Asked" is when a question was asked (Q&A) and how many people a survey asked."""
    messages = {_key(m): m.string for m in _catalog()}
    assert messages[("Q&A", "Asked")] != messages[("survey", "Asked")]
    assert (None, "Asked") not in messages


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_is_compiled(language):
    """The .mo holds exactly what the .po says (not only a recent date: a copy or a checkout can
    make an old .mo look new)."""
    po = _po(language)
    mo = po.with_suffix(".mo")
    assert mo.exists(), "run `make install` (it compiles the catalogs)"

    def key(message):
        ids = message.id if isinstance(message.id, str) else tuple(message.id)
        strings = message.string if isinstance(message.string, str) else tuple(message.string)
        return (message.context, ids), strings

    with mo.open("rb") as fh:
        compiled = dict(key(m) for m in read_mo(fh) if m.id)
    expected = dict(
        key(m)
        for m in _catalog(po)
        if m.id and not m.fuzzy and all(m.string if isinstance(m.string, tuple) else (m.string,))
    )
    stale = sorted(str(k)[:60] for k in expected if compiled.get(k) != expected[k])
    assert not stale, f"{language}: .mo out of date, run pybabel compile: {stale[:5]}"


def test_no_message_is_marked_inside_an_f_string():
    """Babel's extractor does not look inside an f-string on Python 3.11: a ``_()`` there never
    reaches the catalog, and the page shows English to everyone ("(at most 300 words)")."""
    import tokenize

    marked = re.compile(r"\{[^{}]*\b(_|_l|\w*gettext)\(")
    found = []
    for path in sorted((ROOT / "competitions").rglob("*.py")):
        with path.open("rb") as fh:
            for token in tokenize.tokenize(fh.readline):
                literal = token.string.lstrip("rbRB")
                is_f_string = token.type == tokenize.STRING and literal[:1] in "fF"
                if is_f_string and marked.search(token.string):
                    found.append(f"{path.relative_to(ROOT)}:{token.start[0]}")
    assert not found, found
