"""Submissions: per-round forms, drafts, immutable versions, files, deadlines, receipts."""

from flask import Blueprint

bp = Blueprint("submissions", __name__)

from competitions.submissions import admin_views, views  # noqa: E402,F401
