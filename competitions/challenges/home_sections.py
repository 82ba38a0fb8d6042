"""The challenges' sections of the home page (``core.home``): upcoming deadlines of published
challenges, for everyone; for an agency's members, the challenges their agencies take part
in, with what is left to do; for platform administrators, the latest challenges of every agency,
drafts first. Each runs a fixed number of queries, at most ``ROWS`` rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select

from competitions.accounts.permissions import is_platform_admin
from competitions.challenges.models import (
    Challenge,
    ChallengeStatus,
    PartnerInvitation,
    Round,
    Track,
    languages_declared,
    pick,
)
from competitions.challenges.permissions import can_create_challenge
from competitions.core import clock
from competitions.core.extensions import db
from competitions.core.home import ROWS, Section, section
from competitions.core.i18n import current_language


def languages_of(challenge_ids: set[int]) -> dict[int, list[str]]:
    """``Challenge.languages`` of each challenge, from its tracks' languages alone (one query):
    for other sections that show titles read as columns."""
    if not challenge_ids:
        return {}
    per_track: dict[int, list[list[str] | None]] = {key: [] for key in challenge_ids}
    for challenge_id, codes in db.session.execute(
        select(Track.challenge_id, Track.languages)
        .where(Track.challenge_id.in_(challenge_ids))
        .order_by(Track.challenge_id, Track.position)
    ):
        per_track[challenge_id].append(codes)
    return {key: languages_declared(lists) or ["en"] for key, lists in per_track.items()}


@dataclass(frozen=True)
class Deadline:
    slug: str
    title: str
    round: str
    deadline: datetime
    timezone: str


@section(order=90)
def upcoming_deadlines(user: Any) -> Section | None:
    """The next submission deadlines of published challenges, soonest first: the columns a
    line shows (the challenges' other JSON columns, lead agency and tracks are not read), and
    the challenges' track languages for the fallbacks of titles and round names."""
    rows = db.session.execute(
        select(
            Challenge.id,
            Challenge.slug,
            Challenge.title,
            Challenge.timezone,
            Round.name,
            Round.position,
            Round.submission_deadline,
        )
        .join(Challenge, Challenge.id == Round.challenge_id)
        .where(
            Challenge.status == ChallengeStatus.PUBLISHED, Round.submission_deadline > clock.now()
        )
        .order_by(Round.submission_deadline, Round.id)
        .limit(ROWS)
    ).all()
    lang, languages = current_language(), languages_of({row[0] for row in rows})
    deadlines = [
        Deadline(
            slug,
            pick(title, lang, languages[key]) or slug,
            pick(name, lang, languages[key]) or str(position + 1),
            deadline,
            zone,
        )
        for key, slug, title, zone, name, position, deadline in rows
    ]
    return Section("challenges/_home_deadlines.html", {"deadlines": deadlines})


def of_agencies(agency_ids: list[int]) -> ColumnElement[bool]:
    """SQL condition on ``Challenge``: one of these agencies leads it or runs a track of it
    (the challenges an agency's members take part in; other packages' home sections too)."""
    return or_(
        Challenge.lead_agency_id.in_(agency_ids),
        Challenge.id.in_(select(Track.challenge_id).where(Track.agency_id.in_(agency_ids))),
    )


def _member_agencies(user: Any) -> list[Any]:
    if not getattr(user, "is_authenticated", False):
        return []
    return sorted((m.agency for m in user.memberships), key=lambda a: a.name)


@section(order=30)
def agency_challenges(user: Any) -> Section | None:
    """The challenges the user's agencies lead or have a track in, and what is left to do:
    publishing, partner invitations not answered, the agencies' tracks not ready yet."""
    agencies = _member_agencies(user)
    if not agencies:
        return None
    ids = [a.id for a in agencies]
    challenges = list(
        db.session.scalars(
            select(Challenge)
            .where(of_agencies(ids))
            .order_by(Challenge.status, Challenge.id.desc())
            .limit(ROWS)
        )
    )
    keys = [c.id for c in challenges]
    pending = dict(
        db.session.execute(
            select(PartnerInvitation.challenge_id, func.count())
            .where(
                PartnerInvitation.challenge_id.in_(keys),
                PartnerInvitation.resolution.is_(None),
                PartnerInvitation.expires_at > clock.now(),
            )
            .group_by(PartnerInvitation.challenge_id)
        ).all()
    )
    not_ready = dict(
        db.session.execute(
            select(Track.challenge_id, func.count())
            .where(Track.challenge_id.in_(keys), Track.agency_id.in_(ids), Track.ready_at.is_(None))
            .group_by(Track.challenge_id)
        ).all()
    )
    return Section(
        "challenges/_home_agency.html",
        {
            "agencies": agencies,
            "creatable": {a.id for a in agencies if can_create_challenge(user, a.id)},
            "challenges": challenges,
            "pending": pending,
            "not_ready": not_ready,
            "draft": ChallengeStatus.DRAFT,
        },
    )


@section(order=35)
def platform_challenges(user: Any) -> Section | None:
    """For platform administrators: the latest challenges of every agency, drafts first, each
    opening its console (they oversee every agency; the full lists are per agency)."""
    if not is_platform_admin(user):
        return None
    challenges = list(
        db.session.scalars(
            select(Challenge).order_by(Challenge.status, Challenge.id.desc()).limit(ROWS)
        )
    )
    return Section(
        "challenges/_home_platform.html",
        {"challenges": challenges, "draft": ChallengeStatus.DRAFT},
    )
