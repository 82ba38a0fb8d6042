"""Benchmark: the public directory and a challenge page under gunicorn, next to bare Flask.

    .venv/bin/python bench/pages.py [--runs 3] [--duration 10] [--connections 32]

Needs PostgreSQL (``BENCH_DATABASE_URL``, default: a fresh database ``tandem_bench`` on
127.0.0.1) and ``wrk`` (``apt-get install wrk``). It loads 1,000 published challenges with
4,000 tracks, starts gunicorn for Tandem and for a bare Flask app, drives each URL with wrk
and prints requests/s and p50/p99 latency (medians over the runs), plus the number of SQL
queries each page runs at two data sizes.

Not a test: nothing is asserted. Entries (10,000 in the issue) arrive with the entries
issue; until then the entry table does not exist and is not loaded.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
DB_NAME = "tandem_bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fresh_database() -> str:
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        return url
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{DB_NAME}"'))
    admin.dispose()
    return sa.engine.make_url(ADMIN_URL).set(database=DB_NAME).render_as_string(False)


def environment(url: str, instance: Path) -> dict[str, str]:
    return {
        **os.environ,
        "TANDEM_ENV": "production",
        "SECRET_KEY": "bench-" + "x" * 40,
        "BASE_URL": "https://bench.local",
        "DATABASE_URL": url,
        "TANDEM_INSTANCE_PATH": str(instance),
        "CELERY_BROKER_URL": "filesystem://",
        "RATELIMIT_ENABLED": "0",
    }


def load(app, challenges: int, tracks_per_challenge: int = 4) -> None:
    """Bulk-insert published challenges with their tracks, rounds, prizes and terms."""
    from competitions.agencies.models import Agency
    from competitions.challenges.models import (
        Challenge,
        Prize,
        Round,
        TermsVersion,
        Track,
    )
    from competitions.core.extensions import db

    now = datetime.now(UTC)
    rules = {
        "allowed_countries": ["CA"],
        "excluded_countries": [],
        "entrant_types": ["individual", "team", "business"],
        "establishment_countries": [],
        "team_min": 1,
        "team_max": 8,
        "minimum_age": 18,
        "member_policy": "all",
        "recognition_for_others": False,
        "exclusive": True,
        "prize_conditions": [],
    }
    with app.app_context():
        existing = db.session.scalar(sa.select(sa.func.count()).select_from(Challenge)) or 0
        agencies = db.session.scalar(sa.select(sa.func.count()).select_from(Agency)) or 0
        if agencies == 0:
            db.session.execute(
                sa.insert(Agency),
                [
                    {
                        "slug": f"agency-{i}",
                        "name": f"Agency {i}",
                        "jurisdiction": "CA",
                        "timezone": "America/Toronto",
                        "languages": ["en", "fr"],
                        "created_at": now,
                        "updated_at": now,
                    }
                    for i in range(50)
                ],
            )
        agency_ids = list(db.session.scalars(sa.select(Agency.id).order_by(Agency.id)))
        rows = [
            {
                "slug": f"challenge-{n}",
                "lead_agency_id": agency_ids[n % 50],
                "status": "published",
                "published_at": now - timedelta(minutes=n),
                "timezone": "America/Chicago",
                "edition": 1,
                "title": {"en": f"Challenge {n}", "fr": f"Défi {n}"},
                "summary": {"en": "A parallel challenge.", "fr": "Un défi parallèle."},
                "description": {"en": "Long **description**.\n\n" * 5},
                "search_text": f"challenge {n} défi {n}",
                "created_at": now,
                "updated_at": now,
            }
            for n in range(existing, existing + challenges)
        ]
        ids = list(db.session.scalars(sa.insert(Challenge).returning(Challenge.id), rows))
        tracks = [
            {
                "challenge_id": cid,
                "agency_id": agency_ids[(i * 7 + t) % 50],
                "slug": f"t{t}",
                "position": t,
                "name": {"en": f"Track {t}", "fr": f"Volet {t}"},
                "description": {},
                "languages": ["en", "fr"],
                "contact_email": "x@example.org",
                "timezone": "America/Toronto",
                "rules": rules,
                "ready_at": now,
                "created_at": now,
                "updated_at": now,
            }
            for i, cid in enumerate(ids)
            for t in range(tracks_per_challenge)
        ]
        track_ids = list(db.session.scalars(sa.insert(Track).returning(Track.id), tracks))
        db.session.execute(
            sa.insert(Prize),
            [
                {
                    "track_id": tid,
                    "position": 0,
                    "label": {"en": "Prize"},
                    "amount": 100000,
                    "currency": "CAD",
                    "count": 3,
                    "condition": {},
                }
                for tid in track_ids
            ],
        )
        db.session.execute(
            sa.insert(TermsVersion),
            [
                {
                    "track_id": tid,
                    "version": 1,
                    "body": {"en": "Terms", "fr": "Conditions"},
                    "created_at": now,
                }
                for tid in track_ids
            ],
        )
        rounds = []
        for cid in ids:
            for r in range(2):
                base = now + timedelta(days=30 + 200 * r)
                rounds.append(
                    {
                        "challenge_id": cid,
                        "position": r,
                        "name": {"en": f"Phase {r + 1}"},
                        "submission_opens": base - timedelta(days=60),
                        "submission_deadline": base,
                        "judging_closes": base + timedelta(days=30),
                        "results_at": base + timedelta(days=40),
                        "sequence": 0,
                    }
                )
        db.session.execute(sa.insert(Round), rounds)
        db.session.commit()


def count_queries(app, path: str) -> int:
    from competitions.core.extensions import db

    with app.app_context():
        engine = db.engine
    counter = {"n": 0}

    def before(*_args: object) -> None:
        counter["n"] += 1

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        response = app.test_client().get(path, base_url="https://bench.local")
        assert response.status_code == 200, (path, response.status_code)
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
    return counter["n"]


def start_gunicorn(module: str, env: dict[str, str], workers: int) -> tuple[subprocess.Popen, int]:
    """Start gunicorn; its log goes to a file (a pipe nobody reads would fill and block it)."""
    port = free_port()
    log = Path(tempfile.mkdtemp(prefix="tandem-gunicorn-")) / "gunicorn.log"
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    proc = subprocess.Popen(
        [
            gunicorn,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--log-level",
            "warning",
            module,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
        start_new_session=True,
    )
    proc.log = log  # type: ignore[attr-defined]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc, port
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn {module} did not start: {log.read_text(errors='replace')}")


def stop(proc: subprocess.Popen) -> None:
    """Stop gunicorn, then say how much it logged at warning level or above (and a sample)."""
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
    log: Path | None = getattr(proc, "log", None)
    lines = log.read_text(errors="replace").splitlines() if log and log.exists() else []
    # The application logs at INFO too (the audit trail): only problems are worth a word.
    lines = [line for line in lines if re.search(r"\b(WARNING|ERROR|CRITICAL)\b|Traceback", line)]
    if lines:
        print(f"gunicorn logged {len(lines)} problems ({log}), first: {lines[:3]}", file=sys.stderr)


def wrk(url: str, duration: int, connections: int) -> tuple[float, float, float]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def pct(p: str) -> float:
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    if "Non-2xx" in out:
        raise RuntimeError(f"{url} answered errors:\n{out}")
    return rps, pct("50"), pct("99")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 2) * 2 + 1)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")

    url = fresh_database()
    instance = Path(tempfile.mkdtemp(prefix="tandem-bench-"))
    env = environment(url, instance)
    os.environ.update({k: v for k, v in env.items() if k not in os.environ or k in env})
    from flask_migrate import upgrade

    from competitions import create_app

    # Query counts are measured on fresh renderings (the public page cache is off here).
    app = create_app({"PUBLIC_PAGE_CACHE_SECONDS": 0})
    with app.app_context():
        upgrade()

    started = time.perf_counter()
    load(app, 100)
    small = {p: count_queries(app, p) for p in ("/challenges/", "/challenges/challenge-0")}
    load(app, 900)
    print(f"loaded 1,000 challenges / 4,000 tracks in {time.perf_counter() - started:.1f} s")
    large = {p: count_queries(app, p) for p in ("/challenges/", "/challenges/challenge-0")}
    for path in small:
        print(f"queries {path}: {small[path]} with 100 challenges, {large[path]} with 1,000")

    uncached = {**env, "PUBLIC_PAGE_CACHE_SECONDS": "0"}
    targets = {
        "hello (bare Flask)": ("bench.hello_app:app", "/hello", env),
        "directory": ("wsgi:app", "/challenges/", env),
        "challenge page": ("wsgi:app", "/challenges/challenge-0", env),
        "directory, no cache": ("wsgi:app", "/challenges/", uncached),
        "challenge, no cache": ("wsgi:app", "/challenges/challenge-0", uncached),
    }
    results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in targets}
    for _run in range(args.runs):
        for name, (module, path, target_env) in targets.items():
            proc, port = start_gunicorn(module, target_env, args.workers)
            try:
                wrk(f"http://127.0.0.1:{port}{path}", 2, args.connections)  # warm up
                results[name].append(
                    wrk(f"http://127.0.0.1:{port}{path}", args.duration, args.connections)
                )
            finally:
                stop(proc)
    hello = statistics.median(r[0] for r in results["hello (bare Flask)"])
    print(
        f"\n{args.runs} runs x {args.duration} s, {args.connections} connections, "
        f"gunicorn {args.workers} sync workers, {os.cpu_count()} CPUs (wrk on the same host)"
    )
    print(f"{'endpoint':<22}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'vs hello':>10}")
    for name, runs in results.items():
        rps = statistics.median(r[0] for r in runs)
        p50 = statistics.median(r[1] for r in runs)
        p99 = statistics.median(r[2] for r in runs)
        print(f"{name:<22}{rps:>10.0f}{p50:>10.1f}{p99:>10.1f}{rps / hello:>10.0%}")


if __name__ == "__main__":
    main()
