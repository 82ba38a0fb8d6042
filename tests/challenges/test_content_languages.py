"""Languages as data in the forms: a track's checkboxes offer the deployment's languages; each
per-language form shows one field per language its track(s) declare, in the deployment's
order, labelled and marked ``lang``/``dir``; saving keeps the text of a language the track no
longer declares."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask

from competitions.challenges.models import Challenge, Track
from competitions.core.extensions import db


@pytest.fixture
def deployment(app: Flask) -> Iterator[object]:
    saved = app.config["LANGUAGES"]

    def set_languages(codes: tuple[str, ...]) -> None:
        app.config["LANGUAGES"] = codes

    yield set_languages
    app.config["LANGUAGES"] = saved


def inputs(page: str, prefix: str) -> list[str]:
    """The language codes of the fields ``prefix_<code>`` on the page, in their order."""
    return re.findall(rf'name="{prefix}_([a-z]{{2}})"', page)


def tag(page: str, name: str) -> str:
    found = re.search(rf'<(?:input|textarea)[^>]*name="{name}"[^>]*>', page)
    assert found is not None, name
    return found.group(0)


def checkboxes(page: str) -> list[str]:
    return [
        re.search(r'value="([a-z]+)"', t).group(1)  # type: ignore[union-attr]
        for t in re.findall(r'<input[^>]*name="languages"[^>]*>', page)
    ]


def declare(track: Track, *codes: str) -> None:
    track.languages = list(codes)
    db.session.commit()


def in_french(client) -> None:
    client.post("/language", data={"lang": "fr"})


def test_a_two_language_deployment_offers_only_its_languages(
    client, world, login, track_a, deployment
):
    deployment(("en", "de"))
    login(world.admin_a)
    url = f"/challenges/{track_a.challenge.slug}/tracks/{track_a.slug}/manage"
    page = client.get(url).get_data(as_text=True)
    assert checkboxes(page) == ["en", "de"]
    # The track declares English and French: French is not the deployment's, its field stays
    # (the text is the track's), ordered after the deployment's own.
    assert inputs(page, "name") == ["en", "fr"]
    form = re.search(r'<form class="lang-switch".*?</form>', page, re.S)
    assert form is not None
    assert re.findall(r'name="lang" value="([a-z]+)"', form.group(0)) == ["de"]


def test_a_track_declaring_three_languages_shows_three_fields_per_text_in_french(
    client, world, login, track_a
):
    declare(track_a, "en", "de", "ar")
    login(world.admin_a)
    in_french(client)
    base = f"/challenges/{track_a.challenge.slug}/tracks/{track_a.slug}/manage"
    page = client.get(base).get_data(as_text=True)
    assert 'lang="fr"' in page  # the interface is French
    for prefix in ("name", "description", "attestations"):
        assert inputs(page, prefix) == ["en", "de", "ar"], prefix
    assert "Nom du volet (allemand)" in page or "(allemand)" in page
    assert "(arabe)" in page and "(anglais)" in page
    arabic = tag(page, "name_ar")
    assert 'lang="ar"' in arabic and 'dir="rtl"' in arabic
    assert 'dir="ltr"' in tag(page, "name_de")
    for path, prefixes in (
        ("/rules", ("condition", "condition2", "condition3")),
        ("/prizes/new", ("label", "condition")),
        ("/terms", ("body",)),
    ):
        page = client.get(base + path).get_data(as_text=True)
        for prefix in prefixes:
            assert inputs(page, prefix) == ["en", "de", "ar"], (path, prefix)


def test_challenge_texts_show_the_union_of_the_tracks_languages(
    client, world, login, challenge, track_a, track_b
):
    declare(track_a, "fr", "en")
    declare(track_b, "es", "en")
    login(world.admin_a)
    page = client.get(f"/challenges/{challenge.slug}/manage/details").get_data(as_text=True)
    # The deployment's order (en, fr, de, es, ar), not the order of declaration.
    for prefix in ("title", "summary", "description"):
        assert inputs(page, prefix) == ["en", "fr", "es"]
    page = client.get(f"/challenges/{challenge.slug}/manage/rounds/new").get_data(as_text=True)
    assert inputs(page, "name") == ["en", "fr", "es"]


def test_a_new_challenge_offers_the_deployments_languages(client, world, login, deployment):
    deployment(("en", "es"))
    login(world.admin_a)
    page = client.get("/agencies/agency-a/challenges/new").get_data(as_text=True)
    assert inputs(page, "title") == ["en", "es"]


def test_saving_keeps_the_text_of_a_language_the_track_dropped(client, world, login, track_a):
    track_a.name = {"en": "CSA track", "fr": "Volet ASC", "de": "CSA-Bereich"}
    track_a.description = {"en": "About", "fr": "À propos"}
    track_a.attestations = {"en": ["I agree."], "fr": ["J'accepte."]}
    declare(track_a, "en", "de")
    login(world.admin_a)
    url = f"/challenges/{track_a.challenge.slug}/tracks/{track_a.slug}/manage"
    page = client.get(url).get_data(as_text=True)
    assert inputs(page, "name") == ["en", "de"]
    response = client.post(
        url,
        data={
            "languages": ["en", "de"],
            "name_en": "CSA track (new)",
            "name_de": "CSA-Bereich (neu)",
            "description_en": "About, again",
            "description_de": "Über uns",
            "attestations_en": "I agree.",
            "attestations_de": "Ich stimme zu.",
            "timezone": "America/Toronto",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    stored = db.session.get(Track, track_a.id)
    assert stored.languages == ["en", "de"]
    assert stored.name == {
        "en": "CSA track (new)",
        "fr": "Volet ASC",
        "de": "CSA-Bereich (neu)",
    }
    assert stored.description["fr"] == "À propos" and stored.description["de"] == "Über uns"
    assert stored.attestations == {
        "en": ["I agree."],
        "fr": ["J'accepte."],
        "de": ["Ich stimme zu."],
    }


def test_adding_a_language_shows_its_fields_with_what_is_missing(client, world, login, track_a):
    login(world.admin_a)
    url = f"/challenges/{track_a.challenge.slug}/tracks/{track_a.slug}/manage"
    response = client.post(
        url,
        data={
            "languages": ["en", "fr", "es"],
            "name_en": track_a.name["en"],
            "name_fr": track_a.name["fr"],
            "timezone": "America/Toronto",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert inputs(page, "name") == ["en", "fr", "es"]
    assert "Enter the track&#39;s name in each of its languages." in page or (
        "Enter the track's name in each of its languages." in page
    )
    response = client.post(
        url,
        data={
            "languages": ["en", "fr", "es"],
            "name_en": track_a.name["en"],
            "name_fr": track_a.name["fr"],
            "name_es": "Sección de la ACE",
            "timezone": "America/Toronto",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Track, track_a.id).name["es"] == "Sección de la ACE"


def test_challenge_texts_round_trip_through_the_page(client, world, login, challenge, track_a):
    declare(track_a, "en", "de")
    for track in challenge.tracks:
        if track.id != track_a.id:
            declare(track, "en")
    login(world.admin_a)
    url = f"/challenges/{challenge.slug}/manage/details"
    page = client.get(url).get_data(as_text=True)
    assert inputs(page, "title") == ["en", "de"]
    response = client.post(
        url,
        data={
            "title_en": "Deep Space Food Challenge",
            "title_de": "Weltraumnahrung",
            "summary_en": "Feed astronauts.",
            "summary_de": "Astronauten ernähren.",
            "description_en": "Rules.",
            "description_de": "Regeln.",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Challenge, challenge.id)
    assert stored.title["de"] == "Weltraumnahrung"
    # French is no longer declared by any track, and its text is kept.
    assert stored.title["fr"] == "Défi des aliments pour l'espace lointain"
