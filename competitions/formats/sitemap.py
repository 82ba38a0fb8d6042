"""What ``/sitemap.xml`` lists: the public pages of published content, with when each last
changed. Drafts and pages for signed-in people never appear.

- the home page, the challenge directory and the agency directory;
- each agency's public page;
- each published challenge's page and its questions page; each of its tracks' page,
  questions page and terms (when terms are published);
- the winners of each round whose results are released (the results instant has passed),
  for the whole challenge and per track;
- the public page of each pilot whose host and team both opted in.

Five queries whatever the size (challenges with their tracks and rounds, terms, agencies,
public pilots).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from competitions.agencies.models import Agency
from competitions.challenges.models import Challenge, ChallengeStatus, TermsVersion, Track
from competitions.core.extensions import db


@dataclass(frozen=True)
class Page:
    endpoint: str
    values: Mapping[str, object]
    lastmod: datetime | None


def _challenge_pages(
    challenge: Challenge, terms: dict[int, datetime], now: datetime
) -> Iterator[Page]:
    slug = challenge.slug
    changed = challenge.updated_at
    yield Page("challenges.challenge_page", {"slug": slug}, changed)
    yield Page("questions.public", {"slug": slug}, changed)
    released = [r for r in challenge.rounds if r.results_at <= now]
    for r in released:
        yield Page("judging.winners", {"slug": slug, "round_id": r.id}, r.results_at)
    for track in challenge.tracks:
        track_changed = max(changed, track.updated_at)
        values = {"slug": slug, "track_slug": track.slug}
        yield Page("challenges.track_page", values, track_changed)
        yield Page("questions.track_public", values, track_changed)
        if track.id in terms:
            yield Page("challenges.terms_page", values, terms[track.id])
        for r in released:
            yield Page("judging.track_winners", {**values, "round_id": r.id}, r.results_at)


def public_pages(now: datetime) -> list[Page]:
    """Every page the sitemap lists."""
    session = db.session
    challenges = list(
        session.scalars(
            select(Challenge)
            .where(Challenge.status == ChallengeStatus.PUBLISHED)
            .options(selectinload(Challenge.tracks), selectinload(Challenge.rounds))
            .order_by(Challenge.id)
        )
    )
    rows = session.execute(
        select(TermsVersion.track_id, func.max(TermsVersion.created_at))
        .join(Track, Track.id == TermsVersion.track_id)
        .join(Challenge, Challenge.id == Track.challenge_id)
        .where(Challenge.status == ChallengeStatus.PUBLISHED)
        .group_by(TermsVersion.track_id)
    )
    terms: dict[int, datetime] = {track_id: created for track_id, created in rows}  # noqa: C416
    agencies = list(session.scalars(select(Agency).order_by(Agency.id)))
    newest = max((c.updated_at for c in challenges), default=None)
    pages = [
        Page("core.home", {}, newest),
        Page("challenges.directory", {}, newest),
        Page("agencies.directory", {}, max((a.updated_at for a in agencies), default=None)),
    ]
    pages += [Page("agencies.public_profile", {"slug": a.slug}, a.updated_at) for a in agencies]
    for challenge in challenges:
        pages.extend(_challenge_pages(challenge, terms, now))
    from competitions.pilots.queries import public_pilot_pages

    pages += [
        Page("pilots.public_page", {"pilot_id": i}, changed) for i, changed in public_pilot_pages()
    ]
    return pages
