"""Who sees and answers which question.

* A question asked of one **track** is that track's agency's (staff and admins); a question
  asked of no track is **shared**: every agency with a track sees it and may answer it.
* An answer speaks for the answering agency's own track, or for the **whole challenge**; the
  latter is published only with the **lead agency's approval** (its admins), so the lead's
  members also see the questions whose answer would speak for every track.
* The **asker** sees their own questions and what became of them; nobody else outside the
  agencies does. Platform admins may do everything.
"""

from __future__ import annotations

from typing import Any

from competitions.accounts.permissions import is_platform_admin
from competitions.agencies.models import Role
from competitions.agencies.permissions import role_in_agency
from competitions.challenges.models import Challenge, Track
from competitions.challenges.permissions import can_manage_challenge, participates
from competitions.questions.models import Answer, AnswerScope, Question


def _member(user: Any, agency_id: int) -> bool:
    return role_in_agency(user, agency_id) is not None


def can_answer(user: Any, question: Question) -> bool:
    """The track's agency (a shared question: any agency with a track) answers it."""
    if is_platform_admin(user):
        return True
    if question.track is not None:
        return _member(user, question.track.agency_id)
    return any(_member(user, t.agency_id) for t in question.challenge.tracks)


def can_approve(user: Any, challenge: Challenge) -> bool:
    """The lead agency's admins approve the answers that speak for every track."""
    return can_manage_challenge(user, challenge)


def can_see_question(user: Any, question: Question) -> bool:
    """The agencies that answer it, and the lead's members once its answer would speak for
    every track. (The asker sees their own questions on the challenge's Q&A page.)"""
    if can_answer(user, question):
        return True
    answer = question.answer
    return (
        answer is not None
        and answer.scope == AnswerScope.CHALLENGE
        and _member(user, question.challenge.lead_agency_id)
    )


def can_view_queue(user: Any, challenge: Challenge) -> bool:
    return is_platform_admin(user) or participates(user, challenge)


def answering_tracks(user: Any, question: Question) -> list[Track]:
    """The tracks ``user`` may answer ``question`` for (their agencies' tracks)."""
    tracks = [question.track] if question.track is not None else question.challenge.tracks
    if is_platform_admin(user):
        return list(tracks)
    return [t for t in tracks if _member(user, t.agency_id)]


def can_resolve_report(user: Any, answer: Answer) -> bool:
    return is_platform_admin(user) or role_in_agency(user, answer.agency_id) in (
        Role.ADMIN,
        Role.STAFF,
    )
