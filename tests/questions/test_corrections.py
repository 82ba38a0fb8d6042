"""Correcting and withdrawing a published answer: a correction is a new text version (the
page says "corrected on", the agencies keep every text, the feed entry is updated), under the
same rules as publishing (every language; the lead's approval for a challenge-wide answer);
a withdrawal, with a reason (audited), takes the answer off the public pages and the feed and
makes it a draft again."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest

from competitions.core.errors import DomainError, PermissionDenied
from competitions.core.extensions import db
from competitions.questions import answers, corrections, services
from competitions.questions.models import AnswerStatus, AnswerVersion, QuestionStatus
from tests.questions.conftest import act, ask, draft, events, text

FIXED = {"en": "No: only through the Canada track.", "fr": "Non : par le volet canadien."}


def _corrected(question, fr: bool = True) -> answers.AnswerDraft:
    answer = question.answer
    return answers.AnswerDraft(
        "",
        dict(answer.topic),
        dict(answer.question_text),
        FIXED if fr else {"en": FIXED["en"]},
        False,
    )


def _published(challenge, world, asker, scope: str, user=None):
    question = ask(challenge, asker, scope or "agency-b")
    who = user or (world.staff_a if scope == challenge.tracks[0].slug else world.admin_b)
    draft(question, who, scope)
    answers.publish(act(who), question)
    if scope == "":
        answers.approve(act(world.admin_a), question)
    db.session.commit()
    return question


def _feed_updated(client, answer_id: int) -> str:
    feed = client.get("/challenges/feed.atom").get_data(as_text=True)
    entry = next(e for e in feed.split("<entry>") if f"#a{answer_id}</id>" in e)
    return re.search(r"<updated>(.*?)</updated>", entry).group(1)


def test_a_track_answer_is_corrected_at_once_and_keeps_its_history(
    challenge, world, asker, client, login, clock
):
    ca = challenge.tracks[0]
    question = _published(challenge, world, asker, ca.slug)
    answer = question.answer
    before = _feed_updated(client, answer.id)
    clock.advance(timedelta(hours=3))
    with pytest.raises(DomainError, match="Give a reason"):
        corrections.correct(act(world.staff_a), question, _corrected(question), " ")
    db.session.rollback()
    with pytest.raises(DomainError, match="missing in French"):
        corrections.correct(act(world.staff_a), question, _corrected(question, fr=False), "Wrong.")
    db.session.rollback()
    rules = _corrected(question)
    with pytest.raises(DomainError, match="withdraw the answer"):  # never silently
        corrections.correct(
            act(world.staff_a),
            question,
            replace(rules, changes_rules=True),
            "New rule.",
        )
    db.session.rollback()
    status = corrections.correct(
        act(world.staff_a), question, _corrected(question), "The U.S. track was wrong."
    )
    db.session.commit()
    assert status == "published" and answer.is_published and answer.corrected_at is not None
    assert [v.body["en"] for v in answer.history()] == [
        "Yes, through the U.S. track.",
        FIXED["en"],
    ]
    assert events("answer.corrected")[-1].after["note"] == "The U.S. track was wrong."
    page = text(client.get("/challenges/dsfc/questions"))
    assert FIXED["en"] in page and "Yes, through the U.S. track." not in page
    assert "corrected on" in page
    assert "corrigée le" in text(
        client.get("/challenges/dsfc/questions", headers={"Accept-Language": "fr"})
    )
    assert _feed_updated(client, answer.id) > before
    assert answers.published(challenge, query="canada track") == [answer]  # search: new text

    login(world.staff_a)  # its agency sees every published text, and why it changed
    agency_page = text(client.get(f"/challenges/dsfc/manage/questions/{question.id}"))
    assert "Published texts of this answer" in agency_page
    # Once, in the page's content: not in its title, nor after the breadcrumbs.
    assert agency_page.count('id="history-title"') == 1
    assert "Published texts" not in agency_page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert (
        "Yes, through the U.S. track." in agency_page and "The U.S. track was wrong." in agency_page
    )


def test_correcting_a_challenge_wide_answer_needs_the_leads_approval_again(
    challenge, world, asker, client, login
):
    question = _published(challenge, world, asker, "", user=world.admin_b)
    answer = question.answer
    status = corrections.correct(act(world.admin_b), question, _corrected(question), "Wrong track.")
    db.session.commit()
    assert status == "awaiting_approval"
    assert answer.body["en"] == "Yes, through the U.S. track."  # the published text stays
    assert answer.corrected_at is None
    assert [q.id for q in services.queue(world.admin_a, challenge).awaiting_approval] == [
        question.id
    ]
    with pytest.raises(PermissionDenied):
        corrections.approve_correction(act(world.admin_b), question)
    db.session.rollback()
    login(world.admin_a)
    assert "1 answer awaiting your approval" in text(client.get("/"))  # on the lead's home
    page = text(client.get(f"/challenges/dsfc/manage/questions/{question.id}"))
    assert "A correction awaits the approval" in page and FIXED["en"] in page
    response = client.post(f"/challenges/dsfc/manage/answers/{answer.id}/approve-correction")
    assert response.status_code == 302
    db.session.expire_all()
    assert answer.body == FIXED and answer.corrected_at is not None
    assert answer.pending_correction() is None
    assert events("answer.corrected")[-1].agency_id == world.agency_a.id
    ca, us = challenge.tracks
    assert FIXED["en"] in text(client.get(f"/challenges/dsfc/tracks/{us.slug}/questions"))
    assert FIXED["en"] in text(client.get(f"/challenges/dsfc/tracks/{ca.slug}/questions"))

    # A second correction refused by the lead: the published text stays, the reason audited.
    corrections.correct(
        act(world.admin_b),
        question,
        answers.AnswerDraft(
            "",
            dict(answer.topic),
            dict(answer.question_text),
            {"en": "Maybe.", "fr": "Peut-être."},
            False,
        ),
        "Unsure.",
    )
    db.session.commit()
    corrections.send_back_correction(act(world.admin_a), question, "Not unsure: keep it.")
    db.session.commit()
    assert answer.body == FIXED and answer.pending_correction() is None
    assert db.session.query(AnswerVersion).filter_by(answer_id=answer.id).count() == 2
    assert events("answer.correction_sent_back")[-1].after["reason"] == "Not unsure: keep it."


def test_withdrawing_takes_an_answer_off_the_public_pages(challenge, world, asker, client, login):
    question = _published(challenge, world, asker, "agency-b")
    answer = question.answer
    assert "Can a subsidiary enter?" in text(client.get("/challenges/feed.atom"))
    login(world.admin_b)
    url = f"/challenges/dsfc/manage/answers/{answer.id}/withdraw"
    assert client.post(url, data={"reason": " "}).status_code == 302
    db.session.expire_all()
    assert answer.is_published  # no reason: refused
    client.post(url, data={"reason": "It named a team."})
    db.session.expire_all()
    assert answer.status == AnswerStatus.DRAFT and answer.published_at is None
    assert question.status == QuestionStatus.BEING_ANSWERED
    assert events("answer.withdrawn")[-1].after["reason"] == "It named a team."
    assert answers.published(challenge) == []
    assert "Can a subsidiary enter?" not in text(client.get("/challenges/dsfc/questions"))
    assert "Can a subsidiary enter?" not in text(client.get("/challenges/feed.atom"))
    page = text(client.get(f"/challenges/dsfc/manage/questions/{question.id}"))
    assert "Withdrawn from the public pages" in page and "It named a team." in page
    assert "Publish the answer" in page  # the agency can act on it again
    # rewritten and published again
    draft(question, world.admin_b, "agency-b")
    assert answers.publish(act(world.admin_b), question) == AnswerStatus.PUBLISHED
    db.session.commit()
    assert answer.withdrawn_at is None and answers.published(challenge) == [answer]


def test_a_challenge_wide_answer_is_withdrawn_by_the_lead_only(challenge, world, asker):
    question = _published(challenge, world, asker, "", user=world.admin_b)
    with pytest.raises(DomainError, match="withdrawn by the lead agency"):
        corrections.withdraw(act(world.admin_b), question, "Wrong.")
    db.session.rollback()
    corrections.withdraw(act(world.admin_a), question, "Wrong.")
    db.session.commit()
    answer = question.answer
    assert answer.status == AnswerStatus.DRAFT and answer.approved_at is None
    assert events("answer.withdrawn")[-1].agency_id == world.agency_a.id
    # published again, it needs the lead's approval again
    draft(question, world.admin_b, "")
    assert answers.publish(act(world.admin_b), question) == AnswerStatus.AWAITING_APPROVAL


def test_the_correction_page_is_prefilled_and_explains_errors(
    challenge, world, asker, client, login
):
    question = _published(challenge, world, asker, "agency-b")
    answer = question.answer
    login(world.admin_b)
    url = f"/challenges/dsfc/manage/answers/{answer.id}/correct"
    assert "Correct the answer" in text(
        client.get(f"/challenges/dsfc/manage/questions/{question.id}")
    )
    page = text(client.get(url))
    assert "Yes, through the U.S. track." in page
    response = client.post(
        url, data={"question_en": "Can a subsidiary enter?", "body_en": "Yes.", "note": ""}
    )
    assert "Give a reason." in text(response, 400)
    response = client.post(
        url,
        data={"question_en": "Can a subsidiary enter?", "body_en": "Yes, but…", "note": "Precise."},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert answer.body == {"en": "Yes, but…"}
    client.post("/logout")
    login(world.staff_a)  # another track's agency
    assert client.get(url).status_code == 404
