"""A counting SMTP sink for the benchmarks, in a process of its own.

    python bench/smtp_sink.py PORT STATS.json

Accepts every message; every half second writes to STATS.json how many messages each
recipient got, when the first message from each sender name arrived and when the last one did
(UTC epoch seconds). Not a test helper: tests use tests/support/smtp.py.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

FROM = re.compile(rb"^From: *\"?([^\"<\r\n]*)", re.M)


class Handler:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.per_rcpt: Counter[str] = Counter()
        self.first_by_sender: dict[str, float] = {}
        self.last_at = 0.0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        now = time.time()
        match = FROM.search(envelope.content[:4000])
        sender = match.group(1).decode(errors="replace").strip() if match else "?"
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.per_rcpt[rcpt.lower()] += 1
            self.first_by_sender.setdefault(sender, now)
            self.last_at = now
        return "250 OK"

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "messages": sum(self.per_rcpt.values()),
                "recipients": len(self.per_rcpt),
                "duplicated": sum(1 for n in self.per_rcpt.values() if n > 1),
                "first_by_sender": dict(self.first_by_sender),
                "last_at": self.last_at,
            }


def main() -> None:
    port, stats = int(sys.argv[1]), Path(sys.argv[2])
    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        while True:
            tmp = stats.with_suffix(".tmp")
            tmp.write_text(json.dumps(handler.snapshot()))
            tmp.replace(stats)
            time.sleep(0.5)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
