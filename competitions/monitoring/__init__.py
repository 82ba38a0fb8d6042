"""Monitoring: ``/metrics`` for an operator's scraper (``metrics``: what is published)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("monitoring", __name__)

from competitions.monitoring import views  # noqa: E402,F401  (its routes)
