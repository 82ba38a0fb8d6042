"""Migrations and models agree (the `alembic check` equivalent) and migrate up and down."""

from __future__ import annotations

import os

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
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
