"""Security headers, cookies, friendly error pages in the user's language, health checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from competitions import create_app
from competitions.core.actor import Actor


def test_security_headers_on_every_page(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    # BASE_URL is https in the tests: HSTS is sent.
    assert "max-age" in response.headers["Strict-Transport-Security"]


def test_pages_have_no_inline_script(client):
    html = client.get("/register").get_data(as_text=True)
    assert "<script>" not in html and "onclick=" not in html.lower()
    assert '<script src="/static/js/tandem.js" defer></script>' in html


def test_session_cookie_is_secure_httponly_samesite(client, world):
    response = client.post(
        "/login", data={"email": world.innovator.email, "password": "correct horse battery"}
    )
    cookie = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("tandem_session=")
    )
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_404_page_is_friendly_and_in_the_users_language(client):
    response = client.get("/no-such-page", headers={"Accept-Language": "fr-CA,fr;q=0.9"})
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert '<html lang="fr" dir="ltr">' in html
    assert "Page introuvable" in html
    response = client.get("/no-such-page", headers={"Accept-Language": "en"})
    assert "Page not found" in response.get_data(as_text=True)


def test_404_answers_json_to_api_clients(client):
    response = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json()["status"] == 404


def test_413_page_when_the_request_is_too_large(app, client):
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 1000
    try:
        response = client.post("/login", data={"email": "x" * 5000, "password": "y"})
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert response.status_code == 413
    assert "File too large" in response.get_data(as_text=True)


def test_405_page(client):
    response = client.get("/logout")
    assert response.status_code == 405
    assert "Not allowed" in response.get_data(as_text=True)


def test_language_switch_sets_the_session_and_ignores_foreign_redirects(client):
    response = client.post("/language", data={"lang": "fr", "next": "//evil.example/x"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="fr" dir="ltr">' in html
    client.post("/language", data={"lang": "xx", "next": "/agencies/"})
    assert '<html lang="fr" dir="ltr">' in client.get("/").get_data(as_text=True)


def app_that_fails_at_boom(tmp_path: Path) -> Flask:
    """An app whose ``/boom`` raises RuntimeError("kaboom"), answered as in production."""
    app = create_app(
        {
            "TANDEM_ENV": "testing",
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
            "PROPAGATE_EXCEPTIONS": False,
        }
    )

    @app.route("/boom")
    def boom() -> str:
        raise RuntimeError("kaboom")

    return app


def test_500_page_is_friendly_translated_and_logged(tmp_path, smtp_server, caplog):
    client = app_that_fails_at_boom(tmp_path).test_client()
    response = client.get("/boom", headers={"Accept-Language": "fr"})
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "kaboom" not in html
    assert '<html lang="fr" dir="ltr">' in html
    assert "Une erreur" in html or "Un problème" in html
    assert any("kaboom" in str(r.exc_info) for r in caplog.records if r.exc_info)


def test_readyz_reports_an_unreachable_broker(tmp_path):
    app = create_app(
        {
            "TANDEM_ENV": "testing",
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
            "CELERY": {"broker_url": "redis://127.0.0.1:1/0", "broker_transport_options": {}},
        }
    )
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["database"] == "ok"
    assert body["broker"] != "ok"


def test_readyz_reports_an_unreachable_database(tmp_path):
    app = create_app(
        {
            "TANDEM_ENV": "testing",
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 1}},
        }
    )
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["database"] != "ok"
    # The liveness probe does not depend on the database.
    assert app.test_client().get("/healthz").status_code == 200


def _bare_app(tmp_path: Any) -> Flask:
    """An app of its own (routes can still be added) with only the audit table."""
    app = create_app(
        {
            "TANDEM_ENV": "testing",
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
            "WTF_CSRF_ENABLED": False,
        }
    )
    with app.app_context():
        from competitions.core.audit import AuditEvent
        from competitions.core.extensions import db

        AuditEvent.__table__.create(db.engine)  # type: ignore[attr-defined]
    return app


def test_403_and_400_pages_are_friendly_and_translated(tmp_path):
    from flask import abort

    app = _bare_app(tmp_path)

    @app.route("/forbidden")
    def forbidden() -> str:
        abort(403)

    @app.route("/bad")
    def bad() -> str:
        abort(400)

    client = app.test_client()
    response = client.get("/forbidden", headers={"Accept-Language": "fr"})
    assert response.status_code == 403
    assert "Accès refusé" in response.get_data(as_text=True)
    response = client.get("/bad")
    assert response.status_code == 400
    assert "Bad request" in response.get_data(as_text=True)


def test_a_services_refusal_answers_an_audited_404(tmp_path):
    """A ``PermissionDenied`` a view lets through is answered like ``deny()``: the attempt is
    recorded with its reason, pending changes are undone, and the page says "not found"."""
    from competitions.core import audit
    from competitions.core.errors import PermissionDenied
    from competitions.core.extensions import db

    app = _bare_app(tmp_path)

    @app.route("/forbidden", methods=["POST"])
    def forbidden() -> str:
        audit.record(Actor(None), "pending.change")  # must not survive the refusal
        raise PermissionDenied("Only the lead agency may do this.")

    response = app.test_client().post("/forbidden", headers={"Accept-Language": "fr"})
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)
    with app.app_context():
        events = db.session.scalars(sa.select(audit.AuditEvent)).all()
        assert [e.action for e in events] == ["authz.denied"]
        assert events[0].after == {
            "method": "POST",
            "path": "/forbidden",
            "endpoint": "forbidden",
            "reason": "Only the lead agency may do this.",
        }
