"""The set-up checklist of a next edition shows the lessons of the one before
(``challenges.setup``): a step that is never "to do" but always there, linking to them."""

from __future__ import annotations

from flask import url_for

from competitions.challenges.models import Challenge
from competitions.challenges.setup import State, Step, step
from competitions.core.extensions import db
from competitions.core.translate import gettext as _
from competitions.core.translate import ngettext
from competitions.lessons import permissions, services


@step(order=0)
def previous_edition_lessons(challenge: Challenge) -> list[Step]:
    if challenge.previous_edition_id is None:
        return []
    previous = db.session.get(Challenge, challenge.previous_edition_id)
    if previous is None:
        return []
    title = _("Lessons learned of edition %(n)d", n=previous.edition)
    retro = services.previous_lessons(challenge)
    if retro is None:
        note = _("Not published by the lead agency of edition %(n)d.", n=previous.edition)
    else:
        lessons = sum(len(s.lessons(k)) for s in retro.sections for k in ("keep", "change", "stop"))
        note = ngettext(
            "%(num)d lesson from %(partners)s — read them before setting up this edition.",
            "%(num)d lessons from %(partners)s — read them before setting up this edition.",
            lessons,
            partners=", ".join(s.agency.display_name for s in retro.sections if not s.is_empty),
        )
    return [
        Step(
            title,
            State.DONE,
            previous.lead_agency.display_name,
            url_for("lessons.page", slug=previous.slug),
            note=note,
            may_act=lambda user: permissions.can_view_lessons(user, previous),
        )
    ]
