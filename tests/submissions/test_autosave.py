"""Autosave: typed answers saved as JSON without a page load; clear answers for a lost
session, another team, and after the deadline."""

from __future__ import annotations

import re
from datetime import timedelta

from competitions.core.extensions import db
from competitions.submissions import services
from competitions.submissions.models import SubmissionVersion
from tests.submissions.conftest import DEADLINE, NOW, count, draft, page_url, text


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
                "people": 7,  # not text: ignored
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
        "message": "The deadline has passed: the draft can no longer be changed.",
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
