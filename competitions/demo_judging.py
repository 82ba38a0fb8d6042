"""A demo challenge whose round has closed and is being judged, so that judging can be tried
after ``make run``: the Quiet Streets Prize (London leads, Paris runs a track), whose proposals
were submitted before the deadline two days ago by the demo innovators' teams, are assigned to
the demo judges.

It is built as it would have happened: every step goes through the services with the clock set
to when it took place (the challenge published 40 days ago, teams registered and submitted
before the deadline), then the judges are assigned now. Idempotent."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from competitions.accounts.models import User
from competitions.challenges import services
from competitions.challenges.models import Challenge
from competitions.challenges.services import timeline as timeline_services
from competitions.challenges.services import tracks as track_services
from competitions.core import clock
from competitions.core.actor import Actor
from competitions.core.extensions import db
from competitions.demo_challenges import _add_track, _admin, _agency, _city_track, _configure
from competitions.entries import registration, teams
from competitions.judging import assignments, panels, rubrics
from competitions.judging.models import Judge
from competitions.submissions import services as submissions

SLUG = "quiet-streets"
FORM = [
    {
        "key": "title",
        "type": "short_text",
        "label": {"en": "Project title", "fr": "Titre du projet"},
        "required": True,
    },
    {
        "key": "summary",
        "type": "long_text",
        "label": {"en": "Summary", "fr": "Résumé"},
        "required": True,
        "max_words": 300,
    },
]
# demo innovator, team name, country, entrant type, track, project title
TEAMS = [
    ("innovator@example.org", "Hush Labs", "GB", "business", "london", "Rubber-block kerbs"),
    ("innovateur@example.org", "Rue Calme", "FR", "nonprofit", "paris", "Pavés silencieux"),
    ("maker@example.org", "Leise GmbH", "DE", "business", "london", "Night-time delivery pods"),
]


def _user(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email_normalized == email))
    assert user is not None, email
    return user


def _publish(start: datetime) -> Challenge:
    lead = _admin("lead@london.example")
    texts = services.Texts(
        {"en": "Quiet Streets Prize", "fr": "Prix des rues calmes"},
        {"en": "Quieter deliveries and streets at night.", "fr": "Des nuits plus calmes."},
        {"en": "London and Paris test the quietest ideas in their streets."},
    )
    challenge = services.create_challenge(lead, _agency("london"), SLUG, texts, "Europe/London")
    tracks = {"london": challenge.tracks[0], "paris": _add_track(challenge, _agency("paris"), 1)}
    for slug, track in tracks.items():
        track_services.mark_ready(_configure(track, _city_track(slug)), track, True)
    deadline = start + timedelta(days=38)
    instants: dict[str, datetime | None] = {
        "submission_opens": start,
        "submission_deadline": deadline,
        "judging_closes": deadline + timedelta(days=22),
        "results_at": deadline + timedelta(days=32),
    }
    round_data = timeline_services.RoundData({"en": "Proposals", "fr": "Propositions"}, instants)
    timeline_services.save_round(lead, challenge, None, round_data)
    services.publish(lead, challenge)
    submissions.define_form(lead, challenge.rounds[0], FORM)
    return challenge


def _enter(challenge: Challenge) -> None:
    round_ = challenge.rounds[0]
    for email, name, country, kind, track_slug, title in TEAMS:
        actor = Actor(_user(email), via="cli")
        team = teams.create_team(actor, teams.TeamData(name, kind, name, country), country, 35)
        track = next(t for t in challenge.tracks if t.agency.slug == track_slug)
        terms = services.current_terms(track)
        assert terms is not None
        entry = registration.register(actor, team, track, terms.id, [])
        answers = {"title": title, "summary": f"{title}: a pilot for one street."}
        submissions.save_draft(actor, entry, round_, answers, [])
        submissions.submit(actor, entry, round_)


def _judge(challenge: Challenge) -> None:
    lead = _admin("lead@london.example")
    round_ = challenge.rounds[0]
    rubric = rubrics.rubric_for(round_)
    assert rubric is not None
    for title, weight in (({"en": "Impact", "fr": "Impact"}, "2"), ({"en": "Cost"}, "1")):
        data = rubrics.CriterionData(title, {}, weight, "0", "10", "1")
        rubrics.add_criterion(lead, challenge, rubric, data)
    settings = rubrics.Settings(
        reviews_per_submission=1, blind=False, cross_track=False, min_reviews=1
    )
    rubrics.save_settings(lead, challenge, rubric, settings)
    for email, slug in (("judge@example.org", "london"), ("juge@example.org", "paris")):
        track = next(t for t in challenge.tracks if t.agency.slug == slug)
        panel = panels.panel_for(challenge, track)
        db.session.add(Judge(panel_id=panel.id, user_id=_user(email).id, expertise=[]))
    db.session.flush()
    assignments.auto_assign(lead, challenge, round_)


def seed_judging() -> list[str]:
    if db.session.scalar(select(Challenge.id).where(Challenge.slug == SLUG)) is not None:
        return []
    start = clock.now().replace(minute=0, second=0, microsecond=0) - timedelta(days=40)
    with clock.frozen_at(start - timedelta(hours=1)):
        challenge = _publish(start)
    with clock.frozen_at(start + timedelta(days=10)):
        _enter(challenge)
    _judge(challenge)
    db.session.commit()
    return [f"challenge {SLUG} (closed round, being judged)"]
