"""The client example (examples/pull_submissions.py) against the live server over real HTTP:
it pulls a track's submissions with a token, verifies each file's SHA-256, pulls only what is
new on the next run, and refuses a file whose bytes do not match the API's metadata."""

from __future__ import annotations

import importlib.util
import io
import json
import sys
import uuid
from pathlib import Path
from typing import Any

from competitions.api import tokens
from competitions.challenges import services
from competitions.challenges.services import tracks
from competitions.core import clock
from competitions.core.actor import Actor
from competitions.core.extensions import db
from competitions.core.storage import get_storage
from competitions.submissions.models import Submission, SubmissionFile, SubmissionVersion
from tests.api.conftest import make_entry
from tests.factories import make_agency, make_membership, make_user

ROOT = Path(__file__).resolve().parents[2]


def _example() -> Any:
    spec = importlib.util.spec_from_file_location(
        "pull_submissions", ROOT / "examples" / "pull_submissions.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _world(run: str) -> dict[str, Any]:
    admin = make_user(f"api-example-{run}@agency.example")
    agency = make_agency(f"example-{run}")
    make_membership(admin, agency, "admin")
    actor = Actor(admin)
    challenge = services.create_challenge(
        actor, agency, f"example-{run}", services.Texts({"en": "Example"}, {"en": "S"}, {"en": "B"})
    )
    track = challenge.tracks[0]
    tracks.publish_terms(actor, track, dict.fromkeys(track.languages, "Terms"))
    db.session.flush()
    secret = tokens.create_token(actor, agency, tokens.NewToken("Example", "read", 7)).secret
    db.session.commit()
    return {"challenge": challenge, "track": track, "secret": secret, "admin": admin}


def _submit(track: Any, round_: Any, name: str, content: bytes, sha256: str | None = None) -> None:
    entry = make_entry(track, name)
    now = clock.now()
    stored = get_storage().save(io.BytesIO(content), 100_000)
    sub = Submission(entry=entry, round=round_, draft={})
    version = SubmissionVersion(
        submission=sub, number=1, answers={}, submitted_at=now, deadline=round_.submission_deadline
    )
    file = SubmissionFile(
        submission=sub,
        version=version,
        field_key="report",
        storage_key=stored.key,
        filename=f"{name}.pdf",
        content_type="application/pdf",
        size=stored.size,
        sha256=sha256 or stored.sha256,
    )
    db.session.add_all([sub, version, file])
    db.session.commit()


def test_the_example_pulls_new_submissions_and_checks_their_digests(
    live_server: Any, live_app: Any, tmp_path: Path, capsys: Any
) -> None:
    from datetime import timedelta

    from competitions.challenges.services import timeline

    run = uuid.uuid4().hex[:6]
    example = _example()
    with live_app.app_context():
        world = _world(run)
        now = clock.now()
        round_ = timeline.save_round(
            Actor(world["admin"]),
            world["challenge"],
            None,
            timeline.RoundData(
                {"en": "Phase 1"},
                {
                    "submission_opens": now - timedelta(days=1),
                    "submission_deadline": now + timedelta(days=30),
                    "judging_closes": now + timedelta(days=40),
                    "results_at": now + timedelta(days=45),
                },
            ),
        )
        db.session.commit()
        for n in range(3):
            _submit(world["track"], round_, f"team{n}", f"%PDF report {n}".encode())
        slug, track_slug = world["challenge"].slug, world["track"].slug
    args = ["--base-url", live_server.url, "--challenge", slug, "--track", track_slug]
    out = tmp_path / "out"
    env = {"TANDEM_TOKEN": world["secret"]}

    def pull() -> int:
        import os

        saved = os.environ.get("TANDEM_TOKEN")
        os.environ.update(env)
        try:
            return int(example.main([*args, "--out", str(out)]))
        finally:
            if saved is None:
                os.environ.pop("TANDEM_TOKEN", None)
            else:
                os.environ["TANDEM_TOKEN"] = saved

    assert pull() == 0
    assert "3 file(s) downloaded and verified" in capsys.readouterr().out
    files = sorted(p.name for p in out.rglob("*.pdf"))
    assert files == ["team0.pdf", "team1.pdf", "team2.pdf"]

    assert pull() == 0  # nothing new: nothing downloaded again
    assert "0 file(s)" in capsys.readouterr().out

    with live_app.app_context():
        round_ = db.session.merge(round_)
        track = db.session.merge(world["track"])
        _submit(track, round_, "team3", b"%PDF new")
        _submit(track, round_, "team4", b"%PDF tampered", sha256="0" * 64)
    assert pull() == 1
    captured = capsys.readouterr()
    assert "1 file(s)" in captured.out and "team4.pdf: SHA-256" in captured.err
    assert not list(out.rglob("team4.pdf"))  # the file that does not match is not kept


def _version(sub: Any, number: int, name: str, content: bytes) -> None:
    stored = get_storage().save(io.BytesIO(content), 100_000)
    version = SubmissionVersion(
        submission=sub,
        number=number,
        answers={},
        submitted_at=clock.now(),
        deadline=sub.round.submission_deadline,
    )
    file = SubmissionFile(
        submission=sub,
        version=version,
        field_key="report",
        storage_key=stored.key,
        filename=f"{name}.pdf",
        content_type="application/pdf",
        size=stored.size,
        sha256=stored.sha256,
    )
    db.session.add_all([version, file])
    db.session.commit()


def test_a_started_submission_is_pulled_once_submitted_and_rescan_finds_new_versions(
    live_server: Any, live_app: Any, tmp_path: Path, capsys: Any, monkeypatch: Any
) -> None:
    from datetime import timedelta

    from competitions.challenges.services import timeline

    run = uuid.uuid4().hex[:6]
    example = _example()
    with live_app.app_context():
        world = _world(run)
        now = clock.now()
        round_ = timeline.save_round(
            Actor(world["admin"]),
            world["challenge"],
            None,
            timeline.RoundData(
                {"en": "Phase 1"},
                {
                    "submission_opens": now - timedelta(days=1),
                    "submission_deadline": now + timedelta(days=30),
                    "judging_closes": now + timedelta(days=40),
                    "results_at": now + timedelta(days=45),
                },
            ),
        )
        db.session.commit()
        # A team started first (a draft: no version yet), another submitted.
        started = Submission(entry=make_entry(world["track"], "early"), round=round_, draft={})
        db.session.add(started)
        db.session.commit()
        started_id = started.id
        _submit(world["track"], round_, "done", b"%PDF done")
        slug, track_slug = world["challenge"].slug, world["track"].slug
    monkeypatch.setenv("TANDEM_TOKEN", world["secret"])
    out = tmp_path / "out"
    args = ["--base-url", live_server.url, "--challenge", slug, "--track", track_slug]

    def pull(*extra: str) -> str:
        assert example.main([*args, "--out", str(out), *extra]) == 0
        return str(capsys.readouterr().out)

    assert pull().startswith("1 file(s) downloaded and verified; 0 already had; 2 submission")
    assert "1 not submitted yet" in pull()  # the cursor stayed before the started one

    with live_app.app_context():
        started = db.session.get(Submission, started_id)
        _version(started, 1, "early", b"%PDF early v1")
    assert pull().startswith("1 file(s) downloaded and verified; 1 already had")
    assert (out / str(started_id) / "v1" / "early.pdf").read_bytes() == b"%PDF early v1"
    assert pull().startswith("0 file(s) downloaded")  # the cursor moved past both now

    with live_app.app_context():
        started = db.session.get(Submission, started_id)
        _version(started, 2, "early", b"%PDF early v2")
    assert pull().startswith("0 file(s)")  # past the cursor: a plain run does not look back
    assert pull("--rescan").startswith("1 file(s) downloaded and verified; 2 already had")
    assert (out / str(started_id) / "v2" / "early.pdf").read_bytes() == b"%PDF early v2"
    state = json.loads((out / ".tandem-pull.json").read_text())
    assert state["cursor"] and len(state["files"]) == 3
