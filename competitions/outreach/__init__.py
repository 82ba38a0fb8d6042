"""Outreach: people following a challenge (double opt-in, one-click unsubscribe); announcements
and deadline notices follow, all delivered through the outbox (``core.outbox``)."""

from competitions.core.web import Pages

bp = Pages("outreach", __name__)

from competitions.outreach import announcement_views, views  # noqa: E402,F401
