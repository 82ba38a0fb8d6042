"""Languages as data: the deployment's setting, Accept-Language negotiation among its
languages, the switcher, and the language an email goes out in."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask

from competitions.config import ConfigError, build_config
from competitions.core.i18n import text_direction
from competitions.core.languages import (
    SUPPORTED_LANGUAGES,
    content_languages,
    email_language,
    parse_languages,
)


@pytest.fixture
def deployment(app: Flask) -> Iterator[object]:
    """``deployment(("en", "de"))`` sets the deployment's languages for one test."""
    saved = app.config["LANGUAGES"]

    def set_languages(codes: tuple[str, ...]) -> None:
        app.config["LANGUAGES"] = codes

    yield set_languages
    app.config["LANGUAGES"] = saved


def test_supported_languages_are_the_five_with_catalogs():
    assert SUPPORTED_LANGUAGES == ("en", "fr", "de", "es", "ar")
    assert text_direction("ar") == "rtl" and text_direction("de") == "ltr"


def test_the_setting_defaults_to_every_supported_language(monkeypatch, tmp_path):
    monkeypatch.delenv("TANDEM_LANGUAGES", raising=False)
    config = build_config("testing", {"INSTANCE_PATH": str(tmp_path)})
    assert config["LANGUAGES"] == SUPPORTED_LANGUAGES
    assert config["BABEL_DEFAULT_LOCALE"] == "en"


def test_the_setting_chooses_the_languages_and_the_first_is_the_default(monkeypatch, tmp_path):
    monkeypatch.setenv("TANDEM_LANGUAGES", " de, EN ,ar")
    config = build_config("testing", {"INSTANCE_PATH": str(tmp_path)})
    assert config["LANGUAGES"] == ("de", "en", "ar")
    assert config["BABEL_DEFAULT_LOCALE"] == "de"


@pytest.mark.parametrize(
    ("raw", "named"), [("en,xx", "xx"), ("en,it,ja", "it, ja"), ("fr,fr", "fr")]
)
def test_an_unknown_or_repeated_language_is_a_clear_start_up_error(
    monkeypatch, tmp_path, raw, named
):
    monkeypatch.setenv("TANDEM_LANGUAGES", raw)
    with pytest.raises(ConfigError) as refused:
        build_config("testing", {"INSTANCE_PATH": str(tmp_path)})
    assert "TANDEM_LANGUAGES" in str(refused.value) and named in str(refused.value)


def test_overrides_are_checked_too(tmp_path):
    config = build_config("testing", {"INSTANCE_PATH": str(tmp_path), "LANGUAGES": ["fr", "en"]})
    assert config["LANGUAGES"] == ("fr", "en") and config["BABEL_DEFAULT_LOCALE"] == "fr"
    with pytest.raises(ConfigError):
        build_config("testing", {"INSTANCE_PATH": str(tmp_path), "LANGUAGES": ("en", "klingon")})


def test_parse_languages_of_nothing_is_every_language():
    assert parse_languages("") == SUPPORTED_LANGUAGES
    assert parse_languages(None) == SUPPORTED_LANGUAGES


def test_content_languages_follow_the_deployment_order(app, deployment):
    deployment(("de", "en", "fr"))
    with app.app_context():
        assert content_languages(["ar", "en", "de"]) == ("de", "en", "ar")
        assert content_languages([]) == ("de", "en", "fr")
        assert content_languages(["xx"]) == ("de", "en", "fr")


def html_lang(page: str) -> str:
    found = re.search(r'<html lang="([a-z-]+)"', page)
    assert found is not None
    return found.group(1)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("de-CH,de;q=0.9,en;q=0.5", "de"),
        ("fr-CA,fr;q=0.9", "fr"),
        ("it;q=1.0,es;q=0.8,en;q=0.7", "es"),
        ("en;q=0.4,ar;q=0.9", "ar"),
        ("ja,zh;q=0.8", "en"),
    ],
)
def test_accept_language_picks_the_best_of_the_deployment(client, header, expected):
    page = client.get("/", headers={"Accept-Language": header}).get_data(as_text=True)
    assert html_lang(page) == expected


def test_an_unsupported_browser_language_gets_the_first_configured(client, deployment):
    deployment(("de", "en"))
    page = client.get("/", headers={"Accept-Language": "ja,fr;q=0.5"}).get_data(as_text=True)
    assert html_lang(page) == "de"  # French is not one of this deployment's
    page = client.get("/", headers={"Accept-Language": "fr,en;q=0.5"}).get_data(as_text=True)
    assert html_lang(page) == "en"


def switcher(page: str) -> list[str]:
    form = re.search(r'<form class="lang-switch".*?</form>', page, re.S)
    assert form is not None
    return re.findall(r'name="lang" value="([a-z]+)"', form.group(0))


def test_the_switcher_offers_exactly_the_deployments_languages_named_in_themselves(
    client, deployment
):
    deployment(("en", "de"))
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert switcher(page) == ["de"]
    assert ">Deutsch</button>" in page
    assert "Français" not in page and "Español" not in page and "العربية" not in page
    # A language outside the deployment is refused by the switch.
    client.post("/language", data={"lang": "fr"})
    assert html_lang(client.get("/").get_data(as_text=True)) == "en"


def test_the_switcher_of_a_five_language_deployment(client):
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert switcher(page) == ["fr", "de", "es", "ar"]
    for name in ("Français", "Deutsch", "Español", "العربية"):
        assert f">{name}</button>" in page


@pytest.mark.parametrize(
    ("wanted", "track", "written", "expected"),
    [
        ("de", ["de", "en"], None, "de"),  # the track declares the reader's language
        ("fr", ["de", "en"], None, "de"),  # else the track's first language
        ("es", [], None, "es"),  # a follower of the whole challenge: any of the deployment's
        ("it", [], None, "en"),
        ("en", ["de", "en"], {"de": "x"}, "de"),  # an announcement written in German only
        ("de", ["fr"], {"en": "x", "de": "y"}, "de"),  # the track's language is not written
        (None, ["de", "en"], None, "de"),
    ],
)
def test_the_language_of_an_email(app, wanted, track, written, expected):
    with app.app_context():
        assert email_language(wanted, track, written) == expected


def test_texts_in_a_language_the_deployment_dropped_survive_a_save(app, deployment):
    """A deployment that stops offering German keeps the German texts already written: the
    services clean texts against every supported language, not the deployment's."""
    from competitions.challenges.services import clean_lines, clean_texts

    deployment(("en", "fr"))
    with app.test_request_context("/"):
        written = {"en": "Prize", "de": "Preis", "xx": "dropped", "fr": "  "}
        assert clean_lines(written) == {"en": "Prize", "de": "Preis"}
        assert clean_texts({"ar": "نص", "it": "testo"}) == {"ar": "نص"}
