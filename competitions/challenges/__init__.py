"""Challenges: parallel tracks, shared timeline, explainable eligibility, publication."""

from competitions.core.web import Pages

bp = Pages("challenges", __name__)

from competitions.challenges import audit_labels, home_sections, views  # noqa: E402,F401
