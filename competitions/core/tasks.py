"""Kick background work by task name; the web never imports the worker package."""

from __future__ import annotations

from typing import Any

from celery import Celery
from flask import Flask, current_app


def _client() -> Celery:
    client = current_app.extensions.get("celery_client")
    if client is None:
        client = Celery(current_app.name)
        client.config_from_object(current_app.config["CELERY"])
        current_app.extensions["celery_client"] = client
    return client


def prepare(app: Flask) -> None:
    """Make the client and import its broker's transport now (no connection is opened): the
    first commit that wakes a worker would otherwise pay for it inside a request, about a
    third of a second of CPU in each web server process."""
    modes = ("OUTBOX_DELIVERY", "WEBHOOK_DELIVERY", "RESULTS_REFRESH")
    if "worker" not in (app.config.get(m) for m in modes):
        return
    with app.app_context(), _client().connection_for_write():
        pass  # making the connection object resolves (imports) its transport


def send_task(name: str, *args: Any, countdown: float | None = None, **kwargs: Any) -> None:
    """Enqueue task ``name`` (to run ``countdown`` seconds from now, if given). Callers write
    their rows first: the database is the truth."""
    _client().send_task(name, args=args, kwargs=kwargs, countdown=countdown)
