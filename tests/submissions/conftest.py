"""Fixtures of the submissions tests: a published two-track challenge with one round whose
submission form uses every field type, and a Canadian team registered in the Canada track.

Agency A (Canada, track zone America/Toronto) leads; agency B runs the US track. The round's
submissions open 90 days before the Phase 1 deadline, 30 July 2027 17:00 CDT (22:00 UTC).
Copied (not imported) from the entries tests' fixtures, as each test package keeps its own.
"""

from __future__ import annotations

import html
import io
import zipfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from competitions.accounts.models import User
from competitions.challenges import services as challenge_services
from competitions.challenges.models import Challenge, Round, Track
from competitions.core.actor import Actor
from competitions.core.audit import AuditEvent
from competitions.entries import services as entry_services
from competitions.entries.models import Entry, Team, TeamMember, TeamRole
from competitions.extensions import db
from competitions.submissions import services
from tests.factories import make_user

NOW = datetime(2027, 6, 1, 12, tzinfo=UTC)
REGISTRATION_OPENS = datetime(2027, 3, 1, 15, tzinfo=UTC)
DEADLINE = datetime(2027, 7, 30, 17, 0, tzinfo=ZoneInfo("America/Chicago")).astimezone(UTC)
STATEMENTS_EN = ["I am not an employee of agency A.", "Our work is our own."]
STATEMENTS_FR = ["Je ne suis pas employé de l'agence A.", "Notre travail est le nôtre."]

CA_RULES: dict[str, Any] = {"allowed_countries": ["CA"], "minimum_age": 18}
US_RULES: dict[str, Any] = {
    "allowed_countries": ["US"],
    "member_policy": "lead",
    "recognition_for_others": True,
}

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

# One field of every type, with labels and help in English and French.
FIELDS: list[dict[str, Any]] = [
    {
        "key": "title",
        "type": "short_text",
        "label": {"en": "Project title", "fr": "Titre du projet"},
        "help": {"en": "A short name for your project.", "fr": "Un nom court pour le projet."},
        "required": True,
    },
    {
        "key": "summary",
        "type": "long_text",
        "label": {"en": "Summary", "fr": "Résumé"},
        "help": {"en": "What does it do?", "fr": "Que fait-il ?"},
        "required": True,
        "max_words": 5,
    },
    {
        "key": "people",
        "type": "number",
        "label": {"en": "People working on it", "fr": "Personnes qui y travaillent"},
        "min": 1,
        "max": 50,
    },
    {
        "key": "stage",
        "type": "choice",
        "label": {"en": "Stage", "fr": "Étape"},
        "options": [
            {"value": "idea", "label": {"en": "Idea", "fr": "Idée"}},
            {"value": "prototype", "label": {"en": "Working prototype", "fr": "Prototype"}},
        ],
    },
    {
        "key": "crops",
        "type": "multi_choice",
        "label": {"en": "Crops grown", "fr": "Cultures"},
        "options": [
            {"value": "lettuce", "label": {"en": "Lettuce", "fr": "Laitue"}},
            {"value": "potato", "label": {"en": "Potato", "fr": "Pomme de terre"}},
        ],
    },
    {"key": "video", "type": "url", "label": {"en": "Video link", "fr": "Lien vers la vidéo"}},
    {"key": "started", "type": "date", "label": {"en": "Start date", "fr": "Date de début"}},
    {
        "key": "original",
        "type": "attestation",
        "label": {"en": "This is our own work.", "fr": "C'est notre propre travail."},
        "required": True,
    },
    {
        "key": "report",
        "type": "file",
        "label": {"en": "Design report", "fr": "Rapport de conception"},
        "help": {"en": "Your report as a PDF.", "fr": "Votre rapport en PDF."},
        "file_types": ["pdf"],
        "max_size_mb": 1,
        "max_files": 2,
        "required": True,
    },
    {
        "key": "annex",
        "type": "file",
        "label": {"en": "Annex", "fr": "Annexe"},
        "file_types": ["docx", "zip"],
        "max_size_mb": 5,
        "max_files": 1,
    },
]

# Answers that pass every check (files aside).
GOOD: dict[str, Any] = {
    "title": "Orbital lettuce",
    "summary": "Grows lettuce in orbit.",
    "people": "4",
    "stage": "prototype",
    "crops": ["lettuce", "potato"],
    "video": "https://video.example.org/lettuce",
    "started": "2027-01-15",
    "original": True,
}


def act(user: Any, ip: str = "127.0.0.1") -> Actor:
    return Actor(user, ip=ip)


def phase_1(**changes: Any) -> dict[str, Any]:
    instants = {
        "registration_opens": REGISTRATION_OPENS,
        "registration_closes": None,
        "submission_opens": DEADLINE - timedelta(days=90),
        "submission_deadline": DEADLINE,
        "judging_closes": DEADLINE + timedelta(days=30),
        "results_at": DEADLINE + timedelta(days=40),
    }
    instants.update(changes)
    return instants


def build(
    world: Any,
    slug: str = "dsfc",
    *,
    instants: dict[str, Any] | None = None,
    fields: list[dict[str, Any]] | None = None,
) -> Challenge:
    """A published two-track challenge with one round (and its form, unless ``fields=[]``)."""
    a = act(world.admin_a)
    challenge = challenge_services.create_challenge(
        a,
        world.agency_a,
        slug,
        challenge_services.Texts(
            {"en": "Deep Space Food", "fr": "Alimentation spatiale"},
            {"en": "Food for space."},
            {"en": "Grow **food**."},
        ),
        "America/Chicago",
    )
    track_a = challenge.tracks[0]
    track_b = Track(
        challenge=challenge,
        agency=world.agency_b,
        slug="agency-b",
        position=1,
        name={"en": "US track"},
        languages=["en"],
        timezone="America/Chicago",
        rules={},
    )
    db.session.add(track_b)
    db.session.flush()
    challenge_services.update_track(
        a,
        track_a,
        challenge_services.TrackSettings(
            {"en": "Canada track", "fr": "Volet canadien"},
            {},
            ["en", "fr"],
            "ca@example.org",
            "America/Toronto",
            {"en": "\n".join(STATEMENTS_EN), "fr": "\n".join(STATEMENTS_FR)},
        ),
    )
    challenge_services.update_rules(a, track_a, CA_RULES)
    challenge_services.publish_terms(a, track_a, {"en": "Terms v1", "fr": "Conditions v1"})
    b = act(world.admin_b)
    challenge_services.update_track(
        b,
        track_b,
        challenge_services.TrackSettings(
            {"en": "US track"}, {}, ["en"], "us@example.org", "America/Chicago"
        ),
    )
    challenge_services.update_rules(b, track_b, US_RULES)
    challenge_services.publish_terms(b, track_b, {"en": "US terms"})
    round_ = challenge_services.save_round(
        a, challenge, None, challenge_services.RoundData({"en": "Phase 1"}, instants or phase_1())
    )
    challenge_services.mark_ready(a, track_a, True)
    challenge_services.mark_ready(b, track_b, True)
    challenge_services.publish(a, challenge)
    if fields is None:
        fields = FIELDS
    if fields:
        services.define_form(a, round_, fields)
    db.session.commit()
    return challenge


def add_member(team: Team, user: User, residence: str = "CA", age: int | None = 30) -> TeamMember:
    member = TeamMember(
        team=team,
        user=user,
        role=TeamRole.MEMBER,
        residence=residence,
        declared_age=age,
        attested_at=NOW,
    )
    db.session.add(member)
    db.session.flush()
    return member


def new_team(
    lead: User,
    residence: str = "CA",
    age: int | None = 30,
    *,
    name: str = "Team",
    members: Sequence[tuple[User, str, int | None]] = (),
) -> Team:
    """A committed team led by ``lead`` with ``members``."""
    team = entry_services.create_team(
        act(lead), entry_services.TeamData(name, "team", None, None), residence, age
    )
    for user, where, years in members:
        add_member(team, user, where, years)
    db.session.commit()
    return team


def person(country: str = "CA", **fields: Any) -> User:
    return make_user(country=country, **fields)


def register(team: Team, track: Track, user: User | None = None) -> Entry:
    """Register ``team`` in ``track`` as its lead, accepting the terms and statements."""
    lead = user or team.lead.user
    terms = challenge_services.current_terms(track)
    assert terms is not None
    statements = track.attestations_in(lead.preferred_language)
    entry = entry_services.register(act(lead), team, track, terms.id, list(range(len(statements))))
    db.session.commit()
    return entry


def events(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def count(model: Any, *where: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def text(response: Any, status: int = 200) -> str:
    """The response's HTML with entities decoded."""
    body = response.get_data(as_text=True)
    assert response.status_code == status, (response.status, body[:3000])
    return html.unescape(body)


def follow(client: Any, response: Any) -> str:
    """Follow a redirect and return the page it lands on (with its flashed messages)."""
    assert response.status_code == 302, (response.status, response.get_data(as_text=True)[:3000])
    return text(client.get(response.headers["Location"]))


def download(client: Any, file_id: int) -> Any:
    """GET a file fully (buffered, so the served file is closed as a WSGI server would)."""
    return client.get(f"/files/{file_id}", buffered=True)


def post_multipart(client: Any, url: str, data: dict[str, Any]) -> Any:
    """POST ``data`` as multipart encoded in memory: the test client would spool a large body
    to a temporary file it never closes (a ResourceWarning, not an application problem)."""

    def part(value: Any) -> Any:
        if isinstance(value, tuple):
            return FileStorage(value[0], filename=value[1])
        if isinstance(value, list):
            return [part(v) for v in value]
        return value

    boundary, body = encode_multipart({k: part(v) for k, v in data.items()})
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def upload(data: bytes, name: str = "report.pdf") -> tuple[io.BytesIO, str]:
    return (io.BytesIO(data), name)


def docx_bytes() -> bytes:
    """A minimal Word document (a zip with the OOXML parts), the same bytes on every call."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in (
            ("[Content_Types].xml", '<?xml version="1.0"?><Types/>'),
            ("_rels/.rels", '<?xml version="1.0"?><Relationships/>'),
            ("word/document.xml", '<?xml version="1.0"?><w:document>Hello</w:document>'),
        ):
            info = zipfile.ZipInfo(name, date_time=(2027, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, content)
    return buffer.getvalue()


def page_url(entry: Entry, round_: Round) -> str:
    return f"/entries/{entry.id}/rounds/{round_.id}"


def form_data(answers: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """Answers as the browser posts them (attestation ticked = "y"; unticked = absent)."""
    data: dict[str, Any] = {}
    for key, value in (GOOD if answers is None else answers).items():
        if value is True:
            data[key] = "y"
        elif value is False or value is None:
            continue
        else:
            data[key] = value
    data.update(extra)
    return data


@pytest.fixture
def now(clock: Any) -> datetime:
    clock.set_now(NOW)
    return NOW


@pytest.fixture
def challenge(world: Any, now: datetime) -> Challenge:
    return build(world)


@pytest.fixture
def ca_track(challenge: Challenge) -> Track:
    return challenge.tracks[0]


@pytest.fixture
def us_track(challenge: Challenge) -> Track:
    return challenge.tracks[1]


@pytest.fixture
def round_(challenge: Challenge) -> Round:
    return challenge.rounds[0]


@pytest.fixture
def mate(db: Any) -> User:
    return person("CA", email="mate@example.org", display_name="Mia Mate")


@pytest.fixture
def team(world: Any, challenge: Challenge, mate: User) -> Team:
    return new_team(world.innovator, "CA", 34, name="Maple", members=[(mate, "CA", 30)])


@pytest.fixture
def entry(team: Team, ca_track: Track) -> Entry:
    entry = register(team, ca_track)
    assert entry.eligibility == "eligible"
    return entry


@pytest.fixture
def rival(challenge: Challenge, ca_track: Track) -> Entry:
    """Another Canadian team's entry in the same track."""
    lead = person("CA", email="rival@example.org", display_name="Rae Rival")
    return register(new_team(lead, "CA", 40, name="Birch"), ca_track)


@pytest.fixture
def logout(client: Any) -> Callable[[], None]:
    def do() -> None:
        assert client.post("/logout").status_code == 302

    return do


@pytest.fixture
def switch(login: Callable[..., None], logout: Callable[[], None]) -> Callable[[User], None]:
    """Sign out whoever is signed in and sign ``user`` in."""

    def do(user: User) -> None:
        logout()
        login(user)

    return do


def draft(
    entry: Entry,
    round_: Round,
    user: User,
    answers: dict[str, Any] | None = None,
    files: Sequence[tuple[str, bytes, str]] = (("report", PDF, "report.pdf"),),
) -> Any:
    """Save a draft through the service (committed): ``files`` as (field, bytes, name)."""
    uploads = [services.Upload(key, io.BytesIO(data), name) for key, data, name in files]
    submission = services.save_draft(
        act(user), entry, round_, dict(GOOD if answers is None else answers), uploads
    )
    db.session.commit()
    return submission
