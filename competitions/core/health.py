"""Liveness and readiness checks."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from kombu import Connection
from sqlalchemy import text

log = logging.getLogger(__name__)


def check_database(db: Any) -> tuple[bool, str]:
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        return True, "ok"
    except Exception as exc:
        log.warning("readiness: database unreachable: %s", exc)
        db.session.rollback()
        return False, type(exc).__name__


def check_broker(celery_config: dict[str, Any], timeout: float = 2.0) -> tuple[bool, str]:
    url = celery_config["broker_url"]
    options = celery_config.get("broker_transport_options", {})
    if url.startswith("filesystem://"):
        folder = Path(options.get("data_folder_in", ""))
        ok = folder.is_dir() and os.access(folder, os.W_OK)
        return ok, "ok" if ok else "queue folder missing or not writable"
    try:
        with Connection(url, connect_timeout=timeout, transport_options=options) as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
        return True, "ok"
    except Exception as exc:
        log.warning("readiness: broker unreachable: %s", exc)
        return False, type(exc).__name__
