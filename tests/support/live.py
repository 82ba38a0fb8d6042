"""Committed-data environments: a live HTTP server, a real Celery worker process, Chromium.

These tests commit, so they get their own database (a separate SQLite file or PostgreSQL
database) and instance folder, described once as environment variables so that the in-process
app and the worker subprocess are configured identically.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from competitions import create_app
from tests.support.database import prepare_database

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def live_environment(
    instance: Path, smtp_port: int, base_url: str, name: str = "live"
) -> dict[str, str]:
    """A live server's settings: its own database (``name``), instance folder and storage."""
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / f'{name}.db'}"
    url = prepare_database(url, name)
    env = {
        "TANDEM_ENV": "testing",
        "TANDEM_INSTANCE_PATH": str(instance),
        "DATABASE_URL": url,
        "MAIL_TRANSPORT": "smtp",
        "MAIL_HOST": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "BASE_URL": base_url,
        "STORAGE_DIR": str(instance / "storage"),
        # Webhook deliveries may reach the tests' receivers on 127.0.0.1 (tests/webhooks).
        "WEBHOOK_ALLOW_NETWORKS": "127.0.0.1/32",
    }
    if os.environ.get("CELERY_BROKER_URL"):
        env["CELERY_BROKER_URL"] = os.environ["CELERY_BROKER_URL"]
    return env


@contextmanager
def patched_environ(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def app_from_environment(env: dict[str, str]) -> Flask:
    with patched_environ(env):
        app = create_app({"TANDEM_ENV": "testing"})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    return app


class LiveServer:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)


class WorkerProcess:
    """``celery -A workers.celery_app worker`` as a child process with the live environment."""

    def __init__(self, env: dict[str, str], name: str = "test") -> None:
        self.env = {**os.environ, **env}
        self.name = name
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = Path(env["TANDEM_INSTANCE_PATH"]) / f"worker-{name}.log"

    def start(self) -> None:
        celery = shutil.which("celery", path=str(Path(sys.executable).parent)) or "celery"
        with self.log.open("wb") as log:
            self.proc = self._spawn(celery, log)
        self._wait_ready()

    def _spawn(self, celery: str, log: Any) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [
                celery,
                "-A",
                "workers.celery_app",
                "worker",
                "--loglevel=INFO",
                "--concurrency=1",
                "--pool=prefork",
                "-n",
                f"{self.name}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--purge",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def _wait_ready(self) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.output()}")
            if b"ready." in self.log.read_bytes():
                return
            time.sleep(0.2)
        raise RuntimeError(f"worker not ready after 60 s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-5000:]

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


def wait_until(predicate: Any, timeout: float = 30.0, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


@contextmanager
def live_app_from(env: dict[str, str]) -> Iterator[Flask]:
    """An app on ``env``'s settings; its connections are closed afterwards."""
    from competitions.core.extensions import db

    application = app_from_environment(env)
    yield application
    with application.app_context():
        db.engine.dispose()


@contextmanager
def serving(app: Flask) -> Iterator[LiveServer]:
    """``app`` on a live HTTP server (its ``BASE_URL`` set to the server's address)."""
    server = LiveServer(app)
    app.config["BASE_URL"] = server.url
    server.start()
    yield server
    server.stop()
