"""Questions and answers: a question stays private; an answer speaks for one track or, with
the lead agency's approval, for every track, once written in every language it speaks to;
an answer that changes the rules waits for new terms; moderation is audited."""

from __future__ import annotations

import pytest

from competitions.challenges.services import tracks as track_services
from competitions.core.errors import DomainError, PermissionDenied
from competitions.core.extensions import db
from competitions.questions import answers, services
from competitions.questions.models import AnswerStatus, QuestionStatus
from tests.questions.conftest import act, ask, draft, events, text


def test_a_question_is_private_to_its_asker_and_its_track_agency(
    challenge, world, asker, client, login
):
    question = ask(challenge, asker, "agency-b", "Is a Canadian company with a US arm welcome?")
    assert question.status == QuestionStatus.NEW
    assert events("question.asked")[-1].agency_id == world.agency_b.id
    assert "US arm" not in text(client.get("/challenges/dsfc/questions"))
    login(asker)
    page = text(client.get("/challenges/dsfc/questions"))
    assert "US arm" in page and "New" in page  # the asker sees it and its status
    b = services.queue(world.admin_b, challenge)
    assert [q.id for q in b.questions] == [question.id]
    assert services.queue(world.staff_a, challenge).questions == []  # another track's
    url = f"/challenges/dsfc/manage/questions/{question.id}"
    assert client.get(url).status_code == 404  # the asker does not reach the agency page


def test_a_track_answer_needs_every_language_of_its_track(challenge, world, asker, mail):
    question = ask(challenge, asker, challenge.tracks[0].slug)
    draft(question, world.staff_a, challenge.tracks[0].slug, fr=False, topic=False)
    assert question.status == QuestionStatus.BEING_ANSWERED
    with pytest.raises(DomainError, match="missing in French"):
        answers.publish(act(world.staff_a), question)
    db.session.rollback()
    draft(question, world.staff_a, challenge.tracks[0].slug)
    assert answers.publish(act(world.staff_a), question) == AnswerStatus.PUBLISHED
    db.session.commit()
    assert question.status == QuestionStatus.ANSWERED
    ca, us = challenge.tracks
    assert [a.id for a in answers.published(challenge, ca)] == [question.answer.id]
    assert answers.published(challenge, us) == []  # the Canada track's answer only
    (told,) = mail.to("asker@example.org")
    assert "is answered" in str(told["Subject"]) and "Can a subsidiary enter?" in mail.text(told)


def test_a_challenge_wide_answer_waits_for_the_lead_agencys_approval(
    challenge, world, asker, client, login
):
    question = ask(challenge, asker, "agency-b")
    draft(question, world.admin_b, "", fr=False)  # for every track: English only
    with pytest.raises(DomainError, match="missing in French"):
        answers.publish(act(world.admin_b), question)  # the Canada track speaks French
    db.session.rollback()
    draft(question, world.admin_b, "")
    assert answers.publish(act(world.admin_b), question) == AnswerStatus.AWAITING_APPROVAL
    db.session.commit()
    assert answers.published(challenge) == []
    with pytest.raises(PermissionDenied):
        answers.approve(act(world.admin_b), question)  # not the lead
    db.session.rollback()
    lead = services.queue(world.admin_a, challenge)
    assert [q.id for q in lead.awaiting_approval] == [question.id]
    answers.approve(act(world.admin_a), question)
    db.session.commit()
    answer = question.answer
    assert answer.status == AnswerStatus.PUBLISHED and answer.approved_by_id == world.admin_a.id
    assert events("answer.published")[-1].agency_id == world.agency_a.id
    ca, us = challenge.tracks
    assert answers.published(challenge, ca) == answers.published(challenge, us) == [answer]
    fr = {"Accept-Language": "fr"}
    page = text(client.get("/challenges/dsfc/tracks/" + ca.slug, headers=fr))
    assert "Oui, par le volet américain." in page and "Alice" not in page
    assert "Oui, par le volet américain." in text(client.get("/challenges/dsfc", headers=fr))
    english = text(
        client.get("/challenges/dsfc/tracks/agency-b", headers={"Accept-Language": "en"})
    )
    assert "Yes, through the U.S. track." in english


def test_the_lead_s_page_offers_to_approve_or_send_back(challenge, world, asker, client, login):
    question = ask(challenge, asker, "agency-b")
    draft(question, world.admin_b, "")
    assert answers.publish(act(world.admin_b), question) == AnswerStatus.AWAITING_APPROVAL
    db.session.commit()
    url = f"/challenges/dsfc/manage/questions/{question.id}"
    login(world.admin_b)
    author = text(client.get(url))
    assert "awaits the approval of" in author and "Approval of the lead agency" not in author
    assert client.post("/logout").status_code == 302
    login(world.admin_a)
    lead = text(client.get(url))
    assert "Approval of the lead agency" in lead and 'for="send-back-reason"' in lead
    assert f'action="/challenges/dsfc/manage/questions/{question.id}/approve"' in lead


def test_the_lead_sends_an_answer_back_with_a_reason(challenge, world, asker):
    question = ask(challenge, asker, "agency-b")
    draft(question, world.admin_b, "")
    answers.publish(act(world.admin_b), question)
    with pytest.raises(DomainError, match="Give a reason"):
        answers.send_back(act(world.admin_a), question, "  ")
    answers.send_back(act(world.admin_a), question, "Say which track pays the prize.")
    db.session.commit()
    assert question.answer.status == AnswerStatus.DRAFT
    assert events("answer.sent_back")[-1].after["reason"] == "Say which track pays the prize."


def test_an_answer_that_changes_the_rules_waits_for_new_terms(challenge, world, asker):
    question = ask(challenge, asker, "agency-b")
    draft(question, world.admin_b, "agency-b", changes_rules=True)
    with pytest.raises(DomainError, match="publish a new version of the terms of US track"):
        answers.publish(act(world.admin_b), question)
    db.session.rollback()
    track_services.publish_terms(
        act(world.admin_b), challenge.tracks[1], {"en": "Terms v2: subsidiaries may enter."}
    )
    db.session.commit()
    assert answers.publish(act(world.admin_b), question) == AnswerStatus.PUBLISHED


def test_declining_merging_and_hiding_are_audited(challenge, world, asker, client, login):
    first = ask(challenge, asker, "agency-b")
    second = ask(challenge, asker, "agency-b", "Can a subsidiary of a Canadian firm apply?")
    spam = ask(challenge, asker, "agency-b", "Buy cheap watches at example dot com")
    third = ask(challenge, asker, "agency-b", "What is the answer to everything, really?")
    with pytest.raises(DomainError, match="Give a reason"):
        services.decline(act(world.admin_b), third, "")
    services.decline(act(world.admin_b), third, "Outside the scope of the challenge.")
    services.merge(act(world.admin_b), second, first.id)
    services.hide(act(world.admin_b), spam, "Advertising.")
    db.session.commit()
    assert (third.status, second.status, second.merged_into_id) == ("declined", "merged", first.id)
    assert [e.action for e in events("question.hidden")] == ["question.hidden"]
    queue = services.queue(world.admin_b, challenge)
    assert spam not in queue.questions and queue.hidden == 1
    with pytest.raises(PermissionDenied):
        services.hide(act(world.staff_a), first, "Not mine to hide.")  # another agency's
    db.session.rollback()
    draft(first, world.admin_b, "agency-b")
    answers.publish(act(world.admin_b), first)
    db.session.commit()
    assert len(events("answer.published")) == 1
    login(asker)
    page = text(client.get("/challenges/dsfc/questions"))
    assert page.count(f'href="#a{first.answer.id}"') == 2  # the merged question leads there too
    assert "Outside the scope of the challenge." in page  # why it was declined


def test_the_public_page_searches_and_groups_by_topic(challenge, world, asker, client):
    question = ask(challenge, asker, "agency-b")
    draft(question, world.admin_b, "agency-b")
    answers.publish(act(world.admin_b), question)
    other = ask(challenge, asker, "agency-b", "When do the webinars take place, please?")
    answers.save_draft(
        act(world.admin_b),
        other,
        answers.AnswerDraft(
            "agency-b", {}, {"en": "When are webinars?"}, {"en": "Fridays."}, False
        ),
    )
    answers.publish(act(world.admin_b), other)
    db.session.commit()
    page = text(client.get("/challenges/dsfc/questions"))
    assert page.index("Eligibility") < page.index("Other questions")
    assert "Can a subsidiary enter?" in page and "When are webinars?" in page
    found = text(client.get("/challenges/dsfc/questions?q=WEBINARS"))
    assert "When are webinars?" in found and "Can a subsidiary enter?" not in found
    assert "1 answer" in found
    assert "No answer matches" in text(client.get("/challenges/dsfc/questions?q=%25_%5C"))
    feed = text(client.get("/challenges/feed.atom"))
    assert "When are webinars?" in feed and "/challenges/dsfc/questions#a" in feed


def test_asking_is_rate_limited(app, challenge, asker, client, login):
    login(asker)
    app.config["RATELIMIT_ASK"] = "2 per minute"
    try:
        codes = [
            client.post(
                "/challenges/dsfc/questions/ask",
                data={"track": "", "body": f"Question number {i} about the rules?"},
            ).status_code
            for i in range(3)
        ]
    finally:
        app.config["RATELIMIT_ASK"] = "5 per 10 minutes;20 per day"
    assert codes == [302, 302, 429]


def test_a_question_too_short_is_explained(challenge, asker, client, login):
    login(asker)
    page = text(
        client.post("/challenges/dsfc/questions/ask", data={"track": "", "body": "Why?"}), 400
    )
    assert "at least 10 characters" in page


def test_the_home_page_shows_an_agency_member_the_questions_to_answer(
    challenge, world, asker, client, login
):
    ask(challenge, asker, "agency-b")
    login(world.admin_b)
    page = text(client.get("/"))
    assert "Questions to answer" in page and "1 question to answer" in page
    assert "/challenges/dsfc/manage/questions" in page
    client.post("/logout")
    login(world.staff_a)  # another track's question: nothing to answer
    assert "Questions to answer" not in text(client.get("/"))


def test_entrants_accept_the_new_terms_an_answer_led_to(challenge, world, asker, client, login):
    from tests.entries.conftest import new_team, person, register

    uma = person("US", email="uma@example.org")
    entry = register(new_team(uma, "US", 30, name="Oak"), challenge.tracks[1])
    question = ask(challenge, asker, "agency-b")
    draft(question, world.admin_b, "agency-b", changes_rules=True)
    new = track_services.publish_terms(
        act(world.admin_b), challenge.tracks[1], {"en": "Terms v2: subsidiaries may enter."}
    )
    answers.publish(act(world.admin_b), question)
    db.session.commit()
    login(uma)
    page = text(client.get(f"/entries/{entry.id}"))
    assert "The terms of this track changed" in page and "read version 2" in page
    url = f"/entries/{entry.id}/terms"
    client.post(url, data={"terms_version": str(new.id)})  # not ticked: refused
    assert db.session.get(type(entry), entry.id).terms_version_id != new.id
    client.post(url, data={"terms_version": str(new.id), "accept_terms": "y"})
    db.session.expire_all()
    assert db.session.get(type(entry), entry.id).terms_version_id == new.id
    assert events("entry.terms_accepted")[-1].after == {"terms_version": 2}
    assert "The terms of this track changed" not in text(client.get(f"/entries/{entry.id}"))
