"""Fixtures of the webhook tests: the submissions tests' published two-track challenge (agency
A runs the Canada track, agency B the US track), endpoints, and a real receiver on 127.0.0.1
that the allow-list setting lets deliveries reach."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from competitions.core.extensions import db
from competitions.webhooks import endpoints
from competitions.webhooks.models import WebhookEndpoint
from tests.challenges.helpers import act
from tests.submissions.conftest import (  # noqa: F401 (fixtures)
    ca_track,
    challenge,
    entry,
    mate,
    now,
    round_,
    team,
    us_track,
)
from tests.webhooks.receiver import Receiver, running

ALL = [
    "entry.registered",
    "submission.received",
    "results.released",
    "announcement.sent",
]


@pytest.fixture
def local_receivers(app: Flask) -> Iterator[None]:
    """Deliveries may reach 127.0.0.1 (the tests' receiver), as the setting allows."""
    saved = {k: app.config[k] for k in ("WEBHOOK_ALLOW_NETWORKS", "WEBHOOK_READ_TIMEOUT")}
    app.config["WEBHOOK_ALLOW_NETWORKS"] = "127.0.0.1/32"
    app.config["WEBHOOK_READ_TIMEOUT"] = 2
    yield
    app.config.update(saved)


@pytest.fixture
def receiver(local_receivers: None) -> Iterator[Receiver]:
    with running() as r:
        yield r


@pytest.fixture
def make_endpoint(world: Any) -> Callable[..., endpoints.Issued]:
    """``make_endpoint(url, types=ALL, agency=A)``: a committed endpoint and its secret."""

    def make(
        url: str = "https://hooks.example.org/tandem",
        types: list[str] | None = None,
        agency: Any = None,
        admin: Any = None,
        enabled: bool = True,
    ) -> endpoints.Issued:
        issued = endpoints.create_endpoint(
            act(admin or world.admin_a),
            agency or world.agency_a,
            endpoints.EndpointData(url, "Grants system", ALL if types is None else types, enabled),
        )
        db.session.commit()
        return issued

    return make


def endpoint_of(issued: endpoints.Issued) -> WebhookEndpoint:
    found = db.session.get(WebhookEndpoint, issued.endpoint.id)
    assert found is not None
    return found
