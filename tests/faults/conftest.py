"""Fault tests (issue 15, point 13): each one breaks a real part the application depends on —
a private PostgreSQL cluster restarted, a private Redis killed, a full tmpfs volume, an SMTP
server that refuses everything — and checks that nothing accepted is lost or half-written.

Every test here is marked ``faults``. The ones that start their own PostgreSQL or Redis
ignore ``DATABASE_URL``/``CELERY_BROKER_URL`` and never touch the shared services; they run
once, in the SQLite leg of CI (``make test`` without ``DATABASE_URL``), and are skipped in the
PostgreSQL leg, which would only start the same processes again. The others use the suite's
database and run in both legs.
"""

from __future__ import annotations

import os

import pytest

from tests.submissions.conftest import (  # noqa: F401 (fixtures used by the fault tests)
    ca_track,
    challenge,
    entry,
    mate,
    now,
    round_,
    team,
    us_track,
)

ONCE = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")),
    reason="starts its own processes; run once, in the SQLite leg (no DATABASE_URL)",
)
