"""Lessons learned: the retrospective of one edition of a challenge, a section per partner
agency (keep / change / stop, each pointing at the figures it rests on), published by the lead
agency to every partner and shown again when the next edition is set up."""

from competitions.core.web import Pages

bp = Pages("lessons", __name__)

from competitions.lessons import setup_steps, views  # noqa: E402,F401
