"""The daily digest of new and corrected answers, to entrants and followers.

Once a day (from ``QA_DIGEST_HOUR`` o'clock UTC), when answers were published or corrected
since the previous digest, each person concerned gets **one** email for every challenge, with
a section per challenge: the members of its active entries read the challenge-wide answers and
their own tracks' (``outreach.readers``), its confirmed followers every answer; each in their
language. Each section links to a page that stops the Q&A digest of that challenge
(``DigestOptOut``; the challenge's other emails go on); the ``List-Unsubscribe`` header stops
it for every challenge of the email. Nothing new for a person: no email.

``DigestRun`` is unique per day and every digest's outbox source names the day: two ticks, a
retried task or a second worker never send a person two digests on one day. An answer
published after the day's digest waits for the next day's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from competitions.challenges.models import Challenge, ChallengeStatus
from competitions.core import audit, clock, mail, tokens
from competitions.core.actor import Actor
from competitions.core.errors import NotFound
from competitions.core.extensions import db
from competitions.core.i18n import languages
from competitions.core.locks import tick_lock
from competitions.core.periodic import isolated
from competitions.core.translate import gettext as _
from competitions.core.translate import lazy_gettext as _l
from competitions.core.translate import ngettext
from competitions.core.urls import external_url
from competitions.outreach.models import Subscription
from competitions.outreach.readers import entrants_and_followers
from competitions.outreach.services import NEVER, LazyFormat, ensure_subscription
from competitions.questions.models import Answer, AnswerStatus, DigestOptOut, DigestRun

PURPOSE = "qa-digest"


@dataclass
class Section:
    """One challenge's part of a person's digest."""

    challenge: Challenge
    subscription: Subscription
    answers: list[Answer]


@dataclass
class Recipient:
    email: str
    language: str
    sections: list[Section] = field(default_factory=list)


def run_due(now: datetime | None = None) -> int:
    """One tick at a time across processes (a second beat process skips its tick)."""
    with tick_lock("questions.digest") as mine:
        return _run_due(now or clock.now()) if mine else 0


def _run_due(now: datetime) -> int:
    """Send today's digest if it is due and not sent; answers how many emails were written."""
    if now.hour < int(current_app.config.get("QA_DIGEST_HOUR", 16)):
        return 0
    day = now.date()
    if db.session.scalar(select(DigestRun.id).where(DigestRun.day == day)) is not None:
        return 0
    sent = 0
    with isolated("questions.digest", f"digest of {day.isoformat()}"):
        sent = _digest_once(day, now)
    db.session.commit()
    return sent


def _news() -> list[Answer]:
    """The published answers of published challenges that no digest covered yet (new, or
    corrected since), by challenge and date."""
    return list(
        db.session.scalars(
            select(Answer)
            .join(Challenge, Challenge.id == Answer.challenge_id)
            .where(
                Challenge.status == ChallengeStatus.PUBLISHED.value,
                Answer.status == AnswerStatus.PUBLISHED.value,
                Answer.digest_run_id.is_(None),
            )
            .options(selectinload(Answer.track), selectinload(Answer.challenge))
            .order_by(Answer.challenge_id, Answer.published_at, Answer.id)
        )
    )


def _digest_once(day: date, now: datetime) -> int:
    news = _news()
    if not news:
        return 0  # nothing new: today's run is not recorded (a later tick may find some)
    try:
        with db.session.begin_nested():
            run = DigestRun(day=day, ran_at=now)
            db.session.add(run)
            db.session.flush()  # another tick sent today's digest
            for answer in news:
                answer.digest_run_id = run.id
            run.recipients = _send(news, day)
    except IntegrityError:
        return 0
    db.session.commit()
    return run.recipients


def recipients(news: list[Answer]) -> dict[str, Recipient]:
    """Who reads what: per normalized address, a section per challenge with the answers of
    their tracks (entrants) or all of them (followers); no section without an answer, none
    for a challenge whose digest they stopped."""
    by_challenge: dict[int, list[Answer]] = {}
    for answer in news:
        by_challenge.setdefault(answer.challenge_id, []).append(answer)
    people: dict[str, Recipient] = {}
    for answers in by_challenge.values():
        challenge = answers[0].challenge
        readers = entrants_and_followers(challenge)
        stopped = _stopped([r.subscription.id for r in readers.values() if r.subscription])
        for key, reader in readers.items():
            if reader.subscription is not None and reader.subscription.id in stopped:
                continue
            tracks = {t.id for t in reader.tracks}
            mine = [
                a
                for a in answers
                if not reader.is_entrant or a.track_id is None or a.track_id in tracks
            ]
            if not mine:
                continue
            person = people.get(key)
            if person is None:
                lang = reader.language if reader.language in languages() else languages()[0]
                person = people[key] = Recipient(reader.email, lang)
            sub = ensure_subscription(challenge, reader.email, person.language, reader.subscription)
            person.sections.append(Section(challenge, sub, mine))
    return people


def _stopped(subscription_ids: list[int]) -> set[int]:
    if not subscription_ids:
        return set()
    return set(
        db.session.scalars(
            select(DigestOptOut.subscription_id).where(
                DigestOptOut.subscription_id.in_(subscription_ids)
            )
        )
    )


def stop_link(subs: list[Subscription]) -> str:
    """The link that stops the Q&A digest of the challenges of ``subs`` (signed, no expiry)."""
    token = tokens.make_token(PURPOSE, {"s": [[s.id, s.nonce] for s in subs]})
    return external_url("questions.stop_digest", token=token)


def _send(news: list[Answer], day: date) -> int:
    source = f"qa-digest:{day.isoformat()}"
    written = 0
    for person in recipients(news).values():
        lang = person.language
        stop_all = stop_link([s.subscription for s in person.sections])
        if len(person.sections) == 1:
            subject = LazyFormat(
                _l("New answers to questions about %(title)s"),
                title=person.sections[0].challenge.title_in(lang),
            )
        else:
            count = len(person.sections)

            def several(count: int = count) -> str:  # ngettext by name: the extraction finds it
                return ngettext(
                    "New answers to questions about %(num)d challenge",
                    "New answers to questions about %(num)d challenges",
                    count,
                )

            subject = LazyFormat("%(text)s", text=several)
        message = mail.render_mail(
            "questions/digest",
            person.email,
            lang,
            subject,
            sections=[_section(s, lang) for s in person.sections],
            unsubscribe_link=stop_all,
        )
        message.headers.update(
            {
                "List-Unsubscribe": f"<{stop_all}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            }
        )
        mail.send_after_commit(message, source=source)
        written += 1
    return written


def _section(section: Section, lang: str) -> dict[str, Any]:
    challenge = section.challenge
    return {
        "title": challenge.title_in(lang),
        "zone": challenge.timezone,
        "link": external_url("questions.public", slug=challenge.slug),
        "stop_link": stop_link([section.subscription]),
        "items": [
            {
                "topic": a.topic_in(lang),
                "wording": a.question_in(lang),
                "answer": a.body_in(lang),
                "track": a.track.name_in(lang) if a.track is not None else None,
                "published_at": a.published_at,
                "corrected_at": a.corrected_at,
                "link": external_url("questions.public", slug=challenge.slug) + f"#a{a.id}",
            }
            for a in section.answers
        ],
    }


# --- stopping the digest ------------------------------------------------------------------------


def from_stop_token(token: str) -> list[Subscription]:
    """The subscriptions a stop link names (those whose links are still valid)."""
    invalid = NotFound(_("This link is not valid."))
    try:
        data = tokens.read_token(PURPOSE, token, NEVER)
    except tokens.InvalidToken as exc:
        raise invalid from exc
    pairs = data.get("s") if isinstance(data, dict) else None
    if not isinstance(pairs, list):
        raise invalid
    subs = []
    for pair in pairs[:100]:
        if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], int)):
            continue
        sub = db.session.get(Subscription, pair[0])
        if sub is not None and sub.nonce == pair[1]:
            subs.append(sub)
    if not subs:
        raise NotFound(_("This link is not valid any more: use the one in the latest email."))
    return subs


def stopped(subs: list[Subscription]) -> bool:
    """Whether the digest of every challenge of ``subs`` is stopped already."""
    return len(_stopped([s.id for s in subs])) == len(subs)


def stop(actor: Actor, subs: list[Subscription]) -> None:
    """Stop the Q&A digest of these subscriptions' challenges (their other emails go on)."""
    done = _stopped([s.id for s in subs])
    for sub in subs:
        if sub.id not in done:
            db.session.add(DigestOptOut(subscription_id=sub.id))
            audit.record(actor, "subscription.qa_digest_stopped", obj=sub)
    db.session.flush()


def resume(actor: Actor, subs: list[Subscription]) -> None:
    """Receive the Q&A digest of these challenges again."""
    rows = db.session.scalars(
        select(DigestOptOut).where(DigestOptOut.subscription_id.in_([s.id for s in subs]))
    ).all()
    for row in rows:
        sub = next(s for s in subs if s.id == row.subscription_id)
        db.session.delete(row)
        audit.record(actor, "subscription.qa_digest_resumed", obj=sub)
    db.session.flush()
