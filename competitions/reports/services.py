"""A challenge's report (what the viewer may see of it) and its open data (the lead's)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from competitions.agencies.models import Agency
from competitions.agencies.services import record_in
from competitions.challenges.models import Challenge
from competitions.challenges.permissions import can_manage_challenge
from competitions.core import clock
from competitions.core.actor import Actor
from competitions.core.errors import DomainError, NotFound
from competitions.core.extensions import db
from competitions.core.translate import gettext as _
from competitions.insights import cost_report
from competitions.insights import services as insights
from competitions.insights.charts import Chart
from competitions.lessons import services as lessons
from competitions.lessons.models import LessonSection
from competitions.reports import opendata
from competitions.reports.models import OpenDataRelease


@dataclass(frozen=True)
class Report:
    challenge: Challenge
    insights: insights.Insights
    headline: Chart | None  # the funnel of the last round: the figures a director reads first
    lessons: list[tuple[Agency, LessonSection | None]]
    lessons_published: bool
    open_data: OpenDataRelease | None
    costs: cost_report.Edition  # cost per partner and per outcome, as the viewer sees it


def report_for(user: Any, challenge: Challenge, lang: str) -> Report:
    """What ``user`` (who may see the challenge's insights) reads in its report."""
    found = insights.insights_for(user, challenge, lang)
    funnel = next((s for s in found.sections if s.key == "funnel"), None)
    retro = lessons.retrospective_of(challenge)
    return Report(
        challenge,
        found,
        funnel.charts[-1] if funnel is not None and funnel.charts else None,
        [(a, s) for a, s in lessons.visible_sections(user, challenge) if s and not s.is_empty],
        retro is not None and retro.is_published,
        release_of(challenge),
        cost_report.cost_page(user, challenge, lang).current,
    )


def has_release(challenge: Challenge) -> bool:
    found = select(OpenDataRelease.id).where(OpenDataRelease.challenge_id == challenge.id)
    return bool(db.session.scalar(select(found.exists())))


def release_of(challenge: Challenge) -> OpenDataRelease | None:
    return db.session.scalar(
        select(OpenDataRelease).where(OpenDataRelease.challenge_id == challenge.id)
    )


def publish_open_data(actor: Actor, challenge: Challenge) -> OpenDataRelease:
    """Publish (or refresh) the open data: aggregates of every track, frozen now."""
    if not can_manage_challenge(actor.user, challenge):
        raise NotFound(_("No such challenge."))
    if not challenge.is_published:
        raise DomainError(_("Publish the challenge before its open data."))
    document = opendata.document(challenge, insights.insights_for(actor.user, challenge, "en"))
    release = release_of(challenge)
    if release is None:
        release = OpenDataRelease(challenge=challenge, document=document)
        db.session.add(release)
    release.document, release.published_at = document, clock.now()
    release.published_by_id = actor.user_id
    db.session.flush()
    record_in(
        actor,
        challenge.lead_agency,
        "open_data.published",
        release,
        after={"tables": len(document["tables"])},
    )
    return release


def withdraw_open_data(actor: Actor, challenge: Challenge) -> None:
    if not can_manage_challenge(actor.user, challenge):
        raise NotFound(_("No such challenge."))
    release = release_of(challenge)
    if release is None:
        raise DomainError(_("No open data is published for this challenge."))
    record_in(actor, challenge.lead_agency, "open_data.withdrawn", release)
    db.session.delete(release)
    db.session.flush()


def public_release(challenge: Challenge) -> OpenDataRelease:
    release = release_of(challenge) if challenge.is_published else None
    if release is None:
        raise NotFound(_("No open data is published for this challenge."))
    return release
