"""What the fault tests with a live server share: an app on a database of their own, a
challenge with a one-file submission form and several registered teams, and entrants that
submit over real HTTP from threads."""

from __future__ import annotations

import hashlib
import http.cookiejar
import logging
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from competitions.core.extensions import db
from competitions.submissions.models import SubmissionFile, SubmissionVersion
from tests.factories import PASSWORD, World
from tests.submissions.conftest import PDF, build, new_team, person, register
from tests.support.live import app_from_environment

FORM: list[dict[str, Any]] = [
    {"key": "title", "type": "short_text", "label": {"en": "Title"}, "required": True},
    {
        "key": "report",
        "type": "file",
        "label": {"en": "Report"},
        "file_types": ["pdf"],
        "max_size_mb": 1,
        "max_files": 1,
        "required": True,
    },
]


def live_app(instance: Path, database_url: str, smtp_port: int, **extra: str) -> Flask:
    env = {
        "TANDEM_ENV": "testing",
        "TANDEM_INSTANCE_PATH": str(instance),
        "DATABASE_URL": database_url,
        "MAIL_TRANSPORT": "smtp",
        "MAIL_HOST": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "BASE_URL": "http://tandem.faults",
        "STORAGE_DIR": str(instance / "storage"),
        "STORAGE_URL": "",
        **extra,
    }
    app = app_from_environment(env)
    app.config["WTF_CSRF_ENABLED"] = False
    return app


@dataclass(frozen=True)
class Team:
    email: str
    entry_id: int
    round_id: int


def open_now() -> dict[str, datetime]:
    """A round open at the real time (for a worker process, whose clock is not the test's)."""
    now = datetime.now(UTC).replace(microsecond=0)
    return {
        "registration_opens": now - timedelta(days=10),
        "registration_closes": None,
        "submission_opens": now - timedelta(days=5),
        "submission_deadline": now + timedelta(days=30),
        "judging_closes": now + timedelta(days=60),
        "results_at": now + timedelta(days=70),
    }


def teams(app: Flask, n: int, instants: dict[str, Any] | None = None) -> list[Team]:
    """A published challenge with the one-file form and ``n`` registered teams (committed)."""
    with app.app_context():
        world = World()
        challenge = build(world, fields=FORM, instants=instants)
        round_, track = challenge.rounds[0], challenge.tracks[0]
        made = []
        for i in range(n):
            lead = person("CA", email=f"lead{i}@example.org", display_name=f"Lead {i}")
            entry = register(new_team(lead, "CA", 34, name=f"Team {i}"), track)
            made.append(Team(lead.email, entry.id, round_.id))
        return made


@dataclass
class Answer:
    status: int
    number: int | None  # the version the receipt names
    sha256: str
    retry_after: str | None
    body: str


@dataclass
class Entrant:
    """One team's lead, signed in over HTTP, submitting a new version again and again."""

    base: str
    team: Team
    answers: list[Answer] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def _post(self, path: str, body: bytes, content_type: str) -> Any:
        request = urllib.request.Request(
            self.base + path, data=body, headers={"Content-Type": content_type}, method="POST"
        )
        try:
            return self.opener.open(request, timeout=60)
        except urllib.error.HTTPError as err:
            return err

    def sign_in(self) -> None:
        body = urllib.parse.urlencode({"email": self.team.email, "password": PASSWORD}).encode()
        with self._post("/login", body, "application/x-www-form-urlencoded") as response:
            assert response.status == 302, response.read()[:2000]

    def submit(self) -> Answer:
        n = len(self.answers)
        pdf = PDF + f"% {self.team.email} submission {n}\n".encode()
        data = {
            "title": f"Try {n}",
            "report": FileStorage(_stream(pdf), filename="report.pdf"),
            "action": "submit",
        }
        boundary, body = encode_multipart(data)
        path = f"/entries/{self.team.entry_id}/rounds/{self.team.round_id}"
        with self._post(path, body, f"multipart/form-data; boundary={boundary}") as response:
            location = response.headers.get("Location") or ""
            number = re.search(r"/versions/(\d+)", location)
            answer = Answer(
                response.status,
                int(number.group(1)) if number and response.status == 302 else None,
                hashlib.sha256(pdf).hexdigest(),
                response.headers.get("Retry-After"),
                response.read().decode(errors="replace"),
            )
        self.answers.append(answer)
        return answer

    def accepted(self) -> list[Answer]:
        return [a for a in self.answers if a.number is not None]

    def refused(self) -> list[Answer]:
        return [a for a in self.answers if a.number is None]


def _stream(data: bytes) -> Any:
    import io

    return io.BytesIO(data)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Submitting:
    """Entrants submitting in threads until ``stop()``."""

    def __init__(self, entrants: list[Entrant]) -> None:
        self.entrants = entrants
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(e,)) for e in entrants]

    def _run(self, entrant: Entrant) -> None:
        try:
            while not self.stopping.is_set():
                entrant.submit()
                self.stopping.wait(0.02)
        except Exception as exc:  # reported by the test, not lost in a thread
            entrant.errors.append(repr(exc))

    def __enter__(self) -> Submitting:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(60)


def kept_files(records: list[logging.LogRecord]) -> set[str]:
    """The files kept instead of deleted because a commit's outcome was unknown (logged by
    ``after_commit.outcome_unknown``)."""
    found: set[str] = set()
    for record in records:
        if "kept instead of undone" in record.getMessage():
            found |= set(re.findall(r"delete stored file (\S+?)(?:,|$)", record.getMessage()))
    return found


def stored_files(storage: Path) -> set[str]:
    return {p.name for p in storage.rglob("*") if p.is_file()}


def check_nothing_half_written(
    app: Flask,
    storage: Path,
    kept: set[str] = frozenset(),  # type: ignore[assignment]
) -> dict[tuple[int, int], list[str]]:
    """Every file row has its bytes (same SHA-256), every stored file has its row — except the
    files ``kept`` because a commit's outcome was unknown (logged) — and every version has its
    file. Answers each version's file digests by (entry id, number)."""
    with app.app_context():
        rows = db.session.scalars(select(SubmissionFile)).all()
        on_disk = stored_files(storage)
        assert not [n for n in on_disk if n.endswith(".part")], "partial files left"
        named = {r.storage_key for r in rows}
        assert named <= on_disk, "a row without its file"
        assert on_disk - named <= kept, "a stored file that no row names"
        for row in rows:
            path = storage / row.storage_key[:2] / row.storage_key
            assert hashlib.sha256(path.read_bytes()).hexdigest() == row.sha256
        versions: dict[tuple[int, int], list[str]] = {}
        for version in db.session.scalars(select(SubmissionVersion)).all():
            digests = [f.sha256 for f in version.files]
            assert digests, f"version {version.number} of {version.submission_id} has no file"
            versions[(version.submission.entry_id, version.number)] = digests
        return versions
