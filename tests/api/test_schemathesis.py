"""Schemathesis against the running API: the app on a live HTTP server with a committed world
where every operation has data (``api_world``), and schemathesis' own runner (``st run``, in a
process of its own so that it does not share the server's interpreter) over every operation
of the OpenAPI document, in every phase: the document's examples, coverage of each schema's
edges, random fuzzing (100 cases per operation), and stateful sequences along the links it
infers between operations (a created prize's id to its change and removal, a challenge's slug
to its tracks...).

It fails on any failed check: a server error; a response (status, content type, headers or
body) the document does not describe; schema-violating input accepted; an operation that
declares a token but answers without one, or with a made-up one (``ignored_auth``); a created
resource missing afterwards, or a deleted one still there. The seed is fixed (and no example
database is kept) so that CI runs the same cases each time.

It runs on PostgreSQL (CI's second leg: the production engine, and the stricter one about
numbers and texts) and takes a few minutes; on SQLite only when ``TANDEM_SCHEMATHESIS=1``.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask, request, request_finished

from competitions.core.extensions import db
from tests.api.api_world import World, build
from tests.support.database import prepare_database
from tests.support.live import LiveServer, app_from_environment
from tests.support.smtp import SMTPCapture

pytestmark = [
    pytest.mark.schemathesis,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgresql")
        and os.environ.get("TANDEM_SCHEMATHESIS") != "1",
        reason="runs on PostgreSQL (CI's second leg), or with TANDEM_SCHEMATHESIS=1",
    ),
]

MAX_EXAMPLES = 100
STATEFUL_SCENARIOS = 30
SEED = 20261206
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
    "use_after_free",
    "ensure_resource_availability",
    "ignored_auth",
)
OPERATION_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})


@dataclass
class Running:
    server: LiveServer
    world: World
    calls: Counter[str] = field(default_factory=Counter)  # requests per operation (view name)


@pytest.fixture(scope="module")
def api_server(
    tmp_path_factory: pytest.TempPathFactory, smtp_server: SMTPCapture
) -> Iterator[Running]:
    instance = tmp_path_factory.mktemp("schemathesis")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'api.db'}"
    env = {
        "TANDEM_ENV": "testing",
        "TANDEM_INSTANCE_PATH": str(instance),
        "DATABASE_URL": prepare_database(url, "schemathesis"),
        "MAIL_TRANSPORT": "smtp",
        "MAIL_HOST": "127.0.0.1",
        "MAIL_PORT": str(smtp_server.port),
        "BASE_URL": "http://tandem.live",
        "STORAGE_DIR": str(instance / "storage"),
    }
    app: Flask = app_from_environment(env)
    app.config["API_PUBLIC_RATE_LIMIT"] = "1000000 per minute"
    with app.app_context():
        world = build()
    werkzeug_log = logging.getLogger("werkzeug")
    level = werkzeug_log.level
    werkzeug_log.setLevel(logging.WARNING)  # a line per request otherwise
    running = Running(LiveServer(app), world)

    def count(sender: Flask, response: Any, **extra: Any) -> None:
        rule = request.url_rule
        api = rule is not None and rule.endpoint.startswith(("api_public.", "api_agency."))
        if api and rule is not None and request.method in OPERATION_METHODS:
            running.calls[rule.endpoint.split(".", 1)[1]] += 1

    request_finished.connect(count, app)
    app.config["BASE_URL"] = running.server.url
    running.server.start()
    yield running
    running.server.stop()
    request_finished.disconnect(count, app)
    werkzeug_log.setLevel(level)
    with app.app_context():
        db.engine.dispose()


# Which seeded values each path parameter is offered (80 % of the time; else a made-up one):
# by default any challenge, track, round..., and for the operations that need them to agree,
# the judged challenge's (London's track answers, Paris's is another agency's: 404) or the draft.
PROBABILITY = 0.8
DEFAULT = {
    "path.slug": "slugs",
    "path.track_slug": "tracks",
    "path.round_id": "rounds",
    "path.file_id": "files",
    "path.prize_id": "prizes",
}
JUDGED_TRACK = {"path.slug": "judged", "path.track_slug": "judged_tracks"}
DRAFT_TRACK = {"path.slug": "drafts", "path.track_slug": "draft_tracks"}
PER_OPERATION: dict[str, dict[str, str]] = {
    "list_entries": JUDGED_TRACK,
    "list_submissions": JUDGED_TRACK,
    "track_results": {**JUDGED_TRACK, "path.round_id": "judged_rounds"},
    "list_reviews": {**JUDGED_TRACK, "path.round_id": "judged_rounds"},
    "get_winners": {"path.slug": "judged", "path.round_id": "judged_rounds"},
    "list_announcements": {"path.slug": "judged"},
    "create_announcement": {"path.slug": "judged"},
    "put_rules": DRAFT_TRACK,
    "create_prize": DRAFT_TRACK,
    "put_prize": DRAFT_TRACK,
    "delete_prize": DRAFT_TRACK,
}


def _bindings(parameters: dict[str, str]) -> str:
    return "\n".join(
        f'"{name}" = {{ dictionary = "{dictionary}", probability = {PROBABILITY} }}'
        for name, dictionary in parameters.items()
    )


def _config(world: World) -> str:
    """The run's ``schemathesis.toml``: the checks, the token, and the seeded values."""
    checks = "\n".join(f"{name}.enabled = true" for name in CHECKS)
    dictionaries = "\n".join(
        f"[dictionaries.{name}]\nvalues = {json.dumps(values)}"
        for name, values in world.values.items()
    )
    operations = "\n".join(
        f'[[operations]]\ninclude-operation-id = "{op}"\n'
        f"[operations.parameters]\n{_bindings({**DEFAULT, **parameters})}"
        for op, parameters in PER_OPERATION.items()
    )
    return f"""
seed = {SEED}
workers = 1
continue-on-failure = true
request-timeout = 30

[generation]
max-examples = {MAX_EXAMPLES}
database = "none"

[phases.stateful.generation]
max-examples = {STATEFUL_SCENARIOS}

[checks]
enabled = false
{checks}

[auth.openapi.token]
bearer = "{world.write_token}"

{dictionaries}

[parameters]
{_bindings(DEFAULT)}

{operations}
"""


def _cpu_seconds() -> float:
    """CPU time of this process (the server) and of its finished children (schemathesis)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _st() -> str:
    found = shutil.which("st", path=str(Path(sys.executable).parent))
    assert found, "schemathesis is not installed (make install)"
    return found


def test_schemathesis_finds_nothing_in_any_operation(
    api_server: Running, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = api_server.server.url
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(api_server.world))
    started, cpu = time.monotonic(), _cpu_seconds()
    run = subprocess.run(
        [_st(), "--config-file", str(config), "run", f"{url}/api/v1/openapi.json", "--no-color"],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,  # where it keeps what it found (.schemathesis/)
        env={**os.environ, "NO_COLOR": "1"},
    )
    elapsed, cpu = time.monotonic() - started, _cpu_seconds() - cpu
    assert run.returncode == 0, run.stdout[-30000:] + run.stderr[-5000:]
    assert "No issues found" in run.stdout, run.stdout[-5000:]

    document = requests.get(f"{url}/api/v1/openapi.json", timeout=10).json()
    operations = {
        op["operationId"]
        for item in document["paths"].values()
        for method, op in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    }
    calls = api_server.calls
    assert len(operations) >= 18 and set(calls) == operations
    # Every operation gets MAX_EXAMPLES fuzzed cases besides the coverage and stateful ones;
    # a case with a malformed path (a non-integer id...) never reaches its route, so what is
    # checked here is that at least half of that many did, for each operation.
    assert not {op: calls[op] for op in operations if calls[op] < MAX_EXAMPLES // 2}
    with capsys.disabled():
        print(f"\nschemathesis: {elapsed:.0f} s ({cpu:.0f} s of CPU); requests per operation:")
        for op in sorted(operations):
            print(f"  {calls[op]:5d}  {op}")


def test_the_tokens_of_the_run_read_and_write_as_scoped(api_server: Running) -> None:
    """The world's read token reads, and may not write (the run used the write token)."""
    url, world = api_server.server.url, api_server.world
    read = {"Authorization": f"Bearer {world.read_token}"}
    assert requests.get(f"{url}/api/v1/agency", headers=read, timeout=10).status_code == 200
    rules = f"{url}/api/v1/challenges/{world.values['drafts'][0]}/tracks/"
    rules += f"{world.values['draft_tracks'][0]}/rules"
    refused = requests.put(rules, json={}, headers=read, timeout=10)
    assert refused.status_code == 403
