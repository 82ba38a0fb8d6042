from __future__ import annotations

import pytest

from competitions.config import ConfigError, build_config


def test_production_refuses_to_start_without_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("BASE_URL", "https://tandem.example")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        build_config("production", {"INSTANCE_PATH": str(tmp_path)})


def test_production_refuses_debug(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("FLASK_DEBUG", "1")
    monkeypatch.setenv("BASE_URL", "https://tandem.example")
    with pytest.raises(ConfigError, match="FLASK_DEBUG"):
        build_config("production", {"INSTANCE_PATH": str(tmp_path)})


def test_production_refuses_plain_http_unless_allowed(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.setenv("BASE_URL", "http://tandem.example")
    with pytest.raises(ConfigError, match="https"):
        build_config("production", {"INSTANCE_PATH": str(tmp_path)})
    monkeypatch.setenv("ALLOW_INSECURE_HTTP", "1")
    config = build_config("production", {"INSTANCE_PATH": str(tmp_path)})
    assert config["SESSION_COOKIE_SECURE"] is False


def test_https_base_url_makes_cookies_secure(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.setenv("BASE_URL", "https://tandem.example/")
    config = build_config("production", {"INSTANCE_PATH": str(tmp_path)})
    assert config["BASE_URL"] == "https://tandem.example"
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    assert config["SESSION_COOKIE_HTTPONLY"] and config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["MAIL_TRANSPORT"] == "smtp"


def test_database_url_defaults_to_sqlite_in_instance_and_accepts_postgres(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    config = build_config("development", {"INSTANCE_PATH": str(tmp_path)})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'tandem.db'}"
    assert config["CELERY"]["broker_url"] == "filesystem://"
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db/tandem")
    config = build_config("development", {"INSTANCE_PATH": str(tmp_path)})
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db/tandem"


def test_development_secret_key_is_generated_once(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = build_config("development", {"INSTANCE_PATH": str(tmp_path)})["SECRET_KEY"]
    second = build_config("development", {"INSTANCE_PATH": str(tmp_path)})["SECRET_KEY"]
    assert first == second and len(first) > 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_celery_settings_are_safe_for_at_least_once_delivery(monkeypatch, tmp_path):
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    celery = build_config("development", {"INSTANCE_PATH": str(tmp_path)})["CELERY"]
    assert celery["task_serializer"] == "json" and celery["accept_content"] == ["json"]
    assert celery["task_acks_late"] is True
    assert celery["task_reject_on_worker_lost"] is True
    assert celery["worker_prefetch_multiplier"] == 1
    options = celery["broker_transport_options"]
    # The embedded broker deletes processed messages, so its folder cannot grow without bound.
    assert options["store_processed"] is False
    assert options["data_folder_in"] == options["data_folder_out"]


def test_unknown_environment_is_refused():
    with pytest.raises(ConfigError):
        build_config("staging")
