"""Every request has an id: sent back in ``X-Request-Id``, on every log line of the request,
and on the error page as a reference; a trusted proxy's id is kept, anyone else's is not."""

from __future__ import annotations

import logging
import re

import pytest

from competitions.core import request_ids
from tests.core.test_http import app_that_fails_at_boom

HEX = re.compile(r"[0-9a-f]{32}\Z")


def test_each_response_carries_its_own_id(client):
    first = client.get("/healthz").headers["X-Request-Id"]
    second = client.get("/challenges/").headers["X-Request-Id"]
    assert HEX.match(first) and HEX.match(second) and first != second
    assert HEX.match(client.get("/no/such/page").headers["X-Request-Id"])


def test_an_id_sent_by_a_client_is_not_trusted_without_a_proxy(client):
    got = client.get("/healthz", headers={"X-Request-Id": "forged-id-12345"})
    assert got.headers["X-Request-Id"] != "forged-id-12345"


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("8d2f6c1e-0b7a-4f4e-9c55-2b1e0f6a7d10", True),
        ("a" * 128, True),
        ("short", False),  # too short to be an id
        ("a" * 129, False),
        ("an id; with spaces", False),
        ("<script>alert(1)</script>", False),
    ],
)
def test_a_trusted_proxy_s_id_is_kept_when_it_looks_like_one(app, client, monkeypatch, sent, kept):
    monkeypatch.setitem(app.config, "TRUSTED_PROXIES", 1)
    got = client.get("/healthz", headers={"X-Request-Id": sent}).headers["X-Request-Id"]
    assert (got == sent) is kept
    if not kept:
        assert HEX.match(got)


def test_log_lines_name_their_request(app):
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    request_ids.LogFilter().filter(record)
    assert record.request_id == "-"  # outside a request
    app.config["TRUSTED_PROXIES"] = 1
    try:
        with app.test_request_context("/", headers={"X-Request-Id": "req-from-nginx-1"}):
            request_ids.LogFilter().filter(record)
            assert record.request_id == "req-from-nginx-1"
    finally:
        app.config["TRUSTED_PROXIES"] = 0


def test_the_error_page_gives_the_id_of_the_logged_failure(tmp_path, caplog):
    app = app_that_fails_at_boom(tmp_path)
    response = app.test_client().get("/boom", headers={"Accept-Language": "fr"})
    assert response.status_code == 500
    reference = response.headers["X-Request-Id"]
    assert f"Référence : {reference}" in response.get_data(as_text=True)
    logged = [r for r in caplog.records if r.exc_info and "kaboom" in str(r.exc_info)]
    assert logged and logged[0].request_id == reference
    # A page a person mistyped needs no reference.
    assert "Référence" not in app.test_client().get(
        "/nope", headers={"Accept-Language": "fr"}
    ).get_data(as_text=True)
