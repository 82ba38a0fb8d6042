"""Pilots after the award: a host agency offers a winner a pilot in its test-bed; objectives,
KPIs measured over time, a plan of milestones signed off, status updates, the budget drawn
from the host's budget for success, and the outcome with its lessons."""

from competitions.core.web import Pages

bp = Pages("pilots", __name__)

from competitions.pilots import home_sections, views  # noqa: E402,F401
