"""Helpers for the challenge service tests: actors, audit queries, a realistic timeline."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from competitions.challenges import services
from competitions.challenges.models import Track
from competitions.challenges.services import partners as partner_services
from competitions.challenges.services import timeline as timeline_services
from competitions.challenges.services import tracks as track_services
from competitions.challenges.services.timeline import RoundData
from competitions.challenges.services.tracks import TrackSettings
from competitions.core.actor import Actor
from competitions.core.audit import AuditEvent
from competitions.core.extensions import db

BASE_URL = "https://tandem.test"


def act(user: Any) -> Actor:
    """The actor a view would pass for ``user``."""
    return Actor(user, ip="127.0.0.1")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def events(action: str) -> list[AuditEvent]:
    """Audit events of one action, oldest first."""
    stmt = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    return list(db.session.scalars(stmt))


def count(model: Any, *where: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def token_for(inv: Any) -> str:
    """The token the invitation email carries (same purpose and payload as the service)."""
    return partner_services.INVITATIONS.token(inv)


# Deep Space Food Challenge, Phase 1: closed for everyone 30 July 2021, 17:00 Central Time.
PHASE_1 = {
    "registration_opens": utc(2021, 1, 28, 15),
    "registration_closes": utc(2021, 7, 30, 22),
    "submission_opens": utc(2021, 2, 1, 15),
    "submission_deadline": utc(2021, 7, 30, 22),
    "judging_closes": utc(2021, 10, 15, 22),
    "results_at": utc(2021, 11, 9, 17),
}
PHASE_2 = {
    "registration_opens": None,
    "registration_closes": None,
    "submission_opens": utc(2021, 11, 9, 17),
    "submission_deadline": utc(2022, 7, 29, 22),
    "judging_closes": utc(2022, 9, 30, 22),
    "results_at": utc(2022, 11, 18, 17),
}


def round_data(
    name: str = "Phase 1", base: dict[str, Any] | None = None, **changes: Any
) -> RoundData:
    instants = {**(PHASE_1 if base is None else base), **changes}
    return RoundData(name={"en": name, "fr": name}, instants=instants)


def settings(track: Track, **changes: Any) -> TrackSettings:
    """The track's current settings, with ``changes``."""
    current = {
        "name": dict(track.name),
        "description": dict(track.description),
        "languages": list(track.languages),
        "contact_email": track.contact_email,
        "timezone": track.timezone,
    }
    return TrackSettings(**{**current, **changes})


def make_ready(admin: Any, track: Track) -> None:
    """Give ``track`` a contact and terms in each of its languages, then mark it ready."""
    actor = act(admin)
    track_services.update_track(
        actor, track, settings(track, contact_email=f"prizes@{track.agency.slug}.example")
    )
    track_services.publish_terms(
        actor, track, {code: f"Terms ({code})" for code in track.languages}
    )
    track_services.mark_ready(actor, track, True)


def publish(world: Any, challenge: Any) -> None:
    """Make every track ready, add Phase 1 if there is no round, publish, commit."""
    admins = {world.agency_a.id: world.admin_a, world.agency_b.id: world.admin_b}
    for track in challenge.tracks:
        if not track.is_ready:
            make_ready(admins[track.agency_id], track)
    if not challenge.rounds:
        timeline_services.save_round(act(world.admin_a), challenge, None, round_data())
    services.publish(act(world.admin_a), challenge)
    db.session.commit()
