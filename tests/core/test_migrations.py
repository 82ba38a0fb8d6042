"""Migrations and models agree (the `alembic check` equivalent) and migrate up and down."""

from __future__ import annotations

import os
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade

from competitions import create_app
from competitions.core.extensions import db
from tests.support.database import prepare_database


def _diff(engine: sa.Engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "render_as_batch": True}
        )
        return compare_metadata(context, db.metadata)


def test_models_and_migrations_do_not_drift(app):
    with app.app_context():
        assert _diff(db.engine) == []
        config = app.extensions["migrate"].migrate.get_config()
        head = ScriptDirectory.from_config(config).get_current_head()
        with db.engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() == head


def test_migrations_go_down_and_up_again(tmp_path):
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path / 'roundtrip.db'}"
    url = prepare_database(url, "migrations")
    app = create_app(
        {"TANDEM_ENV": "testing", "INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": url}
    )
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert _diff(db.engine) == []
        db.engine.dispose()


def test_audit_log_is_append_only_in_the_database(app, db, world):
    from competitions.core import audit
    from competitions.core.actor import Actor

    event = audit.record(Actor(None, via="system"), "test.append_only")
    db.session.commit()
    for statement in (
        "UPDATE audit_event SET action = 'tampered' WHERE id = :id",
        "DELETE FROM audit_event WHERE id = :id",
    ):
        savepoint = db.session.begin_nested()
        try:
            db.session.execute(sa.text(statement), {"id": event.id})
        except sa.exc.DatabaseError as exc:
            assert "append-only" in str(exc)
            savepoint.rollback()
        else:
            raise AssertionError(f"{statement} was allowed")
    assert db.session.get(audit.AuditEvent, event.id).action == "test.append_only"


def app_on_own_database(tmp_path: Any, name: str) -> Flask:
    """An app on a database of its own (``<name>`` beside the suite's), for migrating it."""
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path / f'{name}.db'}"
    url = prepare_database(url, name)
    return create_app(
        {"TANDEM_ENV": "testing", "INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": url}
    )


def insert_user_1(conn: sa.Connection, created: str) -> None:
    """User 1 written as an old revision's row (raw SQL: today's model may differ)."""
    conn.execute(
        sa.text(
            "INSERT INTO user_account (id, email, email_normalized, password_hash, "
            "display_name, country, preferred_language, timezone, is_platform_admin, "
            "session_token, created_at, updated_at) VALUES (1, 'a@example.org', "
            "'a@example.org', 'x', 'A', 'CA', 'en', 'UTC', false, 's', :t, :t)"
        ),
        {"t": created},
    )


def test_invitations_written_before_the_shared_lifecycle_stay_valid(tmp_path):
    """Team invitations of the revision before: an open one keeps its link (same nonce) and
    gets a sending time; a resolved one written without its time gets one, so the new rule
    "a resolution has its time" holds for every row."""
    app = app_on_own_database(tmp_path, "invitations")
    created = "2026-01-02 03:04:05"
    with app.app_context():
        upgrade(revision="27c9dc20c953")
        with db.engine.begin() as conn:
            insert_user_1(conn, created)
            conn.execute(
                sa.text(
                    "INSERT INTO team (id, name, entrant_type, created_by_id, created_at, "
                    "updated_at) VALUES (1, 'Team', 'team', 1, :t, :t)"
                ),
                {"t": created},
            )
            for inv_id, email, resolution in (
                (1, "open@example.org", None),
                (2, "no@x.org", "declined"),
            ):
                conn.execute(
                    sa.text(
                        "INSERT INTO team_invitation (id, team_id, email, email_normalized, "
                        "nonce, invited_by_id, created_at, expires_at, resolution) VALUES "
                        "(:id, 1, :e, :e, :n, 1, :t, :t, :r)"
                    ),
                    {
                        "id": inv_id,
                        "e": email,
                        "n": f"nonce-{inv_id}",
                        "t": created,
                        "r": resolution,
                    },
                )
        upgrade()
        from competitions.entries.models import TeamInvitation

        open_inv, declined = db.session.scalars(
            sa.select(TeamInvitation).order_by(TeamInvitation.id)
        ).all()
        assert open_inv.nonce == "nonce-1" and open_inv.resolution is None
        assert open_inv.sent_at == open_inv.created_at and open_inv.resolved_at is None
        assert declined.resolution == "declined" and declined.resolved_at == declined.created_at
        db.session.remove()
        # The new rule is the database's: a resolution without its time is refused.
        with db.engine.connect() as conn, conn.begin():
            try:
                conn.execute(sa.text("UPDATE team_invitation SET resolved_at = NULL WHERE id = 2"))
            except sa.exc.IntegrityError:
                pass
            else:
                raise AssertionError("a resolution without its time was stored")
        downgrade(revision="27c9dc20c953")
        upgrade()
        db.engine.dispose()
