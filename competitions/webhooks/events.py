"""The events an agency's endpoints may subscribe to, and how each is written.

An event is written in the transaction of the change it tells (``emit``): one
``WebhookEvent`` per agency entitled to see the object (an agency hears of its own tracks;
what concerns a whole challenge, such as a challenge-wide announcement, reaches each agency
taking part; results are told per track, to that track's agency), and one
``WebhookDelivery`` per enabled endpoint of that agency subscribed to the type. A rolled-back
change leaves no row. Once the transaction commits the delivery worker is woken
(``delivery.kick``); beat's tick delivers whatever a lost wake-up left.

The payload is Standard Webhooks' ``{"type", "timestamp", "data"}``; ``data`` holds ids and
the API URLs to read the objects with the agency's token — nothing the agency could not read
through the API already, and no personal data.

To add a type (``pilot.updated`` once pilots exist): ``register(EventType(...))`` in the
owning domain, and call ``emit`` from its service.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from competitions.core import clock
from competitions.core.after_commit import run_after_commit
from competitions.core.extensions import db
from competitions.core.translate import lazy_gettext as _l
from competitions.core.urls import external_url
from competitions.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

if TYPE_CHECKING:
    from competitions.challenges.models import Challenge, Round, Track
    from competitions.entries.models import Entry
    from competitions.outreach.models import Announcement
    from competitions.submissions.models import SubmissionVersion


@dataclass(frozen=True)
class EventType:
    name: str
    label: Any  # lazy string
    description: Any
    subscribable: bool = True


REGISTRY: dict[str, EventType] = {}


def register(kind: EventType) -> EventType:
    REGISTRY[kind.name] = kind
    return kind


ENTRY_REGISTERED = register(
    EventType(
        "entry.registered",
        _l("Entry registered"),
        _l("A team registered in one of your tracks."),
    )
)
SUBMISSION_RECEIVED = register(
    EventType(
        "submission.received",
        _l("Submission received"),
        _l("An entry of one of your tracks submitted a version for a round."),
    )
)
RESULTS_RELEASED = register(
    EventType(
        "results.released",
        _l("Results released"),
        _l("A round's results were released: one event per track of yours."),
    )
)
ANNOUNCEMENT_SENT = register(
    EventType(
        "announcement.sent",
        _l("Announcement sent"),
        _l("An announcement of your track, or of the whole challenge, was sent."),
    )
)
PING = register(
    EventType(
        "webhook.ping",
        _l("Test ping"),
        _l("Sent when you ask for a test, to this endpoint only."),
        subscribable=False,
    )
)


def subscribable() -> list[EventType]:
    return [k for k in REGISTRY.values() if k.subscribable]


def _stamp(instant: datetime | None) -> str | None:
    if instant is None:
        return None
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def body_of(kind: str, data: dict[str, Any], at: datetime) -> str:
    return json.dumps(
        {"type": kind, "timestamp": _stamp(at), "data": data},
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    )


def new_message_id() -> str:
    return "msg_" + secrets.token_urlsafe(18)


def _pending(agency_id: int, key: str) -> bool:
    session = db.session()
    return any(
        isinstance(o, WebhookEvent) and o.agency_id == agency_id and o.key == key
        for o in session.new
    )


Data = dict[str, Any] | Callable[[], dict[str, Any]]


def emit(
    kind: str,
    agency_ids: set[int],
    key: str,
    data: Data,
    *,
    endpoints: list[WebhookEndpoint] | None = None,
) -> list[WebhookEvent]:
    """Write the event ``kind`` (caused by ``key``) for each agency with an enabled endpoint
    subscribed to it, and its deliveries; answer the events written. ``data`` may be a
    function, called only if some endpoint wants the event (most agencies have none: a
    change then costs one query). ``endpoints``: deliver to these alone (the test ping). An
    agency that already has ``key`` gets nothing new."""
    now = clock.now()
    written = []
    wanted: dict[int, list[WebhookEndpoint]] = {}
    if endpoints is not None:
        wanted = {a: list(endpoints) for a in agency_ids}
    elif agency_ids:
        with db.session.no_autoflush:  # nothing pending matters to this look-up
            found = db.session.scalars(
                select(WebhookEndpoint).where(
                    WebhookEndpoint.agency_id.in_(sorted(agency_ids)),
                    WebhookEndpoint.enabled.is_(True),
                )
            ).all()
        for e in found:
            if kind in (e.event_types or []):
                wanted.setdefault(e.agency_id, []).append(e)
    for agency_id in sorted(wanted):
        targets = wanted[agency_id]
        if not targets or _pending(agency_id, key):
            continue
        if db.session.scalar(
            select(WebhookEvent.id).where(
                WebhookEvent.agency_id == agency_id, WebhookEvent.key == key
            )
        ):
            continue
        if callable(data):
            data = data()
        event = WebhookEvent(
            agency_id=agency_id,
            type=kind,
            key=key,
            message_id=new_message_id(),
            body=body_of(kind, data, now),
            occurred_at=now,
        )
        db.session.add(event)
        db.session.flush()
        db.session.add_all(
            WebhookDelivery(endpoint_id=e.id, event_id=event.id, next_attempt_at=now)
            for e in targets
        )
        written.append(event)
    if written:
        from competitions.webhooks.delivery import kick

        run_after_commit(kick)
    return written


# --- the events of each domain ----------------------------------------------------------


def _api(endpoint: str, **values: Any) -> str:
    return external_url(endpoint, **values)


def entry_registered(entry: Entry) -> None:
    track = entry.track

    def data() -> dict[str, Any]:
        challenge = track.challenge
        return {
            "entry_id": entry.id,
            "challenge": challenge.slug,
            "track": track.slug,
            "eligibility": entry.eligibility,
            "registered_at": _stamp(entry.registered_at),
            "urls": {
                "entries": _api(
                    "api_agency.list_entries", slug=challenge.slug, track_slug=track.slug
                ),
                "challenge": _api("api_public.get_challenge", slug=challenge.slug),
            },
        }

    emit(ENTRY_REGISTERED.name, {track.agency_id}, f"entry:{entry.id}:registered", data)


def submission_received(entry: Entry, round_: Round, version: SubmissionVersion) -> None:
    track = entry.track

    def data() -> dict[str, Any]:
        challenge = track.challenge
        return {
            "submission_id": version.submission_id,
            "version": version.number,
            "entry_id": entry.id,
            "round_id": round_.id,
            "challenge": challenge.slug,
            "track": track.slug,
            "submitted_at": _stamp(version.submitted_at),
            "urls": {
                "submissions": _api(
                    "api_agency.list_submissions", slug=challenge.slug, track_slug=track.slug
                ),
            },
        }

    key = f"submission_version:{version.id}:received"
    emit(SUBMISSION_RECEIVED.name, {track.agency_id}, key, data)


def results_released(round_: Round, tracks: list[Track] | None = None) -> None:
    """One event per track (to its agency): each reads its own track's results."""
    challenge: Challenge = round_.challenge
    for track in tracks if tracks is not None else challenge.tracks:
        emit(
            RESULTS_RELEASED.name,
            {track.agency_id},
            f"round:{round_.id}:track:{track.id}:results",
            {
                "round_id": round_.id,
                "challenge": challenge.slug,
                "track": track.slug,
                "released_at": _stamp(round_.results_at),
                "urls": {
                    "results": _api(
                        "api_agency.track_results",
                        slug=challenge.slug,
                        track_slug=track.slug,
                        round_id=round_.id,
                    ),
                    "winners": _api(
                        "api_public.get_winners", slug=challenge.slug, round_id=round_.id
                    ),
                },
            },
        )


def announcement_sent(ann: Announcement) -> None:
    """To the track's agency, or (challenge-wide) to every agency taking part: the owners who
    see it through the API (``outreach.permissions``)."""
    challenge = ann.challenge
    if ann.track is not None:
        owners = {ann.track.agency_id}
    else:
        owners = {challenge.lead_agency_id, *(t.agency_id for t in challenge.tracks)}
    emit(
        ANNOUNCEMENT_SENT.name,
        owners,
        f"announcement:{ann.id}:sent",
        {
            "announcement_id": ann.id,
            "challenge": challenge.slug,
            "track": ann.track.slug if ann.track is not None else None,
            "recipients": ann.recipients,
            "released_at": _stamp(ann.release_at or ann.released_at),
            "urls": {"announcements": _api("api_agency.list_announcements", slug=challenge.slug)},
        },
    )


def ping(endpoint: WebhookEndpoint) -> WebhookEvent:
    [event] = emit(
        PING.name,
        {endpoint.agency_id},
        f"ping:{secrets.token_hex(8)}",
        {"endpoint_id": endpoint.id, "message": "ping"},
        endpoints=[endpoint],
    )
    return event
