"""The form builder: lead admins add, edit, move and remove the fields of a round's form one
page at a time; every change goes through ``services.define_form`` and its checks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from competitions.core.extensions import db
from competitions.submissions import services
from tests.submissions.conftest import FIELDS, act, build, draft, events, text


def base(round_: Any) -> str:
    return f"/challenges/{round_.challenge.slug}/manage/rounds/{round_.id}/form"


@pytest.fixture
def empty_round(world: Any, now: Any) -> Any:
    return build(world, "empty", fields=[]).rounds[0]


def keys(round_: Any) -> list[str]:
    db.session.refresh(round_)
    return [f["key"] for f in round_.form_fields or []]


SETTINGS: dict[str, dict[str, Any]] = {
    "short_text": {"max_length": "120"},
    "long_text": {"max_words": "300"},
    "number": {"min": "1", "max": "2.5"},
    "choice": {
        "options-0-label_en": "Idea",
        "options-0-label_fr": "Idée",
        "options-1-label_en": "Prototype",
    },
    "multi_choice": {"options-0-label_en": "Lettuce"},
    "url": {},
    "date": {},
    "attestation": {},
    "file": {"file_types": ["pdf", "zip"], "max_size_mb": "10", "max_files": "3"},
}


@pytest.mark.parametrize("kind", list(SETTINGS))
def test_a_field_of_each_type_is_added(world, client, login, empty_round, kind):
    login(world.admin_a)
    page = text(client.get(f"{base(empty_round)}/fields/new"))
    assert "What kind of answer do you need?" in page
    page = text(client.get(f"{base(empty_round)}/fields/new?type={kind}"))
    assert "Question (English)" in page and "Question (French)" in page
    data = {
        "label_en": "Été 2027: plans?",
        "label_fr": "Plans pour l'été",
        "help_en": "Be brief.",
        "required": "y",
        **SETTINGS[kind],
    }
    response = client.post(f"{base(empty_round)}/fields/new?type={kind}", data=data)
    assert response.status_code == 302, text(response)
    (stored,) = empty_round.form_fields
    assert stored["key"] == "ete_2027_plans" and stored["type"] == kind
    assert stored["label"] == {"en": "Été 2027: plans?", "fr": "Plans pour l'été"}
    assert stored["help"] == {"en": "Be brief."} and stored["required"] is True
    if kind == "number":
        assert (stored["min"], stored["max"]) == (1, 2.5)
    if kind == "choice":
        assert stored["options"] == [
            {"value": "idea", "label": {"en": "Idea", "fr": "Idée"}},
            {"value": "prototype", "label": {"en": "Prototype"}},
        ]
    if kind == "file":
        assert stored["file_types"] == ["pdf", "zip"]
        assert (stored["max_size_mb"], stored["max_files"]) == (10, 3)
    if kind in ("short_text", "long_text"):
        assert stored.get("max_length") == 120 or stored.get("max_words") == 300
    assert events("round.form_defined")[-1].actor_id == world.admin_a.id
    # The builder lists it, and the preview shows it as entrants see it.
    page = text(client.get(base(empty_round)))
    assert "Été 2027: plans?" in page and "preview-ete_2027_plans" in page
    assert "Plans pour l'été" in text(client.get(f"{base(empty_round)}?preview=fr"))


def test_an_unknown_type_is_refused_with_its_message(world, client, login, empty_round):
    login(world.admin_a)
    response = client.get(f"{base(empty_round)}/fields/new?type=hologram")
    assert "Not a valid choice" in text(response, 400)


def test_keys_stay_stable_when_a_field_is_edited(world, client, login, round_):
    login(world.admin_a)
    page = text(client.get(f"{base(round_)}/fields/stage"))
    assert 'value="Working prototype"' in page
    response = client.post(
        f"{base(round_)}/fields/stage",
        data={
            "label_en": "Maturity",
            "label_fr": "Maturité",
            "options-0-value": "idea",
            "options-0-label_en": "Just an idea",
            "options-1-value": "prototype",
            "options-1-label_en": "Prototype",
        },
    )
    assert response.status_code == 302, text(response)
    stage = next(f for f in round_.form_fields if f["key"] == "stage")
    assert stage["label"]["en"] == "Maturity"
    assert [o["value"] for o in stage["options"]] == ["idea", "prototype"]
    assert stage["options"][0]["label"] == {"en": "Just an idea"}
    assert keys(round_)[3] == "stage"


def test_options_are_added_and_removed_without_javascript(world, client, login, round_):
    login(world.admin_a)
    data = {
        "label_en": "Stage",
        "options-0-value": "idea",
        "options-0-label_en": "Idea",
        "options-1-value": "prototype",
        "options-1-label_en": "Prototype",
    }
    page = text(client.post(f"{base(round_)}/fields/stage", data={**data, "action": "add_option"}))
    assert 'name="options-2-label_en"' in page
    page = text(
        client.post(f"{base(round_)}/fields/stage", data={**data, "action": "remove_option:0"})
    )
    assert 'value="Idea"' not in page and 'value="Prototype"' in page
    assert len(next(f for f in round_.form_fields if f["key"] == "stage")["options"]) == 2


def test_fields_move_up_and_down(world, client, login, round_):
    login(world.admin_a)
    assert keys(round_)[:3] == ["title", "summary", "people"]
    client.post(f"{base(round_)}/fields/summary/move", data={"direction": "up"})
    assert keys(round_)[:3] == ["summary", "title", "people"]
    client.post(f"{base(round_)}/fields/summary/move", data={"direction": "down"})
    client.post(f"{base(round_)}/fields/title/move", data={"direction": "up"})  # already first
    assert keys(round_)[:3] == ["title", "summary", "people"]


def test_removing_a_field_asks_for_confirmation(world, client, login, round_):
    login(world.admin_a)
    page = text(client.get(f"{base(round_)}/fields/video/remove"))
    assert "Remove “Video link”?" in page
    # A post without the explicit confirmation shows the question again.
    client.post(f"{base(round_)}/fields/video/remove", data={})
    assert "video" in keys(round_)
    response = client.post(f"{base(round_)}/fields/video/remove", data={"confirm": "yes"})
    assert response.status_code == 302
    assert "video" not in keys(round_) and len(keys(round_)) == len(FIELDS) - 1


def test_a_refused_change_shows_its_error_on_the_field(world, client, login, round_):
    login(world.admin_a)
    response = client.post(
        f"{base(round_)}/fields/people",
        data={"label_en": "", "label_fr": "", "min": "10", "max": "2"},
    )
    page = text(response, 400)
    assert "Enter the question in at least one language." in page
    assert "Enter a maximum at least as large as the minimum." in page
    assert 'id="label_en-error"' in page and 'id="max-error"' in page
    response = client.post(
        f"{base(round_)}/fields/report", data={"label_en": "Report", "max_size_mb": "9999"}
    )
    assert "Choose at least one file type." in text(response, 400)
    assert "from 1 to 500" in text(response, 400)
    assert next(f for f in round_.form_fields if f["key"] == "report")["max_size_mb"] == 1


def test_errors_are_in_the_users_language(world, client, login, round_):
    world.admin_a.preferred_language = "fr"
    db.session.commit()
    login(world.admin_a)
    response = client.post(f"{base(round_)}/fields/people", data={"label_en": ""})
    page = text(response, 400)
    assert "Saisissez la question dans au moins une langue." in page


def test_a_used_key_cannot_be_removed_once_submitted(world, client, login, entry, round_):
    draft(entry, round_, world.innovator)
    services.submit(act(world.innovator), entry, round_)
    db.session.commit()
    login(world.admin_a)
    response = client.post(
        f"{base(round_)}/fields/video/remove", data={"confirm": "yes"}, follow_redirects=True
    )
    assert "can be added to or reworded, not removed" in text(response)
    assert "video" in keys(round_)


def test_export_downloads_the_definition(world, client, login, round_):
    login(world.admin_a)
    response = client.get(f"{base(round_)}/export.json")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert [f["key"] for f in json.loads(response.data)] == [f["key"] for f in FIELDS]
    assert "Advanced: edit or import JSON" in text(client.get(base(round_)))


@pytest.mark.parametrize("who", ["staff_a", "admin_b", "innovator"])
def test_only_lead_admins_use_the_builder(world, client, login, round_, who):
    login(getattr(world, who))
    assert client.get(base(round_)).status_code == 404
    assert (
        client.post(f"{base(round_)}/fields/video/remove", data={"confirm": "yes"}).status_code
        == 404
    )
    assert "video" in keys(round_)


@pytest.mark.parametrize("bad", ["inf", "nan", "1e999"])
def test_numbers_that_are_not_finite_are_refused(world, client, login, round_, bad):
    login(world.admin_a)
    response = client.post(f"{base(round_)}/fields/people", data={"label_en": "P", "min": bad})
    assert "Enter a number, like 10 or 2.5." in text(response, 400)
    assert next(f for f in round_.form_fields if f["key"] == "people")["min"] == 1


@pytest.mark.parametrize(
    "action", ["remove_option:²", "remove_option:" + "9" * 5000, "remove_option:7"]
)
def test_odd_option_actions_change_nothing(world, client, login, round_, action):
    login(world.admin_a)
    data = {
        "label_en": "Stage",
        "options-0-label_en": "Idea",
        "options-1-label_en": "Prototype",
        "action": action,
    }
    page = text(client.post(f"{base(round_)}/fields/stage", data=data))
    assert 'value="Idea"' in page and 'value="Prototype"' in page


def test_the_field_page_previews_what_is_typed_without_saving(world, client, login, round_):
    login(world.admin_a)
    before = list(round_.form_fields)
    page = text(client.get(f"{base(round_)}/fields/new?type=choice"))
    assert "Type the question to see the preview." in page
    response = client.post(
        f"{base(round_)}/fields/new?type=choice",
        data={
            "action": "preview",
            "label_en": "Crew size",
            "label_fr": "Taille de l'équipage",
            "help_en": "Astronauts on board.",
            "options-0-label_en": "Four",
            "options-0-label_fr": "Quatre",
            "required": "y",
        },
    )
    page = text(response, 200)
    # Each language's preview, built by the entrants' form code, not saved.
    assert 'name="preview-en-new_field"' in page and 'name="preview-fr-new_field"' in page
    assert "Taille de l'équipage" in page and "Quatre" in page and "Astronauts on board." in page
    db.session.refresh(round_)
    assert round_.form_fields == before
    # Editing a saved field: the preview shows the typed label under the field's own key.
    response = client.post(
        f"{base(round_)}/fields/stage",
        data={"action": "preview", "label_en": "Maturity now", "options-0-label_en": "Idea"},
    )
    page = text(response, 200)
    assert 'name="preview-en-stage"' in page and "Maturity now" in page
    db.session.refresh(round_)
    assert round_.form_fields == before


def test_texts_in_languages_the_form_does_not_show_are_kept(world, client, login, round_):
    """A German label written while a track declared German survives an edit made after the
    track dropped it: the field's label and each option's (matched by its value)."""
    login(world.admin_a)
    fields = [dict(f) for f in round_.form_fields]
    stage = next(f for f in fields if f["key"] == "stage")
    stage["label"] = {**stage["label"], "de": "Reifegrad"}
    stage["options"] = [
        {**o, "label": {**o["label"], "de": f"{o['label']['en']} (de)"}} for o in stage["options"]
    ]
    round_.form_fields = fields
    db.session.commit()
    page = text(client.get(f"{base(round_)}/fields/stage"))
    assert 'name="label_de"' not in page  # the track does not declare German
    response = client.post(
        f"{base(round_)}/fields/stage",
        data={
            "label_en": "Maturity",
            "options-0-value": "idea",
            "options-0-label_en": "Just an idea",
            "options-1-value": "new",
            "options-1-label_en": "New option",
        },
    )
    assert response.status_code == 302, text(response)
    db.session.refresh(round_)
    stage = next(f for f in round_.form_fields if f["key"] == "stage")
    assert stage["label"] == {"en": "Maturity", "de": "Reifegrad"}
    assert stage["options"][0]["label"]["de"] == "Idea (de)"
    assert stage["options"][0]["label"]["en"] == "Just an idea"
    assert stage["options"][1]["label"] == {"en": "New option"}
