"""The fast gettext (resolved once per request) keeps Flask-Babel's semantics."""

from __future__ import annotations

import flask_babel
from flask import Flask, render_template_string

from competitions.core import translate


def test_outside_any_context_the_message_is_returned_as_is():
    assert translate.gettext("Home") == "Home"
    assert translate.ngettext("%(num)d apple", "%(num)d apples", 2) == "2 apples"


def test_the_request_language_then_force_locale_then_back(app: Flask):
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert translate.gettext("Home") == "Accueil"
        with flask_babel.force_locale("en"):
            assert translate.gettext("Home") == "Home"
            assert render_template_string("{{ _('Home') }}") == "Home"
            with flask_babel.force_locale("fr"):
                assert translate.gettext("Home") == "Accueil"
            assert translate.gettext("Home") == "Home"
        assert translate.gettext("Home") == "Accueil"
        assert render_template_string("{{ _('Home') }}") == "Accueil"
        assert str(translate.lazy_gettext("Home")) == "Accueil"
        assert translate.locale() == flask_babel.get_locale()


def test_refresh_takes_a_new_language_at_once(app: Flask):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert translate.gettext("Home") == "Home"
        flask_babel.get_locale()  # cached, as Flask-Babel does
        app.extensions["babel"].locale_selector, saved = (
            lambda: "fr",
            app.extensions["babel"].locale_selector,
        )
        try:
            assert translate.gettext("Home") == "Home"  # until refreshed, like Flask-Babel
            flask_babel.refresh()
            assert translate.gettext("Home") == "Accueil"
            assert translate.locale().language == "fr"
        finally:
            app.extensions["babel"].locale_selector = saved


def test_same_results_as_flask_babel(app: Flask):
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        for n in (1, 2):
            assert translate.ngettext(
                "%(count)s finalist", "%(count)s finalists", n, count=n
            ) == flask_babel.ngettext("%(count)s finalist", "%(count)s finalists", n, count=n)
        assert translate.gettext("Sign in") == flask_babel.gettext("Sign in") == "Se connecter"


def test_no_module_takes_gettext_from_flask_babel_directly():
    """Every string goes through ``core.translate`` (resolved once per request): a module that
    imports Flask-Babel's own gettext family would be correct but slow again."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "competitions"
    family = re.compile(
        r"^\s*from flask_babel import .*\b(gettext|lazy_gettext|ngettext|pgettext)\b", re.M
    )
    found = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if p.name != "translate.py" and family.search(p.read_text(encoding="utf-8"))
    ]
    assert found == []
