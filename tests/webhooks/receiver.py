"""A real HTTP receiver for webhook tests: a threaded ``http.server`` on 127.0.0.1 that
verifies each request's Standard Webhooks signature and answers as the test scripts it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from competitions.core import clock
from competitions.webhooks import signing


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    answered: int


@dataclass
class Script:
    """How the receiver answers: ``fail_first`` requests of each webhook-id with 500, then
    ``status`` (with ``body`` and extra ``headers``), after ``delay`` seconds."""

    fail_first: int = 0
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class Receiver:
    def __init__(self) -> None:
        self.secrets: list[str] = []
        self.script = Script()
        self.received: list[Received] = []
        self._seen: dict[str, int] = {}
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver._answer(self, body)

            def do_GET(self) -> None:
                receiver._answer(self, b"")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _verify(self, headers: dict[str, str], body: bytes) -> bool:
        for secret in self.secrets:
            try:
                signing.verify(secret, headers, body, now=int(clock.now().timestamp()))
                return True
            except signing.InvalidSignature:
                continue
        return False

    def _answer(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        headers = {k.lower(): v for k, v in handler.headers.items()}
        script = self.script
        with self._lock:
            message_id = headers.get("webhook-id", "")
            n = self._seen[message_id] = self._seen.get(message_id, 0) + 1
        verified = self._verify(headers, body)
        status = 500 if n <= script.fail_first else script.status
        if self.secrets and not verified:
            status = 401  # a receiver given secrets refuses what it cannot verify
        if script.delay:
            time.sleep(script.delay)
        with self._lock:
            self.received.append(Received(handler.path, headers, body, verified, status))
        try:
            handler.send_response(status)
            for k, v in script.headers.items():
                handler.send_header(k, v)
            payload = script.body if status < 300 or status >= 400 else b""
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def successes(self) -> list[Received]:
        return [r for r in self.received if 200 <= r.answered < 300]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def running(secrets: list[str] | None = None) -> Iterator[Receiver]:
    receiver = Receiver()
    receiver.secrets = list(secrets or [])
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()


def until(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()
