"""The lead agency's admins define each round's submission form as JSON: checked field by
field, stored normalised, and fields cannot be removed once entries have submitted."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from competitions.core.errors import Conflict, DomainError, NotFound
from competitions.core.extensions import db
from competitions.submissions import services
from competitions.submissions.fields import FieldDef, parse_fields
from tests.submissions.conftest import (
    FIELDS,
    act,
    build,
    draft,
    events,
    new_team,
    register,
    text,
)


def url(challenge: Any, round_: Any) -> str:
    return f"/challenges/{challenge.slug}/manage/rounds/{round_.id}/form/json"


NEW_FORM = [
    {
        "key": "pitch",
        "type": "long_text",
        "label": {"en": "Pitch", "fr": "Argumentaire"},
        "help": {"en": "Sell it.", "fr": "Vendez-le."},
        "required": True,
        "max_words": 50,
    },
    {
        "key": "budget",
        "type": "number",
        "label": {"en": "Budget"},
        "min": 0,
        "max": 1000000,
    },
    {
        "key": "deck",
        "type": "file",
        "label": {"en": "Slides"},
        "file_types": ["pdf", "pptx"],
        "max_size_mb": 10,
        "max_files": 3,
    },
]


def test_a_valid_definition_is_stored_normalised_and_audited(world, client, login, round_):
    login(world.admin_a)
    response = client.post(url(round_.challenge, round_), data={"definition": json.dumps(NEW_FORM)})
    assert response.status_code == 302, text(response)
    assert response.headers["Location"].endswith(
        f"/challenges/{round_.challenge.slug}/manage/rounds/{round_.id}/form"
    )
    stored = round_.form_fields
    assert [f["key"] for f in stored] == ["pitch", "budget", "deck"]
    assert stored[0]["label"] == {"en": "Pitch", "fr": "Argumentaire"}
    assert stored[0]["max_words"] == 50 and stored[0]["required"] is True
    assert stored[1]["min"] == 0 and stored[1]["max"] == 1000000
    assert stored[2]["file_types"] == ["pdf", "pptx"]
    assert stored[2]["max_size_mb"] == 10 and stored[2]["max_files"] == 3
    # What is stored parses again to the same fields.
    assert [f.key for f in services.fields_of(round_)] == ["pitch", "budget", "deck"]
    event = events("round.form_defined")[-1]
    assert event.actor_id == world.admin_a.id
    assert [f["key"] for f in event.after["fields"]] == ["pitch", "budget", "deck"]
    # The page shows the stored definition back.
    page = text(client.get(url(round_.challenge, round_)))
    assert "Argumentaire" in page and "pptx" in page


def test_the_service_returns_field_definitions(world, round_):
    fields = services.define_form(act(world.admin_a), round_, FIELDS)
    assert all(isinstance(f, FieldDef) for f in fields)
    assert {f.type for f in fields} == {
        "short_text",
        "long_text",
        "number",
        "choice",
        "multi_choice",
        "url",
        "date",
        "attestation",
        "file",
    }


def _with(index: int, **changes: Any) -> list[dict[str, Any]]:
    fields = copy.deepcopy(FIELDS)
    fields[index].update(changes)
    for key, value in list(fields[index].items()):
        if value is None:
            del fields[index][key]
    return fields


INVALID = {
    "unknown type": (_with(0, type="essay"), "Field 1: the type must be one of short_text"),
    "duplicate key": (_with(1, key="title"), "Field 2: the key title is used twice."),
    "missing label": (_with(2, label=None), "Field 3 needs a text in at least one language."),
    "empty label": (_with(2, label={"en": "  "}), "Field 3 needs a text in at least one language."),
    "bad file type": (
        _with(8, file_types=["pdf", "exe"]),
        "Field 9: allowed file types are pdf, png",
    ),
    "no file types": (_with(8, file_types=[]), "Field 9: allowed file types are"),
    "max below min": (_with(2, min=10, max=5), "Field 3: the maximum is below the minimum."),
    "bad key": (_with(0, key="Title!"), "Field 1: the key must be lower-case letters"),
    "choice without options": (_with(3, options=[]), "Field 4: list the options to choose from."),
    "too large a file": (
        _with(8, max_size_mb=10_000),
        "Field 9 must be a whole number from 1 to 500.",
    ),
    "not a list": ({"key": "title"}, "The form must be a list of fields."),
}


@pytest.mark.parametrize("definition, message", INVALID.values(), ids=INVALID.keys())
def test_invalid_definitions_are_refused_with_a_specific_error(world, round_, definition, message):
    before = copy.deepcopy(round_.form_fields)
    with pytest.raises(DomainError) as caught:
        services.define_form(act(world.admin_a), round_, definition)
    assert message in caught.value.message
    assert caught.value.field == "definition"
    assert round_.form_fields == before


def test_the_page_reports_invalid_json_with_its_position(world, client, login, round_):
    login(world.admin_a)
    before = copy.deepcopy(round_.form_fields)
    page = text(client.post(url(round_.challenge, round_), data={"definition": '[{"key": "x",}]'}))
    assert "This is not valid JSON (line 1, column 14)." in page
    assert "There is a problem" in page
    assert round_.form_fields == before


def test_the_page_reports_a_definition_error_on_the_field(world, client, login, round_):
    login(world.admin_a)
    page = text(
        client.post(
            url(round_.challenge, round_),
            data={"definition": json.dumps(_with(2, min=10, max=5))},
        )
    )
    assert "Field 3: the maximum is below the minimum." in page
    assert 'id="definition-error"' in page
    assert round_.form_fields[2].get("max") == 50


@pytest.mark.parametrize("who", ["admin_b", "staff_a", "innovator"])
def test_only_the_lead_agency_admins_define_the_form(world, client, login, round_, who):
    user = getattr(world, who)
    login(user)
    assert client.get(url(round_.challenge, round_)).status_code == 404
    response = client.post(url(round_.challenge, round_), data={"definition": json.dumps(NEW_FORM)})
    assert response.status_code == 404
    assert round_.form_fields[0]["key"] == "title"
    with pytest.raises(NotFound):
        services.define_form(act(user), round_, NEW_FORM)


def test_a_platform_admin_may_define_the_form(world, client, login, round_):
    login(world.platform_admin)
    response = client.post(url(round_.challenge, round_), data={"definition": json.dumps(NEW_FORM)})
    assert response.status_code == 302
    assert round_.form_fields[0]["key"] == "pitch"


def test_fields_cannot_be_removed_once_a_version_exists(world, entry, round_):
    admin = act(world.admin_a)
    # Before any submission, a field may go.
    services.define_form(admin, round_, [f for f in FIELDS if f["key"] != "video"])
    services.define_form(admin, round_, FIELDS)
    draft(entry, round_, world.innovator)
    services.submit(act(world.innovator), entry, round_)
    with pytest.raises(Conflict) as caught:
        services.define_form(admin, round_, [f for f in FIELDS if f["key"] != "video"])
    assert "not removed" in caught.value.message
    assert "video" in [f["key"] for f in round_.form_fields]
    # Adding and rewording remain possible.
    reworded = _with(0, label={"en": "Name of the project", "fr": "Nom du projet"})
    extra = {"key": "website", "type": "url", "label": {"en": "Website"}}
    services.define_form(admin, round_, [*reworded, extra])
    assert round_.form_fields[0]["label"]["en"] == "Name of the project"
    assert round_.form_fields[-1]["key"] == "website"


def test_the_page_refuses_removing_a_field_after_a_submission(world, client, login, entry, round_):
    draft(entry, round_, world.innovator)
    services.submit(act(world.innovator), entry, round_)
    db.session.commit()
    login(world.admin_a)
    page = text(
        client.post(
            url(round_.challenge, round_),
            data={"definition": json.dumps([f for f in FIELDS if f["key"] != "summary"])},
        )
    )
    assert "can be added to or reworded, not removed" in page
    assert "summary" in [f["key"] for f in round_.form_fields]


def test_parse_accepts_a_field_without_optional_settings():
    (field,) = parse_fields([{"key": "notes", "type": "long_text", "label": {"fr": "Notes"}}])
    assert field.required is False and field.max_words is None
    # A label in one language serves the others.
    assert field.label_in("en") == "Notes"


def test_a_round_without_a_form_says_it_is_not_ready(world, client, login, now):
    challenge = build(world, "bare", fields=[])
    entry = register(new_team(world.innovator, "CA", 34, name="Solo"), challenge.tracks[0])
    login(world.innovator)
    page = text(client.get(f"/entries/{entry.id}/rounds/{challenge.rounds[0].id}"))
    assert "The form of this round is not ready yet." in page
