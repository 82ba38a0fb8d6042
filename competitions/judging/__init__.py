"""Judging: rubrics shared by a round's tracks, panels, conflicts, assignment, reviews."""

from competitions.core.web import Pages

bp = Pages("judging", __name__)

from competitions.judging import admission, home_sections, mfa_requirement, views  # noqa: E402,F401
