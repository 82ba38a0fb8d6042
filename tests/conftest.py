"""Shared fixtures: app, per-test rollback db, client, factories, login, clock, queries, mail.

The suite runs on SQLite by default and on PostgreSQL when ``DATABASE_URL`` is set; the
Celery broker is a folder by default and Redis when ``CELERY_BROKER_URL`` is set.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

os.environ["TANDEM_ENV"] = "testing"

from competitions import create_app
from competitions.core import clock as clock_module
from competitions.core.extensions import TandemSession, limiter
from competitions.core.extensions import db as _db
from tests.support.database import prepare_database
from tests.support.s3 import CREDENTIALS, S3Server
from tests.support.smtp import SMTPCapture

BASE_URL = "https://tandem.test"
RELAXED_SESSION_LIMITS = dict.fromkeys(
    ("SESSION_MAX_AGE", "MEMBER_SESSION_IDLE", "MEMBER_SESSION_MAX_AGE"), 60 * 60 * 24 * 365
)


@pytest.fixture
def real_session_limits(app: Flask) -> Iterator[None]:
    """The session limits of a real deployment, for the tests about them."""
    from competitions.config import build_config

    real = build_config("testing")
    saved = {key: app.config[key] for key in RELAXED_SESSION_LIMITS}
    app.config.update({key: real[key] for key in RELAXED_SESSION_LIMITS})
    yield
    app.config.update(saved)


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SMTPCapture]:
    server = SMTPCapture()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """A real S3-speaking server (moto's, a separate process), started on first use."""
    server = S3Server().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def suite_storage(request: pytest.FixtureRequest) -> dict[str, str]:
    """With ``TANDEM_TEST_STORAGE=s3`` the whole suite keeps its files in a bucket of a real S3
    server: the app, the live servers of the e2e tests and the worker processes all read the
    settings from the environment set here. Otherwise files go to the instance folder."""
    if os.environ.get("TANDEM_TEST_STORAGE", "local") != "s3":
        return {}
    server: S3Server = request.getfixturevalue("s3_server")
    server.client().create_bucket(Bucket="tandem-suite")
    values = {
        "STORAGE_URL": "s3://tandem-suite/files",
        "S3_ENDPOINT_URL": server.url,
        **CREDENTIALS,
    }
    os.environ.update(values)
    return values


@pytest.fixture(scope="session")
def app(
    tmp_path_factory: pytest.TempPathFactory,
    smtp_server: SMTPCapture,
    suite_storage: dict[str, str],
) -> Iterator[Flask]:
    instance = tmp_path_factory.mktemp("instance")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'test.db'}"
    url = prepare_database(url, "test")
    application = create_app(
        {
            "TANDEM_ENV": "testing",
            "INSTANCE_PATH": str(instance),
            "SQLALCHEMY_DATABASE_URI": url,
            "MAIL_TRANSPORT": "smtp",
            "MAIL_HOST": "127.0.0.1",
            "MAIL_PORT": smtp_server.port,
            "BASE_URL": BASE_URL,
            "WTF_CSRF_ENABLED": False,
            "STORAGE_DIR": str(instance / "storage"),
            "STORAGE_URL": suite_storage.get("STORAGE_URL", ""),
            "S3_ENDPOINT_URL": suite_storage.get("S3_ENDPOINT_URL", ""),
            # The suite moves the clock by days while people stay signed in. The server-side
            # session limits are tested with their real values (``real_session_limits``).
            **RELAXED_SESSION_LIMITS,
        }
    )
    application.test_client_class = IsolatedClient
    with application.app_context():
        from flask_migrate import upgrade

        upgrade()
        _install_savepoint_workaround(_db.engine)
    yield application
    with application.app_context():
        _db.engine.dispose()


def _install_savepoint_workaround(engine: sa.Engine) -> None:
    """pysqlite does not emit BEGIN itself, which breaks SAVEPOINT-based isolation."""
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _rec: Any) -> None:
        dbapi_conn.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN")

    engine.dispose()


class _BoundSession(TandemSession):
    """Flask-SQLAlchemy's Session ignores ``bind=``; honour it so tests share one connection."""

    def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kw: Any) -> Any:
        return bind if bind is not None else self.bind


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context (fresh ``g``, fresh session), like production.

    Afterwards the test's own session forgets what it loaded, so it sees the request's writes.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if _db.session.registry.has():
            _db.session.expire_all()
        return response


@contextmanager
def rolled_back_database(app: Flask) -> Iterator[sa.Connection]:
    """Everything in the block runs on one connection in one transaction, rolled back at the
    end; requests made meanwhile join it (each session in a SAVEPOINT of its own)."""
    ctx = app.app_context()
    ctx.push()
    conn = _db.engine.connect()
    outer = conn.begin()
    original = _db.session
    _db.session = _db._make_scoped_session(
        {"class_": _BoundSession, "bind": conn, "join_transaction_mode": "create_savepoint"}
    )
    limiter.reset()
    try:
        yield conn
    finally:
        _db.session.remove()
        _db.session = original
        outer.rollback()
        conn.close()
        ctx.pop()
        clock_module.set_now(None)


@pytest.fixture
def db(app: Flask) -> Iterator[Any]:
    """Per-test transaction rolled back at the end; requests share the same connection."""
    with rolled_back_database(app):
        yield _db


@pytest.fixture
def client(app: Flask, db: Any) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def mail(smtp_server: SMTPCapture) -> SMTPCapture:
    smtp_server.clear()
    return smtp_server


@pytest.fixture
def clock() -> Iterator[Any]:
    """The application clock, frozen for the test; ``clock.set_now``/``clock.advance`` move it."""
    clock_module.set_now(clock_module.now())
    yield clock_module
    clock_module.set_now(None)


@pytest.fixture
def count_queries(db: Any) -> Callable[[], Any]:
    """``with count_queries() as q: ...`` then ``q.count`` (statements sent to the database)."""

    @contextmanager
    def counter() -> Iterator[Any]:
        class Box:
            count = 0
            statements: list[str] = []
            executed: list[tuple[str, Any]] = []  # each statement with its parameters

        box = Box()
        box.statements = []
        box.executed = []

        def before(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
            if statement.strip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
                return
            box.count += 1
            box.statements.append(statement)
            box.executed.append((statement, parameters))

        engine = _db.engine
        sa.event.listen(engine, "before_cursor_execute", before)
        try:
            yield box
        finally:
            sa.event.remove(engine, "before_cursor_execute", before)

    return counter


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


@pytest.fixture
def csrf_enabled(app: Flask) -> Iterator[None]:
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


from tests.factories import *  # noqa: E402,F403

# --- committed-data environments: live server, real Celery worker, Chromium ---------------


@pytest.fixture(scope="session")
def live_env(tmp_path_factory: pytest.TempPathFactory, smtp_server: SMTPCapture) -> dict[str, str]:
    from tests.support.live import live_environment

    instance = tmp_path_factory.mktemp("live")
    # The live server's port is not known yet; e2e links are rewritten to it by the tests.
    return live_environment(instance, smtp_server.port, "http://tandem.live")


@pytest.fixture(scope="session")
def live_app(live_env: dict[str, str]) -> Iterator[Flask]:
    from tests.support.live import live_app_from

    with live_app_from(live_env) as application:
        yield application


@pytest.fixture(scope="session")
def live_server(live_app: Flask) -> Iterator[Any]:
    from tests.support.live import serving

    with serving(live_app) as server:
        yield server


@pytest.fixture(scope="session")
def celery_worker(live_app: Flask, live_env: dict[str, str]) -> Iterator[Any]:
    """A real ``celery worker`` process on the live database and the configured broker."""
    from tests.support.live import WorkerProcess

    worker = WorkerProcess(live_env)
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from tests.support.live import CHROMIUM, CHROMIUM_ARGS

    if not os.path.exists(CHROMIUM):
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
