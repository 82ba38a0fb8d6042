"""Entrants: teams, registration into a track, entries (submissions follow)."""

from flask import Blueprint

bp = Blueprint("entries", __name__)

from competitions.entries import document_views, views  # noqa: E402,F401
