"""Benchmark: one announcement released at one instant to N entrants across T tracks, end to end
(the release tick writes the outbox rows, Celery workers on Redis send them over SMTP to a
counting sink), next to the raw SMTP ceiling measured in the same run (one persistent smtplib
connection sending the same number of pre-rendered messages to the same sink).

    .venv/bin/python bench/fanout.py [--recipients 100000] [--tracks 4] [--runs 3] [--workers 2]

Prints emails/s, time from the release instant to the last delivery, the skew between the
tracks' first deliveries, and lost / duplicated recipients. Needs PostgreSQL and Redis.
Not a test.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import tiny  # noqa: E402
from bench.deadline_rush import fresh_database  # noqa: E402
from bench.pages import environment, free_port, stop  # noqa: E402

PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$bench$bench"  # nobody signs in here


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        args,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
        start_new_session=True,
    )


def start_sink(instance: Path, tag: str) -> tuple[subprocess.Popen, int, Path]:
    port = free_port()
    stats = instance / f"sink-{tag}.json"
    proc = spawn(
        [sys.executable, str(ROOT / "bench" / "smtp_sink.py"), str(port), str(stats)],
        dict(os.environ),
        instance / f"sink-{tag}.log",
    )
    atexit.register(proc.kill)
    deadline = time.monotonic() + 20
    while not stats.exists():
        if time.monotonic() > deadline:
            raise RuntimeError("the SMTP sink did not start")
        time.sleep(0.1)
    return proc, port, stats


def read(stats: Path) -> dict:
    return json.loads(stats.read_text())


def setup(app, recipients: int, tracks: int) -> tuple[int, list[str]]:
    """A published challenge with ``tracks`` tracks (one agency each) and one individual entrant
    per recipient, spread over the tracks, half of them reading French. Bulk-inserted."""
    from competitions.accounts.models import User
    from competitions.agencies.models import Agency
    from competitions.challenges import services as cs
    from competitions.challenges.services import timeline as timeline_services
    from competitions.challenges.services import tracks as track_services
    from competitions.core import clock
    from competitions.core.actor import Actor
    from competitions.core.extensions import db
    from competitions.entries.models import Entry, Team, TeamMember

    with app.app_context():
        run = uuid.uuid4().hex[:6]
        root = User(
            email=f"root-{run}@b.example",
            email_normalized=f"root-{run}@b.example",
            password_hash=PASSWORD_HASH,
            display_name="root",
            country="CA",
            is_platform_admin=True,
        )
        agencies = [
            Agency(
                slug=f"fan-{run}-{t}",
                name=f"Agency {t + 1}",
                jurisdiction="CA",
                timezone="America/Toronto",
                languages=["en", "fr"],
            )
            for t in range(tracks)
        ]
        db.session.add_all([root, *agencies])
        db.session.flush()
        admin = Actor(root)
        challenge = cs.create_challenge(
            admin, agencies[0], f"fan-{run}", cs.Texts({"en": "Fan-out", "fr": "Diffusion"}, {}, {})
        )
        for t in range(1, tracks):
            cs.new_track(challenge, agencies[t], t)
        db.session.flush()
        now = clock.now()
        for t, track in enumerate(challenge.tracks):
            track_services.update_track(
                admin,
                track,
                track_services.TrackSettings(
                    {"en": f"Track {t + 1}", "fr": f"Volet {t + 1}"},
                    {},
                    ["en", "fr"],
                    f"t{t}@b.example",
                    "America/Toronto",
                ),
            )
            track_services.publish_terms(admin, track, {"en": "Terms", "fr": "Conditions"})
            track_services.mark_ready(admin, track, True)
        timeline_services.save_round(
            admin,
            challenge,
            None,
            timeline_services.RoundData(
                {"en": "Phase 1"},
                {
                    "submission_opens": now - timedelta(days=1),
                    "submission_deadline": now + timedelta(days=30),
                    "judging_closes": now + timedelta(days=40),
                    "results_at": now + timedelta(days=45),
                },
            ),
        )
        cs.publish(admin, challenge)
        db.session.commit()
        track_ids = [t.id for t in challenge.tracks]
        terms = {t.id: t.terms_versions[-1].id for t in challenge.tracks}
        emails = [f"r{n}-{run}@fan.example" for n in range(recipients)]
        conn = db.session.connection()
        for start in range(0, recipients, 5000):
            chunk = range(start, min(recipients, start + 5000))
            users = (
                conn.execute(
                    sa.insert(User.__table__).returning(User.__table__.c.id),
                    [
                        {
                            "email": emails[n],
                            "email_normalized": emails[n],
                            "password_hash": PASSWORD_HASH,
                            "display_name": f"R{n}",
                            "country": "CA",
                            "preferred_language": "fr" if n % 2 else "en",
                            "email_verified_at": now,
                        }
                        for n in chunk
                    ],
                )
                .scalars()
                .all()
            )
            teams = (
                conn.execute(
                    sa.insert(Team.__table__).returning(Team.__table__.c.id),
                    [
                        {"name": f"T{n}", "entrant_type": "individual", "created_by_id": u}
                        for n, u in zip(chunk, users, strict=True)
                    ],
                )
                .scalars()
                .all()
            )
            conn.execute(
                sa.insert(TeamMember.__table__),
                [
                    {"team_id": tm, "user_id": u, "role": "lead", "residence": "CA"}
                    for tm, u in zip(teams, users, strict=True)
                ],
            )
            conn.execute(
                sa.insert(Entry.__table__),
                [
                    {
                        "team_id": tm,
                        "track_id": track_ids[n % tracks],
                        "challenge_id": challenge.id,
                        "eligibility": "eligible",
                        "eligibility_reasons": [],
                        "eligibility_evaluated_at": now,
                        "terms_version_id": terms[track_ids[n % tracks]],
                        "terms_accepted_at": now,
                    }
                    for n, tm in zip(chunk, teams, strict=True)
                ],
            )
        db.session.commit()
        return challenge.id, emails


def ceiling(port: int, emails: list[str], sender: str) -> float:
    """Raw SMTP: the same number of pre-rendered messages over one persistent connection."""
    from email.message import EmailMessage

    body = "The deadline moved to 1 June.\n" * 20
    messages = []
    for to in emails:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = sender, to, "Deadline moved"
        msg.set_content(body)
        messages.append((to, msg.as_bytes()))
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as conn:
        for to, data in messages:
            conn.sendmail("bench@b.example", [to], data)
    return len(messages) / (time.perf_counter() - started)


# The announcement is released this long after it is scheduled: the workers and beat are up.
LEAD_SECONDS = 75


def end_to_end(app, env, instance, challenge_id, emails, workers, tag) -> dict:
    from competitions.challenges.models import Challenge
    from competitions.core import clock
    from competitions.core.actor import Actor
    from competitions.core.extensions import db
    from competitions.outreach import announcements as ann

    sink, port, stats = start_sink(instance, tag)
    run_env = {**env, "MAIL_PORT": str(port)}
    celery = str(Path(sys.executable).parent / "celery")
    worker_args = [celery, "-A", "workers.celery_app", "worker", "--concurrency=1"]
    worker_args += [
        "--loglevel=WARNING",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    procs = [
        spawn(
            [*worker_args, "-n", f"w{i}@%h"],
            run_env,
            instance / f"worker-{tag}-{i}.log",
        )
        for i in range(workers)
    ]
    procs.append(
        spawn(
            [celery, "-A", "workers.celery_app", "beat", "-s", str(instance / f"beat-{tag}")],
            run_env,
            instance / f"beat-{tag}.log",
        )
    )
    try:
        with app.app_context():
            challenge = db.session.get(Challenge, challenge_id)
            from competitions.accounts.models import User

            admin = db.session.scalar(sa.select(User).where(User.is_platform_admin.is_(True)))
            item = ann.create(
                Actor(admin),
                challenge,
                None,
                ann.Draft(
                    {"en": "Deadline moved", "fr": "Échéance déplacée"},
                    {"en": "The deadline moved to **1 June**.", "fr": "Le **1er juin**."},
                    ["entries"],
                    None,
                ),
            )
            release_at = clock.now() + timedelta(seconds=LEAD_SECONDS)
            ann.schedule(Actor(admin), item, release_at)
            db.session.commit()
        release = release_at.timestamp()
        deadline = time.time() + LEAD_SECONDS + 1800
        while time.time() < deadline:
            snap = read(stats)
            if snap["messages"] >= len(emails):
                time.sleep(2)  # let late duplicates, if any, arrive
                break
            time.sleep(1)
        snap = read(stats)
        firsts = [t for name, t in snap["first_by_sender"].items() if "via Tandem" in name]
        last = snap["last_at"] - release
        return {
            "emails_per_s": snap["messages"] / last if last > 0 else 0.0,
            "to_last": last,
            "skew": (max(firsts) - min(firsts)) if firsts else float("nan"),
            "first_after_release": (min(firsts) - release) if firsts else float("nan"),
            "lost": len(emails) - snap["recipients"],
            "duplicated": snap["duplicated"],
        }
    finally:
        for proc in procs:
            stop(proc)
        sink.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--tracks", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    tiny.add_flag(parser)
    args = tiny.shrink(parser.parse_args(), recipients=50, tracks=2, runs=1, workers=1)
    global LEAD_SECONDS
    if args.tiny:
        LEAD_SECONDS = 10  # workers and beat boot in a few seconds on tiny data

    import bench.deadline_rush as rush

    rush.DB_NAME = "tandem_bench_fanout"
    url = fresh_database()
    instance = Path(tempfile.mkdtemp(prefix="tandem-fanout-"))
    env = {
        **environment(url, instance),
        "BASE_URL": "https://bench.example",
        "MAIL_TRANSPORT": "smtp",
        "MAIL_HOST": "127.0.0.1",
        "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/1"),
        "OUTBOX_DELIVERY": "worker",
    }
    os.environ.update(env)
    from flask_migrate import upgrade

    from competitions import create_app

    app = create_app()
    with app.app_context():
        upgrade()
    started = time.perf_counter()
    challenge_id, emails = setup(app, args.recipients, args.tracks)
    print(f"set-up: {args.recipients} entrants in {time.perf_counter() - started:.0f} s")
    rows: dict[str, list[float]] = {k: [] for k in ("ceiling", "e2e", "to_last", "skew", "first")}
    lost = duplicated = 0
    for n in range(args.runs):
        sink, port, _stats = start_sink(instance, f"ceiling-{n}")
        try:
            rows["ceiling"].append(ceiling(port, emails, "Agency 1 via Tandem <b@b.example>"))
        finally:
            sink.kill()
        result = end_to_end(app, env, instance, challenge_id, emails, args.workers, f"e2e-{n}")
        rows["e2e"].append(result["emails_per_s"])
        rows["to_last"].append(result["to_last"])
        rows["skew"].append(result["skew"])
        rows["first"].append(result["first_after_release"])
        lost += result["lost"]
        duplicated += result["duplicated"]
        print(f"run {n + 1}: {result}", flush=True)

    med = {k: statistics.median(v) for k, v in rows.items()}
    print(
        f"\n{args.runs} runs, {args.recipients} recipients over {args.tracks} tracks, "
        f"{args.workers} Celery workers (concurrency 1) + beat, Redis, PostgreSQL, "
        f"{os.cpu_count()} CPUs; medians"
    )
    print(f"raw SMTP ceiling          {med['ceiling']:>10.0f} emails/s")
    print(
        f"end to end (ledger+Celery) {med['e2e']:>9.0f} emails/s  "
        f"({med['e2e'] / med['ceiling']:.0%} of the ceiling)"
    )
    print(f"release → last delivery   {med['to_last']:>10.1f} s")
    print(f"release → first delivery  {med['first']:>10.2f} s")
    print(f"skew between tracks' first deliveries {med['skew']:.3f} s")
    print(f"lost {lost}, duplicated {duplicated} (all runs)")


if __name__ == "__main__":
    main()
