"""PostgreSQL restarted during a deadline rush, with a private cluster (initdb, pg_ctl).

Four teams submit over real HTTP from threads while the server is stopped (``pg_ctl stop -m
fast``: the transactions in flight are cut) and started again. Every submission the client saw
accepted — a redirect to its receipt — is kept with its file; every other one was answered 503
with Retry-After and a message saying to send it again (never a 500); and nothing is
half-written: no version without its file, no file row without its bytes, no file without its
row (the files of a request whose commit failed are deleted as it rolls back). Then the same
entrants submit again without signing in again: the pool's pre-ping replaces the dead
connections, so the first request after the restart does not fail.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from competitions.core.extensions import db
from competitions.core.filetypes import store_checked
from competitions.core.outbox import OutboxMessage
from tests.faults.conftest import ONCE
from tests.faults.rig import (
    Entrant,
    Submitting,
    check_nothing_half_written,
    kept_files,
    live_app,
    teams,
)
from tests.submissions.conftest import NOW, PDF
from tests.support.live import LiveServer, wait_until
from tests.support.private_services import PrivateCluster, postgres_bin
from tests.support.smtp import SMTPCapture

pytestmark = [pytest.mark.faults, ONCE]

MESSAGE = "We could not reach our database for a moment, so what you just sent was not saved."


@pytest.fixture(scope="module")
def cluster() -> Iterator[PrivateCluster]:
    """One cluster for the module (initdb takes seconds); each test leaves it running."""
    if postgres_bin() is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    cluster = PrivateCluster()
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def server(
    cluster: PrivateCluster, tmp_path: Path, smtp_server: SMTPCapture, clock: Any
) -> Iterator[tuple[Flask, LiveServer]]:
    clock.set_now(NOW)  # the round is open (the live server's threads read the same clock)
    app = live_app(tmp_path, cluster.url, smtp_server.port)
    live = LiveServer(app)
    live.start()
    try:
        yield app, live
    finally:
        live.stop()
        with app.app_context():
            db.engine.dispose()


def _count(entrants: list[Entrant], kind: str) -> list[int]:
    return [len(getattr(e, kind)()) for e in entrants]


def _all_gained(entrants: list[Entrant], before: list[int], n: int) -> bool:
    now = _count(entrants, "accepted")
    return all(a >= b + n for a, b in zip(now, before, strict=True))


def test_a_restart_mid_rush_keeps_every_receipt_and_answers_503_to_the_rest(
    cluster: PrivateCluster,
    server: tuple[Flask, LiveServer],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, live = server
    entrants = [Entrant(live.url, team) for team in teams(app, 4)]
    for entrant in entrants:
        entrant.sign_in()

    with Submitting(entrants):
        wait_until(lambda: min(_count(entrants, "accepted")) >= 2, timeout=60)
        cluster.stop("fast")  # cuts the transactions in flight
        # Down until every entrant has been told to come back later.
        wait_until(lambda: min(_count(entrants, "refused")) >= 1, timeout=60)
        time.sleep(0.3)
        cluster.start()
        after = _count(entrants, "accepted")
        wait_until(lambda: _all_gained(entrants, after, 2), timeout=60)

    # A quiet restart: the pool's connections all died, and the first requests still succeed.
    cluster.stop("fast")
    cluster.start()
    for entrant in entrants:
        answer = entrant.submit()
        assert answer.number is not None, answer.body[:3000]

    assert not [e.errors for e in entrants if e.errors]
    for entrant in entrants:
        for answer in entrant.refused():
            assert answer.status == 503, answer.body[:3000]
            assert answer.retry_after == "5"
            assert MESSAGE in answer.body
    kept = kept_files(caplog.records)  # a COMMIT cut with its answer: kept, not deleted
    versions = check_nothing_half_written(app, tmp_path / "storage", kept)
    for entrant in entrants:
        numbers = [a.number for a in entrant.accepted()]
        assert numbers == list(range(1, len(numbers) + 1))  # none lost, none skipped
        for answer in entrant.accepted():
            assert versions[(entrant.team.entry_id, answer.number)] == [answer.sha256]
        assert len([k for k in versions if k[0] == entrant.team.entry_id]) == len(numbers)


def _cut_connection(app: Flask, cluster: PrivateCluster) -> None:
    """End this session's server process from another connection (as a restart would)."""
    pid = db.session.scalar(sa.text("SELECT pg_backend_pid()"))
    other = sa.create_engine(cluster.url, poolclass=sa.pool.NullPool)
    with other.connect() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    other.dispose()


@pytest.fixture
def bare_app(cluster: PrivateCluster, tmp_path: Path, smtp_server: SMTPCapture) -> Flask:
    """The app on the private cluster, without a server (created before the test runs: the
    app configures logging, which would drop ``caplog``'s handler)."""
    return live_app(tmp_path, cluster.url, smtp_server.port)


@pytest.mark.parametrize("cut_at", ["commit", "flush"])
def test_a_file_is_deleted_when_nothing_was_committed_and_kept_when_unknown(
    cluster: PrivateCluster,
    bare_app: Flask,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    cut_at: str,
) -> None:
    """Lost during the flush, nothing was committed: the stored file is deleted as the
    transaction rolls back. Lost with the COMMIT sent, it may have been applied: the file is
    kept, and logged, rather than risk a recorded version without its file."""
    app = bare_app
    with app.test_request_context():
        checked = store_checked(io.BytesIO(PDF), "report.pdf", ("pdf",), 1)
        path = tmp_path / "storage" / checked.storage_key[:2] / checked.storage_key
        _cut_connection(app, cluster)
        if cut_at == "flush":  # a row still to write: the flush is what fails
            db.session.add(OutboxMessage(to_address="a@example.org", subject="S", text_body="B"))
        with pytest.raises(sa.exc.OperationalError):
            db.session.commit()
        db.session.rollback()
        if cut_at == "flush":
            assert not path.exists()
            assert kept_files(caplog.records) == set()
        else:
            assert path.exists()
            assert kept_files(caplog.records) == {checked.storage_key}
        db.engine.dispose()
