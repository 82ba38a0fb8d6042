"""What the judging pages share: loading what a page is about while checking who may see it
(one loader per thing, used by every page of it), the review stage a page asks for, and the
redirect after a form."""

from __future__ import annotations

from typing import Any

from flask import redirect, request, url_for
from flask.typing import ResponseReturnValue

from competitions.challenges import services as challenge_services
from competitions.challenges.models import Challenge, Round, Track
from competitions.core.web import guard
from competitions.judging import permissions, rubrics
from competitions.judging.models import Rubric


def judging_challenge(slug: str) -> Challenge:
    """The challenge whose judging the page shows: for the members of its agencies."""
    return guard(challenge_services.get_challenge(slug), permissions.can_view_judging)


def judging_round(slug: str, round_id: int) -> tuple[Challenge, Round]:
    challenge = judging_challenge(slug)
    return challenge, challenge_services.get_round(challenge, round_id)


def assignable_track(challenge: Challenge, track_slug: str) -> Track:
    """A track whose submissions are assigned and decided: by its agency's admins."""
    return guard(challenge_services.get_track(challenge, track_slug), permissions.can_assign)


def requested_stage(round_: Round) -> Rubric:
    """The review stage a page or form is about (``?stage=``; the first by default)."""
    raw = request.values.get("stage", "1")
    number = int(raw) if raw.isdigit() and 1 <= int(raw) <= rubrics.MAX_STAGES else 1
    return rubrics.get_stage(round_, number)


def back(endpoint: str, **values: Any) -> ResponseReturnValue:
    return redirect(url_for(endpoint, **values), code=303)
