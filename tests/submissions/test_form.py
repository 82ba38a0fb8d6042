"""The round's form built at run time: every field type, labels and help in the user's
language, server-side checks at submission, and drafts that accept anything half-done."""

from __future__ import annotations

import re
from typing import Any

import pytest

from competitions.core.extensions import db
from competitions.submissions import services
from competitions.submissions.models import SubmissionVersion
from tests.submissions.conftest import (
    FIELDS,
    GOOD,
    PDF,
    act,
    count,
    download,
    draft,
    follow,
    form_data,
    page_url,
    text,
    upload,
)


def field_error(page: str, key: str) -> str:
    """The error text shown under field ``key`` ("" if none)."""
    match = re.search(rf'<div id="{key}-error"[^>]*>(.*?)</div>', page, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", match.group(1))).strip() if match else ""


def test_every_field_type_renders_with_labels_and_help_in_english(
    world, client, login, entry, round_
):
    login(world.innovator)
    page = text(client.get(page_url(entry, round_)))
    # short text
    assert '<label class="form-label fw-semibold" for="title">Project title</label>' in page
    assert "A short name for your project." in page
    assert re.search(r'<input[^>]*id="title"[^>]*type="text"', page)
    # long text with its word limit
    assert re.search(r'<textarea[^>]*data-max-words="5"[^>]*id="summary"', page)
    assert "What does it do? (at most 5 words)" in page
    # number
    assert re.search(
        r'<input[^>]*id="people"[^>]*inputmode="decimal"|inputmode="decimal"[^>]*name="people"',
        page,
    )
    # single choice: radios with option labels
    assert re.search(r'<input[^>]*name="stage" type="radio" value="idea"', page)
    assert '<label class="form-check-label" for="stage-1">Working prototype</label>' in page
    # multiple choice: checkboxes
    assert re.search(r'<input[^>]*name="crops" type="checkbox" value="potato"', page)
    assert '<legend class="form-label fs-6 fw-semibold">Crops grown</legend>' in page
    # url, date
    assert re.search(r'<input[^>]*id="video"[^>]*type="url"', page)
    assert re.search(r'<input[^>]*id="started"[^>]*type="date"', page)
    # attestation: a checkbox labelled with the statement
    assert re.search(r'<input[^>]*id="original"[^>]*type="checkbox"', page)
    assert '<label class="form-check-label" for="original">This is our own work.</label>' in page
    # files: accepted types, size and count
    assert re.search(r'<input accept="\.pdf"[^>]*id="report"[^>]*multiple[^>]*type="file"', page)
    assert "Your report as a PDF. Accepted: PDF, at most 1 MB each, 2 in all." in page
    assert 'accept=".docx,.zip"' in page
    assert 'enctype="multipart/form-data"' in page
    assert 'name="action" value="submit"' in page and 'name="action" value="save"' in page


def test_labels_help_and_options_follow_the_users_language(world, client, login, entry, round_):
    world.innovator.preferred_language = "fr"
    db.session.commit()
    login(world.innovator)
    page = text(client.get(page_url(entry, round_)))
    for french in (
        "Titre du projet",
        "Un nom court pour le projet.",
        "Que fait-il ?",
        "Personnes qui y travaillent",
        "Prototype",
        "Pomme de terre",
        "Lien vers la vidéo",
        "Date de début",
        "C'est notre propre travail.",
        "Rapport de conception",
        "Votre rapport en PDF.",
        "(5 mots au plus)",
    ):
        assert french in page, french
    for english in ("Project title", "What does it do?", "Potato", "Design report", "at most"):
        assert english not in page, english


def test_a_mate_with_english_sees_english_on_the_same_entry(
    world, client, login, mate, entry, round_
):
    world.innovator.preferred_language = "fr"
    db.session.commit()
    login(mate)
    page = text(client.get(page_url(entry, round_)))
    assert "Project title" in page and "Titre du projet" not in page


def test_submission_is_checked_on_the_server_field_by_field(world, client, login, entry, round_):
    login(world.innovator)
    answers: dict[str, Any] = {
        "title": "",
        "summary": "one two three four five",
        "people": "99",
        "stage": "idea",
        "video": "javascript:alert(1)",
        "started": "2027-02-30",
        "original": False,
    }
    page = text(
        client.post(
            page_url(entry, round_),
            data=form_data(answers, action="submit"),
            content_type="multipart/form-data",
        )
    )
    assert "The submission is not complete yet." in page
    assert field_error(page, "title") == "Error: Answer this question."
    assert field_error(page, "summary") == ""
    assert field_error(page, "people") == "Error: Enter a number of at most 50."
    assert field_error(page, "video") == "Error: Enter a web address starting with https://."
    assert field_error(page, "started") == "Error: Enter a date like 2025-07-30."
    assert field_error(page, "original") == "Error: Confirm this statement."
    assert field_error(page, "report") == "Error: Upload this file."
    assert field_error(page, "stage") == "" and field_error(page, "crops") == ""
    # The error summary links to each field.
    assert '<a href="#people">Enter a number of at most 50.</a>' in page
    assert count(SubmissionVersion) == 0
    # ... and what was typed is kept as the draft.
    submission = services.submission_for(entry, round_)
    assert submission.draft["people"] == "99"
    assert submission.draft["video"] == "javascript:alert(1)"
    assert submission.draft["original"] is False


CASES = {
    "required text missing": ({"title": ""}, "title", "Answer this question."),
    "number below range": ({"people": "0"}, "people", "Enter a number of at least 1."),
    "number above range": ({"people": "50.5"}, "people", "Enter a number of at most 50."),
    "not a number": ({"people": "four"}, "people", "Enter a number."),
    "not a web address": ({"video": "ftp://x.example"}, "video", "Enter a web address"),
    "bad date": ({"started": "15/01/2027"}, "started", "Enter a date like 2025-07-30."),
    "unchecked attestation": ({"original": False}, "original", "Confirm this statement."),
}


@pytest.mark.parametrize("change, key, message", CASES.values(), ids=CASES.keys())
def test_each_rule_is_enforced_at_submission(world, entry, round_, change, key, message):
    draft(entry, round_, world.innovator, {**GOOD, **change})
    with pytest.raises(services.IncompleteSubmission) as caught:
        services.submit(act(world.innovator), entry, round_)
    assert set(caught.value.problems) == {key}
    assert message in caught.value.problems[key]


MALFORMED = {
    "too many words": ({"summary": "a b c d e f"}, "summary", "Use at most 5 words (you wrote 6)."),
    "unknown choice": ({"stage": "launched"}, "stage", "Choose one of the options."),
    "unknown option": ({"crops": ["lettuce", "rice"]}, "crops", "Choose among the options."),
    "too long": ({"title": "x" * 501}, "title", "Use at most 500 characters."),
}


@pytest.mark.parametrize("change, key, message", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_answer_is_refused_even_in_a_draft(world, entry, round_, change, key, message):
    with pytest.raises(services.InvalidAnswers) as caught:
        draft(entry, round_, world.innovator, {**GOOD, **change})
    assert caught.value.problems == {key: message}


def test_the_form_refuses_a_malformed_draft_field_by_field_and_keeps_the_text(
    world, client, login, entry, round_
):
    draft(entry, round_, world.innovator)
    login(world.innovator)
    answers = {**GOOD, "summary": "one two three four five six seven", "stage": "launched"}
    response = client.post(
        page_url(entry, round_),
        data=form_data(answers, action="save"),
        content_type="multipart/form-data",
    )
    page = text(response)
    assert "Some answers cannot be saved as they are: correct them and save again." in page
    assert field_error(page, "summary") == "Error: Use at most 5 words (you wrote 7)."
    assert field_error(page, "stage") == "Error: Choose one of the options."
    assert "one two three four five six seven</textarea>" in page  # the typed text is kept
    db.session.expire_all()
    assert services.submission_for(entry, round_).draft["summary"] == GOOD["summary"]


def test_a_required_text_of_only_spaces_is_not_an_answer(world, client, login, entry, round_):
    login(world.innovator)
    response = client.post(
        f"{page_url(entry, round_)}/autosave", json={"answers": {**GOOD, "title": "   "}}
    )
    assert response.status_code == 200
    draft(entry, round_, world.innovator, {})  # the report, nothing else changed
    assert services.submission_for(entry, round_).draft["title"] == "   "
    with pytest.raises(services.IncompleteSubmission) as caught:
        services.submit(act(world.innovator), entry, round_)
    assert caught.value.problems == {"title": "Answer this question."}


@pytest.mark.parametrize("value", ["nan", "NaN", "-nan"])
def test_not_a_number_is_not_a_number(world, entry, round_, value):
    draft(entry, round_, world.innovator, {**GOOD, "people": value})
    with pytest.raises(services.IncompleteSubmission) as caught:
        services.submit(act(world.innovator), entry, round_)
    assert caught.value.problems == {"people": "Enter a number."}


@pytest.mark.parametrize("value", ["inf", "-Infinity"])
def test_infinity_is_refused(world, entry, round_, value):
    draft(entry, round_, world.innovator, {**GOOD, "people": value})
    with pytest.raises(services.IncompleteSubmission) as caught:
        services.submit(act(world.innovator), entry, round_)
    assert set(caught.value.problems) == {"people"}
    assert caught.value.problems["people"].startswith("Enter a number")


def test_boundaries_are_accepted(world, entry, round_):
    answers = {**GOOD, "summary": "one two three four five", "people": "50", "crops": []}
    draft(entry, round_, world.innovator, answers)
    version = services.submit(act(world.innovator), entry, round_)
    assert version.answers["summary"] == "one two three four five"
    assert version.answers["people"] == "50"


def test_a_draft_accepts_incomplete_answers_and_ones_only_submission_checks(
    world, client, login, entry, round_
):
    login(world.innovator)
    response = client.post(
        page_url(entry, round_),
        data={"title": "Half done", "people": "99", "action": "save"},
        content_type="multipart/form-data",
    )
    page = follow(client, response)
    assert "Draft saved." in page
    assert 'value="Half done"' in page
    # While editing, the page already points out what will not pass (but saved it anyway).
    assert "Enter a number of at most 50." in page
    submission = services.submission_for(entry, round_)
    assert submission.draft["title"] == "Half done"
    assert submission.draft_saved_at is not None
    assert submission.draft_saved_by_id == world.innovator.id
    assert count(SubmissionVersion) == 0


def test_a_file_upload_is_kept_in_the_draft_even_when_the_rest_is_incomplete(
    world, client, login, entry, round_
):
    login(world.innovator)
    response = client.post(
        page_url(entry, round_),
        data={"report": upload(PDF), "action": "submit"},
        content_type="multipart/form-data",
    )
    page = text(response)
    assert "The submission is not complete yet." in page
    submission = services.submission_for(entry, round_)
    assert [f.filename for f in submission.draft_files] == ["report.pdf"]
    assert field_error(page, "report") == ""
    # The refused submission's rollback did not take the draft's stored bytes with it.
    assert download(client, submission.draft_files[0].id).data == PDF


def test_labels_help_and_answers_are_escaped(world, client, login, entry, round_):
    hostile = [
        {
            **FIELDS[0],
            "label": {"en": "<script>alert('label')</script>"},
            "help": {"en": "<img src=x onerror=alert(1)>"},
        },
        *FIELDS[1:],
    ]
    services.define_form(act(world.admin_a), round_, hostile)
    db.session.commit()
    draft(entry, round_, world.innovator, {**GOOD, "title": '"><script>alert(2)</script>'})
    login(world.innovator)
    raw = client.get(page_url(entry, round_)).get_data(as_text=True)
    assert "<script>alert(" not in raw and "<img src=x" not in raw
    assert "&lt;script&gt;alert(&#39;label&#39;)&lt;/script&gt;" in raw
    version = services.submit(act(world.innovator), entry, round_)
    db.session.commit()
    raw = client.get(f"{page_url(entry, round_)}/versions/{version.number}").get_data(as_text=True)
    assert "<script>alert(" not in raw


def test_a_form_that_fails_its_own_checks_is_shown_again_with_the_draft(
    world, client, login, entry, round_
):
    """A control character refused by the form itself: the page comes back with the message,
    nothing saved (this used to fail with a server error)."""
    login(world.innovator)
    draft(entry, round_, world.innovator, dict(GOOD))
    response = client.post(
        page_url(entry, round_), data=form_data(dict(GOOD, title="Rocket\x01 greens"))
    )
    assert response.status_code == 200
    assert "Remove the invisible control characters" in field_error(text(response), "title")
    db.session.expire_all()
    assert services.submission_for(entry, round_).draft["title"] == GOOD["title"]
