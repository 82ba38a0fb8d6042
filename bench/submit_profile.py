"""Profile: where one final submission's CPU goes inside the request (bench/deadline_rush.py's
request, on PostgreSQL, in one process, without gunicorn or network).

    .venv/bin/python bench/submit_profile.py [--requests 200] [--top 40] [--sort tottime]

Sets up the deadline rush's challenge (a fresh database, as deadline_rush does), signs in
through Flask's test client, then submits the same form with a 1 MB PDF ``--requests`` times
(cycling over the entrants), first unprofiled (wall ms per request), then under cProfile,
and prints the profile's top functions, the cumulative time of the submit path's steps and
the SQL statements one submission runs. Receipts go to the outbox (delivered by nobody here).
Not a test.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import deadline_rush, tiny  # noqa: E402
from bench.pages import environment  # noqa: E402
from tests.concurrency.test_deadline_rush import _multipart  # noqa: E402

STEPS = [
    "competitions/submissions/views.py:.*\\(edit\\)",
    "services.py:.*\\(save_and_submit\\)",
    "services.py:.*\\(save_draft\\)",
    "services.py:.*\\(submit\\)",
    "receipts.py:.*\\(send_receipt\\)",
    "mail.py:.*\\(render_mail\\)",
    "mail.py:.*\\(send_after_commit\\)",
    "filetypes.py:.*\\(store_checked\\)",
    "session.py:.*\\(flush\\)",
    "session.py:.*\\(commit\\)",
    "formparser.py:.*\\(parse\\)",
    "entries/services.py:.*\\(get_entry\\)",
    "audit.py:.*\\(record\\)",
    "events.py:.*\\(submission_received\\)",
    "csrf.py:.*\\(protect\\)",
    "flask_login.*\\(_load_user\\)",
    "templating.py:.*\\(render_template\\)",
]


# (module, attribute) of the steps timed one by one (CPU time of this process, inclusive):
# cheap enough to leave the figures near the unprofiled ones, unlike cProfile.
TIMED = [
    ("flask.Flask", "preprocess_request"),
    ("flask.Flask", "dispatch_request"),
    ("competitions.accounts.sessions", "resume"),
    ("werkzeug.formparser.FormDataParser", "parse"),
    ("flask_wtf.csrf.CSRFProtect", "protect"),
    ("competitions.entries.services", "get_entry"),
    ("competitions.submissions.services", "get_round"),
    ("competitions.submissions.services", "save_and_submit"),
    ("competitions.submissions.services", "save_draft"),
    ("competitions.submissions.services", "submit"),
    ("competitions.core.filetypes", "store_checked"),
    ("competitions.submissions.receipts", "send_receipt"),
    ("competitions.core.mail", "render_mail"),
    ("competitions.webhooks.events", "emit"),
    ("competitions.core.audit", "record"),
    ("competitions.core.extensions.TandemSession", "flush"),
    ("competitions.core.extensions.TandemSession", "commit"),
    ("competitions.core.after_commit", "run_committed"),
    ("flask.Flask", "full_dispatch_request"),
    ("flask.Flask", "wsgi_app"),
]


def time_steps(spent: dict[str, list[float]]) -> None:
    """Wrap each of ``TIMED`` with a CPU timer adding to ``spent[name]``."""
    import functools
    import importlib

    for module_name, attribute in TIMED:
        try:
            owner: object = importlib.import_module(module_name)
        except ModuleNotFoundError:  # a class: the module is the part before
            module_name, cls = module_name.rsplit(".", 1)
            owner = getattr(importlib.import_module(module_name), cls)
        original = getattr(owner, attribute)
        name = f"{attribute}"
        spent[name] = [0.0, 0]

        def timed(*a, __original=original, __name=name, **k):  # type: ignore[no-untyped-def]
            started = time.process_time()
            try:
                return __original(*a, **k)
            finally:
                slot = spent[__name]
                slot[0] += time.process_time() - started
                slot[1] += 1

        setattr(owner, attribute, functools.wraps(original)(timed))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--dump", help="write the raw profile here (pstats format)")
    parser.add_argument(
        "--wall", action="store_true", help="profile wall time (default: this process's CPU time)"
    )
    tiny.add_flag(parser)
    args = tiny.shrink(parser.parse_args(), requests=3, clients=1, top=5)

    # Its own database: the smoke test runs it beside deadline_rush.py.
    url = deadline_rush.fresh_database("tandem_bench_submit_profile")
    instance = Path(tempfile.mkdtemp(prefix="tandem-profile-"))
    env = {
        **environment(url, instance),
        "BASE_URL": "http://bench.local",
        "ALLOW_INSECURE_HTTP": "1",
        "MAIL_TRANSPORT": "file",
        "OUTBOX_DELIVERY": "worker",
        "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/1"),
    }
    os.environ.update(env)
    from flask_migrate import upgrade

    from competitions import create_app

    app = create_app()
    with app.app_context():
        upgrade()
    round_id, people = deadline_rush.setup(app, args.clients)
    payload = b"%PDF-1.7\n" + os.urandom(1024 * 1024 - 9)

    prepared = []
    for email, entry_id in people:
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        answer = client.post(
            "/login",
            data={"email": email, "password": deadline_rush.PASSWORD, "csrf_token": token},
        )
        assert answer.status_code == 302, answer.status_code
        path = f"/entries/{entry_id}/rounds/{round_id}"
        page = client.get(path).get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        body, content_type = _multipart(
            {"csrf_token": token, "summary": "Rush", "action": "submit"}, "report.pdf", payload
        )
        prepared.append((client, path, body, content_type))

    def submit(n: int) -> None:
        client, path, body, content_type = prepared[n % len(prepared)]
        answer = client.post(path, data=body, content_type=content_type)
        assert answer.status_code == 302 and "/versions/" in answer.location, (
            answer.status_code,
            answer.get_data(as_text=True)[:500],
        )

    for n in range(len(prepared)):  # warm up: every entrant has a version
        submit(n)
    started = time.perf_counter()
    for n in range(args.requests):
        submit(n)
    wall = (time.perf_counter() - started) * 1000 / args.requests
    cpu_started = time.process_time()
    for n in range(args.requests):
        submit(n)
    cpu = (time.process_time() - cpu_started) * 1000 / args.requests

    spent: dict[str, list[float]] = {}
    time_steps(spent)
    steps_started = time.process_time()
    for n in range(args.requests):
        submit(n)
    steps_total = (time.process_time() - steps_started) * 1000 / args.requests
    spent = {name: list(slot) for name, slot in spent.items()}  # before anything else runs

    statements: list[str] = []
    with app.app_context():
        from competitions.core.extensions import db

        engine = db.engine

    def count(_conn, _cursor, statement, *_rest) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    submit(0)
    sa.event.remove(engine, "before_cursor_execute", count)

    # CPU time by default: waiting for PostgreSQL (its share is measured by deadline_rush) and
    # for the disk is not this process's work.
    profile = cProfile.Profile() if args.wall else cProfile.Profile(time.process_time)
    profile.enable()
    for n in range(args.requests):
        submit(n)
    profile.disable()
    if args.dump:
        profile.dump_stats(args.dump)

    print(
        f"\n{args.requests} final submissions of a 1 MB PDF, in-process (test client), "
        f"PostgreSQL: {wall:.1f} ms wall, {cpu:.1f} ms CPU per request (unprofiled)"
    )
    print(f"with the steps timed: {steps_total:.1f} ms CPU per request; inclusive, per request:")
    for name, (seconds, calls) in spent.items():
        ms, n = seconds * 1000 / args.requests, calls / args.requests
        print(f"  {name:<24}{ms:7.2f} ms {n:5.1f} calls")
    print(f"SQL statements per submission: {len(statements)}")
    for statement in statements:
        print("   ", " ".join(statement.split())[:150])
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    total = stats.total_tt  # type: ignore[attr-defined]
    kind = "wall" if args.wall else "CPU"
    print(f"\nprofiled ({kind} time): {total * 1000 / args.requests:.1f} ms per request")
    print("cumulative ms per request of the steps:")
    for pattern in STEPS:
        rows = [
            (key, value)
            for key, value in stats.stats.items()  # type: ignore[attr-defined]
            if re.search(pattern, f"{key[0]}:{key[1]}({key[2]})")
        ]
        if rows:
            ct = sum(v[3] for _k, v in rows)
            calls = sum(v[1] for _k, v in rows)
            print(
                f"  {pattern:<55} {ct * 1000 / args.requests:7.2f} ms  "
                f"{calls / args.requests:5.1f} calls"
            )
    stats.sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())


if __name__ == "__main__":
    main()
