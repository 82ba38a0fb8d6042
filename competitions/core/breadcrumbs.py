"""Breadcrumbs: where a nested page stands in the hierarchy of objects.

A trail is a list of crumbs, each a (label, URL) pair; ``templates/_macros/nav.html`` renders
it, the last crumb as the current page (its URL, if any, is not shown). Each domain builds the
trails of its objects from its parent's (``agencies.trails``, ``challenges.trails``, ...); a
crumb is linked only when the viewer may open the page it names, otherwise it is plain text.
"""

from __future__ import annotations

from typing import Any

from flask import url_for

from competitions.core.translate import gettext as _

Crumb = tuple[str, str | None]


def crumb(label: str, endpoint: str, allowed: bool = True, **values: Any) -> Crumb:
    """A crumb to ``endpoint``, linked only if the viewer is ``allowed`` to open it."""
    return (label, url_for(endpoint, **values) if allowed else None)


def home_trail() -> list[Crumb]:
    return [crumb(_("Home"), "core.home")]
