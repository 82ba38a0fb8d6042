"""Benchmark: 32 innovators submitting a form + a 1 MB file in the last minute before a
deadline, against Tandem under gunicorn on PostgreSQL, next to a ceiling measured in the same
run (bench/upload_ceiling.py: stream the same upload to disk with SHA-256, insert one row).

    .venv/bin/python bench/deadline_rush.py [--runs 3] [--duration 20] [--clients 32] [--rate 20]

Prints submissions/s, p50/p99 latency, errors and lost submissions (every 302 must have its
version row and file, the file's SHA-256 verified on the stored bytes), first with every client
submitting again as soon as it is answered (throughput at saturation), then at a fixed total
rate (latency under a heavy but sustainable last-minute load); then the CPU milliseconds each
process group (gunicorn, PostgreSQL, the Celery worker, the SMTP sink, the clients) spent per
request at saturation, from /proc: where the two cores went. Not a test.
"""

from __future__ import annotations

import argparse
import atexit
import hashlib
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import cpu, tiny  # noqa: E402
from bench.pages import environment, free_port, start_gunicorn, stop  # noqa: E402
from tests.concurrency.test_deadline_rush import Browser, _multipart  # noqa: E402

ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
DB_NAME = "tandem_bench_rush"
PASSWORD = "a long enough passphrase"


def fresh_database(base: str | None = None) -> str:
    """A new, empty database named ``base`` (this module's ``DB_NAME`` at call time)."""
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = tiny.database_name(base or DB_NAME)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        tiny.create_database(conn, name)
    admin.dispose()
    return sa.engine.make_url(ADMIN_URL).set(database=name).render_as_string(False)


def setup(app, clients: int) -> tuple[int, list[tuple[str, int]]]:
    from competitions.accounts import passwords
    from competitions.accounts.models import User, normalize_email
    from competitions.agencies.models import Agency
    from competitions.challenges import services as cs
    from competitions.challenges.services import timeline as timeline_services
    from competitions.challenges.services import tracks as track_services
    from competitions.core import clock
    from competitions.core.actor import Actor
    from competitions.core.extensions import db
    from competitions.entries import registration, teams

    with app.app_context():
        run = uuid.uuid4().hex[:6]
        root = User(
            email=f"root-{run}@b.example",
            email_normalized=f"root-{run}@b.example",
            password_hash=passwords.hash_password(PASSWORD),
            display_name="root",
            country="CA",
            is_platform_admin=True,
            email_verified_at=clock.now(),
        )
        agency = Agency(
            slug=f"rush-{run}",
            name="Rush",
            jurisdiction="CA",
            timezone="America/Toronto",
            languages=["en"],
        )
        db.session.add_all([root, agency])
        db.session.flush()
        admin = Actor(root)
        challenge = cs.create_challenge(
            admin, agency, f"rush-{run}", cs.Texts({"en": "Rush"}, {}, {})
        )
        track = challenge.tracks[0]
        track_services.update_track(
            admin,
            track,
            track_services.TrackSettings(
                {"en": "Track"}, {}, ["en"], "help@example.org", "America/Toronto"
            ),
        )
        track_services.publish_terms(admin, track, {"en": "Terms"})
        track_services.mark_ready(admin, track, True)
        now = clock.now()
        round_ = timeline_services.save_round(
            admin,
            challenge,
            None,
            timeline_services.RoundData(
                {"en": "Phase 1"},
                {
                    "submission_opens": now - timedelta(days=1),
                    "submission_deadline": now + timedelta(hours=2),
                    "judging_closes": now + timedelta(days=2),
                    "results_at": now + timedelta(days=3),
                },
            ),
        )
        round_.form_fields = [
            {"key": "summary", "type": "long_text", "label": {"en": "Summary"}, "required": True},
            {
                "key": "report",
                "type": "file",
                "label": {"en": "Report"},
                "file_types": ["pdf"],
                "max_size_mb": 5,
                "max_files": 1,
                "required": True,
            },
        ]
        cs.publish(admin, challenge)
        people = []
        hashed = passwords.hash_password(PASSWORD)
        for n in range(clients):
            email = f"rush-{run}-{n}@example.org"
            user = User(
                email=email,
                email_normalized=normalize_email(email),
                password_hash=hashed,
                display_name=f"R{n}",
                country="CA",
                email_verified_at=now,
            )
            db.session.add(user)
            db.session.flush()
            actor = Actor(user)
            team = teams.create_team(actor, teams.TeamData(f"T{n}", "individual"), "CA", 30)
            entry = registration.register(actor, team, track, track.terms_versions[-1].id, [])
            people.append((email, entry.id))
        db.session.commit()
        return round_.id, people


def drive(
    url: str,
    prepared: list[tuple[Browser, str, bytes, str]],
    duration: float,
    rate: float | None = None,
) -> tuple[list[float], list[int], list[tuple[int, int]]]:
    """Each client submits in a loop (``rate`` None: as fast as answers come back), or at a
    fixed total ``rate`` spread over the clients, latency then counted from the scheduled
    instant (so a queue that builds up shows in the figures)."""
    latencies: list[float] = []
    statuses: list[int] = []
    ok_per_client: list[tuple[int, int]] = []
    samples: list[tuple[int, str, list[str]]] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    interval = len(prepared) / rate if rate else 0.0
    begin = time.perf_counter()

    def worker(index: int) -> None:
        browser, path, body, content_type = prepared[index]
        ok = 0
        scheduled = begin + interval * index / len(prepared)
        while time.monotonic() < stop_at:
            if interval:
                time.sleep(max(0.0, scheduled - time.perf_counter()))
                started = scheduled
                scheduled += interval
            else:
                started = time.perf_counter()
            try:
                status, location, html = browser.request(path, body, content_type)
            except OSError as exc:  # connection reset or refused: an error, not a crash
                status, location, html = 599, "", str(exc)
            elapsed = (time.perf_counter() - started) * 1000
            good = status == 302 and ("/versions/" in location or url.endswith("/upload"))
            ok += good
            with lock:
                latencies.append(elapsed)
                statuses.append(status if good else -status)
                if not good and len(samples) < 3:
                    samples.append((status, location, re.findall(r"<li>([^<]{0,200})", html)[:3]))
        with lock:
            ok_per_client.append((index, ok))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(prepared))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if samples:
        print("refused or failed, for example:", samples, file=sys.stderr)
    return latencies, statuses, ok_per_client


def classify(comm: str, cmdline: str) -> str:
    if "gunicorn" in cmdline:
        return "gunicorn"
    if comm.startswith("postgres") or cmdline.startswith("postgres:"):
        return "postgres"
    for name in ("celery", "redis", "aiosmtpd"):
        if name in cmdline or name in comm:
            return name
    return "client" if "deadline_rush" in cmdline else "other"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] if ordered else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--rate", type=float, default=20.0, help="total submissions/s, paced")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 2) * 2 + 1)
    tiny.add_flag(parser)
    args = tiny.shrink(parser.parse_args(), runs=1, duration=1.0, clients=2, rate=2.0, workers=1)

    url = fresh_database()
    instance = Path(tempfile.mkdtemp(prefix="tandem-rush-"))
    # Receipts go to a real SMTP server (a sink in its own process), as in production.
    smtp_port = free_port()
    sink = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-c",
            "aiosmtpd.handlers.Sink",
            "-l",
            f"127.0.0.1:{smtp_port}",
        ],
        stdout=subprocess.DEVNULL,
    )
    atexit.register(sink.terminate)
    # Plain HTTP here, so the session cookie is not marked Secure and the clients keep it.
    env = {
        **environment(url, instance),
        "BASE_URL": "http://bench.local",
        "ALLOW_INSECURE_HTTP": "1",
        "MAIL_TRANSPORT": "smtp",
        "MAIL_HOST": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        # Receipts go through the outbox: a real Celery worker on Redis sends them during the run.
        "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/1"),
        "OUTBOX_DELIVERY": "worker",
    }
    os.environ.update(env)
    from flask_migrate import upgrade

    from bench.upload_ceiling import meta
    from competitions import create_app

    app = create_app()
    with app.app_context():
        upgrade()
    meta.create_all(sa.create_engine(url))
    payload = b"%PDF-1.7\n" + os.urandom(1024 * 1024 - 9)
    digest = hashlib.sha256(payload).hexdigest()
    round_id, people = setup(app, args.clients)

    paced = f"@{args.rate:g}/s"
    rows: dict[str, list[tuple[float, float, float, int, int]]] = {
        "ceiling": [],
        f"ceiling {paced}": [],
        "tandem": [],
        f"tandem {paced}": [],
    }

    def record(name: str, lat: list[float], statuses: list[int], lost: int = 0) -> None:
        errors = sum(1 for s in statuses if s < 0)
        rows[name].append((len(lat) / args.duration, pct(lat, 50), pct(lat, 99), errors, lost))

    receipts: list[tuple[int, int, float]] = []
    usage: dict[str, list[tuple[dict[str, float], int]]] = {"ceiling": [], "tandem": []}
    for _run in range(args.runs):
        proc, port = start_gunicorn("bench.upload_ceiling:app", env, args.workers)
        try:
            base = f"http://127.0.0.1:{port}"
            body, content_type = _multipart({}, "report.pdf", payload)
            prepared = [(Browser(base), "/upload", body, content_type) for _ in people]
            before = cpu.snapshot(classify)
            lat, statuses, _ok = drive(base + "/upload", prepared, args.duration)
            record("ceiling", lat, statuses)
            usage["ceiling"].append((cpu.spent(before, cpu.snapshot(classify)), len(lat)))
            lat, statuses, _ok = drive(base + "/upload", prepared, args.duration, args.rate)
            record(f"ceiling {paced}", lat, statuses)
        finally:
            stop(proc)

        proc, port = start_gunicorn("wsgi:app", {**env, "RATELIMIT_ENABLED": "0"}, args.workers)
        worker = start_worker(env, instance)
        try:
            base = f"http://127.0.0.1:{port}"
            prepared = []
            for email, entry_id in people:
                browser = Browser(base)
                browser.login(email)
                path = f"/entries/{entry_id}/rounds/{round_id}"
                token = browser.token(path)
                body, content_type = _multipart(
                    {"csrf_token": token, "summary": "Rush", "action": "submit"},
                    "report.pdf",
                    payload,
                )
                prepared.append((browser, path, body, content_type))
            for name, rate in (("tandem", None), (f"tandem {paced}", args.rate)):
                before = count_versions(app)
                started = cpu.snapshot(classify)
                lat, statuses, ok_per_client = drive(base + "/x", prepared, args.duration, rate)
                accepted = sum(ok for _i, ok in ok_per_client)
                if rate is None:
                    usage["tandem"].append((cpu.spent(started, cpu.snapshot(classify)), len(lat)))
                record(name, lat, statuses, verify(app, accepted, before, digest))
            receipts.append(wait_for_receipts(app))
        finally:
            stop(proc)
            stop(worker)

    print(
        f"\n{args.runs} runs x {args.duration:.0f} s, {args.clients} clients, 1 MB PDF each, "
        f"gunicorn {args.workers} workers, {os.cpu_count()} CPUs (clients on the same host); "
        f"{paced}: the same clients at a fixed total rate, latency from the scheduled instant"
    )
    print(
        f"{'endpoint':<18}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'lost':>6}"
        f"{'vs ceiling':>12}"
    )
    ceiling = statistics.median(r[0] for r in rows["ceiling"])
    sent, unsent, waited = receipts[-1]
    print(
        f"receipts through the outbox and one Celery worker: {sent} sent, {unsent} not sent; "
        f"the outbox was empty {waited:.1f} s after the last run's load ended"
    )
    for name, runs in rows.items():
        rps = statistics.median(r[0] for r in runs)
        print(
            f"{name:<18}{rps:>9.1f}{statistics.median(r[1] for r in runs):>9.1f}"
            f"{statistics.median(r[2] for r in runs):>9.1f}{sum(r[3] for r in runs):>8}"
            f"{sum(r[4] for r in runs):>6}{rps / ceiling:>12.0%}"
        )
    print("CPU ms per request at saturation, per process group (medians of the runs):")
    for name, samples in usage.items():
        groups = sorted({g for spent, _n in samples for g in spent})
        per = {
            g: statistics.median(s.get(g, 0.0) * 1000 / max(n, 1) for s, n in samples)
            for g in groups
        }
        shown = ", ".join(
            f"{g} {ms:.1f}" for g, ms in sorted(per.items(), key=lambda i: -i[1]) if ms >= 0.1
        )
        print(f"  {name:<9} total {sum(per.values()):.1f}: {shown}")


def start_worker(env: dict[str, str], instance: Path) -> subprocess.Popen:
    """One Celery worker process (as `make run` starts), sending the receipts from the outbox."""
    celery = Path(sys.executable).parent / "celery"
    log = instance / "worker.log"
    command = [str(celery), "-A", "workers.celery_app", "worker", "--concurrency=1"]
    command += ["--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
        start_new_session=True,
    )


def wait_for_receipts(app, timeout: float = 180.0) -> tuple[int, int, float]:
    """Wait until the outbox is drained: (receipts sent, not sent, seconds waited)."""
    from competitions.core.extensions import db
    from competitions.core.outbox import OutboxMessage

    started = time.monotonic()
    with app.app_context():
        while True:
            counts = dict(
                db.session.execute(
                    sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
                ).all()
            )
            db.session.rollback()
            pending = sum(counts.get(s, 0) for s in ("queued", "sending", "retrying"))
            if not pending or time.monotonic() - started > timeout:
                waited = time.monotonic() - started
                return counts.get("sent", 0), pending + counts.get("failed", 0), waited
            time.sleep(0.5)


def count_versions(app) -> int:
    from competitions.core.extensions import db
    from competitions.submissions.models import SubmissionVersion

    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(SubmissionVersion)) or 0


def verify(app, accepted: int, before: int, digest: str) -> int:
    """Lost = accepted responses without a version row, or files whose bytes changed."""
    from competitions.core.extensions import db
    from competitions.core.storage import get_storage
    from competitions.submissions.models import SubmissionFile, SubmissionVersion

    with app.app_context():
        after = db.session.scalar(sa.select(sa.func.count()).select_from(SubmissionVersion)) or 0
        lost = max(0, accepted - (after - before))
        storage = get_storage()
        files = db.session.scalars(
            sa.select(SubmissionFile)
            .where(SubmissionFile.version_id.is_not(None))
            .order_by(SubmissionFile.id.desc())
            .limit(after - before)
        ).all()
        for record in files:
            with storage.open(record.storage_key) as fh:
                if hashlib.sha256(fh.read()).hexdigest() != digest or record.sha256 != digest:
                    lost += 1
        return lost


if __name__ == "__main__":
    main()
