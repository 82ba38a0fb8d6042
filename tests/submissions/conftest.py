"""Fixtures of the submissions tests: a published two-track challenge with one round whose
submission form uses every field type, and a Canadian team registered in the Canada track.

Agency A (Canada, track zone America/Toronto) leads; agency B runs the US track. The round's
submissions open 90 days before the Phase 1 deadline, 30 July 2027 17:00 CDT (22:00 UTC).
The challenge, teams and registration helpers are the entries tests' (imported from there).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from competitions.accounts.models import User
from competitions.challenges.models import Challenge, Round, Track
from competitions.core.extensions import db
from competitions.entries.models import Entry, Team
from competitions.submissions import services
from tests.entries import conftest as entrants
from tests.entries.conftest import (  # noqa: F401 (helpers and fixtures the tests import)
    CA_RULES,
    DEADLINE,
    NOW,
    REGISTRATION_OPENS,
    STATEMENTS_EN,
    STATEMENTS_FR,
    US_RULES,
    act,
    add_member,
    count,
    events,
    follow,
    new_team,
    person,
    phase_1,
    register,
    text,
)

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

# The entries tests' fixtures, shared as they are.
now = entrants.now
ca_track = entrants.ca_track
us_track = entrants.us_track
logout = entrants.logout
switch = entrants.switch


def build(
    world: Any,
    slug: str = "dsfc",
    *,
    instants: dict[str, Any] | None = None,
    fields: list[dict[str, Any]] | None = None,
) -> Challenge:
    """A published two-track challenge with one round (and its form, unless ``fields=[]``)."""
    challenge = entrants.build(world, slug, instants=instants)
    if fields is None:
        fields = FIELDS
    if fields:
        services.define_form(act(world.admin_a), challenge.rounds[0], fields)
    db.session.commit()
    return challenge


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
def challenge(world: Any, now: datetime) -> Challenge:
    return build(world)


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
