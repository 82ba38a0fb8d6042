"""Which judges an agency's "require two-step sign-in" setting covers. Installed into accounts
(``accounts.mfa``) when judging is imported.

A judge is someone with an active seat (not removed) on a panel. The seat belongs to:

- a track's panel: the agency of that track (the one that reads its scores);
- the challenge's shared cross-track panel: every agency taking part in the challenge, the
  lead agency and each agency with a track, since that panel judges entries of every track.

So the seat needs a second step as soon as one of those agencies requires it. Invitations to
judge that are not accepted yet do not count: accepting one makes a seat.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, or_, select

from competitions.accounts import mfa
from competitions.agencies.models import Agency
from competitions.challenges.models import Challenge, Track
from competitions.judging.models import Judge, Panel


def _agency_of_seat() -> ColumnElement[bool]:
    """For the panel in the enclosing query: ``Agency`` is one whose judges it holds."""
    track_agency = select(Track.agency_id).where(Track.id == Panel.track_id).scalar_subquery()
    challenge_agencies = select(Track.agency_id).where(Track.challenge_id == Panel.challenge_id)
    return or_(
        and_(Panel.track_id.is_not(None), Agency.id == track_agency),
        and_(
            Panel.track_id.is_(None),
            or_(Agency.id == Challenge.lead_agency_id, Agency.id.in_(challenge_agencies)),
        ),
    )


def judge_for_requiring_agency(user_id: int) -> ColumnElement[bool]:
    requiring = exists(select(Agency.id).where(Agency.require_mfa, _agency_of_seat()))
    return exists(
        select(Judge.id)
        .join(Panel, Panel.id == Judge.panel_id)
        .join(Challenge, Challenge.id == Panel.challenge_id)
        .where(Judge.user_id == user_id, Judge.removed_at.is_(None), requiring)
    )


mfa.add_requirement_rule(judge_for_requiring_agency)
