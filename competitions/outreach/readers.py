"""The people a challenge's emails go to: the members of its active entries, with the tracks
they entered, and its confirmed subscribers; one per normalized address (an entrant who also
follows counts once, as an entrant), never an address that unsubscribed from the challenge."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from competitions.challenges.models import Challenge, Track
from competitions.core.extensions import db
from competitions.entries.models import Entry, Team, TeamMember
from competitions.outreach.models import Subscription, SubscriptionStatus
from competitions.outreach.services import subscriptions_by_address


@dataclass
class Reader:
    email: str
    language: str  # as the person chose it (the caller checks it against the app's languages)
    tracks: list[Track] = field(default_factory=list)  # the tracks they entered (none: follower)
    subscription: Subscription | None = None  # give to ``ensure_subscription``

    @property
    def is_entrant(self) -> bool:
        return bool(self.tracks)


def entrants_and_followers(challenge: Challenge) -> dict[str, Reader]:
    """The challenge's readers by normalized address: entrants first (in entry order), then
    the confirmed subscribers who did not enter; those who unsubscribed are left out."""
    subs, unsubscribed = subscriptions_by_address(challenge)
    people: dict[str, Reader] = {}
    entries = db.session.scalars(
        select(Entry)
        .where(Entry.challenge_id == challenge.id, Entry.withdrawn_at.is_(None))
        .options(
            selectinload(Entry.track),
            selectinload(Entry.team).selectinload(Team.members).selectinload(TeamMember.user),
        )
        .order_by(Entry.id)
    ).unique()
    for entry in entries:
        for member in entry.team.members:
            user = member.user
            key = user.email_normalized
            if key in unsubscribed:
                continue
            reader = people.setdefault(
                key, Reader(user.email, user.preferred_language, subscription=subs.get(key))
            )
            if entry.track not in reader.tracks:
                reader.tracks.append(entry.track)
    for key, sub in subs.items():
        if sub.status == SubscriptionStatus.ACTIVE and key not in people:
            people[key] = Reader(sub.email, sub.language, subscription=sub)
    return people
