"""Benchmark: the public directory and a challenge page under gunicorn, next to bare Flask.

    .venv/bin/python bench/pages.py [--runs 3] [--duration 10] [--connections 32]

Needs PostgreSQL (``BENCH_DATABASE_URL``, default: a fresh database ``tandem_bench`` on
127.0.0.1) and ``wrk`` (``apt-get install wrk``). It loads 1,000 published challenges with
4,000 tracks, starts gunicorn for Tandem and for a bare Flask app, drives each URL with wrk
and prints requests/s and p50/p99 latency (medians over the runs), plus the number of SQL
queries each page runs at two data sizes.

It then loads 10,000 entries (each with a team, its lead and a submission in the first
round of ``challenge-0``), a judge with ``QUEUE`` assignments and an admin of the agency of
the track, and measures four signed-in pages (a cookie from a real sign-in, passed to wrk):
an innovator's entry page, the judge's queue, the track's entries list (its first page) and
the innovator's role-aware home; their query counts are printed at 1,000 and 10,000 entries.

Not a test: nothing is asserted.
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

from bench import tiny  # noqa: E402

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
    name = tiny.database_name(DB_NAME)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        tiny.create_database(conn, name)
    admin.dispose()
    return sa.engine.make_url(ADMIN_URL).set(database=name).render_as_string(False)


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


PASSWORD = "bench-password-2026"
QUEUE = 25  # the judge's assignments, whatever the number of entries


def load_entries(app, n: int) -> None:
    """``n`` more entries in challenge-0's first track, each with a team, its lead (a user)
    and a submission in the first round; the bench's judge, admin and innovator on first use."""
    from competitions.accounts.models import User
    from competitions.accounts.passwords import hash_password
    from competitions.agencies.models import Membership
    from competitions.challenges.models import Challenge, Round, TermsVersion, Track
    from competitions.core.extensions import db
    from competitions.entries.models import Entry, Team, TeamMember
    from competitions.judging.models import Assignment, Judge, Panel, Rubric
    from competitions.submissions.models import Submission

    now = datetime.now(UTC)
    with app.app_context():
        secret = hash_password(PASSWORD)
        challenge = db.session.scalar(sa.select(Challenge).where(Challenge.slug == "challenge-0"))
        track = db.session.scalar(
            sa.select(Track).where(Track.challenge_id == challenge.id, Track.slug == "t0")
        )
        round_id = db.session.scalar(
            sa.select(Round.id).where(Round.challenge_id == challenge.id).order_by(Round.position)
        )
        terms_id = db.session.scalar(
            sa.select(TermsVersion.id).where(TermsVersion.track_id == track.id)
        )
        start = db.session.scalar(sa.select(sa.func.count()).select_from(Entry)) or 0

        def users(emails: list[str]) -> list[int]:
            rows = [
                {
                    "email": e,
                    "email_normalized": e,
                    "email_verified_at": now,
                    "password_hash": secret,
                    "display_name": e.split("@")[0],
                    "country": "CA",
                }
                for e in emails
            ]
            return list(db.session.scalars(sa.insert(User).returning(User.id), rows))

        user_ids = users([f"innovator-{i}@bench.local" for i in range(start, start + n)])
        team_ids = list(
            db.session.scalars(
                sa.insert(Team).returning(Team.id),
                [{"name": f"Team {i}", "entrant_type": "team"} for i in range(start, start + n)],
            )
        )
        db.session.execute(
            sa.insert(TeamMember),
            [
                {"team_id": t, "user_id": u, "role": "lead", "residence": "CA", "joined_at": now}
                for t, u in zip(team_ids, user_ids, strict=True)
            ],
        )
        entry_ids = list(
            db.session.scalars(
                sa.insert(Entry).returning(Entry.id),
                [
                    {
                        "team_id": t,
                        "track_id": track.id,
                        "challenge_id": challenge.id,
                        "eligibility": "eligible",
                        "eligibility_reasons": [],
                        "eligibility_evaluated_at": now,
                        "terms_version_id": terms_id,
                        "terms_accepted_at": now,
                        "attestations": [],
                        "registered_at": now,
                    }
                    for t in team_ids
                ],
            )
        )
        submission_ids = list(
            db.session.scalars(
                sa.insert(Submission).returning(Submission.id),
                [{"entry_id": e, "round_id": round_id, "draft": {}} for e in entry_ids],
            )
        )
        if start == 0:  # the judge (with a queue of QUEUE) and the track's agency admin
            judge_user, admin_user = users(["judge@bench.local", "admin@bench.local"])
            db.session.execute(
                sa.insert(Membership),
                [{"user_id": admin_user, "agency_id": track.agency_id, "role": "admin"}],
            )
            db.session.add(Rubric(round_id=round_id, stage=1))
            panel = Panel(challenge_id=challenge.id, track_id=track.id)
            db.session.add(panel)
            db.session.flush()
            judge = Judge(panel_id=panel.id, user_id=judge_user)
            db.session.add(judge)
            db.session.flush()
            db.session.execute(
                sa.insert(Assignment),
                [
                    {
                        "round_id": round_id,
                        "stage": 1,
                        "submission_id": sid,
                        "judge_id": judge.id,
                        "user_id": judge_user,
                        "number": number,
                    }
                    for number, sid in enumerate(submission_ids[:QUEUE], start=1)
                ],
            )
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # Fresh statistics, as autovacuum would give a live database after such a load:
            # without them the planner sorts a track's every entry instead of using its index.
            with db.engine.begin() as conn:
                conn.execute(sa.text("ANALYZE"))


def signed_in_pages(app) -> dict[str, tuple[str, str]]:
    """name -> (path, session cookie) of the four signed-in pages."""
    from competitions.accounts.models import User
    from competitions.core.extensions import db
    from competitions.entries.models import Entry, TeamMember
    from competitions.judging.models import Assignment

    with app.app_context():
        entry_id, innovator = db.session.execute(
            sa.select(Entry.id, TeamMember.user_id)
            .join(TeamMember, TeamMember.team_id == Entry.team_id)
            .order_by(Entry.id)
            .limit(1)
        ).one()
        round_id = db.session.scalar(sa.select(Assignment.round_id).limit(1))
    with app.app_context():
        innovator_email = db.session.get(User, innovator).email
    cookies = {
        who: sign_in(app, email)
        for who, email in (
            ("innovator", innovator_email),
            ("judge", "judge@bench.local"),
            ("admin", "admin@bench.local"),
        )
    }
    return {
        "entry page (innovator)": (f"/entries/{entry_id}", cookies["innovator"]),
        "judge's queue": (f"/judging/rounds/{round_id}", cookies["judge"]),
        "track entries (agency)": ("/challenges/challenge-0/tracks/t0/entries", cookies["admin"]),
        "home (innovator)": ("/", cookies["innovator"]),
    }


def sign_in(app, email: str) -> str:
    """A real sign-in through the form; the ``Cookie`` header value of the session."""
    client = app.test_client()
    page = client.get("/login", base_url="https://bench.local").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    data = {"email": email, "password": PASSWORD, "csrf_token": token.group(1) if token else ""}
    response = client.post(
        "/login",
        data=data,
        base_url="https://bench.local",
        headers={"Referer": "https://bench.local/login"},
    )
    assert response.status_code in (302, 303), (email, response.status_code)
    jar = list(client._cookies.values())  # the test client's jar (no public listing)
    return "; ".join(f"{c.key}={c.value}" for c in jar)


def count_queries(app, path: str, cookie: str = "") -> int:
    from competitions.core.extensions import db

    with app.app_context():
        engine = db.engine
    counter = {"n": 0}

    def before(*_args: object) -> None:
        counter["n"] += 1

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        client = app.test_client()
        for pair in filter(None, cookie.split("; ")):
            key, _, value = pair.partition("=")
            client.set_cookie(key, value, domain="bench.local")
        response = client.get(path, base_url="https://bench.local")
        assert response.status_code == 200, (path, response.status_code, response.location)
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


def wait_ready(url: str, cookie: str, workers: int, timeout: float = 120) -> None:
    """Wait until the page answers 200 on several connections in a row: the port opens as
    soon as gunicorn's master binds it, its workers (each importing the app) come later, and
    on a busy host wrk would otherwise measure their boot."""
    import urllib.request

    deadline = time.monotonic() + timeout
    answered = 0
    while answered < workers * 2:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} is not answering")
        headers = {"Cookie": cookie} if cookie else {}
        request = urllib.request.Request(url, headers=headers)  # noqa: S310 (local http)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (local)
                answered += response.status == 200
        except OSError:
            answered = 0
            time.sleep(0.5)


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


def wrk(url: str, duration: int, connections: int, cookie: str = "") -> tuple[float, float, float]:
    header = ["-H", f"Cookie: {cookie}"] if cookie else []
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", *header, url],
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
    parser.add_argument("--queries-only", action="store_true", help="load, count queries, stop")
    tiny.add_flag(parser)
    args = tiny.shrink(parser.parse_args(), runs=1, duration=1, connections=2, workers=1)
    # Tiny: a hundredth of the data, and the load only where wrk is installed.
    scale = 100 if args.tiny else 1
    if args.tiny and not shutil.which("wrk"):
        args.queries_only = True
    if not args.queries_only and not shutil.which("wrk"):
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
    load(app, 100 // scale)
    small = {p: count_queries(app, p) for p in ("/challenges/", "/challenges/challenge-0")}
    load(app, 900 // scale)
    print(f"loaded 1,000 challenges / 4,000 tracks in {time.perf_counter() - started:.1f} s")
    large = {p: count_queries(app, p) for p in ("/challenges/", "/challenges/challenge-0")}
    for path in small:
        print(f"queries {path}: {small[path]} with 100 challenges, {large[path]} with 1,000")

    started = time.perf_counter()
    load_entries(app, 1_000 // scale)
    pages = signed_in_pages(app)
    small = {name: count_queries(app, path, cookie) for name, (path, cookie) in pages.items()}
    load_entries(app, 9_000 // scale)
    print(f"loaded 10,000 entries in {time.perf_counter() - started:.1f} s")
    large = {name: count_queries(app, path, cookie) for name, (path, cookie) in pages.items()}
    for name in small:
        print(f"queries {name}: {small[name]} with 1,000 entries, {large[name]} with 10,000")
    if args.queries_only:
        return

    uncached = {**env, "PUBLIC_PAGE_CACHE_SECONDS": "0"}
    targets = {
        "hello (bare Flask)": ("bench.hello_app:app", "/hello", env, ""),
        "directory": ("wsgi:app", "/challenges/", env, ""),
        "challenge page": ("wsgi:app", "/challenges/challenge-0", env, ""),
        "directory, no cache": ("wsgi:app", "/challenges/", uncached, ""),
        "challenge, no cache": ("wsgi:app", "/challenges/challenge-0", uncached, ""),
        **{name: ("wsgi:app", path, env, cookie) for name, (path, cookie) in pages.items()},
    }
    if args.tiny:  # the bare floor, one public and one signed-in page
        targets = {n: targets[n] for n in ("hello (bare Flask)", "challenge page", "judge's queue")}
    results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in targets}
    for _run in range(args.runs):
        for name, (module, path, target_env, cookie) in targets.items():
            proc, port = start_gunicorn(module, target_env, args.workers)
            try:
                wait_ready(f"http://127.0.0.1:{port}{path}", cookie, args.workers)
                if not args.tiny:
                    wrk(f"http://127.0.0.1:{port}{path}", 2, args.connections, cookie)  # warm up
                results[name].append(
                    wrk(f"http://127.0.0.1:{port}{path}", args.duration, args.connections, cookie)
                )
            finally:
                stop(proc)
    hello = statistics.median(r[0] for r in results["hello (bare Flask)"])
    print(
        f"\n{args.runs} runs x {args.duration} s, {args.connections} connections, "
        f"gunicorn {args.workers} sync workers, {os.cpu_count()} CPUs (wrk on the same host)"
    )
    print(f"{'endpoint':<26}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'vs hello':>10}")
    for name, runs in results.items():
        rps = statistics.median(r[0] for r in runs)
        p50 = statistics.median(r[1] for r in runs)
        p99 = statistics.median(r[2] for r in runs)
        print(f"{name:<26}{rps:>10.0f}{p50:>10.1f}{p99:>10.1f}{rps / hello:>10.0%}")


if __name__ == "__main__":
    main()
