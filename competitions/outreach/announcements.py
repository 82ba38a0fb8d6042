"""Announcements: composed per language, released at one instant to every agency's audience.

Releasing writes one outbox row per recipient address (unique per announcement and address,
so a second release or a crashed one run again sends nobody twice), all due at the release
instant, then wakes the delivery worker for that instant. Each recipient gets their own
language (else their track's first language, else the announcement's first), their track's
agency as sender name and signature, and a one-click unsubscribe.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.utils import parseaddr
from typing import Any, cast

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import Table, exists, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from competitions.accounts.models import User, normalize_email
from competitions.challenges.models import Challenge, Round, Track
from competitions.core import audit, clock, instants, mail, outbox, tokens
from competitions.core.actor import Actor
from competitions.core.after_commit import run_after_commit
from competitions.core.errors import DomainError, NotFound
from competitions.core.extensions import db
from competitions.core.i18n import languages
from competitions.core.languages import email_language
from competitions.core.locks import tick_lock
from competitions.core.markdown import render_markdown
from competitions.core.outbox import OutboxMessage
from competitions.core.periodic import isolated
from competitions.core.text import blocks_in, lines_in, one_line, text_block
from competitions.core.translate import gettext as _
from competitions.core.urls import external_url
from competitions.entries.models import Entry, TeamMember
from competitions.judging import audiences as judging
from competitions.judging.models import Advancement, Judge
from competitions.judging.rubrics import last_stage_of
from competitions.outreach import permissions
from competitions.outreach.models import (
    Announcement,
    AnnouncementStatus,
    Audience,
    Subscription,
    SubscriptionStatus,
)
from competitions.outreach.notices import has_final_submission
from competitions.outreach.services import subscriptions_by_address, unsubscribe_headers

LEAD = timedelta(seconds=60)  # rows are written this long before the release instant
UNSUBSCRIBE = "%%UNSUBSCRIBE%%"


ENTRY_AUDIENCES = {
    Audience.ENTRIES.value,
    Audience.SUBMITTED.value,
    Audience.NOT_SUBMITTED.value,
    Audience.FINALISTS.value,
}
# Audiences drawn from one round, which the announcement names.
ROUND_AUDIENCES = {
    Audience.SUBMITTED,
    Audience.NOT_SUBMITTED,
    Audience.FINALISTS,
    Audience.JUDGES_INCOMPLETE,
}


@dataclass(frozen=True)
class Draft:
    subject: dict[str, str]
    body: dict[str, str]
    audiences: list[str]
    round_id: int | None


def _check(challenge: Challenge, track: Track | None, data: Draft) -> Draft:
    subject, body = lines_in(data.subject, languages()), blocks_in(data.body, languages())
    if not subject:
        raise DomainError(_("Write a subject in at least one language."), "subject_en")
    if set(subject) != set(body):
        raise DomainError(_("Each language needs both a subject and a message."), "body_en")
    if any(len(s) > 200 for s in subject.values()):
        raise DomainError(_("A subject must be 200 characters or fewer."), "subject_en")
    if any(len(b) > 20_000 for b in body.values()):
        raise DomainError(_("A message must be 20,000 characters or fewer."), "body_en")
    audiences = [a for a in Audience if a.value in data.audiences]
    if not audiences or len(audiences) != len(set(data.audiences)):
        raise DomainError(_("Choose who receives it."), "audiences")
    if Audience.SUBSCRIBERS in audiences and track is not None:
        raise DomainError(
            _("People following the challenge hear from the whole challenge, not one track."),
            "audiences",
        )
    round_id = None
    if ROUND_AUDIENCES & set(audiences):
        if not any(r.id == data.round_id for r in challenge.rounds):
            raise DomainError(_("Choose the round."), "round_id")
        round_id = data.round_id
    return Draft(subject, body, [a.value for a in audiences], round_id)


def scope_track(actor: Actor, challenge: Challenge, scope: str) -> Track | None:
    """The track an announcement is from (its slug; empty: None, the whole challenge). The
    composer offers only the scopes the actor may write for: another one is refused on it."""
    track = next((t for t in challenge.tracks if t.slug == scope), None)
    if scope and track is None:
        raise DomainError(_("Choose who it is from."), "scope")
    if not permissions.can_compose(actor.user, challenge, track):
        raise DomainError(_("No such challenge."))
    return track


def create(actor: Actor, challenge: Challenge, track: Track | None, data: Draft) -> Announcement:
    if not permissions.can_compose(actor.user, challenge, track):
        raise NotFound(_("No such challenge."))
    clean = _check(challenge, track, data)
    ann = Announcement(
        challenge=challenge,
        track=track,
        agency_id=track.agency_id if track is not None else challenge.lead_agency_id,
        subject=clean.subject,
        body=clean.body,
        audiences=clean.audiences,
        round_id=clean.round_id,
        created_by_id=actor.user_id,
    )
    return audit.created(actor, "announcement.created", ann)


def update(actor: Actor, ann: Announcement, data: Draft) -> None:
    _require_act(actor, ann)
    if ann.status != AnnouncementStatus.DRAFT:
        raise DomainError(_("Only a draft can be changed; cancel the schedule first."))
    clean = _check(ann.challenge, ann.track, data)
    ann.subject, ann.body = clean.subject, clean.body
    ann.audiences, ann.round_id = clean.audiences, clean.round_id
    audit.record(actor, "announcement.updated", obj=ann, agency_id=ann.agency_id)


def _require_act(actor: Actor, ann: Announcement) -> None:
    if not permissions.can_act(actor.user, ann):
        raise NotFound(_("No such announcement."))


def schedule(actor: Actor, ann: Announcement, release_at: datetime) -> None:
    _require_act(actor, ann)
    if ann.status not in (AnnouncementStatus.DRAFT, AnnouncementStatus.SCHEDULED):
        raise DomainError(_("This announcement was already released or cancelled."))
    instants.check(release_at, "release_at")
    if release_at < clock.now() - timedelta(seconds=1):
        raise DomainError(_("Choose an instant in the future, or send it now."), "release_at")
    ann.status, ann.release_at = AnnouncementStatus.SCHEDULED.value, release_at
    audit.record(
        actor,
        "announcement.scheduled",
        obj=ann,
        agency_id=ann.agency_id,
        after={"release_at": release_at.isoformat()},
    )


def send_now(actor: Actor, ann: Announcement) -> int:
    """Release at once: the rows are written in this transaction, delivered after it."""
    schedule(actor, ann, clock.now())
    return release(ann)


def cancel(actor: Actor, ann: Announcement) -> int:
    """Stop it before its instant (rows already written but not yet due are withdrawn)."""
    _require_act(actor, ann)
    now = clock.now()
    if ann.status == AnnouncementStatus.CANCELLED:
        return 0
    if ann.status == AnnouncementStatus.RELEASED and (ann.release_at or now) <= now:
        raise DomainError(_("It is out already: a released announcement cannot be cancelled."))
    withdrawn = 0
    if ann.status == AnnouncementStatus.RELEASED:
        withdrawn = (
            db.session.query(OutboxMessage)
            .filter(
                OutboxMessage.source == ann.source,
                OutboxMessage.status == outbox.Status.QUEUED.value,
            )
            .delete(synchronize_session=False)
        )
    ann.status, ann.cancelled_at = AnnouncementStatus.CANCELLED.value, now
    audit.record(
        actor, "announcement.cancelled", obj=ann, agency_id=ann.agency_id, after={"rows": withdrawn}
    )
    return withdrawn


# --- audience ---------------------------------------------------------------------------------


@dataclass
class Recipient:
    email: str
    lang: str
    track: Track | None
    user: User | None = None
    subscription: Subscription | None = None


def recipients(ann: Announcement) -> list[Recipient]:
    """Everyone the announcement reaches, one per address, minus addresses that unsubscribed."""
    challenge = ann.challenge
    subs, unsubscribed = subscriptions_by_address(challenge)
    found: dict[str, Recipient] = {}
    wanted = set(ann.audiences or [])
    entry_audiences = wanted & ENTRY_AUDIENCES
    if entry_audiences:  # entrants first: they have a track to sign for them
        tracks = {t.id: t for t in challenge.tracks}
        for email, key, lang, track_id in _entrants(ann, entry_audiences):
            if key not in found:
                found[key] = Recipient(email, lang, tracks[track_id], None, subs.get(key))
    if {Audience.JUDGES.value, Audience.JUDGES_INCOMPLETE.value} & wanted:
        for judge in _judges(ann, wanted):
            user = judge.user
            key = user.email_normalized
            if key not in found:  # their panel's track signs (the shared panel: the scope's)
                track = judge.panel.track or ann.track
                found[key] = Recipient(
                    user.email, user.preferred_language, track, user, subs.get(key)
                )
    if Audience.SUBSCRIBERS in wanted:
        for key, s in subs.items():
            if s.status == SubscriptionStatus.ACTIVE and key not in found:
                found[key] = Recipient(s.email, s.language, None, subscription=s)
    return [r for key, r in found.items() if key not in unsubscribed]


def _entrants(ann: Announcement, audiences: set[str]) -> list[tuple[str, str, str, int]]:
    """(email, normalized email, language, track id) of the members of the active entries in
    the announcement's scope, in any of ``audiences``: one query, plain rows (loading 100,000
    entries with their teams, members and users as objects took about 45 s)."""
    stmt = (
        select(User.email, User.email_normalized, User.preferred_language, Entry.track_id)
        .join(TeamMember, TeamMember.team_id == Entry.team_id)
        .join(User, User.id == TeamMember.user_id)
        .where(Entry.challenge_id == ann.challenge_id, Entry.withdrawn_at.is_(None))
        .order_by(Entry.id, TeamMember.id)
    )
    if ann.track_id is not None:
        stmt = stmt.where(Entry.track_id == ann.track_id)
    if Audience.ENTRIES not in audiences:
        submitted = has_final_submission(ann.round_id)
        advancing = exists().where(  # the round's decision: its last review stage
            Advancement.entry_id == Entry.id,
            Advancement.round_id == ann.round_id,
            Advancement.stage == last_stage_of(ann.round_id),
            Advancement.advancing.is_(True),
        )
        wanted = {
            Audience.SUBMITTED.value: submitted,
            Audience.NOT_SUBMITTED.value: ~submitted,
            Audience.FINALISTS.value: advancing,
        }
        stmt = stmt.where(or_(*(cond for name, cond in wanted.items() if name in audiences)))
    return [(r[0], r[1], r[2], r[3]) for r in db.session.execute(stmt)]


def _judges(ann: Announcement, audiences: set[str]) -> list[Judge]:
    """Judges in the announcement's scope: all seated ones, or those with reviews left."""
    if Audience.JUDGES in audiences:
        found = judging.seated_judges(ann.challenge_id, ann.track_id)
    elif ann.round_id is not None:
        found = judging.judges_with_reviews_left(ann.round_id, ann.track_id)
    else:
        found = []
    return [r.judge for r in found]


def _language(ann: Announcement, wanted: str, track: Track | None) -> str:
    """The reader's language if their track declares it (and the announcement is written in
    it), else the track's first language the announcement is written in."""
    return email_language(wanted, track.languages if track is not None else [], ann.subject)


def _subscribe_entrants(challenge: Challenge, everyone: list[Recipient]) -> None:
    """Entrants without a subscription get one (active subscribers: they entered), so that their
    one-click unsubscribe works like everyone else's — written in bulk, then read back."""
    missing = {normalize_email(r.email): r for r in everyone if r.subscription is None}
    if not missing:
        return
    now = clock.now()
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = [
        {
            "challenge_id": challenge.id,
            "email": r.email,
            "email_normalized": key,
            "language": r.lang if r.lang in languages() else languages()[0],
            "status": SubscriptionStatus.ACTIVE.value,
            "nonce": tokens.new_nonce(),
            "created_at": now,
            "requested_at": now,
            "confirmed_at": now,
        }
        for key, r in missing.items()
    ]
    db.session.execute(  # one statement, executed for each row (see insert_once)
        insert(cast(Table, Subscription.__table__)).on_conflict_do_nothing(
            index_elements=["challenge_id", "email_normalized"]
        ),
        values,
    )
    keys = list(missing)
    for start in range(0, len(keys), 500):
        for sub in db.session.scalars(
            select(Subscription).where(
                Subscription.challenge_id == challenge.id,
                Subscription.email_normalized.in_(keys[start : start + 500]),
            )
        ):
            missing[sub.email_normalized].subscription = sub


def render(ann: Announcement, lang: str, track: Track | None) -> dict[str, str]:
    """Subject, text, HTML and sender for one language and track (the unsubscribe link is a
    placeholder, put in per recipient)."""
    challenge = ann.challenge
    if track is not None:
        signature = [track.name_in(lang), track.agency.name, track.contact_email or ""]
        name = track.agency.name
    else:
        agencies = sorted({t.agency.name for t in challenge.tracks})
        signature = [challenge.title_in(lang), ", ".join(agencies)]
        name = challenge.title_in(lang)
    _display, address = parseaddr(current_app.config["MAIL_FROM"])
    body = ann.body.get(lang, "")
    with force_locale(lang):
        context: dict[str, Any] = {
            "title": challenge.title_in(lang),
            "body": body,
            "body_html": render_markdown(body),
            "signature": [s for s in signature if s],
            "challenge_link": external_url("challenges.challenge_page", slug=challenge.slug),
            "unsubscribe_link": UNSUBSCRIBE,
            "lang": lang,
        }
        return {
            "subject": one_line(ann.subject_in(lang)),
            "text": text_block(render_template("emails/outreach/announcement.txt", **context)),
            "html": text_block(render_template("emails/outreach/announcement.html", **context)),
            # Not formataddr: it writes RFC 2047 words, which the preview would show as they
            # are; the header is encoded when the message is built (core/headers.py).
            "sender": str(Address(display_name=one_line(f"{name} via Tandem"), addr_spec=address)),
        }


def release(ann: Announcement) -> int:
    """Write the outbox rows (once per address, due at the release instant); answer how many
    were new. Run again, it writes nothing twice."""
    now = clock.now()
    release_at = ann.release_at or now
    rendered: dict[tuple[str, int | None], dict[str, str]] = {}
    rows = []
    everyone = recipients(ann)
    _subscribe_entrants(ann.challenge, everyone)
    for r in everyone:
        lang = _language(ann, r.lang, r.track)
        key = (lang, r.track.id if r.track else None)
        if key not in rendered:
            rendered[key] = render(ann, lang, r.track)
        copy = rendered[key]
        assert r.subscription is not None
        headers = unsubscribe_headers(r.subscription)
        link = headers["List-Unsubscribe"].strip("<>")
        rows.append(
            {
                "source": ann.source,
                "to_address": r.email,
                "subscription_id": r.subscription.id,
                "sender": copy["sender"],
                "subject": copy["subject"],
                "text_body": copy["text"].replace(UNSUBSCRIBE, link),
                "html_body": copy["html"].replace(UNSUBSCRIBE, link),
                "headers": headers,
                "status": outbox.Status.QUEUED.value,
                "attempts": 0,
                "next_attempt_at": release_at,
                "created_at": now,
            }
        )
    written = insert_once(rows)
    outbox.written_in_bulk(written)
    ann.status = AnnouncementStatus.RELEASED.value
    ann.released_at = now
    ann.recipients = len(rows)
    run_after_commit(lambda: wake_dispatchers(release_at))
    from competitions.webhooks import events as webhook_events

    webhook_events.announcement_sent(ann)
    return written


def insert_once(rows: list[dict[str, Any]]) -> int:
    """Insert outbox ``rows`` (of one source) unless already there; answer how many were new.

    One single-row statement executed for every row (the driver sends them in a pipeline):
    building and parsing multi-row VALUES statements took most of a 100,000-row release."""
    if not rows:
        return 0
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = cast(Table, OutboxMessage.__table__)
    source = rows[0]["source"]
    count = select(func.count()).select_from(table).where(table.c.source == source)
    before = db.session.scalar(count) or 0
    db.session.execute(
        insert(table).on_conflict_do_nothing(index_elements=["source", "to_address"]), rows
    )
    return (db.session.scalar(count) or 0) - before


def wake_dispatchers(release_at: datetime) -> None:
    """Start the outbox's dispatchers at ``release_at`` (at once when it has passed); used by
    every release of many rows at one instant (announcements, surveys)."""
    from competitions.core.outbox import dispatch
    from competitions.core.tasks import send_task

    # Measured now, after the commit: writing a large audience's rows takes a while.
    delay = max(0.0, (release_at - clock.now()).total_seconds())
    if current_app.config.get("OUTBOX_DELIVERY") == "inline":
        if delay <= 0:
            dispatch()
        return
    # Several dispatchers at the instant: their claims never overlap, so they share the rows.
    for _n in range(max(1, int(current_app.config.get("OUTBOX_PARALLEL", 2)))):
        send_task("outbox.dispatch", countdown=delay or None)


def release_due() -> int:
    """One tick at a time across processes (a second beat process skips its tick)."""
    with tick_lock("outreach.release_due") as mine:
        return _release_due() if mine else 0


def _release_due() -> int:
    """The beat tick: release every scheduled announcement due within ``LEAD`` (one at a time
    per row: ``SKIP LOCKED`` on PostgreSQL, so two ticks never release the same one). One that
    fails is logged and left scheduled for the next tick; the others go on."""
    released, skipped = 0, set[int]()
    while True:
        stmt = (
            select(Announcement)
            .where(
                Announcement.status == AnnouncementStatus.SCHEDULED.value,
                Announcement.release_at <= clock.now() + LEAD,
                Announcement.id.not_in(skipped),
            )
            .order_by(Announcement.release_at)
            .limit(1)
        )
        if db.session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True, of=Announcement)
        ann = db.session.scalar(stmt)
        if ann is None:
            db.session.rollback()
            return released
        ann_id = ann.id
        skipped.add(ann_id)  # until it is released: not taken again in this tick
        with isolated("outreach.release_due", f"announcement {ann_id}"):
            release(ann)
            db.session.commit()
            skipped.discard(ann_id)
            released += 1


def progress(ann: Announcement) -> dict[str, int]:
    counts = dict(
        db.session.execute(
            select(OutboxMessage.status, func.count())
            .where(OutboxMessage.source == ann.source)
            .group_by(OutboxMessage.status)
        ).all()
    )
    return {s.value: int(counts.get(s.value, 0)) for s in outbox.Status}


def failures(ann: Announcement, limit: int = 100) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.source == ann.source,
                OutboxMessage.status == outbox.Status.FAILED.value,
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    )


def test_send(actor: Actor, ann: Announcement, lang: str) -> None:
    """One copy to the author, marked as a test (never counted, never unsubscribable)."""
    _require_act(actor, ann)
    user = actor.user
    if not isinstance(user, User):
        raise NotFound(_("No such announcement."))
    lang = _language(ann, lang, ann.track)
    copy = render(ann, lang, ann.track)
    with force_locale(lang):
        marker = _("Test")
    mail.send_after_commit(
        mail.Mail(
            to=user.email,
            subject=f"[{marker}] {copy['subject']}",
            text=copy["text"].replace(UNSUBSCRIBE, "—"),
            html=copy["html"].replace(UNSUBSCRIBE, "#"),
            sender=copy["sender"],
        )
    )


def for_challenge(user: Any, challenge: Challenge) -> list[Announcement]:
    rows = db.session.scalars(
        select(Announcement)
        .where(Announcement.challenge_id == challenge.id)
        .order_by(Announcement.created_at.desc())
    )
    return [a for a in rows if permissions.can_view(user, a)]


def get(challenge: Challenge, announcement_id: int) -> Announcement:
    ann = db.session.get(Announcement, announcement_id)
    if ann is None or ann.challenge_id != challenge.id:
        raise NotFound(_("No such announcement."))
    return ann


def round_of(ann: Announcement) -> Round | None:
    return db.session.get(Round, ann.round_id) if ann.round_id else None


def public_for(challenge: Challenge, limit: int = 10) -> list[Announcement]:
    """Public announcements (those sent to the challenge's subscribers) of a published challenge
    whose instant has come, newest first. Messages to entrants only stay in their inboxes."""
    if not challenge.is_published:
        return []
    released = list(
        db.session.scalars(
            select(Announcement)
            .where(
                Announcement.challenge_id == challenge.id,
                Announcement.status == AnnouncementStatus.RELEASED.value,
                Announcement.release_at <= clock.now(),
            )
            .order_by(Announcement.release_at.desc(), Announcement.id.desc())
            .limit(200)
        )
    )
    return [a for a in released if Audience.SUBSCRIBERS in (a.audiences or [])][:limit]
