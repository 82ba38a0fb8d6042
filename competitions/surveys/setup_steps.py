"""The set-up checklist of a next edition shows the surveys of the one before
(``challenges.setup``), next to its lessons: a step that is never "to do", linking to them."""

from __future__ import annotations

from flask import url_for
from sqlalchemy import func, select

from competitions.challenges.models import Challenge
from competitions.challenges.setup import State, Step, step
from competitions.core.extensions import db
from competitions.core.translate import gettext as _
from competitions.core.translate import ngettext
from competitions.surveys import permissions
from competitions.surveys.models import Survey, SurveyStatus


@step(order=1)
def previous_edition_surveys(challenge: Challenge) -> list[Step]:
    if challenge.previous_edition_id is None:
        return []
    previous = db.session.get(Challenge, challenge.previous_edition_id)
    if previous is None:
        return []
    sent = db.session.scalar(
        select(func.count(Survey.id)).where(
            Survey.challenge_id == previous.id, Survey.status != SurveyStatus.DRAFT.value
        )
    )
    if not sent:
        return []
    return [
        Step(
            _("Survey results of edition %(n)d", n=previous.edition),
            State.DONE,
            previous.lead_agency.display_name,
            url_for("surveys.survey_list", slug=previous.slug),
            note=ngettext(
                "%(num)d survey was sent — read what entrants, judges and partners said.",
                "%(num)d surveys were sent — read what entrants, judges and partners said.",
                sent,
            ),
            may_act=lambda user: permissions.can_list(user, previous),
        )
    ]
