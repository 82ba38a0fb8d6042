"""Breadcrumb trails of judging pages (see ``core/breadcrumbs.py``).

A judge walks Home > Judging > the queue > a review; an agency walks through the challenge's
console to its judging console (… > the challenge > Judging > a panel, a round's rubric ...).
"""

from __future__ import annotations

from typing import Any

from competitions.accounts.permissions import is_signed_in
from competitions.challenges.models import Challenge, Round
from competitions.challenges.trails import manage_trail
from competitions.core.breadcrumbs import Crumb, crumb, home_trail
from competitions.core.i18n import current_language
from competitions.core.translate import gettext as _
from competitions.judging import permissions


def judge_trail(user: Any) -> list[Crumb]:
    """Home > Judging (the judge's own queues)."""
    return [*home_trail(), crumb(_("Judging"), "judging.home", is_signed_in(user))]


def queue_trail(user: Any, challenge: Challenge, round_: Round) -> list[Crumb]:
    """Home > Judging > the challenge's round (the judge's queue)."""
    label = f"{challenge.title_in(current_language())} — {round_.name_in(current_language())}"
    return [*judge_trail(user), crumb(label, "judging.queue", round_id=round_.id)]


def judging_trail(user: Any, challenge: Challenge) -> list[Crumb]:
    """… > the challenge's console > Judging (the judging console)."""
    return [
        *manage_trail(user, challenge),
        crumb(
            _("Judging"),
            "judging.console",
            permissions.can_view_judging(user, challenge),
            slug=challenge.slug,
        ),
    ]


def judging_round_trail(user: Any, challenge: Challenge, round_: Round) -> list[Crumb]:
    """… > Judging > the round (its rubric)."""
    return [
        *judging_trail(user, challenge),
        crumb(
            round_.name_in(current_language()),
            "judging.rubric",
            permissions.can_view_judging(user, challenge),
            slug=challenge.slug,
            round_id=round_.id,
        ),
    ]
