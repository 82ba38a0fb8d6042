"""A real Celery worker process runs tasks inside the Flask app context, on the database."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from competitions.accounts.models import User, normalize_email
from competitions.core import clock
from competitions.core.audit import AuditEvent
from competitions.core.extensions import db
from competitions.core.tasks import send_task
from tests.support.live import wait_until

pytestmark = pytest.mark.worker


def _add_user(email: str, *, verified: bool, age_days: int) -> int:
    created = clock.now() - timedelta(days=age_days)
    user = User(
        email=email,
        email_normalized=normalize_email(email),
        password_hash="$argon2id$placeholder",
        display_name=email,
        country="CA",
        created_at=created,
        updated_at=created,
        email_verified_at=created if verified else None,
    )
    db.session.add(user)
    db.session.commit()
    return user.id


def test_worker_purges_stale_unverified_accounts(live_app: Any, celery_worker: Any) -> None:
    with live_app.app_context():
        stale = _add_user("stale-unverified@example.org", verified=False, age_days=30)
        fresh = _add_user("fresh-unverified@example.org", verified=False, age_days=1)
        verified = _add_user("old-verified@example.org", verified=True, age_days=30)
        send_task("accounts.purge_unverified", 7)

    def gone() -> bool:
        with live_app.app_context():
            return db.session.get(User, stale) is None

    try:
        wait_until(gone, timeout=60)
    except AssertionError:
        pytest.fail(f"the worker did not run the task; its log:\n{celery_worker.output()}")

    with live_app.app_context():
        assert db.session.get(User, fresh) is not None
        assert db.session.get(User, verified) is not None
        event = db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "account.purged_unverified",
                AuditEvent.object_id == str(stale),
            )
        )
        assert event is not None
        assert event.via == "worker"
        assert event.role == "system"
