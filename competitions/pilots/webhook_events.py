"""The ``pilot.updated`` webhook event: told to the host agency and to the agency of the
winner's track, whenever a pilot changes in a way both sides follow — the offer answered, an
update posted, a KPI measured, a milestone signed off, its end."""

from __future__ import annotations

from competitions.core.translate import lazy_gettext as _l
from competitions.pilots.models import Pilot
from competitions.webhooks.events import EventType, emit, register

PILOT_UPDATED = register(
    EventType(
        "pilot.updated",
        _l("Pilot updated"),
        _l(
            "A pilot your agency hosts, or that a winner of your track runs, changed: the offer "
            "answered, an update posted, a KPI measured, a milestone signed off, its end."
        ),
    )
)


def pilot_updated(pilot: Pilot, what: str, cause: object) -> None:
    """Write the event (``what`` happened; ``cause`` names the row or state that says so, so
    the same change is told once)."""
    award = pilot.award
    emit(
        PILOT_UPDATED.name,
        {pilot.host_agency_id, award.track.agency_id},
        f"pilot:{pilot.id}:{what}:{cause}",
        lambda: {
            "pilot_id": pilot.id,
            "change": what,
            "status": str(pilot.status),
            "award_id": award.id,
            "entry_id": award.entry_id,
            "track_id": award.track_id,
            "host_agency_id": pilot.host_agency_id,
        },
    )
