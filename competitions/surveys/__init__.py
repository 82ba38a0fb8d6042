"""Feedback surveys after a round or at the end of a challenge, to entrants (those who did not
submit are asked why), judges and partner agencies: written with the round form builder,
sent and reminded through the outbox, answered once per person, anonymous or named."""

from competitions.core.web import Pages

bp = Pages("surveys", __name__)

from competitions.insights.editions import register_survey_scores  # noqa: E402
from competitions.surveys import home_sections, setup_steps, views  # noqa: E402,F401
from competitions.surveys.edition_scores import survey_scores  # noqa: E402

register_survey_scores(survey_scores)
