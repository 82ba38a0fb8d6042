"""The judge's section of the home page (``core.home``): each round with work assigned, its
progress and when judging closes (``reviews.my_rounds``); and whether the top navigation
offers "Judging"."""

from __future__ import annotations

from typing import Any

from flask import g
from sqlalchemy import select

from competitions.accounts.models import AccountSession
from competitions.accounts.sessions import ACCOUNT_FACTS
from competitions.core.extensions import db
from competitions.core.home import ROWS, Section, section
from competitions.judging import bp, reviews
from competitions.judging.models import Judge


@section(order=20)
def my_judging(user: Any) -> Section | None:
    if not getattr(user, "is_authenticated", False):
        return None
    rounds = reviews.my_rounds(user.id)
    if not rounds:
        return None
    return Section("judging/_home_queues.html", {"rounds": rounds[:ROWS], "more": len(rounds)})


def _on_a_panel() -> Any:
    return (
        select(Judge.id)
        .where(Judge.user_id == AccountSession.user_id, Judge.removed_at.is_(None))
        .exists()
    )


# Read with the signed-in user's session (``accounts.sessions.resume``): no query of its own.
ACCOUNT_FACTS["sits_on_a_panel"] = _on_a_panel


@bp.app_template_global()
def sits_on_a_panel(user: Any) -> bool:
    """Whether the top navigation shows "Judging": the user has an active seat on a panel
    (asked once per request; for the signed-in user, read with the session)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if "sits_on_a_panel" not in g:
        g.sits_on_a_panel = (
            db.session.scalar(
                select(Judge.id)
                .where(Judge.user_id == user.id, Judge.removed_at.is_(None))
                .limit(1)
            )
            is not None
        )
    return bool(g.sits_on_a_panel)
