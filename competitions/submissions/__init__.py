"""Submissions: per-round forms, drafts, immutable versions, files, deadlines, receipts."""

from competitions.core.web import Pages

bp = Pages("submissions", __name__)

from competitions.submissions import (  # noqa: E402,F401
    admin_views,
    builder_views,
    home_sections,
    next_step,
    setup_steps,
    views,
)
