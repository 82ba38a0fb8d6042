"""Breadcrumb trails of survey pages: … > the challenge's console > Surveys > the survey."""

from __future__ import annotations

from typing import Any

from competitions.challenges.models import Challenge
from competitions.challenges.trails import manage_trail
from competitions.core.breadcrumbs import Crumb, crumb, home_trail
from competitions.core.i18n import current_language
from competitions.core.translate import gettext as _
from competitions.surveys import permissions
from competitions.surveys.models import Survey


def surveys_trail(user: Any, challenge: Challenge) -> list[Crumb]:
    return [
        *manage_trail(user, challenge),
        crumb(
            _("Surveys"),
            "surveys.survey_list",
            permissions.can_list(user, challenge),
            slug=challenge.slug,
        ),
    ]


def survey_trail(user: Any, challenge: Challenge, survey: Survey) -> list[Crumb]:
    return [
        *surveys_trail(user, challenge),
        crumb(
            survey.title_in(current_language()),
            "surveys.survey",
            permissions.can_view(user, survey),
            slug=challenge.slug,
            survey_id=survey.id,
        ),
    ]


def answer_trail() -> list[Crumb]:
    """The page where one answers stands under Home (the invitation's link, the home list)."""
    return home_trail()
