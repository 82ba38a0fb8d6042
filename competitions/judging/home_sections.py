"""The judge's section of the home page (``core.home``): each round with work assigned, its
progress and when judging closes (``reviews.my_rounds``)."""

from __future__ import annotations

from typing import Any

from competitions.core.home import ROWS, Section, section
from competitions.judging import reviews


@section(order=20)
def my_judging(user: Any) -> Section | None:
    if not getattr(user, "is_authenticated", False):
        return None
    rounds = reviews.my_rounds(user.id)
    if not rounds:
        return None
    return Section("judging/_home_queues.html", {"rounds": rounds[:ROWS], "more": len(rounds)})
