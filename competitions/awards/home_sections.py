"""The awards' section of the home page (``core.home``): for the members of a winning team,
their awards that still wait for a prize condition (one query, at most ``ROWS``)."""

from __future__ import annotations

from typing import Any

from competitions.awards import services
from competitions.core.home import ROWS, Section, section


@section(order=12)
def awards_to_complete(user: Any) -> Section | None:
    if not getattr(user, "is_authenticated", False):
        return None
    awards = services.awards_to_act_on(user, ROWS)
    if not awards:
        return None
    return Section("awards/_home.html", {"awards": awards})
