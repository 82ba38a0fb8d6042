"""Submissions: per-round forms, drafts, immutable versions, files, deadlines, receipts."""

from competitions.core.web import Pages

bp = Pages("submissions", __name__)

from competitions.submissions import admin_views, home_sections, next_step, views  # noqa: E402,F401
