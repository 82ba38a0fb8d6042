"""The submission-form step of a challenge's set-up checklist (``challenges.setup``): each round
needs its form before entrants can submit."""

from __future__ import annotations

from flask import url_for

from competitions.challenges.models import Challenge
from competitions.challenges.setup import Step, lead_acts, state_of, step
from competitions.core.i18n import current_language
from competitions.core.translate import gettext as _
from competitions.submissions.services import fields_of


@step(order=10)
def submission_forms(challenge: Challenge) -> list[Step]:
    lang = current_language()
    out = []
    for round_ in challenge.rounds:
        left = [] if fields_of(round_) else [_("Add the fields entrants fill in and upload.")]
        out.append(
            Step(
                _("Submission form: %(round)s", round=round_.name_in(lang)),
                state_of(left),
                challenge.lead_agency.display_name,
                url_for("submissions.define", slug=challenge.slug, round_id=round_.id),
                left,
                may_act=lead_acts(challenge),
            )
        )
    return out
