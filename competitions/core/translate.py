"""Gettext bound to the request's translations, resolved once per request.

Flask-Babel looks the translations object up again for every string: ``g`` through a
werkzeug proxy, the locale, the domain and its cache — about a third of a millisecond per
ten strings, and a page has hundreds. Here the object is resolved once and kept in
Flask-Babel's own per-context namespace under ``babel_translations``, the attribute its
``refresh()`` deletes and its ``force_locale()`` clears then restores, so both keep working:
after either, the next string resolves the translations again.

Use ``gettext``/``_``, ``ngettext``, ``pgettext``, ``lazy_gettext``/``_l`` from here exactly
as Flask-Babel's (same signatures, same ``%(name)s`` interpolation). ``pgettext`` gives a word
that means two things a context (``msgctxt``): "Asked" is a date in the Q&A and a number of
people in a survey. ``lazy_pgettext`` is extracted through the keywords of ``babel.cfg``.
"""

from __future__ import annotations

from typing import Any

import flask_babel
from babel import Locale, support
from flask.globals import _cv_app
from flask_babel.speaklater import LazyString

_NULL = support.NullTranslations()


def translations() -> support.NullTranslations:
    """The translations of the current request (or app context), looked up once."""
    ctx = _cv_app.get(None)
    if ctx is None:
        return _NULL
    ns = ctx.g.__dict__.get("_flask_babel")
    if ns is not None:
        found = ns.__dict__.get("babel_translations")
        if found is not None:
            return found
    found = flask_babel.get_translations()
    ctx.g._flask_babel.babel_translations = found  # created by the lookup above
    return found


def locale() -> Locale | None:
    """Flask-Babel's ``get_locale()``, without its proxy lookups once the locale is known."""
    ctx = _cv_app.get(None)
    if ctx is not None:
        ns = ctx.g.__dict__.get("_flask_babel")
        if ns is not None:
            found = ns.__dict__.get("babel_locale")
            if found is not None:
                return found
    return flask_babel.get_locale()


def gettext(string: str, **variables: Any) -> str:
    s = translations().ugettext(string)
    return s if not variables else s % variables


_ = gettext


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    variables.setdefault("num", num)
    s = translations().ungettext(singular, plural, num)
    return s % variables


def pgettext(context: str, string: str, **variables: Any) -> str:
    s = translations().upgettext(context, string)
    return s if not variables else s % variables


def npgettext(context: str, singular: str, plural: str, num: int, **variables: Any) -> str:
    variables.setdefault("num", num)
    s = translations().unpgettext(context, singular, plural, num)
    return s % variables


def lazy_gettext(string: str, **variables: Any) -> LazyString:
    return LazyString(gettext, string, **variables)


_l = lazy_gettext


def lazy_pgettext(context: str, string: str, **variables: Any) -> LazyString:
    return LazyString(pgettext, context, string, **variables)


def lazy_ngettext(singular: str, plural: str, num: int, **variables: Any) -> LazyString:
    return LazyString(ngettext, singular, plural, num, **variables)


def install_in_jinja(env: Any) -> None:
    """Replace the callables Flask-Babel gave Jinja's i18n extension with these."""
    env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
    )
