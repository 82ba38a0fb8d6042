"""Entrants: teams, registration into a track, entries (submissions follow)."""

from competitions.core.web import Pages

bp = Pages("entries", __name__)

from competitions.entries import document_views, views  # noqa: E402,F401
