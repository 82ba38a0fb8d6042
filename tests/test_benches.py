"""Every bench in bench/ still runs: each one, with ``--tiny`` (a few rows, a second of load),
as a subprocess against this run's PostgreSQL, exits 0 and prints its figures. Timings are not
asserted (they live in the benches' reports); this only keeps the benches from rotting.

The benches create their own PostgreSQL databases (named with a suffix of this run, dropped
after), so they are skipped on the SQLite leg; the two that need Celery on Redis are skipped
when the suite's broker is not Redis. They all run at once; the two Redis ones start their own
workers, each on its own Redis database (the suite's and the next one), so neither's worker
takes the other's tasks.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
DATABASE_URL = os.environ.get("DATABASE_URL", "")
BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
ON_POSTGRESQL = DATABASE_URL.startswith("postgresql")

# Each bench and lines its output must hold (its figures).
BENCHES: dict[str, tuple[str, ...]] = {
    "judging.py": (
        "assignment (service",
        "results floor",
        "results page, later view",
        "shows the kept results and says so",
        "the worker's recomputation",
    ),
    "insights.py": ("insights page",),
    "pages.py": ("queries /challenges/", "queries judge's queue"),
    "deadline_rush.py": ("ceiling", "tandem", "CPU ms per request"),
    "fanout.py": ("raw SMTP ceiling", "lost 0, duplicated 0"),
    "submit_profile.py": ("SQL statements per submission", "cumulative ms per request"),
}
NEEDS_REDIS = {"deadline_rush.py", "fanout.py"}
# Modules of bench/ that are helpers of the benches above, not benches.
HELPERS = {"__init__.py", "cpu.py", "hello_app.py", "smtp_sink.py", "tiny.py", "upload_ceiling.py"}
# The Redis database number each Redis bench adds to the suite's broker's.
REDIS_DB_OFFSET = {"deadline_rush.py": 0, "fanout.py": 1}
TIMEOUT = 240


def test_every_bench_is_smoke_tested() -> None:
    found = {p.name for p in (ROOT / "bench").glob("*.py")} - HELPERS
    assert found == set(BENCHES), "add the new bench to BENCHES (and give it --tiny)"
    assert set(REDIS_DB_OFFSET) == NEEDS_REDIS


def broker_for(bench: str, broker: str) -> str:
    """The suite's Redis broker URL with the bench's database number."""
    url = sa.engine.make_url(broker)  # the same shape: scheme://host:port/db
    base = int(url.database or 0)
    return url.set(database=str((base + REDIS_DB_OFFSET[bench]) % 16)).render_as_string(False)


@pytest.fixture(scope="module")
def runs() -> dict[str, Future[subprocess.CompletedProcess[str]]]:
    if not ON_POSTGRESQL:
        pytest.skip("the benches create PostgreSQL databases: PostgreSQL leg only")
    suffix = f"_tiny_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")
    template = f"tandem_bench_template{suffix}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{template}"'))
    env = {
        **os.environ,
        "BENCH_ADMIN_URL": DATABASE_URL,
        "BENCH_DB_SUFFIX": suffix,
        "BENCH_TEMPLATE_DB": template,
        "BENCH_BROKER_URL": BROKER_URL,
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("TANDEM_ENV", None)  # each bench sets its own (production) settings
    template_url = sa.engine.make_url(DATABASE_URL).set(database=template)
    # The migrations once, in the template every bench's database is copied from.
    subprocess.run(
        [sys.executable, "-c", _MIGRATE, template_url.render_as_string(False)],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=TIMEOUT,
        capture_output=True,
    )

    def run(name: str, future: Future[subprocess.CompletedProcess[str]]) -> None:
        if name in NEEDS_REDIS and not BROKER_URL.startswith("redis://"):
            future.set_result(subprocess.CompletedProcess([name], -1, "", "no Redis"))
            return
        own = (
            {**env, "BENCH_BROKER_URL": broker_for(name, BROKER_URL)}
            if name in NEEDS_REDIS
            else env
        )
        try:
            future.set_result(
                subprocess.run(
                    [sys.executable, f"bench/{name}", "--tiny"],
                    cwd=ROOT,
                    env=own,
                    capture_output=True,
                    text=True,
                    timeout=TIMEOUT,
                )
            )
        except Exception as exc:  # a timeout, reported by the bench's test
            future.set_exception(exc)

    futures: dict[str, Future[subprocess.CompletedProcess[str]]] = {
        name: Future() for name in BENCHES
    }
    with ThreadPoolExecutor(len(BENCHES)) as pool:
        for name, future in futures.items():
            pool.submit(run, name, future)
        yield futures
    with admin.connect() as conn:
        names = conn.scalars(
            sa.text("SELECT datname FROM pg_database WHERE datname LIKE :pattern"),
            {"pattern": f"%{suffix}"},
        ).all()
        for name in names:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


_MIGRATE = """
import os, sys, tempfile
from pathlib import Path
from bench.pages import environment
os.environ.update(environment(sys.argv[1], Path(tempfile.mkdtemp(prefix="tandem-tiny-"))))
from flask_migrate import upgrade
from competitions import create_app
with create_app().app_context():
    upgrade()
"""


@pytest.mark.parametrize("bench", sorted(BENCHES))
def test_the_bench_runs_on_tiny_data(bench: str, runs: dict[str, Future]) -> None:
    if bench in NEEDS_REDIS and not BROKER_URL.startswith("redis://"):
        pytest.skip("needs Celery on Redis (CELERY_BROKER_URL=redis://...)")
    done = runs[bench].result(timeout=TIMEOUT * 2)
    report = f"stdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-3000:]}"
    assert done.returncode == 0, report
    for line in BENCHES[bench]:
        assert line in done.stdout, report
