"""The daily digest of new answers, to a challenge's entrants and followers.

Once a day (from ``QA_DIGEST_HOUR`` o'clock UTC), each published challenge with answers
published since its previous digest sends one email per person: the members of its active
entries (the challenge-wide answers and their own track's) and its confirmed followers (every
answer), each in their language, with the one-click unsubscribe of the challenge. Nothing new
for a person: no email. ``DigestRun`` is unique per challenge and day, and each message's
outbox source names the challenge and the day: two ticks, a retried task or a second worker
never send a person two digests of a challenge on one day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from competitions.challenges.models import Challenge, ChallengeStatus
from competitions.core import clock
from competitions.core.extensions import db
from competitions.core.i18n import languages
from competitions.core.locks import tick_lock
from competitions.core.periodic import isolated
from competitions.core.translate import lazy_gettext as _l
from competitions.core.urls import external_url
from competitions.entries.models import Entry, Team, TeamMember
from competitions.outreach.models import SubscriptionStatus
from competitions.outreach.services import (
    LazyFormat,
    ensure_subscription,
    send_with_unsubscribe,
    subscriptions_by_address,
)
from competitions.questions.models import Answer, AnswerStatus, DigestRun


@dataclass
class Reader:
    email: str
    language: str
    tracks: set[int] = field(default_factory=set)
    everything: bool = False  # a follower reads every track's answers


def run_due(now: datetime | None = None) -> int:
    """One tick at a time across processes (a second beat process skips its tick)."""
    with tick_lock("questions.digest") as mine:
        return _run_due(now or clock.now()) if mine else 0


def _run_due(now: datetime) -> int:
    """Send today's digests that are due; answers how many emails were written."""
    if now.hour < int(current_app.config.get("QA_DIGEST_HOUR", 16)):
        return 0
    done_today = select(DigestRun.challenge_id).where(DigestRun.day == now.date())
    ids = db.session.scalars(
        select(Challenge.id)
        .where(
            Challenge.status == ChallengeStatus.PUBLISHED.value,
            Challenge.id.not_in(done_today),
            exists().where(
                Answer.challenge_id == Challenge.id,
                Answer.status == AnswerStatus.PUBLISHED.value,
                Answer.digest_run_id.is_(None),
            ),
        )
        .order_by(Challenge.id)
    ).all()
    sent = 0
    for challenge_id in ids:
        with isolated("questions.digest", f"challenge {challenge_id}"):
            sent += _digest_once(challenge_id, now)
    db.session.commit()
    return sent


def _digest_once(challenge_id: int, now: datetime) -> int:
    challenge = db.session.get(Challenge, challenge_id)
    if challenge is None:
        return 0
    try:
        with db.session.begin_nested():
            run = DigestRun(challenge_id=challenge_id, day=now.date(), ran_at=now)
            db.session.add(run)
            db.session.flush()  # another tick sent today's digest of this challenge
            news = list(
                db.session.scalars(
                    select(Answer)
                    .where(
                        Answer.challenge_id == challenge_id,
                        Answer.status == AnswerStatus.PUBLISHED.value,
                        Answer.digest_run_id.is_(None),
                    )
                    .order_by(Answer.published_at, Answer.id)
                )
            )
            if not news:
                raise _NothingNew
            for answer in news:
                answer.digest_run_id = run.id
            run.recipients = _send(challenge, news, now)
    except (IntegrityError, _NothingNew):
        return 0
    db.session.commit()
    return run.recipients


class _NothingNew(Exception):
    """No answer since the last digest: today's run is not recorded (a later one may be)."""


def readers(challenge: Challenge) -> dict[str, Reader]:
    """Entrants (with their tracks) and confirmed followers, by normalized address."""
    people: dict[str, Reader] = {}
    entries = db.session.scalars(
        select(Entry)
        .where(Entry.challenge_id == challenge.id, Entry.withdrawn_at.is_(None))
        .options(selectinload(Entry.team).selectinload(Team.members).selectinload(TeamMember.user))
    ).unique()
    for entry in entries:
        for member in entry.team.members:
            user = member.user
            reader = people.setdefault(
                user.email_normalized, Reader(user.email, user.preferred_language)
            )
            reader.tracks.add(entry.track_id)
    # Entrants get a subscription when first emailed (``ensure_subscription``): they read
    # their own tracks' answers; other followers read every track's.
    subs, _gone = subscriptions_by_address(challenge)
    for key, sub in subs.items():
        if sub.status == SubscriptionStatus.ACTIVE and key not in people:
            people[key] = Reader(sub.email, sub.language, everything=True)
    return people


def _send(challenge: Challenge, answers: list[Answer], now: datetime) -> int:
    subs, unsubscribed = subscriptions_by_address(challenge)
    source = f"qa-digest:{challenge.id}:{now.date().isoformat()}"
    written = 0
    for key, reader in readers(challenge).items():
        if key in unsubscribed:
            continue
        mine = [
            a
            for a in answers
            if reader.everything or a.track_id is None or a.track_id in reader.tracks
        ]
        if not mine:
            continue
        lang = reader.language if reader.language in languages() else "en"
        title = challenge.title_in(lang)
        send_with_unsubscribe(
            ensure_subscription(challenge, reader.email, lang, subs.get(key)),
            "questions/digest",
            reader.email,
            lang,
            LazyFormat(_l("New answers to questions about %(title)s"), title=title),
            source=source,
            title=title,
            items=[
                (
                    a.topic_in(lang),
                    a.question_in(lang),
                    a.body_in(lang),
                    a.track.name_in(lang) if a.track is not None else None,
                    a.published_at,
                )
                for a in mine
            ],
            zone=challenge.timezone,
            link=external_url("questions.public", slug=challenge.slug),
        )
        written += 1
    return written
