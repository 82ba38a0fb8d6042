"""Webhook settings: plain HTTP and no allow-list in production, a loud error otherwise."""

from __future__ import annotations

import pytest

from competitions.config import ConfigError, build_config


def test_production_delivers_over_https_only(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("BASE_URL", "https://tandem.example")
    config = build_config("production", {"INSTANCE_PATH": str(tmp_path)})
    assert config["WEBHOOK_ALLOW_HTTP"] is False
    assert config["WEBHOOK_ALLOW_NETWORKS"] == ""
    assert config["WEBHOOK_DELIVERY"] == "worker"
    monkeypatch.setenv("WEBHOOK_ALLOW_HTTP", "1")
    with pytest.raises(ConfigError, match="WEBHOOK_ALLOW_HTTP"):
        build_config("production", {"INSTANCE_PATH": str(tmp_path)})


def test_development_allows_http_and_tests_drive_the_dispatch(tmp_path) -> None:
    assert build_config("development", {"INSTANCE_PATH": str(tmp_path)})["WEBHOOK_ALLOW_HTTP"]
    assert build_config("testing", {"INSTANCE_PATH": str(tmp_path)})["WEBHOOK_DELIVERY"] == "off"
