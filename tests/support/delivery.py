"""Real parts for the delivery fault tests: Celery worker and beat processes that can be killed,
a Redis broker that can be emptied, and an SMTP server that stamps, refuses and counts what it
receives — per recipient and per Message-ID.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path
from typing import Any, cast

import redis
from aiosmtpd.controller import Controller

from tests.support.live import ROOT, WorkerProcess
from tests.support.smtp import free_port

APP = "tests.support.fault_celery"


class CeleryProcess(WorkerProcess):
    """A worker (one pool process) or the beat of the fault-test app, in a process group of its
    own: ``kill()`` is SIGKILL for the whole group — no warm shutdown, no goodbye."""

    def __init__(self, env: dict[str, str], name: str, kind: str = "worker") -> None:
        super().__init__({**env, "PYTHONPATH": str(ROOT)}, name)
        self.kind = kind

    def _spawn(self, celery: str, log: Any) -> subprocess.Popen[bytes]:
        if self.kind == "beat":
            args = ["beat", "--loglevel=INFO", "-s", str(self.log.with_suffix(".schedule"))]
        else:
            args = [
                "worker",
                "--loglevel=INFO",
                "--concurrency=1",
                "--pool=prefork",
                "-n",
                f"{self.name}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ]
        return subprocess.Popen(
            [celery, "-A", APP, *args],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def launch(self) -> None:
        """Start the process without waiting for it (``start()`` = ``launch()`` + wait)."""
        celery = shutil.which("celery", path=str(Path(sys.executable).parent)) or "celery"
        with self.log.open("wb") as log:
            self.proc = self._spawn(celery, log)

    def start(self) -> None:
        self.launch()
        self.wait_ready()

    def wait_ready(self) -> None:
        assert self.proc is not None
        marker = b"beat: Starting..." if self.kind == "beat" else b"ready."
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.output()}")
            if marker in self.log.read_bytes():
                return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready after 60 s:\n{self.output()}")

    def kill(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def terminate(self) -> None:
        """Ask for a warm shutdown without waiting for it (``stop()`` waits)."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)

    def log_size(self) -> int:
        return self.log.stat().st_size

    def received(self, task: str, since: int = 0) -> int:
        """How many ``task`` messages this worker took from the broker (after log offset
        ``since``)."""
        pattern = re.compile(rb"Task " + re.escape(task.encode()) + rb"\[[^\]]+\] received")
        return len(pattern.findall(self.log.read_bytes()[since:]))

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-8000:]


def flush_broker(url: str) -> int:
    """``FLUSHDB`` on the broker's own Redis database (the number in ``url``) and answer that
    number. For the broker it is the same fault as ``FLUSHALL``, without wiping the other
    databases of a shared Redis server."""
    client = redis.Redis.from_url(url)
    try:
        number = int(client.connection_pool.connection_kwargs.get("db") or 0)
        client.flushdb()
    finally:
        client.close()
    return number


class _CountingHandler:
    def __init__(self, capture: CountingSMTP) -> None:
        self.capture = capture

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        with self.capture.lock:
            reply = self.capture.refuse.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.capture.lock:
            now = time.monotonic()
            if self.capture.busy_seconds:  # armed: the busy spell starts with this message
                self.capture.busy_until = now + self.capture.busy_seconds
                self.capture.busy_seconds = 0.0
            if now < self.capture.busy_until:
                self.capture.busy_refusals += 1
                return "421 4.3.2 Service busy, try again later"
            # Kept as bytes: parsing 2,000 messages here would slow the server down.
            self.capture.received.append((time.time(), bytes(envelope.content)))
            count, hook = len(self.capture.received), self.capture.on_accept
        if hook is not None:  # e.g. kill the sender before it hears the "250"
            hook(count)
        return "250 Message accepted for delivery"


class CountingSMTP:
    """A real SMTP server (aiosmtpd) that keeps every message it accepts with the instant it
    did, answers ``refuse[address]`` (e.g. ``550 …``) to a recipient, and ``421`` to every
    message for a while (``busy_for(seconds)``). ``on_accept(n)`` is called once the n-th
    message is stored, before the client is told it was accepted."""

    def __init__(self) -> None:
        self.port = free_port()
        self.lock = threading.Lock()
        self.received: list[tuple[float, bytes]] = []
        self.refuse: dict[str, str] = {}
        self.busy_seconds = 0.0
        self.busy_until = 0.0
        self.busy_refusals = 0
        self.on_accept: Callable[[int], None] | None = None
        self.controller = Controller(_CountingHandler(self), hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def busy_for(self, seconds: float) -> None:
        """Answer 421 to every message for ``seconds``, starting with the next one."""
        with self.lock:
            self.busy_seconds = seconds
            self.busy_until = 0.0

    def clear(self) -> None:
        with self.lock:
            self.received.clear()
            self.refuse.clear()
            self.busy_seconds = 0.0
            self.busy_until = 0.0
            self.busy_refusals = 0
            self.on_accept = None

    def count(self) -> int:
        with self.lock:
            return len(self.received)

    def snapshot(self) -> list[tuple[float, bytes]]:
        with self.lock:
            return list(self.received)


def headers(raw: bytes) -> Message:
    """The headers of an accepted message (fast: the body is not parsed)."""
    return BytesHeaderParser(policy=compat32).parsebytes(raw)


def parse(raw: bytes) -> EmailMessage:
    return cast(EmailMessage, message_from_bytes(raw, policy=policy.default))


@dataclass
class Deliveries:
    """What the SMTP server accepted, per recipient address: copies of each Message-ID.

    A recipient got the email exactly once when they have exactly one distinct Message-ID; a
    second copy of the *same* Message-ID is a resend of the same outbox row (the receiving side
    can drop it), a second *distinct* Message-ID would be a second email.
    """

    by_recipient: dict[str, Counter[str]] = field(default_factory=dict)
    copies: int = 0

    @classmethod
    def of(cls, received: list[tuple[float, bytes]]) -> Deliveries:
        found = cls()
        for _at, raw in received:
            msg = headers(raw)
            to = str(msg["To"]).strip().lower()
            found.by_recipient.setdefault(to, Counter())[str(msg["Message-ID"])] += 1
            found.copies += 1
        return found

    @property
    def recipients(self) -> set[str]:
        return set(self.by_recipient)

    @property
    def twice(self) -> dict[str, Counter[str]]:
        """Recipients with two or more distinct Message-IDs (two emails: never allowed)."""
        return {to: ids for to, ids in self.by_recipient.items() if len(ids) > 1}

    @property
    def resent(self) -> int:
        """Copies beyond the first of one Message-ID (raw duplicates of the same message)."""
        return sum(n - 1 for ids in self.by_recipient.values() for n in ids.values())

    def summary(self) -> str:
        return (
            f"{self.copies} message(s) accepted, {len(self.by_recipient)} recipient(s), "
            f"{len(self.twice)} with 2+ distinct Message-IDs, "
            f"{self.resent} raw duplicate(s) of one Message-ID"
        )
