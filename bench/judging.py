"""Benchmark: judging at scale on PostgreSQL — N submissions over T tracks, J judges, k reviews
each, 5 criteria, a share of conflicts.

    .venv/bin/python bench/judging.py [--submissions 10000] [--judges 300] [--k 3] [--runs 3]

Prints: the pure assignment time and the whole automatic-assignment service (conflict
detection, loading, writing the rows); the results' aggregation + normalization
(``results.compute``: one grouped SQL query for the weighted raw scores, then the z-score
normalization and ranks in Python) next to the same aggregation written as one SQL query (the
floor); and the results page (first view computes and stores, later views read the stored
summary and a page of each track's rows, the first page and a later one) with its number of
queries and the machine's load; then the page after a review changed, with a worker keeping the
results (``RESULTS_REFRESH=worker``) and without. Not a test.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import tiny  # noqa: E402
from bench.fanout import PASSWORD_HASH, setup  # noqa: E402
from bench.pages import environment  # noqa: E402

# Weighted raw per review, per-judge z-scores mapped onto the round's mean and SD (raw kept
# below the minimum number of reviews), then the mean per submission — all in the database.
FLOOR_SQL = """
WITH raw AS MATERIALIZED (
  SELECT a.user_id, a.submission_id,
         100.0 * SUM(c.weight * (s.value - c.scale_min) / (c.scale_max - c.scale_min))
               / SUM(c.weight) AS x
  FROM assignment a JOIN review r ON r.assignment_id = a.id
  JOIN score s ON s.review_id = r.id JOIN criterion c ON c.id = s.criterion_id
  WHERE a.round_id = :round AND a.ended_at IS NULL AND r.status = 'submitted'
  GROUP BY a.user_id, a.submission_id
), judge AS (
  SELECT user_id, AVG(x) AS m, STDDEV_POP(x) AS sd, COUNT(*) AS n FROM raw GROUP BY user_id
), round_stats AS (SELECT AVG(x) AS mu, STDDEV_POP(x) AS sigma FROM raw)
SELECT raw.submission_id, AVG(raw.x) AS raw_score,
       AVG(CASE WHEN judge.n < :min_reviews THEN raw.x
                WHEN judge.sd = 0 THEN round_stats.mu
                ELSE round_stats.mu + round_stats.sigma * (raw.x - judge.m) / judge.sd END) AS norm,
       COUNT(*) AS reviews
FROM raw JOIN judge ON judge.user_id = raw.user_id CROSS JOIN round_stats
GROUP BY raw.submission_id
"""


def fresh_database(name: str) -> str:
    name = tiny.database_name(name)
    admin_url = os.environ.get(
        "BENCH_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        tiny.create_database(conn, name)
    admin.dispose()
    return sa.engine.make_url(admin_url).set(database=name).render_as_string(False)


def populate(app, submissions: int, tracks: int, judges: int, conflict_rate: float) -> dict:
    """Entrants with one submitted version each, a 5-criterion rubric, panels (per track and a
    shared one) and ``conflict_rate`` of judge-team pairs conflicted. Bulk-inserted."""
    from competitions.accounts.models import User
    from competitions.challenges.models import Challenge
    from competitions.core import clock
    from competitions.core.actor import Actor
    from competitions.core.extensions import db
    from competitions.entries.models import Entry
    from competitions.judging import panels, rubrics
    from competitions.judging.models import Conflict, Judge
    from competitions.submissions.models import Submission, SubmissionVersion

    challenge_id, _emails = setup(app, submissions, tracks)
    rng = random.Random(7)
    with app.app_context():
        challenge = db.session.get(Challenge, challenge_id)
        round_ = challenge.rounds[0]
        root = db.session.scalar(sa.select(User).where(User.is_platform_admin.is_(True)))
        actor = Actor(root)
        rubric = rubrics.rubric_for(round_)
        for n in range(5):
            rubrics.add_criterion(
                actor,
                challenge,
                rubric,
                rubrics.CriterionData(
                    {"en": f"Criterion {n + 1}"}, {}, str(1 + n % 3), "0", "10", "1"
                ),
            )
        rubric.reviews_per_submission = 3
        conn = db.session.connection()
        now = clock.now()
        entries = conn.execute(
            sa.select(Entry.id, Entry.team_id, Entry.track_id).where(
                Entry.challenge_id == challenge_id
            )
        ).all()
        subs = (
            conn.execute(
                sa.insert(Submission.__table__).returning(Submission.__table__.c.id),
                [{"entry_id": e, "round_id": round_.id, "draft": {}} for e, _t, _k in entries],
            )
            .scalars()
            .all()
        )
        conn.execute(
            sa.insert(SubmissionVersion.__table__),
            [
                {
                    "submission_id": s,
                    "number": 1,
                    "answers": {},
                    "submitted_at": now,
                    "deadline": round_.submission_deadline,
                }
                for s in subs
            ],
        )
        run = uuid.uuid4().hex[:6]
        emails = [f"judge{n}-{run}@judges{n % 50}.example" for n in range(judges)]
        users = (
            conn.execute(
                sa.insert(User.__table__).returning(User.__table__.c.id),
                [
                    {
                        "email": e,
                        "email_normalized": e,
                        "password_hash": PASSWORD_HASH,
                        "display_name": e.split("@")[0],
                        "country": "CA",
                        "email_verified_at": now,
                    }
                    for e in emails
                ],
            )
            .scalars()
            .all()
        )
        shared = max(1, judges // 15)
        seats = []
        for n, user_id in enumerate(users):
            track = None if n < shared else challenge.tracks[n % tracks]
            seats.append({"panel_id": panels.panel_for(challenge, track).id, "user_id": user_id})
        conn.execute(
            sa.insert(Judge.__table__),
            [
                {**s, "organisation": "", "expertise": [], "conflict_organisations": []}
                for s in seats
            ],
        )
        teams = [t for _e, t, _k in entries]
        pairs = {(u, t) for u in users for t in rng.sample(teams, int(conflict_rate * len(teams)))}
        if pairs:
            conn.execute(
                sa.insert(Conflict.__table__),
                [
                    {
                        "challenge_id": challenge_id,
                        "user_id": u,
                        "team_id": t,
                        "source": "admin",
                        "reason": "bench",
                        "created_at": now,
                    }
                    for u, t in pairs
                ],
            )
        # A signed-in session of the platform admin, for the pages measured afterwards.
        from competitions.accounts import sessions

        sessions.begin(actor, root, remember=False, user_agent="bench")
        db.session.commit()
        return {
            "challenge_id": challenge_id,
            "round_id": round_.id,
            "root_id": root.id,
            "root_session": root.session_cookie_id,
        }


def score_everything(app, round_id: int) -> int:
    """A submitted review with a random score per criterion for every active assignment."""
    from competitions.core import clock
    from competitions.core.extensions import db
    from competitions.judging.models import Assignment, Criterion, Review, Rubric, Score

    rng = random.Random(11)
    with app.app_context():
        conn = db.session.connection()
        now = clock.now()
        ids = conn.execute(
            sa.select(Assignment.id, Assignment.user_id).where(
                Assignment.round_id == round_id, Assignment.ended_at.is_(None)
            )
        ).all()
        criteria = (
            conn.execute(
                sa.select(Criterion.id)
                .join(Rubric, Rubric.id == Criterion.rubric_id)
                .where(Rubric.round_id == round_id)
            )
            .scalars()
            .all()
        )
        bias = {u: rng.uniform(-2, 2) for _a, u in ids}
        reviews = (
            conn.execute(
                sa.insert(Review.__table__).returning(Review.__table__.c.id),
                [
                    {
                        "assignment_id": a,
                        "status": "submitted",
                        "comment_to_team": "",
                        "comment_to_admins": "",
                        "updated_at": now,
                        "submitted_at": now,
                    }
                    for a, _u in ids
                ],
            )
            .scalars()
            .all()
        )
        rows = [
            {
                "review_id": r,
                "criterion_id": c,
                "value": max(0, min(10, round(rng.gauss(5, 2) + bias[u]))),
            }
            for r, (_a, u) in zip(reviews, ids, strict=True)
            for c in criteria
        ]
        for start in range(0, len(rows), 50_000):
            conn.execute(sa.insert(Score.__table__), rows[start : start + 50_000])
        # What reviews.save_review keeps with the scores (as the migration's backfill does).
        conn.execute(
            sa.text(
                "UPDATE review SET weighted_score = ("
                " SELECT 100.0 * SUM(CAST(c.weight AS FLOAT) * (CAST(s.value - c.scale_min"
                " AS FLOAT) / CAST(c.scale_max - c.scale_min AS FLOAT)))"
                " / SUM(CAST(c.weight AS FLOAT))"
                " FROM score s JOIN criterion c ON c.id = s.criterion_id"
                " WHERE s.review_id = review.id) WHERE id = ANY(:ids)"
            ),
            {"ids": list(reviews)},
        )
        db.session.commit()
        conn = db.session.connection()
        conn.execute(sa.text("ANALYZE"))  # fresh statistics after the bulk load
        db.session.commit()
        return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--submissions", type=int, default=10_000)
    parser.add_argument("--tracks", type=int, default=4)
    parser.add_argument("--judges", type=int, default=300)
    parser.add_argument("--conflicts", type=float, default=0.02)
    parser.add_argument("--runs", type=int, default=3)
    tiny.add_flag(parser)
    args = tiny.shrink(
        parser.parse_args(), submissions=40, tracks=2, judges=9, conflicts=0.1, runs=1
    )

    url = fresh_database("tandem_bench_judging")
    instance = Path(tempfile.mkdtemp(prefix="tandem-judging-"))
    os.environ.update(environment(url, instance))
    from flask_migrate import upgrade

    from competitions import create_app

    app = create_app()
    with app.app_context():
        upgrade()
    started = time.perf_counter()
    ids = populate(app, args.submissions, args.tracks, args.judges, args.conflicts)
    print(
        f"set-up: {args.submissions} submissions, {args.judges} judges in "
        f"{time.perf_counter() - started:.0f} s"
    )

    from competitions.challenges.models import Challenge, Round
    from competitions.core.actor import Actor
    from competitions.core.extensions import db
    from competitions.judging import assignment, assignments, results

    # Assignment: the pure function on the loaded instance, then the whole service once.
    with app.app_context():
        challenge = db.session.get(Challenge, ids["challenge_id"])
        round_ = db.session.get(Round, ids["round_id"])
        items = assignments.round_items(round_)
        seats = assignments.seats_for(challenge, None)
        from competitions.judging import conflicts

        conflicted = conflicts.conflicted_pairs({s.user_id for s in seats})
        teams_of = {i.submission_id: i.team_id for i in items}
        by_user: dict[int, set[int]] = {}
        for u, t in conflicted:
            by_user.setdefault(u, set()).add(t)
        pairs = [
            (s.id, i) for s in seats for i, t in teams_of.items() if t in by_user.get(s.user_id, ())
        ]
        pure = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            outcome = assignment.assign(
                [assignment.Item(id=i.submission_id, track_id=i.track_id) for i in items],
                [
                    assignment.Judge(id=s.id, panel_id=s.panel_id, track_id=s.panel.track_id)
                    for s in seats
                ],
                3,
                conflicts=pairs,
            )
            pure.append(time.perf_counter() - t0)
        print(
            f"assignment (pure function): median {statistics.median(pure):.3f} s over "
            f"{args.runs} runs; {len(outcome.pairs)} pairs, {len(pairs)} conflicted pairs, "
            f"short {sum(outcome.shortfall.values())}"
        )
        root = db.session.get(
            __import__("competitions.accounts.models").accounts.models.User, ids["root_id"]
        )
        t0 = time.perf_counter()
        done = assignments.auto_assign(Actor(root), challenge, round_, None)
        db.session.commit()
        print(
            f"assignment (service: detection, load, write {done.added} rows): "
            f"{time.perf_counter() - t0:.2f} s"
        )
    scores = score_everything(app, ids["round_id"])
    print(f"scores: {scores} criterion scores")

    floor, ours = [], []
    with app.app_context():
        round_ = db.session.get(Round, ids["round_id"])
        for _ in range(args.runs):
            t0 = time.perf_counter()
            rows = db.session.execute(
                sa.text(FLOOR_SQL), {"round": round_.id, "min_reviews": 3}
            ).all()
            floor.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            data = results.compute(round_)
            ours.append(time.perf_counter() - t0)
        db.session.rollback()
    f, o = statistics.median(floor), statistics.median(ours)
    print(f"results floor (one SQL query, {len(rows)} rows): median {f:.3f} s")
    print(
        f"results (SQL raw + Python normalization, ranks, leniency, outliers; "
        f"{len(data.items)} items): median {o:.3f} s = {o / f:.2f}x the floor"
    )

    queries: list[str] = []
    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", lambda *a: queries.append(a[2]))
    client = app.test_client()
    https = {"base_url": "https://bench.local"}  # production settings: secure cookies only
    with client.session_transaction(**https) as session:
        session["_user_id"] = ids["root_session"]
        session["_fresh"] = True
    slug = None
    with app.app_context():
        slug = db.session.get(Challenge, ids["challenge_id"]).slug
    with app.app_context():
        track_id = db.session.get(Challenge, ids["challenge_id"]).tracks[0].id
    page = f"?page-{track_id}=25"  # a later page reads its own rows as the first does
    for label, query in (
        ("first view (computes and stores)", ""),
        ("later view (stored)", ""),
        ("later view", ""),
        ("later view, a track's page 25", page),
        ("later view, a track's page 25", page),
    ):
        queries.clear()
        t0 = time.perf_counter()
        response = client.get(
            f"/challenges/{slug}/rounds/{ids['round_id']}/results{query}", **https
        )
        elapsed = time.perf_counter() - t0
        print(
            f"results page, {label}: {elapsed:.2f} s, {len(queries)} queries, "
            f"HTTP {response.status_code}, {len(response.data) // 1024} KiB, "
            f"load {os.getloadavg()[0]:.1f}"
        )
    after_a_review(app, client, https, f"/challenges/{slug}/rounds/{ids['round_id']}/results")


def after_a_review(app, client, https: dict, url: str) -> None:
    """The results page after a review changed: in worker mode it shows the kept results while
    the worker recomputes them (timed here in-process, as the task runs it), then the fresh
    ones; in inline mode the page recomputes them itself."""
    from competitions.core.extensions import db
    from competitions.judging import refresh

    round_id = int(url.split("/rounds/")[1].split("/")[0])

    def change_a_review() -> None:
        with app.app_context():
            db.session.execute(
                sa.text(
                    "UPDATE review SET revision = revision + 1, updated_at = now() "
                    "WHERE id = (SELECT min(r.id) FROM review r JOIN assignment a "
                    "ON a.id = r.assignment_id WHERE a.round_id = :round)"
                ),
                {"round": round_id},
            )
            db.session.commit()

    def view(label: str) -> None:
        t0 = time.perf_counter()
        response = client.get(url, **https)
        elapsed = time.perf_counter() - t0
        lagging = "These results were computed at" in response.get_data(as_text=True)
        print(
            f"results page, {label}: {elapsed:.2f} s, HTTP {response.status_code}"
            f"{', shows the kept results and says so' if lagging else ''}, "
            f"load {os.getloadavg()[0]:.1f}"
        )

    app.config["RESULTS_REFRESH"] = "worker"
    change_a_review()
    view("right after a review (RESULTS_REFRESH=worker)")
    with app.app_context():
        t0 = time.perf_counter()
        refresh.refresh(round_id, 1)
        print(f"the worker's recomputation after it: {time.perf_counter() - t0:.2f} s")
    view("once the worker has recomputed")
    app.config["RESULTS_REFRESH"] = "inline"
    change_a_review()
    view("right after a review (RESULTS_REFRESH=inline: the page recomputes)")


if __name__ == "__main__":
    main()
