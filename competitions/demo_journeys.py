"""What the demo challenges need for every journey to be tried after ``make run`` without setting
anything up: a submission form (with a file) in each open round, a rubric, and the demo judges
seated on panels. Idempotent: a round that has a form, or a panel that has the judge, is kept."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from competitions.accounts.models import User
from competitions.challenges.models import Challenge
from competitions.core.actor import Actor
from competitions.core.extensions import db
from competitions.judging import panels, rubrics
from competitions.judging.models import Judge
from competitions.submissions import services as submissions

PROPOSAL_FORM: list[dict[str, Any]] = [
    {
        "key": "title",
        "type": "short_text",
        "label": {
            "en": "Project title",
            "fr": "Titre du projet",
            "de": "Projekttitel",
            "ar": "عنوان المشروع",
        },
        "required": True,
        "max_length": 120,
    },
    {
        "key": "summary",
        "type": "long_text",
        "label": {"en": "Summary", "fr": "Résumé", "de": "Zusammenfassung", "ar": "الملخص"},
        "help": {
            "en": "What you propose and what it changes.",
            "fr": "Ce que vous proposez et ce que cela change.",
            "de": "Was Sie vorschlagen und was es verändert.",
            "ar": "ما تقترحونه وما الذي سيغيّره.",
        },
        "required": True,
        "max_words": 300,
    },
    {
        "key": "proposal",
        "type": "file",
        "label": {
            "en": "Proposal (PDF)",
            "fr": "Proposition (PDF)",
            "de": "Vorschlag (PDF)",
            "ar": "المقترح (PDF)",
        },
        "help": {
            "en": "At most 10 pages, as one PDF file.",
            "fr": "Dix pages au plus, en un seul fichier PDF.",
            "de": "Höchstens 10 Seiten, als eine PDF-Datei.",
            "ar": "عشر صفحات كحد أقصى، في ملف PDF واحد.",
        },
        "file_types": ["pdf"],
        "max_size_mb": 10,
        "max_files": 1,
        "required": True,
    },
]

CRITERIA = [
    ({"en": "Impact", "fr": "Impact", "de": "Wirkung", "ar": "الأثر"}, "2"),
    ({"en": "Feasibility", "fr": "Faisabilité", "de": "Machbarkeit", "ar": "قابلية التنفيذ"}, "1"),
]

# demo judge, challenge, track (None: the shared panel)
SEATS = [
    ("judge@example.org", "resilient-cities", "london"),
    ("juge@example.org", "resilient-cities", "paris"),
    ("judge@example.org", "deep-space-food", "csa"),
    ("juge@example.org", "deep-space-food", "csa"),
]


def _challenge(slug: str) -> Challenge:
    challenge = db.session.scalar(select(Challenge).where(Challenge.slug == slug))
    assert challenge is not None, slug
    return challenge


def _lead(challenge: Challenge) -> Actor:
    email = {"resilient-cities": "lead@london.example", "deep-space-food": "lead@nasa.example"}
    user = db.session.scalar(select(User).where(User.email_normalized == email[challenge.slug]))
    assert user is not None
    return Actor(user, via="cli")


def _first_round_ready(challenge: Challenge) -> None:
    """The first round gets the proposal form and a two-criterion rubric, if it has none."""
    round_ = challenge.rounds[0]
    lead = _lead(challenge)
    if not submissions.fields_of(round_):
        submissions.define_form(lead, round_, PROPOSAL_FORM)
    rubric = rubrics.rubric_for(round_)
    assert rubric is not None
    if not rubric.criteria:
        for title, weight in CRITERIA:
            rubrics.add_criterion(
                lead,
                challenge,
                rubric,
                rubrics.CriterionData(
                    title=title,
                    guidance={},
                    weight=weight,
                    scale_min="0",
                    scale_max="10",
                    step="1",
                    descriptors={"10": {"en": "Outstanding", "fr": "Exceptionnel"}},
                ),
            )


def _seat(email: str, challenge: Challenge, track_slug: str | None) -> bool:
    user = db.session.scalar(select(User).where(User.email_normalized == email))
    assert user is not None, email
    track = next((t for t in challenge.tracks if t.agency.slug == track_slug), None)
    panel = panels.panel_for(challenge, track)
    if any(j.user_id == user.id for j in panels.active_judges(panel)):
        return False
    db.session.add(Judge(panel_id=panel.id, user_id=user.id, organisation="", expertise=[]))
    return True


def seed_journeys() -> list[str]:
    report = []
    for slug in ("resilient-cities", "deep-space-food"):
        challenge = _challenge(slug)
        if not submissions.fields_of(challenge.rounds[0]):
            report.append(f"form of {slug}")
        _first_round_ready(challenge)
    for email, slug, track_slug in SEATS:
        if _seat(email, _challenge(slug), track_slug):
            report.append(f"judge {email} on {slug}/{track_slug}")
    db.session.commit()
    return report
