"""Setting up a parallel challenge as a checklist that the lead agency and every partner see:
details → partners → each track (rules, prizes, terms) → shared timeline → submission form →
rubric → panels → publish. Each step says whether it is done, what is left, which agency must
act and where.

The steps of later packages (the submission form, the rubric, the panels) are registered by
those packages (``step``), which build on this one; this module knows only the challenge's own.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from flask import url_for

from competitions.challenges import permissions, services
from competitions.challenges.models import Challenge
from competitions.challenges.services import partners as partner_services
from competitions.challenges.services import tracks as track_services
from competitions.core.i18n import current_language
from competitions.core.translate import gettext as _
from competitions.core.translate import ngettext


class State(enum.StrEnum):
    DONE = "done"
    TODO = "todo"


@dataclass(frozen=True)
class Step:
    title: str
    state: State
    who: str  # the agency (or agencies) that must act
    url: str | None = None  # where to do it
    left: list[str] = field(default_factory=list)  # what is left, in words
    note: str | None = None  # what others (not the agency) still do, once the step is done
    may_act: Callable[[Any], bool] | None = None  # who may open ``url`` (None: everyone)

    def open_to(self, user: Any) -> bool:
        """Whether ``user`` may do this step: others see it, unlinked, with who acts."""
        return self.url is not None and (self.may_act is None or self.may_act(user))


StepProvider = Callable[[Challenge], list[Step]]
_later: list[tuple[int, StepProvider]] = []


def step(order: int) -> Callable[[StepProvider], StepProvider]:
    """Register the steps a later package adds (``order`` places them among the others)."""

    def register(provider: StepProvider) -> StepProvider:
        _later.append((order, provider))
        _later.sort(key=lambda p: p[0])
        return provider

    return register


def state_of(left: list[str]) -> State:
    """A step is done when nothing is left to do."""
    return State.TODO if left else State.DONE


def lead_acts(challenge: Challenge) -> Callable[[Any], bool]:
    """A step of the lead agency's administrators."""
    return partial(permissions.can_manage_challenge, challenge=challenge)


def _details(challenge: Challenge) -> list[Step]:
    missing = [code for code in challenge.languages if not challenge.title.get(code)]
    left = [_("A title in: %(langs)s.", langs=", ".join(missing))] if missing else []
    return [
        Step(
            _("Details: title, summary, description"),
            state_of(left),
            challenge.lead_agency.display_name,
            url_for("challenges.details", slug=challenge.slug),
            left,
            may_act=lead_acts(challenge),
        )
    ]


def _nobody(_user: Any) -> bool:
    return False


def _partners(challenge: Challenge) -> list[Step]:
    pending = len(partner_services.open_partner_invitations(challenge))
    url = url_for("challenges.console", slug=challenge.slug) + "#partners"
    title = _("Partner agencies")
    if pending:  # the invited agencies answer: nobody else can do this step now
        left = [
            ngettext(
                "%(num)d invitation waits for its agency's answer.",
                "%(num)d invitations wait for their agencies' answers.",
                pending,
            )
        ]
        return [Step(title, State.TODO, _("the invited agencies"), url, left, may_act=_nobody)]
    left = []
    if len(challenge.tracks) < 2:
        left.append(_("Invite the partner agencies that run a track in parallel."))
    lead = challenge.lead_agency.display_name
    return [Step(title, state_of(left), lead, url, left, may_act=lead_acts(challenge))]


def _tracks(challenge: Challenge) -> list[Step]:
    lang = current_language()
    out = []
    for track in challenge.tracks:
        left = [] if track.is_ready else track_services.readiness_problems(track)
        if not track.is_ready and not left:
            left = [_("Mark the track ready.")]
        url = url_for("challenges.edit_track", slug=challenge.slug, track_slug=track.slug)
        title = _("Track: %(track)s (rules, prizes, terms)", track=track.name_in(lang))
        acts = partial(permissions.can_edit_track, track=track)
        out.append(Step(title, state_of(left), track.agency.display_name, url, left, may_act=acts))
    return out


def _timeline(challenge: Challenge) -> list[Step]:
    left = [] if challenge.rounds else [_("Add at least one round to the timeline.")]
    left += services.timeline_problems(challenge)
    if challenge.rounds:
        url = url_for("challenges.console", slug=challenge.slug) + "#timeline"
    else:  # straight to the form of the first round
        url = url_for("challenges.edit_round", slug=challenge.slug)
    lead = challenge.lead_agency.display_name
    return [
        Step(_("Shared timeline"), state_of(left), lead, url, left, may_act=lead_acts(challenge))
    ]


def _publish(challenge: Challenge) -> list[Step]:
    left = [] if challenge.is_published else [_("Publish once every step above is done.")]
    url = url_for("challenges.console", slug=challenge.slug) + "#publication"
    lead = challenge.lead_agency.display_name
    return [Step(_("Publish"), state_of(left), lead, url, left, may_act=lead_acts(challenge))]


def next_for(all_steps: list[Step], user: Any) -> Step | None:
    """The first step still to do that ``user`` may do: where the checklist sends them next."""
    return next((s for s in all_steps if s.state is State.TODO and s.open_to(user)), None)


def steps(challenge: Challenge) -> list[Step]:
    """Every step, in order: the challenge's own, then those of later packages, then publish."""
    out = _details(challenge) + _partners(challenge) + _tracks(challenge) + _timeline(challenge)
    for _order, provider in _later:
        out += provider(challenge)
    return out + _publish(challenge)
