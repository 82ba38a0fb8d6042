"""The pilots' section of the home page (``core.home``): offers waiting for the team lead's
answer, and milestones due within two weeks or overdue, for the team and for the host agency's
members (two queries, at most ``ROWS`` rows each)."""

from __future__ import annotations

from typing import Any

from competitions.core.home import ROWS, Section, section
from competitions.pilots import queries


@section(order=13)
def pilots_to_act_on(user: Any) -> Section | None:
    if not getattr(user, "is_authenticated", False):
        return None
    offers = queries.offers_for(user, ROWS)
    due = queries.due_for(user, ROWS)
    if not offers and not due:
        return None
    return Section("pilots/_home.html", {"offers": offers, "due": due})
