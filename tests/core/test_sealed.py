"""Secrets the server reads back are sealed in the database (``core.sealed``): a dump shows
Fernet tokens, the application reads the secrets; keys rotate without losing one; a bad key
stops the start-up; the migration seals what was stored before and opens it going down."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from flask_migrate import downgrade, upgrade

from competitions.accounts.models import TotpCredential
from competitions.config import ConfigError, build_config
from competitions.core import clock, sealed
from competitions.core.db import Base
from competitions.core.extensions import db
from tests.core.test_migrations import app_on_own_database, insert_user_1
from tests.factories import make_user

SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _raw(credential_id: int) -> str:
    return db.session.execute(
        sa.text("SELECT secret FROM account_totp WHERE id = :id"), {"id": credential_id}
    ).scalar_one()


def _credential() -> TotpCredential:
    row = TotpCredential(user_id=make_user().id, secret=SEED, created_at=clock.now())
    db.session.add(row)
    db.session.flush()
    return row


def test_a_dump_shows_a_token_and_the_application_the_secret(world):
    row = _credential()
    stored = _raw(row.id)
    assert SEED not in stored
    assert Fernet(sealed.current_keys()[0]).decrypt(stored.encode()).decode() == SEED
    db.session.expire_all()
    assert db.session.get(TotpCredential, row.id).secret == SEED


def test_keys_rotate_without_losing_a_secret(app, world, monkeypatch):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setitem(app.config, "DATA_KEYS", (old,))
    row = _credential()
    sealed_by_old = _raw(row.id)
    monkeypatch.setitem(app.config, "DATA_KEYS", (new, old))  # the new key first
    db.session.expire_all()
    assert db.session.get(TotpCredential, row.id).secret == SEED  # the old key still opens
    done = sealed.rotate_all(db.session.connection(), Base.metadata)
    assert done >= 1
    assert _raw(row.id) != sealed_by_old
    monkeypatch.setitem(app.config, "DATA_KEYS", (new,))  # the old key dropped
    db.session.expire_all()
    assert db.session.get(TotpCredential, row.id).secret == SEED
    monkeypatch.setitem(app.config, "DATA_KEYS", (old,))  # dropped too soon: said plainly
    db.session.expire_all()
    with pytest.raises(sealed.Unreadable, match="DATA_KEYS"):
        db.session.get(TotpCredential, row.id)


def test_without_data_keys_the_key_is_derived_from_the_secret_key(app):
    with app.app_context():
        assert sealed.current_keys() == (sealed.derived_key(app.config["SECRET_KEY"]),)
    assert sealed.derived_key("a") != sealed.derived_key("b")
    Fernet(sealed.derived_key("a"))  # a valid key


def test_a_key_that_is_not_a_fernet_key_stops_the_start_up(monkeypatch):
    monkeypatch.setenv("DATA_KEYS", f"{Fernet.generate_key().decode()},not-a-key")
    with pytest.raises(ConfigError, match="DATA_KEYS: key 2 is not a Fernet key"):
        build_config("testing")
    monkeypatch.setenv("DATA_KEYS", " ")
    assert build_config("testing")["DATA_KEYS"] == ()


def test_the_migration_seals_stored_secrets_and_opens_them_going_down(tmp_path):
    app = app_on_own_database(tmp_path, "sealed")
    with app.app_context():
        upgrade(revision="cbdd24674573")
        with db.engine.begin() as conn:
            insert_user_1(conn, "2026-01-02 03:04:05")
            conn.execute(
                sa.text(
                    "INSERT INTO account_totp (id, user_id, secret, created_at) "
                    "VALUES (1, 1, :s, :t)"
                ),
                {"s": SEED, "t": "2026-01-02 03:04:05"},
            )
        upgrade()
        assert SEED not in _raw(1)
        assert db.session.get(TotpCredential, 1).secret == SEED
        db.session.remove()
        downgrade(revision="cbdd24674573")
        assert _raw(1) == SEED
        db.session.remove()
        upgrade()
        db.engine.dispose()


def test_the_data_keys_commands(app, monkeypatch):
    runner = app.test_cli_runner()
    new = runner.invoke(args=["data-keys", "new"])
    assert new.exit_code == 0
    Fernet(new.output.strip())  # a valid key
    monkeypatch.setitem(app.config, "DATA_KEYS", (new.output.strip(),))
    current = runner.invoke(args=["data-keys", "current"])
    assert current.output.strip() == new.output.strip()
    with app.app_context():
        original = sealed.derived_key(app.config["SECRET_KEY"])
    monkeypatch.setitem(app.config, "DATA_KEYS", (new.output.strip(), original))
    rotated = runner.invoke(args=["data-keys", "rotate"])
    assert rotated.exit_code == 0, rotated.output
    assert rotated.output.startswith("Resealed ")
    # Back to the suite's key, so that whatever the suite committed stays readable.
    monkeypatch.setitem(app.config, "DATA_KEYS", (original, new.output.strip()))
    assert runner.invoke(args=["data-keys", "rotate"]).exit_code == 0
