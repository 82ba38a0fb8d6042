"""Benchmark: a challenge's insights page on PostgreSQL — N entries over T tracks, each with a
submitted version, k = 3 reviews of 5 criteria each (150,000 criterion scores at 10,000
entries), registrations spread over 60 days, and announcement emails in the outbox.

    .venv/bin/python bench/insights.py [--entries 10000] [--tracks 4] [--emails 100000] [--runs 5]

Prints, in the same run: the figures alone (``insights.aggregation.figures``: the grouped SQL
queries the page needs, the floor), then the whole page (the figures, the rounds' kept
results for the leniency, the charts, the SVG and the template) — the first view, which
computes and keeps the round's results, and later views — with their number of queries.
Not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import tiny  # noqa: E402
from bench.judging import fresh_database, populate, score_everything  # noqa: E402
from bench.pages import environment  # noqa: E402


def spread_and_mail(app, challenge_id: int, emails: int) -> int:
    """Registrations over 60 days; subscriptions for the entrants (half French); announcements
    (per track and challenge-wide) with ``emails`` outbox rows in every delivery state."""
    from competitions.accounts.models import User
    from competitions.challenges.models import Challenge
    from competitions.core import clock
    from competitions.core.extensions import db
    from competitions.core.outbox import OutboxMessage
    from competitions.entries.models import Entry, TeamMember
    from competitions.outreach.models import Announcement, Subscription

    with app.app_context():
        conn = db.session.connection()
        conn.execute(
            sa.text(
                "UPDATE entry SET registered_at = registered_at - (id % 60) * interval '1 day' "
                "WHERE challenge_id = :c"
            ),
            {"c": challenge_id},
        )
        addresses = (
            conn.execute(
                sa.select(User.email)
                .join(TeamMember, TeamMember.user_id == User.id)
                .join(Entry, Entry.team_id == TeamMember.team_id)
                .where(Entry.challenge_id == challenge_id)
            )
            .scalars()
            .all()
        )
        now = clock.now()
        subscription_ids = (
            conn.execute(
                sa.insert(Subscription.__table__).returning(
                    Subscription.__table__.c.id, sort_by_parameter_order=True
                ),
                [
                    {
                        "challenge_id": challenge_id,
                        "email": a,
                        "email_normalized": a.lower(),
                        "language": "fr" if n % 2 else "en",
                        "status": "unsubscribed" if n % 50 == 0 else "active",
                        "nonce": f"n{n}",
                        "created_at": now,
                        "requested_at": now,
                    }
                    for n, a in enumerate(addresses)
                ],
            )
            .scalars()
            .all()
        )
        subscription_of = dict(zip(addresses, subscription_ids, strict=True))
        challenge = db.session.get(Challenge, challenge_id)
        scopes = [None, *challenge.tracks]
        announcements = []
        for n in range(max(1, emails // max(len(addresses), 1))):
            track = scopes[n % len(scopes)]
            ann = Announcement(
                challenge_id=challenge_id,
                track_id=track.id if track else None,
                agency_id=track.agency_id if track else challenge.lead_agency_id,
                subject={"en": f"News {n}"},
                body={"en": "Hello"},
                audiences=["entries"],
                status="released",
            )
            db.session.add(ann)
            announcements.append(ann)
        db.session.flush()
        states = ["sent"] * 8 + ["queued", "failed"]
        rows = [
            {
                "source": ann.source,
                "to_address": a,
                "subscription_id": subscription_of[a],
                "subject": "News",
                "text_body": "Hello",
                "headers": {},
                "status": states[(n + i) % len(states)],
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for n, ann in enumerate(announcements)
            for i, a in enumerate(addresses)
        ][:emails]
        for start in range(0, len(rows), 20_000):
            conn.execute(sa.insert(OutboxMessage.__table__), rows[start : start + 20_000])
        db.session.commit()
        db.session.connection().execute(sa.text("ANALYZE"))
        db.session.commit()
        return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--tracks", type=int, default=4)
    parser.add_argument("--judges", type=int, default=300)
    parser.add_argument("--emails", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    tiny.add_flag(parser)
    args = tiny.shrink(parser.parse_args(), entries=40, tracks=2, judges=9, emails=50, runs=1)

    url = fresh_database("tandem_bench_insights")
    instance = Path(tempfile.mkdtemp(prefix="tandem-insights-"))
    os.environ.update(environment(url, instance))
    from flask_migrate import upgrade

    from competitions import create_app

    app = create_app()
    with app.app_context():
        upgrade()
    started = time.perf_counter()
    ids = populate(app, args.entries, args.tracks, args.judges, max(0.01, 2 / args.entries))

    from competitions.accounts.models import User
    from competitions.challenges.models import Challenge, Round
    from competitions.core.actor import Actor
    from competitions.core.extensions import db
    from competitions.insights import aggregation
    from competitions.judging import assignments

    with app.app_context():
        challenge = db.session.get(Challenge, ids["challenge_id"])
        round_ = db.session.get(Round, ids["round_id"])
        root = db.session.get(User, ids["root_id"])
        assignments.auto_assign(Actor(root), challenge, round_, None)
        db.session.commit()
    scores = score_everything(app, ids["round_id"])
    emails = spread_and_mail(app, ids["challenge_id"], args.emails)
    print(
        f"set-up: {args.entries} entries over {args.tracks} tracks, {scores} criterion scores, "
        f"{emails} outbox rows in {time.perf_counter() - started:.0f} s"
    )

    queries: list[str] = []
    with app.app_context():
        engine = db.engine
        slug = db.session.get(Challenge, ids["challenge_id"]).slug
    sa.event.listen(engine, "before_cursor_execute", lambda *a: queries.append(a[2]))

    floor = []
    with app.app_context():
        challenge = db.session.get(Challenge, ids["challenge_id"])
        challenge.rounds  # noqa: B018 (loaded once, as the page has it)
        for _ in range(args.runs):
            queries.clear()
            t0 = time.perf_counter()
            aggregation.figures(challenge)
            floor.append(time.perf_counter() - t0)
        db.session.rollback()
    f = statistics.median(floor)
    print(
        f"figures alone (the grouped SQL queries, the floor): {len(queries)} queries, "
        f"best {min(floor) * 1000:.0f} ms, median {f * 1000:.0f} ms over {args.runs}"
    )
    client = app.test_client()
    https = {"base_url": "https://bench.local"}  # production settings: secure cookies only
    with client.session_transaction(**https) as session:
        session["_user_id"] = ids["root_session"]
        session["_fresh"] = True
    later = []
    for n in range(args.runs + 1):
        queries.clear()
        t0 = time.perf_counter()
        response = client.get(f"/challenges/{slug}/insights", **https)
        elapsed = time.perf_counter() - t0
        assert response.status_code == 200, response.status_code
        if n == 0:
            print(
                f"insights page, first view (computes and keeps the round's results): "
                f"{elapsed * 1000:.0f} ms, {len(queries)} queries, "
                f"{len(response.data) // 1024} KiB"
            )
        else:
            later.append(elapsed)
    p = statistics.median(later)
    print(
        f"insights page, later views: {len(queries)} queries, best {min(later) * 1000:.0f} ms, "
        f"median {p * 1000:.0f} ms over {args.runs} views = {p / f:.2f}x the floor"
    )
    print("load average: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
