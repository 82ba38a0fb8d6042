"""The home page's "Surveys for you": open surveys that ask the user and await an answer."""

from __future__ import annotations

from typing import Any

from competitions.core.home import ROWS, Section, section
from competitions.surveys.services import waiting_for


@section(order=15)
def my_surveys(user: Any) -> Section | None:
    if not getattr(user, "is_authenticated", False):
        return None
    surveys = waiting_for(user, ROWS)
    if not surveys:
        return None
    return Section("surveys/_home_surveys.html", {"surveys": surveys})
