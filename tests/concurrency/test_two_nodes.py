"""Two nodes, nothing shared but PostgreSQL, Redis and the S3 server (issue 19, point 2).

Two web processes (gunicorn, in production mode) and two Celery workers plus a beat, each with
an instance folder of its own, serve one challenge:

- a deadline rush whose sign-ins and submissions alternate between the nodes: every submission
  stamped before the deadline is kept exactly once, every later one refused, and each receipt
  and file is served by the *other* node than the one that took it;
- sign-in failures counted across both nodes (the rate limits live in Redis, not in a node);
- an announcement released by beat and delivered by both workers: each entrant gets exactly one
  copy, none is lost;
- and the web nodes' instance folders are still empty at the end: nothing on one node's disk
  was needed by the other.

Needs PostgreSQL (``DATABASE_URL``) and Redis (``CELERY_BROKER_URL``), as CI's second leg.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from competitions.accounts.models import User
from competitions.challenges.models import Challenge, Round
from competitions.core import clock
from competitions.core.actor import Actor
from competitions.core.extensions import db
from competitions.core.outbox import OutboxMessage
from competitions.outreach import announcements
from competitions.submissions.models import Submission, SubmissionFile, SubmissionVersion
from tests.concurrency.test_deadline_rush import PASSWORD, Browser, _multipart, _setup
from tests.outreach.test_delivery_faults import _drop_database, _forget_queue
from tests.support.database import normalize_url, prepare_database
from tests.support.delivery import CeleryProcess, CountingSMTP, Deliveries
from tests.support.live import ROOT, app_from_environment, wait_until
from tests.support.s3 import CREDENTIALS, S3Server
from tests.support.smtp import free_port

DATABASE_URL = os.environ.get("DATABASE_URL", "")
BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
ENTRANTS = 16

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(
        not (
            normalize_url(DATABASE_URL).startswith("postgresql")
            and BROKER_URL.startswith(("redis://", "rediss://"))
        ),
        reason="needs PostgreSQL (DATABASE_URL) and Redis (CELERY_BROKER_URL), as CI's 2nd leg",
    ),
]


class WebNode:
    """``gunicorn wsgi:app`` in production mode, with an instance folder of its
    own."""

    def __init__(self, env: dict[str, str], name: str) -> None:
        self.name, self.env = name, env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = Path(env["TANDEM_INSTANCE_PATH"]).parent / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def launch(self) -> None:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [
                    *(str(gunicorn), "-b", f"127.0.0.1:{self.port}"),
                    *("-w", "1", "--threads", "8", "--timeout", "60", "wsgi:app"),
                ],
                cwd=ROOT,
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.output()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]

    def terminate(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@dataclass
class Cluster:
    app: Any  # the test's own view of the shared database and storage
    webs: list[WebNode]
    workers: list[CeleryProcess]
    beat: CeleryProcess
    smtp: CountingSMTP
    web_instances: list[Path]

    def logs(self) -> str:
        parts = [f"----- {w.name} -----\n{w.output()}" for w in self.webs]
        parts += [f"----- {p.name} -----\n{p.output()}" for p in [*self.workers, self.beat]]
        return "\n".join(parts)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, s3_server: S3Server) -> Iterator[Cluster]:
    base = tmp_path_factory.mktemp("nodes")
    url = prepare_database(DATABASE_URL, "nodes")
    queue = f"tandem-nodes-{uuid.uuid4().hex[:8]}"
    bucket = f"nodes-{uuid.uuid4().hex[:8]}"
    s3_server.client().create_bucket(Bucket=bucket)
    smtp = CountingSMTP()
    smtp.start()
    shared = {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": BROKER_URL,
        "MAIL_TRANSPORT": "smtp",
        "MAIL_HOST": "127.0.0.1",
        "MAIL_PORT": str(smtp.port),
        "BASE_URL": "http://tandem.nodes",
        "STORAGE_URL": f"s3://{bucket}/files",
        "S3_ENDPOINT_URL": s3_server.url,
        **CREDENTIALS,
        "OUTBOX_DELIVERY": "worker",
        "TANDEM_TEST_QUEUE": queue,
        "TANDEM_TEST_TICK": "1",
        # Sign-ins come from one address here: the per-address limit is not what is tested.
        "RATELIMIT_LOGIN": "1000 per minute",
        "RATELIMIT_LOGIN_ACCOUNT": "6 per hour",
    }

    def instance(name: str) -> dict[str, str]:
        folder = base / name / "instance"
        folder.mkdir(parents=True)
        return {"TANDEM_INSTANCE_PATH": str(folder), "STORAGE_DIR": str(folder / "storage")}

    production = {"TANDEM_ENV": "production", "ALLOW_INSECURE_HTTP": "1"}
    app = app_from_environment({**shared, **instance("test"), "TANDEM_ENV": "testing"})
    app.config["CELERY"]["task_default_queue"] = queue
    webs = [WebNode({**shared, **production, **instance(n)}, n) for n in ("web-1", "web-2")]
    workers = [
        CeleryProcess({**shared, **instance(n), "TANDEM_ENV": "testing"}, n)
        for n in ("worker-1", "worker-2")
    ]
    beat = CeleryProcess({**shared, **instance("beat"), "TANDEM_ENV": "testing"}, "beat", "beat")
    parts: list[Any] = [*webs, *workers, beat]
    try:
        for part in parts:  # all start side by side, as a deployment would
            part.launch()
        for part in parts:
            part.wait_ready()
        yield Cluster(
            app, webs, workers, beat, smtp, [Path(w.env["TANDEM_INSTANCE_PATH"]) for w in webs]
        )
    finally:
        for part in parts:
            part.terminate()
        for part in parts:
            part.stop()
        smtp.stop()
        with app.app_context():
            db.engine.dispose()
        _forget_queue(queue)
        _drop_database(url)


def test_a_deadline_rush_and_an_announcement_across_two_nodes(cluster: Cluster) -> None:
    try:
        _rush_and_announce(cluster)
    except BaseException:
        print(cluster.logs())
        raise


def _rush_and_announce(cluster: Cluster) -> None:
    run = uuid.uuid4().hex[:6]
    with cluster.app.app_context():
        round_id, people = _setup(run, ENTRANTS)
    webs = cluster.webs
    # Each entrant signs in on one node and submits there; the other node must know them.
    browsers = []
    for n, (email, entry_id) in enumerate(people):
        browser = Browser(webs[n % 2].url)
        browser.login(email)
        page = f"/entries/{entry_id}/rounds/{round_id}"
        browsers.append((browser, entry_id, browser.token(page)))
    payloads = [b"%PDF-1.7\n" + os.urandom(48 * 1024) for _ in people]
    with cluster.app.app_context():
        deadline = clock.now().replace(microsecond=0) + timedelta(seconds=4)
        db.session.get(Round, round_id).submission_deadline = deadline  # type: ignore[union-attr]
        db.session.commit()

    barrier = threading.Barrier(len(people))
    results: list[tuple[int, str]] = [(0, "")] * len(people)

    def submit(i: int) -> None:
        browser, entry_id, token = browsers[i]
        body, content_type = _multipart(
            {"csrf_token": token, "summary": f"Team {i}", "action": "submit"},
            f"report-{i}.pdf",
            payloads[i],
        )
        barrier.wait()
        target = deadline.timestamp() - 2.0 + 4.0 * i / (len(people) - 1)
        time.sleep(max(0.0, target - time.time()))
        status, location, html = browser.request(
            f"/entries/{entry_id}/rounds/{round_id}", body, content_type
        )
        results[i] = (status, location or html)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(len(people))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)

    assert all(status != 500 for status, _ in results)
    accepted = [i for i, (status, where) in enumerate(results) if status == 302]
    refused = [i for i, (status, _) in enumerate(results) if status == 200]
    assert len(accepted) + len(refused) == len(people), results
    assert accepted and refused, "the rush must straddle the deadline"
    assert all("the deadline passed at" in results[i][1] for i in refused)

    with cluster.app.app_context():
        for i in accepted:
            entry_id = people[i][1]
            record = db.session.scalar(
                select(SubmissionFile)
                .join(SubmissionFile.version)
                .join(Submission)
                .where(Submission.entry_id == entry_id, Submission.round_id == round_id)
            )
            assert record is not None and record.version is not None
            assert record.version.submitted_at <= deadline
            assert record.sha256 == hashlib.sha256(payloads[i]).hexdigest()
            # The receipt and the file, from the node that did not take the submission.
            other = _same_browser_on(browsers[i][0], webs[(i + 1) % 2])
            path = urllib.parse.urlsplit(results[i][1]).path
            status, _loc, receipt = other.request(path)
            assert status == 200 and record.sha256 in receipt, (status, path)
            status, body = _download(other, record.id)
            assert status == 200 and hashlib.sha256(body).digest().hex() == record.sha256
        for i in refused:
            versions = db.session.scalar(
                select(func.count(SubmissionVersion.id))
                .join(Submission, Submission.id == SubmissionVersion.submission_id)
                .where(Submission.entry_id == people[i][1])
            )
            assert versions == 0
    assert datetime.now(UTC) > deadline

    _sign_in_failures_are_counted_across_nodes(webs, people[0][0])
    _announcement_reaches_everyone_once(cluster, run)
    # Neither web node wrote anything to its own disk that the other would have needed.
    for folder in cluster.web_instances:
        assert [p for p in folder.rglob("*") if p.is_file()] == [], folder


def _same_browser_on(browser: Browser, node: WebNode) -> Browser:
    """The same signed-in browser (its cookies), talking to ``node``."""
    other = Browser(node.url)
    other.jar, other.opener = browser.jar, browser.opener
    return other


def _download(browser: Browser, file_id: int) -> tuple[int, bytes]:
    try:
        with browser.opener.open(
            urllib.request.Request(f"{browser.base}/files/{file_id}"), timeout=30
        ) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def _sign_in_failures_are_counted_across_nodes(webs: list[WebNode], email: str) -> None:
    """RATELIMIT_LOGIN_ACCOUNT is 6 per hour: the 7th failure is refused whichever node takes
    it, although each node saw only 3 or 4 of them."""
    statuses = []
    for n in range(8):
        browser = Browser(webs[n % 2].url)
        token = browser.token("/login")
        body = urllib.parse.urlencode(
            {"email": email, "password": PASSWORD + "wrong", "csrf_token": token}
        ).encode()
        status, _location, _html = browser.request(
            "/login", body, "application/x-www-form-urlencoded"
        )
        statuses.append(status)
    assert statuses[:6] == [200] * 6 and statuses[6:] == [429, 429], statuses


def _announcement_reaches_everyone_once(cluster: Cluster, run: str) -> None:
    cluster.smtp.clear()
    with cluster.app.app_context():
        challenge = db.session.scalar(select(Challenge).where(Challenge.slug == f"rush-{run}"))
        root = db.session.scalar(select(User).where(User.email == f"root-{run}@t.example"))
        assert challenge is not None and root is not None
        item = announcements.create(
            Actor(root),
            challenge,
            None,
            announcements.Draft({"en": "Results soon"}, {"en": "Thank you."}, ["entries"], None),
        )
        announcements.schedule(Actor(root), item, clock.now() + timedelta(seconds=3))
        db.session.commit()
        source = f"announcement:{item.id}"

    def settled() -> bool:
        with cluster.app.app_context():
            counts = dict(
                db.session.execute(
                    select(OutboxMessage.status, func.count())
                    .where(OutboxMessage.source == source)
                    .group_by(OutboxMessage.status)
                ).all()
            )
            db.session.rollback()
        return counts.get("sent", 0) == ENTRANTS == sum(counts.values())

    wait_until(settled, timeout=90, interval=0.25)
    time.sleep(1.0)  # a late duplicate would still arrive
    deliveries = Deliveries.of(cluster.smtp.snapshot())
    expected = {f"rush-{run}-{n}@example.org" for n in range(ENTRANTS)}
    assert deliveries.recipients == expected
    assert deliveries.twice == {} and deliveries.resent == 0, deliveries.summary()
    taken = {w.name: w.received("outbox.dispatch") for w in cluster.workers}
    print(f"outbox dispatch tasks taken per worker: {taken}")
