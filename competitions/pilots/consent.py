"""Consent to a pilot's public page: the host's admins and the team's lead each opt in, and
either withdraws alone; the page is public while both consent (``Pilot.is_public``)."""

from __future__ import annotations

from competitions.core import audit
from competitions.core.actor import Actor
from competitions.core.errors import DomainError, NotFound
from competitions.core.translate import gettext as _
from competitions.pilots import permissions
from competitions.pilots.models import Pilot, PilotStatus


def set_public(actor: Actor, pilot: Pilot, side: str, public: bool) -> None:
    """The host's admins (``side="host"``) or the team's lead (``side="team"``) consent to
    the pilot's public page, or withdraw; the page is public while both consent."""
    allowed = {
        "host": permissions.can_publish_for_host,
        "team": permissions.can_publish_for_team,
    }
    if not permissions.can_set_publicity(actor.user, pilot):
        raise NotFound(_("No such pilot."))
    rule = allowed.get(side)
    if rule is None or not rule(actor.user, pilot):
        raise DomainError(_("Choose whose consent this is."))
    if public and pilot.status not in (PilotStatus.ACTIVE, PilotStatus.ENDED):
        raise DomainError(_("A pilot is made public once the team has accepted it."))
    field = "public_by_host" if side == "host" else "public_by_team"
    before = getattr(pilot, field)
    if before == public:
        return
    setattr(pilot, field, public)
    audit.record(
        actor,
        "pilot.publicity_changed",
        obj=pilot,
        agency_id=pilot.host_agency_id,
        before={field: before},
        after={field: public},
    )
