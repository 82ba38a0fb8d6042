"""Surveys: the audience and its segments, invitations and reminders once per person in their
language, one response per person, anonymity kept by the schema, small groups not shown,
and CSV exports without anything personal."""

from __future__ import annotations

import csv
import io
import logging
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from competitions.core.audit import AuditEvent
from competitions.core.errors import DomainError, FieldErrors, NotFound
from competitions.core.extensions import db
from competitions.core.outbox import OutboxMessage
from competitions.judging import assignments
from competitions.surveys import results, sending, services
from competitions.surveys.models import (
    Segment,
    Survey,
    SurveyInvitee,
    SurveyParticipation,
    SurveyResponse,
)
from tests.judging.conftest import act, count, entries, submitted
from tests.surveys.conftest import make_survey


def _send(world: Any, survey: Survey, admin: Any = None) -> int:
    written = sending.send_now(act(admin or world.admin_a), survey, 14, 7)
    db.session.commit()
    return written


def _invitee(survey: Survey, user: Any) -> SurveyInvitee:
    found = services.invitee_of(survey, user)
    assert found is not None
    return found


def _answer(survey: Survey, user: Any, rating: str = "easy", **more: Any) -> None:
    services.answer(act(user), survey, {"rating": rating, **more})
    db.session.commit()


def _rows(survey: Survey, message: str) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.source == survey.source(message))
        )
    )


def _entrants(scene: dict[str, Any], key: str) -> list[Any]:
    return [s.entry.team.lead.user for s in scene[key]]


# --- audience, invitations, reminders -------------------------------------------------------


def test_entrants_judges_and_partners_are_asked_in_their_segment(world, challenge, scene):
    survey = make_survey(world, challenge, None, audiences=("entrants", "judges", "partners"))
    # After a round, its judges: those who were given some of its submissions.
    assert not any(c.segment == Segment.JUDGE for c in sending.audience(survey))
    for sub, judge in zip(
        scene["ca"] + scene["us"], scene["ca_judges"] + scene["us_judges"], strict=True
    ):
        admin = world.admin_a if judge in scene["ca_judges"] else world.admin_b
        assignments.assign_manually(act(admin), sub, judge)
    db.session.commit()
    segments = {c.user_id: c.segment for c in sending.audience(survey)}
    for user in _entrants(scene, "ca") + _entrants(scene, "us"):
        assert segments[user.id] == Segment.SUBMITTED
    for entry in scene["quiet"]:
        assert segments[entry.team.lead.user.id] == Segment.NOT_SUBMITTED
    for judge in scene["ca_judges"] + scene["us_judges"]:
        assert segments[judge.user_id] == Segment.JUDGE
    for member in (world.admin_a, world.staff_a, world.admin_b):
        assert segments[member.id] == Segment.PARTNER
    assert world.innovator.id not in segments


def test_a_tracks_survey_asks_only_that_tracks_people(world, challenge, ca_track, scene):
    survey = make_survey(world, challenge, ca_track, audiences=("entrants", "partners"))
    asked = {c.user_id for c in sending.audience(survey)}
    assert {u.id for u in _entrants(scene, "ca")} <= asked
    assert not {u.id for u in _entrants(scene, "us")} & asked
    assert world.admin_b.id not in asked and world.admin_a.id in asked


def test_invitations_go_once_per_person_in_their_language(world, challenge, ca_track, scene):
    survey = make_survey(world, challenge, ca_track)
    asked = 3 + 2  # three submitted, two did not
    assert _send(world, survey) == asked
    assert sending.release(survey) == 0  # run again: nobody gets it twice
    db.session.commit()
    rows = {r.to_address: r for r in _rows(survey, "invitation")}
    assert len(rows) == asked
    french = rows[scene["quiet"][0].team.lead.user.email]
    english = rows[scene["quiet"][1].team.lead.user.email]
    assert french.subject == "Comment s'est passée la phase 1 ?"
    assert "Répondez ici" in french.text_body
    assert english.subject == "How was phase 1?"
    link = f"/surveys/{survey.id}"
    assert link in french.text_body and link in english.text_body
    assert "via Tandem" in english.sender and "Agency A" in english.sender


def test_the_reminder_goes_once_to_those_who_have_not_answered(world, challenge, ca_track, scene):
    survey = make_survey(world, challenge, ca_track)
    _send(world, survey)
    answered = _entrants(scene, "ca")[0]
    _answer(survey, answered)
    assert sending.remind(act(world.admin_a), survey) == 4
    db.session.commit()
    assert sending.remind(act(world.admin_a), survey) == 0
    reminded = {r.to_address for r in _rows(survey, "reminder")}
    assert answered.email not in reminded and len(reminded) == 4
    assert all(r.subject.startswith(("Reminder: ", "Rappel : ")) for r in _rows(survey, "reminder"))


def test_the_tick_opens_a_scheduled_survey_and_reminds_when_due(
    world, challenge, ca_track, scene, clock
):
    survey = make_survey(world, challenge, ca_track)
    sending.schedule(act(world.admin_a), survey, clock.now() + timedelta(hours=2), 10, 3)
    db.session.commit()
    assert sending.release_due() == 0
    clock.advance(timedelta(hours=2, minutes=1))
    assert sending.release_due() == 1
    assert survey.status == "open" and len(_rows(survey, "invitation")) == 5
    clock.advance(timedelta(days=3))
    assert sending.release_due() == 1
    assert len(_rows(survey, "reminder")) == 5
    assert sending.release_due() == 0  # the reminder goes once


def test_sending_needs_questions_and_sensible_days(world, challenge, ca_track, scene):
    survey = make_survey(world, challenge, ca_track)
    with pytest.raises(DomainError):
        sending.send_now(act(world.admin_a), survey, 0, None)
    with pytest.raises(DomainError):
        sending.send_now(act(world.admin_a), survey, 5, 5)
    with pytest.raises(NotFound):  # agency B does not run the Canada track
        sending.send_now(act(world.admin_b), survey, 5, None)
    db.session.rollback()
    empty = make_survey(world, challenge, ca_track)
    services.define_fields(act(world.admin_a), empty, [])
    with pytest.raises(DomainError):
        sending.send_now(act(world.admin_a), empty, 5, None)


def test_a_survey_cannot_ask_for_files_or_take_the_reserved_keys(world, challenge, ca_track):
    survey = make_survey(world, challenge, ca_track)
    file_field = {"key": "cv", "type": "file", "label": {"en": "CV"}, "file_types": ["pdf"]}
    with pytest.raises(DomainError):
        services.define_fields(act(world.admin_a), survey, [file_field])
    why = {"key": "why_not_submitted", "type": "short_text", "label": {"en": "Why"}}
    with pytest.raises(DomainError):
        services.define_fields(act(world.admin_a), survey, [why])


# --- answering ------------------------------------------------------------------------------


def test_those_who_did_not_submit_are_asked_why(world, challenge, ca_track, scene):
    survey = make_survey(world, challenge, ca_track)
    _send(world, survey)
    quiet = scene["quiet"][1].team.lead.user
    keys = [f.key for f in services.form_for(survey, _invitee(survey, quiet).segment)]
    assert keys == ["rating", "comment", "why_not_submitted", "why_not_submitted_more"]
    submitter = _entrants(scene, "ca")[0]
    assert [f.key for f in services.form_for(survey, _invitee(survey, submitter).segment)] == [
        "rating",
        "comment",
    ]
    _answer(survey, quiet, why_not_submitted=["time", "rules"])
    (response,) = db.session.scalars(select(SurveyResponse)).all()
    assert response.segment == Segment.NOT_SUBMITTED
    assert response.answers["why_not_submitted"] == ["time", "rules"]


def test_one_response_per_person(world, challenge, ca_track, scene):
    survey = make_survey(world, challenge, ca_track)
    _send(world, survey)
    user = _entrants(scene, "ca")[0]
    _answer(survey, user)
    with pytest.raises(services.AlreadyAnswered):
        services.answer(act(user), survey, {"rating": "hard"})
    db.session.rollback()
    assert count(SurveyResponse, SurveyResponse.survey_id == survey.id) == 1
    assert count(SurveyParticipation, SurveyParticipation.survey_id == survey.id) == 1
    # The database itself refuses a second participation (what settles two concurrent answers).
    db.session.add(SurveyParticipation(survey_id=survey.id, user_id=user.id, anonymous=True))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_answers_are_checked_and_only_invitees_answer(world, challenge, ca_track, scene):
    survey = make_survey(world, challenge, ca_track)
    _send(world, survey)
    user = _entrants(scene, "ca")[0]
    with pytest.raises(FieldErrors) as err:
        services.answer(act(user), survey, {"rating": "maybe"})
    assert "rating" in err.value.problems
    with pytest.raises(FieldErrors):
        services.answer(act(user), survey, {})  # the rating is required
    with pytest.raises(NotFound):
        services.answer(act(_entrants(scene, "us")[0]), survey, {"rating": "easy"})
    db.session.rollback()
    sending.close(act(world.admin_a), survey)
    db.session.commit()
    with pytest.raises(DomainError):
        services.answer(act(user), survey, {"rating": "easy"})


# --- anonymity ------------------------------------------------------------------------------


def test_no_column_or_join_path_leads_from_a_response_to_a_person(app):
    response = SurveyResponse.__table__
    assert set(response.c.keys()) == {"id", "survey_id", "segment", "track_id", "answers"}
    assert {fk.column.table.name for fk in response.foreign_keys} == {"survey", "track"}
    # No time at all (not even a date) and a random key: nothing to line up with participation.
    assert not any(isinstance(c.type, sa.DateTime | sa.Date) for c in response.c)
    assert isinstance(response.c.id.type, sa.String)
    # The only table that refers to a response is the participation, through a column that a
    # check constraint keeps empty for anonymous surveys.
    referring = [
        (table.name, fk.parent.name)
        for table in db.metadata.tables.values()
        for fk in table.foreign_keys
        if fk.column.table is response
    ]
    assert referring == [("survey_participation", "response_id")]
    participation = SurveyParticipation.__table__
    assert not any(isinstance(c.type, sa.DateTime | sa.Date) for c in participation.c)


def test_an_anonymous_participation_cannot_be_linked_to_its_response(
    world, challenge, ca_track, scene
):
    survey = make_survey(world, challenge, ca_track)
    _send(world, survey)
    user = _entrants(scene, "ca")[0]
    _answer(survey, user)
    part = db.session.scalars(select(SurveyParticipation)).one()
    resp = db.session.scalars(select(SurveyResponse)).one()
    assert part.response_id is None and part.anonymous
    part.response_id = resp.id
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_answering_anonymously_leaves_no_trace_of_who_answered_what(
    world, challenge, ca_track, scene, caplog
):
    survey = make_survey(world, challenge, ca_track)
    _send(world, survey)
    user = _entrants(scene, "ca")[0]
    audit_before = count(AuditEvent)
    outbox_before = count(OutboxMessage)
    with caplog.at_level(logging.DEBUG):
        _answer(survey, user, comment="A very particular remark")
    assert count(AuditEvent) == audit_before  # not even "someone answered"
    assert count(OutboxMessage) == outbox_before  # no receipt (its time would tell)
    logged = caplog.text
    assert user.email not in logged and "particular remark" not in logged
    if db.engine.dialect.name == "sqlite":  # stored in key order, not insertion order
        sql = db.session.scalar(
            sa.text("SELECT sql FROM sqlite_master WHERE name = 'survey_response'")
        )
        assert "WITHOUT ROWID" in sql.upper()


def test_a_response_of_a_small_group_is_not_filed_under_its_track(
    world, challenge, ca_track, scene
):
    for anonymous in (True, False):
        survey = make_survey(world, challenge, ca_track, anonymous=anonymous)
        _send(world, survey)
        for entry in scene["quiet"]:  # two who did not submit: fewer than five
            _answer(survey, entry.team.lead.user)
        tracks = db.session.scalars(
            select(SurveyResponse.track_id).where(SurveyResponse.survey_id == survey.id)
        ).all()
        assert tracks == ([None, None] if anonymous else [ca_track.id, ca_track.id])


def test_a_named_survey_keeps_who_answered_what(world, challenge, ca_track, scene):
    survey = make_survey(world, challenge, ca_track, anonymous=False)
    _send(world, survey)
    user = _entrants(scene, "ca")[0]
    _answer(survey, user, comment="Signed remark")
    part = db.session.scalars(select(SurveyParticipation)).one()
    assert part.response_id is not None
    found = results.results_for(world.admin_a, survey, "en")  # named: no minimum group
    comment = next(q for q in found.questions if q.field.key == "comment")
    assert comment.texts == [(user.display_name, "Signed remark")]


# --- results --------------------------------------------------------------------------------


def _people(scene: dict[str, Any]) -> dict[str, list[Any]]:
    return {
        "ca": _entrants(scene, "ca") + [e.team.lead.user for e in scene["quiet"]],
        "us": _entrants(scene, "us"),
    }


def test_fewer_than_five_responses_show_no_answer(world, challenge, ca_track, scene):
    survey = make_survey(world, challenge, ca_track)
    _send(world, survey)
    for user in _people(scene)["ca"][:4]:
        _answer(survey, user, comment=f"Note by {user.id}")
    found = results.results_for(world.admin_a, survey, "en")
    assert found.responses == 4 and found.hidden
    assert all(q.chart is None and not q.texts for q in found.questions)
    assert found.rates[0].invited == 5 and found.rates[0].answered == 4
    _answer(survey, _people(scene)["ca"][4], "hard", comment="Last")
    found = results.results_for(world.admin_a, survey, "en")
    assert not found.hidden
    rating = found.questions[0]
    assert rating.chart is not None
    assert rating.chart.categories == ("Easy", "Hard")
    assert rating.chart.series[0].values == (4.0, 1.0)
    comments = found.questions[1]
    assert next(t for _who, t in comments.texts) == "Last"  # alphabetical, no names
    assert all(who == "" for who, _t in comments.texts)


def test_a_track_with_fewer_than_five_responses_is_not_broken_out(
    world, challenge, ca_track, scene
):
    more = [submitted(e, challenge) for e in entries(2, ca_track)]  # five CA submitters
    survey = make_survey(world, challenge, None)
    _send(world, survey)
    people = _people(scene)
    people["ca"] += [s.entry.team.lead.user for s in more]
    for user in people["ca"]:
        _answer(survey, user)
    _answer(survey, people["us"][0], "hard")
    found = results.results_for(world.admin_a, survey, "en")
    chart = found.questions[0].chart
    assert chart is not None
    labels = [s.label for s in chart.series]
    assert labels[0] == "All responses"
    assert any(label.startswith("Canada") or "Agency A" in label for label in labels[1:])
    assert not any("Agency B" in label for label in labels)
    assert any("Agency B" in label for label in found.suppressed)
    # The why question: two did not submit, fewer than five, so it is not shown.
    why = next(q for q in found.questions if q.field.key == "why_not_submitted")
    assert why.chart is None
    rates = {r.label: (r.invited, r.answered) for r in found.rates}
    assert rates["All tracks"] == (9, 8)
    ca_column = next(s for s in chart.series if "Agency A" in s.label)
    assert sum(ca_column.values) == 5  # the two who did not submit count in the totals only


def test_a_partner_sees_its_own_track_and_the_totals(world, challenge, scene):
    survey = make_survey(world, challenge, None)
    _send(world, survey)
    for user in _people(scene)["ca"]:
        _answer(survey, user)
    found = results.results_for(world.admin_b, survey, "en")
    labels = [r.label for r in found.rates]
    assert labels[0] == "All tracks" and not any("Agency A" in x for x in labels)


def test_the_csv_holds_aggregates_and_texts_only(world, challenge, ca_track, scene):
    for anonymous in (True, False):
        survey = make_survey(world, challenge, ca_track, anonymous=anonymous)
        _send(world, survey)
        people = _people(scene)["ca"]
        for user in people:
            _answer(survey, user, comment="Fine")
        found = results.results_for(world.admin_a, survey, "en")
        body = "".join(results.results_csv(found, "en"))
        rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
        assert ["Response rate", "Asked", "Answered"] in rows and ["Fine"] in rows
        for user in people:
            assert user.email not in body and user.display_name not in body
            assert f",{user.id}," not in body
        for resp in db.session.scalars(select(SurveyResponse.id)):
            assert resp not in body


def test_results_page_and_csv_over_http(world, challenge, ca_track, scene, client, login):
    survey = make_survey(world, challenge, ca_track)
    _send(world, survey)
    for user in _people(scene)["ca"]:
        _answer(survey, user)
    login(world.staff_a)
    page = client.get(f"/challenges/{challenge.slug}/surveys/{survey.id}/results")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Response rates" in html and "<svg" in html and "100%" in html
    csv_body = client.get(f"/challenges/{challenge.slug}/surveys/{survey.id}/results.csv")
    assert csv_body.status_code == 200 and csv_body.mimetype == "text/csv"


def test_the_rates_say_asked_and_answered_as_counts_of_people(
    world, challenge, ca_track, scene, client, login
):
    """ "Asked" and "Answered" have a survey context: in French, not the Q&A's "Posée le"."""
    survey = make_survey(world, challenge, ca_track)
    _send(world, survey)
    world.staff_a.preferred_language = "fr"
    db.session.commit()
    login(world.staff_a)
    url = f"/challenges/{challenge.slug}/surveys/{survey.id}/results"
    page = client.get(url).get_data(as_text=True)
    body = client.get(f"{url}.csv").get_data(as_text=True)
    for text in (page, body):
        assert "Sollicités" in text and "Ont répondu" in text
        assert "Posée le" not in text and "Répondue" not in text


def test_the_whole_journey_over_http(world, challenge, ca_track, scene, client, login, switch):
    login(world.admin_a)
    base = f"/challenges/{challenge.slug}/surveys"
    bad = client.post(f"{base}/new", data={"scope": ca_track.slug, "anonymous": "yes"})
    assert bad.status_code == 400  # no title, nobody asked
    made = client.post(
        f"{base}/new",
        data={
            "scope": ca_track.slug,
            "round_id": "",
            "title_en": "End of challenge",
            "audiences": ["entrants"],
            "anonymous": "yes",
        },
    )
    assert made.status_code == 302
    survey = db.session.scalars(select(Survey).where(Survey.challenge_id == challenge.id)).one()
    url = f"{base}/{survey.id}"
    assert client.get(f"{url}/settings").status_code == 200
    changed = client.post(
        f"{url}/settings",
        data={"title_en": "After the challenge", "audiences": ["entrants"], "anonymous": "yes"},
    )
    assert changed.status_code == 302 and survey.title == {"en": "After the challenge"}
    added = client.post(
        f"{url}/questions/new?type=choice",
        data={
            "label_en": "Would you enter again?",
            "options-0-label_en": "Yes",
            "options-1-label_en": "No",
            "required": "y",
            "action": "save",
        },
    )
    assert added.status_code == 302, added.get_data(as_text=True)[:2000]
    assert client.get(f"{url}/questions/new?type=file").status_code == 400
    sent = client.post(f"{url}/send", data={"days_open": "0", "action": "send"})
    assert sent.status_code == 400
    sent = client.post(
        f"{url}/send", data={"days_open": "7", "remind_after": "3", "action": "send"}
    )
    assert sent.status_code == 302, sent.get_data(as_text=True)
    assert "Sent: 5 invitations are on their way." in client.get(sent.location).get_data(
        as_text=True
    )
    assert client.get(f"{url}/settings").status_code == 302  # sent: settled
    entrant = _entrants(scene, "ca")[0]
    switch(entrant)
    assert f"/surveys/{survey.id}" in client.get("/").get_data(as_text=True)
    key = survey.form_fields[0]["key"]
    option = survey.form_fields[0]["options"][0]["value"]
    assert client.post(f"/surveys/{survey.id}", data={}).status_code == 400
    done = client.post(f"/surveys/{survey.id}", data={key: option})
    assert done.status_code == 302
    again = client.get(f"/surveys/{survey.id}").get_data(as_text=True)
    assert "already answered" in again or "Thank you" in again
    assert client.post(f"/surveys/{survey.id}", data={key: option}).status_code == 409
    switch(_entrants(scene, "us")[0])
    assert client.get(f"/surveys/{survey.id}").status_code == 404


@pytest.mark.parametrize(
    ("lang", "said"),
    [("en", "Sent: 1 invitation is on its way."), ("fr", "Envoyé : 1 invitation est en route.")],
)
def test_one_invitation_sent_is_said_in_the_singular(
    world, challenge, us_track, client, login, lang, said
):
    world.admin_b.preferred_language = lang
    survey = make_survey(world, challenge, us_track, audiences=("partners",))  # agency B: one
    login(world.admin_b)
    url = f"/challenges/{challenge.slug}/surveys/{survey.id}/send"
    form = {"days_open": "7", "remind_after": "3", "action": "send"}
    sent = client.post(url, data=form, follow_redirects=True)
    assert sent.status_code == 200
    assert said in sent.get_data(as_text=True)


def test_the_list_reads_a_bounded_number_of_queries(
    world, challenge, ca_track, us_track, client, login, count_queries
):
    make_survey(world, challenge, ca_track)
    login(world.admin_a)
    url = f"/challenges/{challenge.slug}/surveys"
    with count_queries() as few:
        assert client.get(url).status_code == 200
    for track in (ca_track, us_track, None) * 4:
        make_survey(world, challenge, track)
    with count_queries() as many:
        page = client.get(url)
    # Agency A sees its track's and the challenge-wide ones, not agency B's track's.
    assert page.get_data(as_text=True).count("How was phase 1?") == 1 + 4 + 4
    assert many.count <= few.count + 1, many.statements


def test_a_free_text_answer_is_never_a_formula_in_the_csv(world, challenge, ca_track, scene):
    survey = make_survey(world, challenge, ca_track, anonymous=False)
    sending.send_now(act(world.admin_a), survey, 14, None)
    db.session.commit()
    _answer(survey, _entrants(scene, "ca")[0], comment='=HYPERLINK("http://evil")')
    body = "".join(results.results_csv(results.results_for(world.admin_a, survey, "en"), "en"))
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert ['\'=HYPERLINK("http://evil")'] in rows


KINDS = [
    {
        "key": "rating",
        "type": "choice",
        "label": {"en": "How easy was it?"},
        "options": [
            {"value": "easy", "label": {"en": "Easy"}},
            {"value": "hard", "label": {"en": "Hard"}},
        ],
    },
    {
        "key": "topics",
        "type": "multi_choice",
        "label": {"en": "Which parts?"},
        "options": [
            {"value": "rules", "label": {"en": "Rules"}},
            {"value": "form", "label": {"en": "Form"}},
            {"value": 'o"dd', "label": {"en": "Odd"}},
        ],
    },
    {"key": "score", "type": "number", "label": {"en": "Score"}},
    {"key": "many", "type": "number", "label": {"en": "Hours"}},
    {"key": "agree", "type": "attestation", "label": {"en": "Agree"}},
    {"key": "comment", "type": "long_text", "label": {"en": "Anything else?"}},
]


def _survey_of_every_kind(world: Any, challenge: Any, track: Any, **kw: Any) -> Survey:
    survey = make_survey(world, challenge, track, **kw)
    services.define_fields(act(world.admin_a), survey, KINDS)
    db.session.commit()
    return survey


def _responses(survey: Survey, track: Any, *answers: dict[str, Any], segment: str = "") -> None:
    """Responses written as ``services.answer`` keeps them, without the people (what is counted
    here is the answers)."""
    for given in answers:
        db.session.add(
            SurveyResponse(
                survey_id=survey.id,
                segment=segment or Segment.SUBMITTED.value,
                track_id=track.id if track is not None else None,
                answers=given,
            )
        )
    db.session.commit()


def test_every_kind_of_answer_is_counted_by_the_database(world, challenge, ca_track, us_track):
    survey = _survey_of_every_kind(world, challenge, None, anonymous=False)
    _responses(
        survey,
        ca_track,
        {"rating": "easy", "topics": ["rules", "form"], "score": "4", "agree": True},
        {"rating": "hard", "topics": ["form"], "score": "5", "agree": False, "comment": "Zed"},
        {"rating": "easy", "topics": ['o"dd'], "score": "4.0", "comment": "apple"},
        {"rating": "easy", "topics": [], "score": "", "many": "x"},
    )
    _responses(
        survey,
        us_track,
        *({"many": str(n), "agree": True} for n in range(20)),
        {"rating": "hard", "comment": "Mid"},
    )
    _responses(
        survey,
        ca_track,
        {"why_not_submitted": ["time", "rules"], "why_not_submitted_more": "Busy"},
        {"why_not_submitted": ["time"]},
        segment=Segment.NOT_SUBMITTED.value,
    )
    found = results.results_for(world.admin_a, survey, "en")
    assert found.responses == 27 and not found.hidden
    by_key = {q.field.key: q for q in found.questions}

    def column(key: str, label: str = "All responses") -> tuple[float, ...]:
        chart = by_key[key].chart
        assert chart is not None
        return next(s.values for s in chart.series if s.label == label)

    ca = next(label for label in found.columns if "Agency A" in label)
    assert column("rating") == (3.0, 2.0) and column("rating", ca) == (3.0, 1.0)
    assert by_key["rating"].answered == 5
    assert column("topics") == (1.0, 2.0, 1.0) and by_key["topics"].answered == 3
    score = by_key["score"].chart
    assert score is not None and score.categories == ("4", "5")
    assert column("score") == (2.0, 1.0) and by_key["score"].answered == 3
    assert column("many") == (9.5, 9.5)  # twenty values: mean and median ("x" is no number)
    assert column("agree") == (21.0, 6.0) and column("agree", ca) == (1.0, 5.0)
    assert [t for _who, t in by_key["comment"].texts] == ["apple", "Mid", "Zed"]
    why = by_key["why_not_submitted"]
    assert why.answered == 2 and column("why_not_submitted", why.chart.series[0].label) == (
        2.0,
        0.0,
        1.0,
        0.0,
        0.0,
        0.0,
    )
    assert [t for _who, t in by_key["why_not_submitted_more"].texts] == ["Busy"]


def test_mean_and_median_come_from_the_counts_of_each_number():
    assert results._stats({}) == (0.0, 0.0)
    assert results._stats({4.0: 2, 5.0: 1}) == (13 / 3, 4.0)
    assert results._stats({1.0: 1, 2.0: 1, 10.0: 1, 11.0: 1}) == (6.0, 6.0)
    assert results._stats({1.0: 1, 2.0: 3}) == (1.75, 2.0)


def test_the_results_page_reads_as_many_queries_for_more_responses(
    world, challenge, ca_track, us_track, client, login, count_queries
):
    survey = _survey_of_every_kind(world, challenge, None)
    sending.send_now(act(world.admin_a), survey, 14, None)
    db.session.commit()
    one = {"rating": "easy", "topics": ["form"], "score": "3", "agree": True, "comment": "Hi"}
    _responses(survey, ca_track, *[one] * 5)
    _responses(survey, ca_track, {"why_not_submitted": ["time"]}, segment="not_submitted")
    login(world.admin_a)
    url = f"/challenges/{challenge.slug}/surveys/{survey.id}/results"
    with count_queries() as few:
        first = client.get(url)
    assert first.status_code == 200 and "<svg" in first.get_data(as_text=True)
    _responses(survey, ca_track, *({**one, "score": str(n), "many": str(n)} for n in range(40)))
    _responses(survey, us_track, *[one] * 6)
    _responses(
        survey,
        ca_track,
        *[{"why_not_submitted": ["rules"], "why_not_submitted_more": "Late"}] * 6,
        segment="not_submitted",
    )
    with count_queries() as many:
        page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Late" in html and "Agency B" in html
    assert many.count == few.count, many.statements


def test_each_track_s_mean_score_joins_the_edition_comparison_from_five_answers(
    app, world, challenge, ca_track, us_track
):
    from competitions.surveys.edition_scores import survey_scores

    survey = make_survey(world, challenge, None)
    services.define_fields(
        act(world.admin_a),
        survey,
        [
            *survey.form_fields,
            {
                "key": "score",
                "type": "number",
                "label": {"en": "Overall score"},
                "min": 1,
                "max": 5,
            },
        ],
    )
    _send(world, survey)
    for n, value in enumerate(("4", "5", "4", "3", "4")):
        db.session.add(
            SurveyResponse(
                survey_id=survey.id,
                segment="submitted",
                track_id=ca_track.id,
                answers={"rating": "easy", "score": value if n else "x"},
            )
        )
    for value in ("5", "5", "5", "5"):  # four: too few to say anything about the US track
        db.session.add(
            SurveyResponse(
                survey_id=survey.id,
                segment="submitted",
                track_id=us_track.id,
                answers={"score": value},
            )
        )
    db.session.commit()
    with app.test_request_context():
        scores = survey_scores(challenge)
    # Canada: five answers but one is not a number: four numbers are too few for a score.
    assert scores[ca_track.id] == [("How was phase 1? — Overall score", None)]
    assert scores[us_track.id] == [("How was phase 1? — Overall score", None)]
    db.session.add(
        SurveyResponse(
            survey_id=survey.id, segment="submitted", track_id=ca_track.id, answers={"score": "5"}
        )
    )
    db.session.commit()
    with app.test_request_context():
        scores = survey_scores(challenge)
    assert [str(v) for _l, v in scores[ca_track.id]] == ["4.2"]  # (5 + 4 + 3 + 4 + 5) / 5


def test_the_next_edition_s_checklist_links_to_the_surveys_of_the_one_before(
    world, challenge, ca_track, client, login
):
    from competitions.challenges.services import editions

    _send(world, make_survey(world, challenge, None))
    nxt = editions.launch_next_edition(act(world.admin_a), challenge, "dsfc-next", 365)
    db.session.commit()
    login(world.admin_a)
    console = client.get(f"/challenges/{nxt.slug}/manage").get_data(as_text=True)
    assert "Survey results of edition 1" in console
    assert "1 survey was sent" in console
    assert f'href="/challenges/{challenge.slug}/surveys"' in console


def test_the_home_page_lists_the_surveys_waiting_in_one_query(
    client, login, world, challenge, ca_track, scene, count_queries
):
    track_survey = make_survey(world, challenge, ca_track)
    _send(world, track_survey)
    wide = make_survey(world, challenge, None)
    _send(world, wide)
    entrant = _entrants(scene, "ca")[0]
    login(entrant)
    ids, title = (track_survey.id, wide.id), challenge.title_in("en")
    db.session.expunge_all()  # the page reads the surveys and challenge itself, as in a request
    with count_queries() as home:
        page = client.get("/").get_data(as_text=True)
    for survey_id in ids:
        assert f'<a href="/surveys/{survey_id}">How was phase 1?</a> — ' in page
    assert page.count(f"— {title} · open until ") == 2
    # A line shows a title, the challenge's title and a time: the surveys' forms and intros
    # are not loaded, and the challenge comes with the surveys (one query, its tracks' languages
    # another), not one survey at a time.
    read = [s for s in home.statements if "survey." in s and "FROM survey " in s]
    assert len(read) == 1 and "form_fields" not in read[0] and "intro" not in read[0]
    assert "JOIN challenge" in read[0]
