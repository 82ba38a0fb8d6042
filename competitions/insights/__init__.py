"""Insights: a challenge's figures per track — registrations, entrants, the funnel,
eligibility, judging and outreach — counted in SQL and drawn as SVG with their tables; the
cost per partner and the comparison of an edition with the previous one."""

from competitions.core.web import Pages

bp = Pages("insights", __name__)

from competitions.insights import cost_views, views  # noqa: E402,F401
