"""Insights: a challenge's figures per track — registrations, entrants, the funnel,
eligibility, judging and outreach — counted in SQL and drawn as SVG with their tables."""

from competitions.core.web import Pages

bp = Pages("insights", __name__)

from competitions.insights import views  # noqa: E402,F401
