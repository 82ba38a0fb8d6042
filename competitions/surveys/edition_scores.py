"""Survey scores per track for the edition comparison (``insights.editions``): for each number
question of the challenge's sent surveys, the mean answer of each track's respondents. A track
with fewer than ``MIN_GROUP`` answers to a question gets no score (never a figure about a few
people), and anonymous answers not filed under a track count for no track."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from competitions.challenges.models import Challenge
from competitions.core.extensions import db
from competitions.core.i18n import current_language
from competitions.submissions.fields import FieldType
from competitions.surveys import services
from competitions.surveys.models import MIN_GROUP, Survey, SurveyResponse, SurveyStatus


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def survey_scores(challenge: Challenge) -> dict[int, list[tuple[str, Decimal | None]]]:
    """{track id: [(survey — question, mean or None)]} over the challenge's sent surveys."""
    lang = current_language()
    surveys = db.session.scalars(
        select(Survey)
        .where(Survey.challenge_id == challenge.id, Survey.status != SurveyStatus.DRAFT.value)
        .order_by(Survey.id)
    ).all()
    asked = {
        s.id: [f for f in services.fields_of(s) if f.type == FieldType.NUMBER] for s in surveys
    }
    wanted = [s.id for s in surveys if asked[s.id]]
    answers: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    if wanted:
        rows = db.session.execute(
            select(SurveyResponse.survey_id, SurveyResponse.track_id, SurveyResponse.answers).where(
                SurveyResponse.survey_id.in_(wanted), SurveyResponse.track_id.is_not(None)
            )
        )
        for survey_id, track_id, given in rows:
            answers[(survey_id, track_id)].append(given or {})
    scores: dict[int, list[tuple[str, Decimal | None]]] = defaultdict(list)
    for survey in surveys:
        for question in asked[survey.id]:
            asked_as = question.label.get(lang) or next(iter(question.label.values()), question.key)
            label = f"{survey.title_in(lang)} — {asked_as}"
            for track in challenge.tracks:
                values = [
                    v
                    for given in answers.get((survey.id, track.id), [])
                    if (v := _number(given.get(question.key))) is not None
                ]
                mean = (
                    Decimal(str(round(sum(values) / len(values), 2)))
                    if len(values) >= MIN_GROUP
                    else None
                )
                scores[track.id].append((label, mean))
    return dict(scores)
