"""The judging steps of a challenge's set-up checklist (``challenges.setup``): each round's
rubric (the lead's), then each track's panel (its agency's) and the shared panel when a rubric
uses it."""

from __future__ import annotations

from functools import partial

from flask import url_for

from competitions.challenges.models import Challenge
from competitions.challenges.setup import Step, state_of, step
from competitions.core.i18n import current_language
from competitions.core.translate import gettext as _
from competitions.core.translate import ngettext
from competitions.judging import panels, permissions, rubrics


@step(order=20)
def rubrics_of_rounds(challenge: Challenge) -> list[Step]:
    lang = current_language()
    out = []
    for round_ in challenge.rounds:
        rubric = rubrics.rubric_for(round_, create=False)
        left = [] if rubric and rubric.criteria else [_("Add the criteria judges score.")]
        out.append(
            Step(
                _("Rubric: %(round)s", round=round_.name_in(lang)),
                state_of(left),
                challenge.lead_agency.display_name,
                url_for("judging.rubric", slug=challenge.slug, round_id=round_.id),
                left,
                may_act=partial(permissions.can_edit_rubric, challenge=challenge),
            )
        )
    return out


@step(order=30)
def panels_of_tracks(challenge: Challenge) -> list[Step]:
    lang = current_language()
    out = []
    for track in challenge.tracks:
        panel = panels.find_panel(challenge, track)
        seated = panels.active_judges(panel) if panel else []
        invited = len(panels.open_invitations(panel)) if panel else 0
        # Inviting is the agency's part; the judges answer in their own time.
        left = [] if seated or invited else [_("Invite the judges of this track.")]
        note = (
            ngettext(
                "%(num)d judge has not answered the invitation yet.",
                "%(num)d judges have not answered the invitation yet.",
                invited,
            )
            if invited
            else None
        )
        out.append(
            Step(
                _("Panel of %(track)s", track=track.name_in(lang)),
                state_of(left),
                track.agency.display_name,
                url_for("judging.panel", slug=challenge.slug, key=track.slug),
                left,
                note,
                partial(permissions.can_manage_agency_judging, agency_id=track.agency_id),
            )
        )
    return out
