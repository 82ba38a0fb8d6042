"""What the questions add to pages of other packages, which do not depend on this one: the
latest answers on a challenge's and a track's page, and the answers in the Atom feed."""

from __future__ import annotations

from competitions.challenges.models import Challenge, Track
from competitions.core.urls import external_url
from competitions.questions import answers, bp
from competitions.questions.models import Answer

ON_PAGE = 5


@bp.app_template_global()
def latest_answers(challenge: Challenge, track: Track | None = None) -> list[Answer]:
    """The newest published answers for the challenge page (or a track's page)."""
    if not challenge.is_published:
        return []
    return answers.published(challenge, track, limit=ON_PAGE)


@bp.app_template_global()
def answers_for_feed(limit: int = 50) -> list[Answer]:
    """The newest published answers of every published challenge, for the Atom feed."""
    return answers.recent_for_feed(limit)


@bp.app_template_global()
def answer_url(answer: Answer) -> str:
    """The answer's place on its challenge's Q&A page (from the configured base URL)."""
    return external_url("questions.public", slug=answer.challenge.slug) + f"#a{answer.id}"
