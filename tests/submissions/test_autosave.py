"""Autosave: typed answers saved as JSON without a page load; clear answers for a lost
session, another team, and after the deadline."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from competitions.core.extensions import db
from competitions.submissions import services
from competitions.submissions.models import SubmissionVersion
from tests.submissions.conftest import DEADLINE, NOW, act, count, draft, page_url, text


def url(entry, round_):
    return f"{page_url(entry, round_)}/autosave"


def test_a_member_autosaves_the_draft(world, client, login, mate, entry, round_):
    login(mate)
    response = client.post(
        url(entry, round_),
        json={
            "answers": {
                "title": "Typed so far",
                "original": True,
                "crops": ["potato"],
                "report": "not a file",  # file fields are not autosaved
                "unknown": "ignored",
            }
        },
    )
    assert response.status_code == 200
    assert response.json == {"status": "saved", "saved_at": NOW.isoformat()}
    submission = services.submission_for(entry, round_)
    assert submission.draft == {"title": "Typed so far", "original": True, "crops": ["potato"]}
    assert submission.draft_saved_by_id == mate.id
    assert count(SubmissionVersion) == 0


def test_autosave_merges_with_the_saved_draft(world, client, login, entry, round_):
    draft(entry, round_, world.innovator)
    login(world.innovator)
    response = client.post(url(entry, round_), json={"answers": {"summary": "Better words."}})
    assert response.status_code == 200
    submission = services.submission_for(entry, round_)
    assert submission.draft["summary"] == "Better words."
    assert submission.draft["title"] == "Orbital lettuce"
    assert len(submission.draft_files) == 1


def test_signed_out_autosave_answers_401_json_and_the_text_survives_a_new_sign_in(
    world, client, login, entry, round_
):
    response = client.post(url(entry, round_), json={"answers": {"title": "Lost?"}})
    assert response.status_code == 401
    assert response.json == {"status": "signed_out"}
    assert services.submission_for(entry, round_) is None
    # Signed in again, the browser sends the kept text and it is saved.
    login(world.innovator)
    assert client.post(url(entry, round_), json={"answers": {"title": "Lost?"}}).status_code == 200
    assert 'value="Lost?"' in text(client.get(page_url(entry, round_)))


def test_another_teams_member_gets_404(world, client, login, entry, rival, round_):
    login(rival.team.lead.user)
    response = client.post(url(entry, round_), json={"answers": {"title": "Sabotage"}})
    assert response.status_code == 404
    assert services.submission_for(entry, round_) is None


def test_agency_people_cannot_autosave_into_a_teams_draft(world, client, login, entry, round_):
    login(world.admin_a)
    response = client.post(url(entry, round_), json={"answers": {"title": "Admin text"}})
    assert response.status_code == 404
    assert services.submission_for(entry, round_) is None


def test_after_the_deadline_autosave_answers_409_with_a_message(
    world, client, login, entry, round_, clock
):
    draft(entry, round_, world.innovator)
    clock.set_now(DEADLINE + timedelta(seconds=1))
    login(world.innovator)
    response = client.post(url(entry, round_), json={"answers": {"title": "Too late"}})
    assert response.status_code == 409
    assert response.json == {
        "status": "refused",
        "message": "Your changes were not saved: the deadline passed at 30 Jul 2027 18:00:00 EDT.",
    }
    db.session.expire_all()
    assert services.submission_for(entry, round_).draft["title"] == "Orbital lettuce"


def test_at_the_deadline_autosave_still_works(world, client, login, entry, round_, clock):
    clock.set_now(DEADLINE)
    login(world.innovator)
    response = client.post(url(entry, round_), json={"answers": {"title": "Just in time"}})
    assert response.status_code == 200
    assert response.json["saved_at"] == DEADLINE.isoformat()


def test_a_malformed_payload_is_400(world, client, login, entry, round_):
    login(world.innovator)
    assert client.post(url(entry, round_), json={"title": "x"}).status_code == 400
    assert client.post(url(entry, round_), json=["x"]).status_code == 400
    assert client.post(url(entry, round_), data="not json").status_code == 400


def test_autosave_with_csrf_protection_uses_the_pages_token(
    world, client, login, entry, round_, app, monkeypatch
):
    login(world.innovator)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = client.get(page_url(entry, round_))
    page = text(response)
    form = page[page.index('class="submission-form"') :]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    # What the page's script sends: same-origin, with the form's token in a header.
    referer = {"Referer": response.request.url}
    headers = {"X-CSRFToken": token, **referer}
    answers = {"answers": {"title": "Protected"}}
    assert client.post(url(entry, round_), json=answers, headers=referer).status_code == 400
    assert services.submission_for(entry, round_) is None
    response = client.post(url(entry, round_), json=answers, headers=headers)
    assert response.status_code == 200
    assert services.submission_for(entry, round_).draft["title"] == "Protected"
    # Once signed out, the same request is refused and the script keeps the text.
    logout = client.post("/logout", data={"csrf_token": token}, headers=referer)
    assert logout.status_code == 302
    response = client.post(
        url(entry, round_), json={"answers": {"title": "After"}}, headers=headers
    )
    assert response.status_code in (400, 401)
    db.session.expire_all()
    assert services.submission_for(entry, round_).draft["title"] == "Protected"


# --- autosave validates exactly like the form ------------------------------------------------

CONTROL = "Remove the invisible control characters from this field."
BAD = {
    "a list for a choice": ("stage", ["idea", "prototype"], "Choose one of the options."),
    "an unknown choice": ("stage", "launched", "Choose one of the options."),
    "an object for a choice": ("stage", {"value": "idea"}, "Choose one of the options."),
    "a text for several choices": ("crops", "lettuce", "Choose among the options."),
    "an unknown option": ("crops", ["lettuce", "rice"], "Choose among the options."),
    "nested options": ("crops", [["lettuce"]], "Choose among the options."),
    "a number for text": ("title", 42, "Enter text."),
    "a list for text": ("summary", ["a", "b"], "Enter text."),
    "a number for a number field": ("people", 7, "Enter a number."),
    "a list for a web address": ("video", ["https://x.example"], "Enter a web address"),
    "an object for a date": ("started", {"y": 2027}, "Enter a date like 2025-07-30."),
    "text for an attestation": ("original", "yes", "Tick the box or leave it empty."),
    "a control character": ("title", "Rocket\x01 greens", CONTROL),
    "a NUL": ("summary", "Grows\x00 lettuce", CONTROL),
    "a lone surrogate": ("title", "Rocket \ud800 greens", CONTROL),
    "a lone low surrogate": ("summary", "\udfff", CONTROL),
    "5 MB of text": ("summary", "x" * 5_000_000, "Use at most 200000 characters."),
    "a long short text": ("title", "x" * 501, "Use at most 500 characters."),
    "a long number": ("people", "1" * 51, "Use at most 50 characters."),
    "too many words": ("summary", "a b c d e f", "Use at most 5 words (you wrote 6)."),
}


@pytest.mark.parametrize(("key", "value", "message"), BAD.values(), ids=BAD.keys())
def test_autosave_refuses_what_the_form_refuses_with_a_message_per_field(
    world, client, login, entry, round_, key, value, message
):
    draft(entry, round_, world.innovator)
    before = dict(services.submission_for(entry, round_).draft)
    login(world.innovator)
    response = client.post(
        url(entry, round_), json={"answers": {"title": "Also typed", key: value}}
    )
    assert response.status_code == 400
    body = response.json
    assert body["status"] == "invalid" and set(body["errors"]) == {key}
    assert body["errors"][key].startswith(message)
    assert body["message"]
    db.session.expire_all()
    assert services.submission_for(entry, round_).draft == before  # nothing stored


def test_a_refused_autosave_creates_no_draft(world, client, login, entry, round_):
    login(world.innovator)
    response = client.post(url(entry, round_), json={"answers": {"stage": ["idea"]}})
    assert response.status_code == 400
    assert services.submission_for(entry, round_) is None


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("stage", ["idea", "prototype"], "Choose one of the options."),
        ("crops", "lettuce", "Choose among the options."),
        ("crops", [["lettuce"], {"a": 1}], "Choose among the options."),
        ("title", {"en": "x"}, "Enter text."),
        ("summary", "a\ud800b\x01" * 3, CONTROL),
        ("people", [1, 2], "Enter a number."),
        ("video", 5, "Enter a web address"),
        ("started", ["2027-01-01"], "Enter a date like 2025-07-30."),
        ("original", "yes", "Tick the box or leave it empty."),
    ],
)
def test_a_draft_holding_a_bad_value_does_not_break_the_page(
    world, client, login, switch, entry, round_, key, value, message
):
    """Values stored before autosave was checked (written here directly): the team and the
    track's admin still get the page, the value is pointed out, a fix is saved, and a
    submission is refused with a message rather than an error."""
    draft(entry, round_, world.innovator)
    submission = services.submission_for(entry, round_)
    submission.draft = {**submission.draft, key: value}
    db.session.commit()
    login(world.innovator)
    page = text(client.get(page_url(entry, round_)))
    assert message in page
    switch(world.admin_a)
    assert client.get(page_url(entry, round_)).status_code == 200
    assert (
        client.get(
            f"/challenges/{round_.challenge.slug}/tracks/{entry.track.slug}/submissions"
        ).status_code
        == 200
    )
    with pytest.raises(services.IncompleteSubmission) as caught:
        services.submit(act(world.innovator), entry, round_)
    assert key in caught.value.problems
    db.session.rollback()
    switch(world.innovator)
    fixed = {"stage": "idea", "crops": ["potato"], "title": "Fixed", "summary": "Fixed."}
    fixed |= {"people": "3", "video": "https://x.example", "started": "2027-01-02"}
    fixed |= {"original": True}
    response = client.post(url(entry, round_), json={"answers": {key: fixed[key]}})
    assert response.status_code == 200
    db.session.expire_all()
    assert services.submission_for(entry, round_).draft[key] == fixed[key]
