"""A committed world where every API operation has something to answer with, for schemathesis:
the demo (agencies, people, published challenges) seeded 100 days in the past, so that the
Quiet Streets Prize's round has closed, been judged and its results are released; files on its
submissions; announcements (a draft and a sent one); a draft challenge whose track's rules and
prizes a write token may change; and a read and a write token of the London agency."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from competitions.accounts.models import User
from competitions.api import tokens
from competitions.challenges import services
from competitions.challenges.models import Challenge
from competitions.challenges.services import tracks as track_services
from competitions.core import clock
from competitions.core.actor import Actor
from competitions.core.extensions import db
from competitions.core.storage import get_storage
from competitions.demo import seed
from competitions.judging import reviews, rubrics
from competitions.judging.models import Assignment
from competitions.outreach import announcements
from competitions.submissions.models import Submission, SubmissionFile

PAST = timedelta(days=100)
JUDGED = "quiet-streets"  # the demo's challenge whose round is judged (led by London)
DRAFT = "api-draft"  # a draft of London's, for the write operations
RATE = 1_000_000  # the tokens' budget per minute: the run is not about the rate limit


@dataclass
class World:
    """The tokens, and the identifiers of what was seeded (each list: values schemathesis
    offers for one path parameter besides the ones it makes up)."""

    read_token: str
    write_token: str
    values: dict[str, list[Any]] = field(default_factory=dict)


def _user(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email_normalized == email))
    assert user is not None, email
    return user


def _challenge(slug: str) -> Challenge:
    challenge = db.session.scalar(select(Challenge).where(Challenge.slug == slug))
    assert challenge is not None, slug
    return challenge


def _review_everything(challenge: Challenge) -> None:
    """Every assignment of the round reviewed and submitted, while judging is open."""
    round_ = challenge.rounds[0]
    rubric = rubrics.rubric_for(round_)
    assert rubric is not None
    assigned = db.session.scalars(
        select(Assignment).where(Assignment.round_id == round_.id).order_by(Assignment.id)
    )
    for n, assignment in enumerate(assigned):
        judge = db.session.get(User, assignment.user_id)
        scores = {c.id: str((n * 3 + i) % 11) for i, c in enumerate(rubric.criteria)}
        reviews.save_review(Actor(judge), assignment, scores, "Thanks.", "", submit=True)


def _attach_files(challenge: Challenge) -> None:
    """A file on each submitted version (the demo's form has no file field)."""
    storage = get_storage()
    subs = db.session.scalars(
        select(Submission)
        .where(Submission.round_id == challenge.rounds[0].id)
        .order_by(Submission.id)
    )
    for sub in subs:
        for version in sub.versions:
            content = f"%PDF-1.4 proposal {sub.id}.{version.number}".encode()
            stored = storage.save(io.BytesIO(content), 100_000)
            db.session.add(
                SubmissionFile(
                    submission=sub,
                    version=version,
                    field_key="proposal",
                    storage_key=stored.key,
                    filename=f"proposal-{sub.id}.pdf",
                    content_type="application/pdf",
                    size=stored.size,
                    sha256=stored.sha256,
                )
            )


def _announce(lead: Actor, challenge: Challenge) -> None:
    text = {"en": "Results are out", "fr": "Les résultats sont publiés"}
    body = {"en": "Thank you all.", "fr": "Merci à toutes et à tous."}
    announcements.create(lead, challenge, None, announcements.Draft(text, body, ["entries"], None))
    sent = announcements.create(
        lead, challenge, None, announcements.Draft(text, body, ["judges"], None)
    )
    db.session.flush()
    announcements.send_now(lead, sent)


def _draft(lead: Actor) -> Challenge:
    texts = services.Texts({"en": "API draft"}, {"en": "Changed by a program"}, {"en": "Body"})
    challenge = services.create_challenge(lead, _user_agency(lead), DRAFT, texts)
    track = challenge.tracks[0]
    track_services.publish_terms(lead, track, dict.fromkeys(track.languages, "Terms"))
    prize = track_services.PrizeData({"en": "Grand prize"}, "150000.00", "GBP", 1, {})
    track_services.save_prize(lead, track, None, prize)
    return challenge


def _user_agency(lead: Actor) -> Any:
    return next(m.agency for m in lead.user.memberships if m.agency.slug == "london")


def build() -> World:
    """Seed the world (inside an app context) and return what the run needs to know."""
    with clock.frozen_at(clock.now() - PAST):
        seed()
        judged = _challenge(JUDGED)
        _attach_files(judged)
    with clock.frozen_at(clock.now() - PAST + timedelta(days=1)):
        _review_everything(judged)
        db.session.commit()
    lead = Actor(_user("lead@london.example"), via="cli")
    _announce(lead, judged)
    draft = _draft(lead)
    london = _user_agency(lead)
    issued = {
        scope: tokens.create_token(lead, london, tokens.NewToken("schemathesis", scope, 365))
        for scope in ("read", "write")
    }
    for one in issued.values():
        one.token.rate_limit = RATE
    db.session.commit()
    challenges = db.session.scalars(select(Challenge).order_by(Challenge.id)).all()
    values = {
        "slugs": [c.slug for c in challenges],
        "tracks": sorted({t.slug for c in challenges for t in c.tracks}),
        "rounds": [r.id for c in challenges for r in c.rounds],
        "judged": [JUDGED],
        "judged_tracks": [t.slug for t in judged.tracks],
        "judged_rounds": [r.id for r in judged.rounds],
        # The draft, and a published challenge of London's (409: changed on its pages).
        "drafts": [DRAFT, JUDGED],
        "draft_tracks": [t.slug for t in draft.tracks],
        "files": list(db.session.scalars(select(SubmissionFile.id).order_by(SubmissionFile.id))),
        "prizes": [p.id for p in draft.tracks[0].prizes],
    }
    return World(issued["read"].secret, issued["write"].secret, values)
