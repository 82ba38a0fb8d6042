"""Judging: rubrics shared by a round's tracks, panels, conflicts, assignment, reviews."""

from competitions.core.web import Pages

bp = Pages("judging", __name__)

from competitions.judging import (  # noqa: E402,F401
    admission,
    home_sections,
    mfa_requirement,
    setup_steps,
    views,
)
