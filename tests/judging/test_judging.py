"""Judging services and pages: rubric, panels, conflicts (service and database), assignment,
reviews, blind judging."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from competitions.core.errors import Conflict as ConflictError
from competitions.core.errors import DomainError, PermissionDenied
from competitions.core.extensions import db
from competitions.core.invitations import WrongAddressee
from competitions.core.storage import get_storage
from competitions.judging import (
    advancement,
    assignments,
    conflicts,
    flags,
    panels,
    permissions,
    reviews,
    rubrics,
)
from competitions.judging.models import (
    Assignment,
    Conflict,
    ConflictSource,
    Review,
    Score,
)
from competitions.submissions.models import SubmissionFile
from tests.judging.conftest import (
    act,
    count,
    criterion,
    events,
    new_team,
    next_round,
    person,
    register,
    score_values,
    seat,
    submitted,
    text,
)

# --- rubric -----------------------------------------------------------------------------------


def test_a_rubric_is_built_by_the_lead_admins_only(world, challenge, ca_track):
    rubric = rubrics.rubric_for(challenge.rounds[0])
    rubrics.add_criterion(act(world.admin_a), challenge, rubric, criterion("Impact", weight="1.5"))
    assert [c.title["en"] for c in rubric.criteria] == ["Impact"]
    assert rubric.criteria[0].weight == Decimal("1.50")
    with pytest.raises(PermissionDenied):
        rubrics.add_criterion(act(world.admin_b), challenge, rubric, criterion("Other"))
    assert events("rubric.criterion_added")[0].actor_id == world.admin_a.id


def test_level_descriptors_and_saved_scores_read_as_plain_numbers(
    world, challenge, judged, client, login
):
    """Decimal("10").normalize() is 1E+1: neither the descriptors nor a saved score may show it."""
    rubric, judge, sub = judged["rubric"], judged["ca_judges"][0], judged["ca"][0]
    assert list(rubric.criteria[0].descriptors) == ["10"]
    rubrics.add_criterion(
        act(world.admin_a), challenge, rubric, criterion("Reach", lo="0", hi="100", step="10")
    )
    db.session.commit()
    assert list(rubric.criteria[-1].descriptors) == ["100"]
    a = assignments.assign_manually(act(world.admin_a), sub, judge)
    reviews.save_review(act(judge.user), a, score_values(rubric, "10", "10", "100"), "", "", False)
    db.session.commit()
    login(judge.user)
    page = text(client.get(f"/judging/assignments/{a.id}"))
    assert "E+" not in page and 'value="10"' in page and "<strong>10</strong>" in page
    # A rubric saved before the keys were plain still reads "10".
    rubric.criteria[0].descriptors = {"1E+1": {"en": "Outstanding"}}
    db.session.commit()
    page = text(client.get(f"/judging/assignments/{a.id}"))
    assert "E+" not in page and "<strong>10</strong>" in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"hi": "0"}, "scale_max", "above the lowest"),
        ({"step": "3"}, "step", "divide the scale evenly"),
        ({"weight": "0"}, "weight", "more than zero"),
        ({"weight": "abc"}, "weight", "must be a number"),
        ({"step": "0.01", "hi": "100"}, "step", "too many levels"),
    ],
)
def test_a_criterion_s_scale_is_checked(world, challenge, changes, field, message):
    rubric = rubrics.rubric_for(challenge.rounds[0])
    with pytest.raises(DomainError) as err:
        rubrics.add_criterion(act(world.admin_a), challenge, rubric, criterion("X", **changes))
    assert err.value.field == field
    assert message in err.value.message


def test_the_first_score_locks_the_rubric_and_a_reset_clears_scores(world, challenge, judged):
    rubric, judge, sub = judged["rubric"], judged["ca_judges"][0], judged["ca"][0]
    a = assignments.assign_manually(act(world.admin_a), sub, judge)
    db.session.commit()
    reviews.save_review(act(judge.user), a, score_values(rubric, "7", "5"), "Nice", "", True)
    db.session.commit()
    assert rubric.locked_at is not None
    with pytest.raises(ConflictError, match="locked"):
        rubrics.add_criterion(act(world.admin_a), challenge, rubric, criterion("Late"))
    with pytest.raises(ConflictError):
        rubrics.update_criterion(
            act(world.admin_a), challenge, rubric.criteria[0], criterion("Renamed")
        )
    with pytest.raises(DomainError, match="Say why"):
        rubrics.reset(act(world.admin_a), challenge, rubric, " ")
    cleared = rubrics.reset(act(world.admin_a), challenge, rubric, "Criterion 2 was ambiguous")
    db.session.commit()
    assert cleared == 1
    assert count(Score) == 0
    review = db.session.scalar(select(Review))
    assert review.status == "draft" and review.submitted_at is None
    assert review.comment_to_team == "Nice"  # comments kept
    assert rubric.locked_at is None and rubric.resets == 1
    assert events("rubric.reset")[0].after["reason"] == "Criterion 2 was ambiguous"
    rubrics.add_criterion(act(world.admin_a), challenge, rubric, criterion("Late"))


# --- panels -----------------------------------------------------------------------------------


def test_a_judge_is_invited_by_signed_link_and_joins_the_panel(world, challenge, ca_track, mail):
    judge_user = person(email="jo@university.example")
    panel = panels.panel_for(challenge, ca_track)
    inv = panels.invite(act(world.admin_a), challenge, panel, "Jo@University.example")
    db.session.commit()
    sent = mail.to("Jo@University.example")
    assert len(sent) == 1 and "judge" in sent[0]["Subject"].lower()
    token = mail.link(sent[0], "/judging/invitations/").rsplit("/", 1)[1]
    with pytest.raises(WrongAddressee):
        panels.accept(act(world.innovator), token, "", [], [])
    judge = panels.accept(
        act(judge_user), token, "Univ. of Guelph", ["food science", " Food Science "], ["Acme"]
    )
    db.session.commit()
    assert judge.expertise == ["food science"]
    assert judge.conflict_organisations == ["Acme"]
    assert inv.resolution == "accepted"
    with pytest.raises(DomainError, match="already been used"):
        panels.accept(act(judge_user), token, "", [], [])


def test_a_french_judge_s_invitation_is_french_throughout(app, world, challenge, ca_track, mail):
    person(email="juge@universite.example", preferred_language="fr")
    panel = panels.panel_for(challenge, ca_track)
    with app.test_request_context("/", headers={"Accept-Language": "en"}):  # the admin's page
        panels.invite(act(world.admin_a), challenge, panel, "juge@universite.example")
        db.session.commit()
    (sent,) = mail.to("juge@universite.example")
    body = sent.get_body(("plain",)).get_content()
    assert "Jury du volet" in body and "Panel of" not in body


def test_a_partner_sees_the_shared_panel_but_not_other_agencies_teams(
    world, challenge, judged, client, login
):
    judge = seat(world, challenge, None, display_name="Shared Judge")
    ca_team, us_team = judged["ca"][0].entry.team, judged["us"][0].entry.team
    conflicts.declare(act(judge.user), challenge, ca_team, "")
    conflicts.declare(act(judge.user), challenge, us_team, "")
    db.session.commit()
    login(world.admin_b)  # agency B runs the US track; agency A leads
    url = f"/challenges/{challenge.slug}/judging/panels/shared"
    page = text(client.get(url))
    assert "Shared Judge" in page and us_team.name in page
    assert ca_team.name not in page and "Remove from the panel" not in page
    assert client.post(url, data={"email": "x@example.org"}).status_code == 404


def test_agency_b_cannot_run_agency_a_s_panel(world, challenge, ca_track):
    panel = panels.panel_for(challenge, ca_track)
    with pytest.raises(PermissionDenied):
        panels.invite(act(world.admin_b), challenge, panel, "x@example.org")
    with pytest.raises(PermissionDenied):
        panels.invite(act(world.staff_a), challenge, panel, "x@example.org")


def test_removing_a_judge_ends_their_access_at_once(world, challenge, judged):
    judge, sub = judged["ca_judges"][0], judged["ca"][0]
    a = assignments.assign_manually(act(world.admin_a), sub, judge)
    db.session.commit()
    assert permissions.can_score(judge.user, a)
    ended = panels.remove(act(world.admin_a), challenge, judge)
    db.session.commit()
    assert ended == 1
    db.session.refresh(a)
    assert not permissions.can_score(judge.user, a)
    assert a.end_reason == "judge_removed"
    with pytest.raises(PermissionDenied):
        reviews.save_review(act(judge.user), a, {}, "", "", False)


# --- conflicts ----------------------------------------------------------------------------------


def test_conflicts_are_detected_member_organisation_and_email_domain(world, challenge, ca_track):
    lead = person(email="lead@acme-foods.example")
    team = new_team(
        lead,
        name="Acme",
        entrant_type="business",
        organisation_name="Acme Foods",
        organisation_country="CA",
    )
    register(team, ca_track)
    gmail_team = new_team(person(email="someone@gmail.com"), name="Gmail team")
    register(gmail_team, ca_track)
    member = seat(world, challenge, ca_track, user=lead)
    colleague = seat(world, challenge, ca_track, organisation="ACME  foods")
    same_domain = seat(world, challenge, ca_track, email="boss@acme-foods.example")
    public = seat(world, challenge, ca_track, email="judge@gmail.com")
    conflicts.detect_for_challenge(challenge)
    db.session.commit()
    found = {(c.user_id, c.team_id, c.source) for c in conflicts.conflicts_of(challenge)}
    assert (member.user_id, team.id, ConflictSource.MEMBER) in found
    assert (colleague.user_id, team.id, ConflictSource.ORGANISATION) in found
    assert (same_domain.user_id, team.id, ConflictSource.EMAIL_DOMAIN) in found
    assert not any(u == public.user_id for u, _t, _s in found)  # gmail.com says nothing
    assert not any(t == gmail_team.id for _u, t, _s in found)


def test_a_conflicted_judge_is_never_assigned(world, challenge, judged):
    judge, sub = judged["ca_judges"][0], judged["ca"][0]
    conflicts.declare(act(judge.user), challenge, sub.entry.team, "My cousin leads it")
    db.session.commit()
    with pytest.raises(ConflictError, match="conflict"):
        assignments.assign_manually(act(world.admin_a), sub, judge)


def test_the_database_refuses_a_conflicted_assignment(world, challenge, judged):
    judge, sub = judged["ca_judges"][0], judged["ca"][0]
    db.session.add(
        Conflict(
            challenge_id=challenge.id,
            user_id=judge.user_id,
            team_id=sub.entry.team_id,
            source="admin",
            reason="test",
        )
    )
    db.session.commit()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(
            Assignment(
                round_id=sub.round_id,
                submission_id=sub.id,
                judge_id=judge.id,
                user_id=judge.user_id,
                source="manual",
            )
        )
        db.session.flush()


def test_the_bulk_insert_of_assignments_keeps_the_database_guard(world, challenge, judged):
    """Automatic assignment writes with COPY on PostgreSQL: the conflict trigger still runs on
    every row, and its refusal is an IntegrityError on both engines."""
    from competitions.core import bulk, clock

    judge, sub = judged["ca_judges"][0], judged["ca"][0]
    db.session.add(
        Conflict(
            challenge_id=challenge.id,
            user_id=judge.user_id,
            team_id=sub.entry.team_id,
            source="admin",
            reason="test",
        )
    )
    db.session.commit()
    other = judged["ca"][1]
    row = {
        "round_id": sub.round_id,
        "stage": 1,
        "judge_id": judge.id,
        "user_id": judge.user_id,
        "source": "auto",
        "created_at": clock.now(),
        "end_note": "",
        "number": 1001,
    }
    with pytest.raises(IntegrityError), db.session.begin_nested():
        bulk.insert_rows(
            Assignment.__table__,
            [{**row, "submission_id": other.id}, {**row, "submission_id": sub.id, "number": 1002}],
        )
    assert bulk.insert_rows(Assignment.__table__, [{**row, "submission_id": other.id}]) == 1
    assert db.session.scalar(select(Assignment.id).where(Assignment.submission_id == other.id))


def test_the_database_refuses_a_conflict_over_an_active_assignment(world, challenge, judged):
    judge, sub = judged["ca_judges"][0], judged["ca"][0]
    assignments.assign_manually(act(world.admin_a), sub, judge)
    db.session.commit()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(
            Conflict(
                challenge_id=challenge.id,
                user_id=judge.user_id,
                team_id=sub.entry.team_id,
                source="admin",
                reason="raw",
            )
        )
        db.session.flush()


def test_the_database_refuses_scores_on_an_ended_assignment(world, challenge, judged):
    rubric, judge, sub = judged["rubric"], judged["ca_judges"][0], judged["ca"][0]
    a = assignments.assign_manually(act(world.admin_a), sub, judge)
    db.session.commit()
    review = reviews.save_review(act(judge.user), a, score_values(rubric, "3", ""), "", "", False)
    db.session.commit()
    assignments.unassign(act(world.admin_a), a)
    db.session.commit()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(Score(review_id=review.id, criterion_id=rubric.criteria[1].id, value=4))
        db.session.flush()


def test_the_database_refuses_an_assignment_to_someone_else_s_seat(world, challenge, judged):
    judge, other, sub = judged["ca_judges"][0], judged["ca_judges"][1], judged["ca"][0]
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(
            Assignment(
                round_id=sub.round_id,
                submission_id=sub.id,
                judge_id=judge.id,
                user_id=other.user_id,
                source="manual",
            )
        )
        db.session.flush()


def test_recusing_ends_the_assignment_and_records_the_conflict(world, challenge, judged):
    judge, sub = judged["ca_judges"][0], judged["ca"][0]
    a = assignments.assign_manually(act(world.admin_a), sub, judge)
    db.session.commit()
    with pytest.raises(DomainError, match="why"):
        conflicts.recuse(act(judge.user), a, "")
    conflicts.recuse(act(judge.user), a, "I advised this team last year")
    db.session.commit()
    db.session.refresh(a)
    assert a.end_reason == "recused"
    assert conflicts.is_conflicted(challenge.id, judge.user_id, sub.entry.team_id)
    with pytest.raises(ConflictError):
        assignments.assign_manually(act(world.admin_a), sub, judge)


def test_only_the_assigned_judge_scores(world, challenge, judged):
    rubric, judge, other, sub = (
        judged["rubric"],
        judged["ca_judges"][0],
        judged["ca_judges"][1],
        judged["ca"][0],
    )
    a = assignments.assign_manually(act(world.admin_a), sub, judge)
    db.session.commit()
    for intruder in (other.user, world.admin_a, sub.entry.team.lead.user):
        with pytest.raises(PermissionDenied):
            reviews.save_review(act(intruder), a, score_values(rubric, "1", "1"), "", "", True)


# --- reviews ----------------------------------------------------------------------------------


def test_a_review_is_saved_as_draft_then_submitted_and_stays_editable(world, challenge, judged):
    rubric, judge, sub = judged["rubric"], judged["ca_judges"][0], judged["ca"][0]
    a = assignments.assign_manually(act(world.admin_a), sub, judge)
    db.session.commit()
    reviews.save_review(act(judge.user), a, score_values(rubric, "8", ""), "Good", "", False)
    db.session.commit()
    with pytest.raises(DomainError, match="Score every criterion"):
        reviews.save_review(act(judge.user), a, score_values(rubric, "8", ""), "", "", True)
    db.session.rollback()
    review = reviews.save_review(
        act(judge.user), a, score_values(rubric, "8", "6"), "Good", "Fine", True
    )
    db.session.commit()
    assert review.status == "submitted" and review.submitted_at is not None
    assert review.score_map() == {rubric.criteria[0].id: Decimal(8), rubric.criteria[1].id: 6}
    # Changing it keeps it submitted; emptying a score is refused while submitted.
    reviews.save_review(act(judge.user), a, score_values(rubric, "9", "6"), "", "", False)
    db.session.commit()
    assert review.status == "submitted"
    with pytest.raises(DomainError):
        reviews.save_review(act(judge.user), a, score_values(rubric, "9", ""), "", "", False)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("11", "scored from 0 to 10"),
        ("-1", "scored from 0 to 10"),
        ("2.5", "steps of 1"),
        ("abc", "Enter a number"),
        ("NaN", "scored from"),
        ("1e999", "scored from"),
    ],
)
def test_scores_off_the_scale_are_refused(world, challenge, judged, value, message):
    rubric, judge, sub = judged["rubric"], judged["ca_judges"][0], judged["ca"][0]
    a = assignments.assign_manually(act(world.admin_a), sub, judge)
    db.session.commit()
    with pytest.raises(reviews.InvalidReview) as err:
        reviews.save_review(act(judge.user), a, score_values(rubric, value, "5"), "", "", False)
    (key, problem), *others = err.value.problems.items()
    assert key == f"c{rubric.criteria[0].id}" and message in problem and not others


def test_reviews_close_with_judging(world, challenge, judged, clock):
    rubric, judge, sub = judged["rubric"], judged["ca_judges"][0], judged["ca"][0]
    a = assignments.assign_manually(act(world.admin_a), sub, judge)
    db.session.commit()
    clock.set_now(challenge.rounds[0].judging_closes + timedelta(seconds=1))
    with pytest.raises(DomainError, match="closed"):
        reviews.save_review(act(judge.user), a, score_values(rubric, "5", "5"), "", "", True)


def test_a_flag_reaches_the_track_admins(world, challenge, judged, mail):
    judge, sub = judged["ca_judges"][0], judged["ca"][0]
    a = assignments.assign_manually(act(world.admin_a), sub, judge)
    db.session.commit()
    flags.flag(act(judge.user), a, "plagiarism", "Same text as a 2019 paper")
    db.session.commit()
    (told,) = mail.to(world.admin_a.email)  # the track's agency's admin, by email
    assert f"flagged submission #{sub.id}" in told["Subject"]
    body = mail.text(told)
    assert "Possible plagiarism" in body and "Same text as a 2019 paper" in body
    assert mail.link(told, "/assignments")
    assert mail.to(world.admin_b.email) == [] and mail.to(world.staff_a.email) == []
    raised = flags.flags_of(challenge.rounds[0], sub.entry.track)
    assert [f.note for f in raised] == ["Same text as a 2019 paper"]
    with pytest.raises(PermissionDenied):
        flags.resolve_flag(act(world.admin_b), raised[0], "")
    flags.resolve_flag(act(world.admin_a), raised[0], "Checked: cited properly")
    assert raised[0].resolved_at is not None


# --- assignment -------------------------------------------------------------------------------


def _active(round_id: int) -> list[Assignment]:
    return list(
        db.session.scalars(
            select(Assignment).where(Assignment.round_id == round_id, Assignment.ended_at.is_(None))
        )
    )


def test_automatic_assignment_covers_balances_and_avoids_conflicts(world, challenge, judged):
    ca, ca_judges = judged["ca"], judged["ca_judges"]
    conflicts.declare(act(ca_judges[0].user), challenge, ca[0].entry.team, "")
    db.session.commit()
    outcome = assignments.auto_assign(
        act(world.admin_a), challenge, judged["round"], ca[0].entry.track
    )
    db.session.commit()
    rows = _active(judged["round"].id)
    assert outcome.added == len(rows) == 3 * 2 and not outcome.shortfall
    per_submission = {s.id: {a.user_id for a in rows if a.submission_id == s.id} for s in ca}
    assert all(len(users) == 2 for users in per_submission.values())
    assert ca_judges[0].user_id not in per_submission[ca[0].id]  # conflicted: never
    loads = [sum(1 for a in rows if a.judge_id == j.id) for j in ca_judges]
    assert max(loads) - min(loads) <= 1
    assert {a.submission.entry.track_id for a in rows} == {ca[0].entry.track_id}  # CA only
    # Running again keeps everything and adds nothing.
    again = assignments.auto_assign(
        act(world.admin_a), challenge, judged["round"], ca[0].entry.track
    )
    assert (again.added, again.kept, again.ended) == (0, 6, 0)
    assert events("judging.auto_assigned")[-1].after["kept"] == 6


def test_agency_b_cannot_assign_agency_a_s_track(world, challenge, judged):
    with pytest.raises(PermissionDenied):
        assignments.auto_assign(
            act(world.admin_b), challenge, judged["round"], judged["ca"][0].entry.track
        )
    with pytest.raises(PermissionDenied):
        assignments.assign_manually(act(world.admin_b), judged["ca"][0], judged["ca_judges"][0])


def test_challenge_wide_assignment_calibrates_across_tracks(world, challenge, judged):
    rubric = judged["rubric"]
    rubric.cross_track = True
    db.session.commit()
    assignments.auto_assign(act(world.admin_a), challenge, judged["round"], None)
    db.session.commit()
    rows = _active(judged["round"].id)
    for sub in judged["ca"] + judged["us"]:
        mine = [a for a in rows if a.submission_id == sub.id]
        assert len(mine) == 2
        assert any(a.judge.panel.track_id != sub.entry.track_id for a in mine)


def test_a_judge_takes_the_next_least_reviewed(world, challenge, judged):
    judge, ca = judged["ca_judges"][0], judged["ca"]
    assignments.assign_manually(act(world.admin_a), ca[0], judged["ca_judges"][1])
    assignments.assign_manually(act(world.admin_a), ca[1], judged["ca_judges"][1])
    db.session.commit()
    taken = assignments.take_next(act(judge.user), challenge, judged["round"])
    db.session.commit()
    assert taken is not None and taken.submission_id == ca[2].id  # the unreviewed one
    assert taken.source == "pool"
    conflicts.declare(act(judge.user), challenge, ca[0].entry.team, "")
    db.session.commit()
    nxt = assignments.take_next(act(judge.user), challenge, judged["round"])
    assert nxt is not None and nxt.submission_id == ca[1].id  # ca[0] is conflicted
    db.session.commit()
    assert assignments.take_next(act(judge.user), challenge, judged["round"]) is None


# --- pages ------------------------------------------------------------------------------------


def version_file(sub, filename):
    """A PDF in the submission's first version, stored under ``filename`` (written directly)."""
    stored = get_storage().save(io.BytesIO(b"%PDF-1.4 " + filename.encode()), 10_000)
    record = SubmissionFile(
        submission_id=sub.id,
        version_id=sub.versions[0].id,
        field_key="report",
        storage_key=stored.key,
        filename=filename,
        content_type="application/pdf",
        size=stored.size,
        sha256=stored.sha256,
    )
    db.session.add(record)
    db.session.flush()
    return record


def test_a_judge_scores_through_the_pages_blind(world, challenge, judged, client, login):
    rubric, judge, sub = judged["rubric"], judged["ca_judges"][0], judged["ca"][0]
    rubric.blind = True
    stored_name = "Team Secret Name report.pdf"
    version = sub.versions[0]
    version_file(sub, stored_name)
    a = assignments.assign_manually(act(world.admin_a), sub, judge)
    db.session.commit()
    login(judge.user)
    page = text(client.get(f"/judging/assignments/{a.id}"))
    assert sub.entry.team.name not in page and stored_name not in page
    assert "Innovation" in page and "Outstanding" in page  # criterion and its descriptor
    file_id = db.session.scalar(
        select(SubmissionFile.id).where(SubmissionFile.version_id == version.id)
    )
    download = client.get(f"/judging/assignments/{a.id}/files/{file_id}", buffered=True)
    assert download.status_code == 200
    disposition = download.headers["Content-Disposition"]
    assert "Secret" not in disposition and f"submission-{a.number}-report-1.pdf" in disposition
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    c1, c2 = rubric.criteria
    bad = client.post(
        f"/judging/assignments/{a.id}", data={f"c{c1.id}": "12", f"c{c2.id}": "3", "submit": "1"}
    )
    assert bad.status_code == 400 and "scored from 0 to 10" in text(bad, 400)
    page = bad.get_data(as_text=True)  # the message is under its criterion, the typed value kept
    assert f'id="c{c1.id}-error"' in page and f'name="c{c1.id}" id="c{c1.id}" value="12"' in page
    saved = client.post(
        f"/judging/assignments/{a.id}",
        data={f"c{c1.id}": "9", f"c{c2.id}": "3", "comment_to_team": "Bold idea", "submit": "1"},
    )
    assert saved.status_code == 303
    review = db.session.scalar(select(Review).where(Review.assignment_id == a.id))
    assert review.status == "submitted"
    queue = text(client.get(f"/judging/rounds/{judged['round'].id}"))
    assert "1 of 1 reviewed" in queue and sub.entry.team.name not in queue


@pytest.mark.parametrize("blind", [False, True])
def test_a_judge_downloads_a_file_named_by_its_type(world, challenge, judged, client, login, blind):
    """A file stored as ``.html`` that is a PDF is downloaded as ``.pdf``, blind or not."""
    from werkzeug.http import parse_options_header

    judged["rubric"].blind = blind
    judge, sub = judged["ca_judges"][0], judged["ca"][0]
    record = version_file(sub, "Team report.html")
    a = assignments.assign_manually(act(world.admin_a), sub, judge)
    db.session.commit()
    login(judge.user)
    response = client.get(f"/judging/assignments/{a.id}/files/{record.id}", buffered=True)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    name = parse_options_header(response.headers["Content-Disposition"])[1]["filename"]
    expected = f"submission-{a.number}-report-1.pdf" if blind else "Team report.pdf"
    assert name == expected


def test_a_judge_of_one_panel_cannot_open_another_s_assignment(
    world, challenge, judged, client, login
):
    ca_judge, us_judge = judged["ca_judges"][0], judged["us_judges"][0]
    a = assignments.assign_manually(act(world.admin_a), judged["ca"][0], ca_judge)
    db.session.commit()
    login(us_judge.user)
    assert client.get(f"/judging/assignments/{a.id}").status_code == 404
    assert client.post(f"/judging/assignments/{a.id}", data={"submit": "1"}).status_code == 404
    # Agency B's admins do not see agency A's panel, assignments or reviews.
    login(world.admin_b)
    track = judged["ca"][0].entry.track
    assert (
        client.get(f"/challenges/{challenge.slug}/judging/panels/{track.slug}").status_code == 404
    )
    url = (
        f"/challenges/{challenge.slug}/rounds/{judged['round'].id}/tracks/{track.slug}/assignments"
    )
    assert client.get(url).status_code == 404


def test_a_refused_panel_change_is_logged_for_the_panel_s_agency(
    world, challenge, judged, client, login
):
    judge = judged["ca_judges"][0]
    login(world.admin_b)  # agency B takes part in the challenge, but this is A's panel
    url = f"/challenges/{challenge.slug}/judging/judges/{judge.id}/remove"
    assert client.post(url).status_code == 404
    (denied,) = events("authz.denied")
    assert denied.agency_id == judge.panel.track.agency_id and denied.object_type == "panel"


def test_a_conflicted_judge_gets_404(world, challenge, judged, client, login):
    judge, sub = judged["ca_judges"][0], judged["ca"][0]
    a = assignments.assign_manually(act(world.admin_a), sub, judge)
    db.session.commit()
    conflicts.record_by_admin(
        act(world.admin_a), challenge, judge, sub.entry.team, "Former employer"
    )
    db.session.commit()
    login(judge.user)
    assert client.get(f"/judging/assignments/{a.id}").status_code == 404


def test_the_admin_pages_render(world, challenge, judged, client, login):
    assignments.auto_assign(
        act(world.admin_a), challenge, judged["round"], judged["ca"][0].entry.track
    )
    db.session.commit()
    login(world.admin_a)
    slug, round_id = challenge.slug, judged["round"].id
    track = judged["ca"][0].entry.track
    assert "Innovation" in text(client.get(f"/challenges/{slug}/rounds/{round_id}/rubric"))
    page = text(client.get(f"/challenges/{slug}/rounds/{round_id}/tracks/{track.slug}/assignments"))
    assert judged["ca"][0].entry.team.name in page  # admins see names, even when blind
    panel = text(client.get(f"/challenges/{slug}/judging/panels/{track.slug}"))
    assert judged["ca_judges"][0].user.email in panel
    assert "Rubric and settings" in text(client.get(f"/challenges/{slug}/judging"))


# --- results, advancement, release ----------------------------------------------------------


def _score_all(world, challenge, judged, values):
    """Assign every CA submission to every CA judge and submit ``values[judge][sub]``."""
    rubric, round_ = judged["rubric"], judged["round"]
    for j, judge in enumerate(judged["ca_judges"]):
        for s, sub in enumerate(judged["ca"]):
            a = assignments.assign_manually(act(world.admin_a), sub, judge)
            v = values[j][s]
            reviews.save_review(act(judge.user), a, score_values(rubric, v, v), "", "", True)
    db.session.commit()
    return round_


def test_results_rank_normalized_scores_and_are_kept_until_a_review_changes(
    world, challenge, judged
):
    from competitions.judging import results
    from competitions.judging.models import RoundResult

    round_ = _score_all(
        world, challenge, judged, [["9", "6", "3"], ["8", "5", "2"], ["7", "4", "1"]]
    )
    data = results.results_of(round_)
    db.session.commit()
    ca = [i for i in data.items if i.track_id == judged["ca"][0].entry.track_id]
    order = [i.submission_id for i in sorted(ca, key=lambda i: i.rank_track)]
    assert order == [s.id for s in judged["ca"]]
    assert ca[0].reviews == 3
    # Raw of the first: 100 * (9 + 8 + 7) / 3 / 10 = 80.
    first = next(i for i in ca if i.submission_id == judged["ca"][0].id)
    assert first.raw == pytest.approx(80.0)
    kept = db.session.get(RoundResult, (round_.id, 1))
    stamp = kept.computed_at
    db.session.expire_all()
    assert results.results_of(round_) == data  # read back from round_result as it was
    assert kept.computed_at == stamp  # not recomputed
    a = db.session.scalar(select(Assignment).where(Assignment.submission_id == judged["ca"][2].id))
    reviews.save_review(
        act(a.judge.user), a, score_values(judged["rubric"], "10", "10"), "", "", True
    )
    db.session.commit()
    again = results.results_of(round_)
    third = next(i for i in again.items if i.submission_id == judged["ca"][2].id)
    assert (
        third.raw > next(i for i in data.items if i.submission_id == judged["ca"][2].id).raw
    )  # a changed review changes the results


def test_kept_results_show_a_renamed_team_under_its_new_name(world, challenge, judged):
    """A team renamed after the results were kept is shown under its new name at once, with
    no recomputation (the reviews did not change)."""
    from competitions.judging import results
    from competitions.judging.models import RoundResult

    round_ = _score_all(
        world, challenge, judged, [["9", "6", "3"], ["8", "5", "2"], ["7", "4", "1"]]
    )
    results.results_of(round_)
    db.session.commit()
    stamp = db.session.get(RoundResult, (round_.id, 1)).computed_at
    team = judged["ca"][0].entry.team
    team.name = "Renamed after the results"
    db.session.commit()
    db.session.expire_all()
    again = results.results_of(round_)
    first = next(i for i in again.items if i.submission_id == judged["ca"][0].id)
    assert first.team == "Renamed after the results"
    assert db.session.get(RoundResult, (round_.id, 1)).computed_at == stamp
    track_page = results.page_of_track(results.summary_of(round_), first.track_id, 0, 10)
    assert "Renamed after the results" in [i.team for i in track_page]


def test_kept_results_leave_out_an_entry_withdrawn_after_they_were_kept(world, challenge, judged):
    """An entry withdrawn after the results were kept leaves them at the next view, even
    with no review or assignment changing."""
    from competitions.core import clock
    from competitions.entries import services as entries_services
    from competitions.judging import freshness, results

    round_ = _score_all(
        world, challenge, judged, [["9", "6", "3"], ["8", "5", "2"], ["7", "4", "1"]]
    )
    lead = person("CA")
    late = submitted(
        register(new_team(lead, "CA", name="Unreviewed team"), judged["ca"][0].entry.track),
        challenge,
    )
    db.session.commit()
    assert late.id in [i.submission_id for i in results.results_of(round_).items]
    db.session.commit()
    entries_services.withdraw(act(lead), late.entry)
    db.session.commit()
    db.session.expire_all()
    assert late.id not in [i.submission_id for i in results.results_of(round_).items]
    # A reviewed entry withdrawn: out too, and its assignments end (out of the judges' queues).
    reviewed = judged["ca"][0]
    entries_services.withdraw(act(reviewed.entry.team.members[0].user), reviewed.entry)
    db.session.commit()
    db.session.expire_all()
    assert reviewed.id not in [i.submission_id for i in results.results_of(round_).items]
    ended = db.session.scalars(select(Assignment).where(Assignment.submission_id == reviewed.id))
    assert {(a.ended_at is not None, a.end_reason) for a in ended} == {(True, "withdrawn")}
    # Withdrawn before withdrawals ended assignments: its reviews still stand, and are left out.
    legacy = judged["ca"][1]
    legacy.entry.withdrawn_at, legacy.entry.exclusive_challenge_id = clock.now(), None
    db.session.commit()
    db.session.expire_all()
    assert legacy.id not in [i.submission_id for i in results.results_of(round_).items]
    # The withdrawals' part of the fingerprint is whole (never cut by its length limit).
    assert freshness.fingerprint(round_, 1).rsplit("|", 1)[-1].startswith("w3:")


def test_advancement_moves_the_chosen_entries_to_the_next_round(world, challenge, judged):
    from competitions.judging import results
    from competitions.submissions import services as submissions

    round_ = _score_all(
        world, challenge, judged, [["9", "6", "3"], ["8", "5", "2"], ["7", "4", "1"]]
    )
    track = judged["ca"][0].entry.track
    items = [i for i in results.results_of(round_).items if i.track_id == track.id]
    top = advancement.select_advancing(items, "top_n", 2, None)
    assert top == {judged["ca"][0].entry_id, judged["ca"][1].entry_id}
    with pytest.raises(PermissionDenied):
        advancement.decide(act(world.admin_b), round_, track, "top_n", set(top))
    assert advancement.decide(act(world.admin_a), round_, track, "top_n", set(top)) == (2, 1)
    db.session.commit()
    assert events("judging.advancement_decided")[0].after["not_advancing"] == [
        judged["ca"][2].entry_id
    ]
    second = next_round(world, challenge)
    winner, loser = judged["ca"][0].entry, judged["ca"][2].entry
    # The bulk form of the rule (the home page's) agrees with the rule, entry by entry.
    from competitions.judging import admission

    everyone = [s.entry for s in judged["ca"] + judged["us"]]
    bulk = admission.admitted(everyone)
    for entry in everyone:
        for r in challenge.rounds:
            assert ((entry.id, r.id) in bulk) == admission.advanced_to(entry, r)
    assert (winner.id, second.id) in bulk and (loser.id, second.id) not in bulk
    submissions.save_draft(act(winner.team.lead.user), winner, second, {}, [])
    with pytest.raises(DomainError, match="advanced"):
        submissions.save_draft(act(loser.team.lead.user), loser, second, {}, [])


def test_results_are_released_at_the_same_instant_for_everyone(
    world, challenge, judged, client, login, clock
):

    round_ = _score_all(
        world, challenge, judged, [["9", "6", "3"], ["8", "5", "2"], ["7", "4", "1"]]
    )
    track = judged["ca"][0].entry.track
    advancement.decide(act(world.admin_a), round_, track, "manual", {judged["ca"][1].entry_id})
    db.session.commit()
    url = f"/challenges/{challenge.slug}/rounds/{round_.id}/winners"
    track_url = f"/challenges/{challenge.slug}/tracks/{track.slug}/rounds/{round_.id}/winners"
    clock.set_now(round_.results_at - timedelta(seconds=1))
    assert client.get(url).status_code == 404
    assert client.get(track_url).status_code == 404
    login(world.admin_a)
    assert "Not public yet" in text(client.get(url))
    client.post("/logout")
    clock.set_now(round_.results_at)
    page = text(client.get(url))
    assert judged["ca"][1].entry.team.name in page
    assert judged["ca"][0].entry.team.name not in page  # not advancing
    assert "Not public yet" not in page
    assert text(client.get(track_url))


def test_the_results_page_and_scores_export(world, challenge, judged, client, login):
    round_ = _score_all(
        world, challenge, judged, [["9", "6", "3"], ["8", "5", "2"], ["7", "4", "1"]]
    )
    login(world.admin_a)
    page = text(client.get(f"/challenges/{challenge.slug}/rounds/{round_.id}/results"))
    assert "z = " in page or "z-score" in page or "standard deviation" in page.lower()
    assert judged["ca"][0].entry.team.name in page
    csv_text = client.get(f"/challenges/{challenge.slug}/rounds/{round_.id}/results.csv").get_data(
        as_text=True
    )
    assert csv_text.count("\n") == 1 + 9  # header and nine reviews
    # Agency B sees no row of agency A's track.
    client.post("/logout")
    login(world.admin_b)
    b_csv = client.get(f"/challenges/{challenge.slug}/rounds/{round_.id}/results.csv").get_data(
        as_text=True
    )
    assert b_csv.count("\n") == 1


def test_results_are_kept_one_row_per_submission_and_read_back_the_same(world, challenge, judged):
    """The kept results: one row per submission (its place in the whole results and in its
    track's) beside a summary; every reader gives what the computation gave."""
    from competitions.judging import results
    from competitions.judging.models import RoundResultItem

    round_ = _score_all(
        world, challenge, judged, [["9", "6", "3"], ["8", "5", "2"], ["7", "4", "1"]]
    )
    computed = results.compute(round_)
    assert results.results_of(round_) == computed
    db.session.commit()
    db.session.expire_all()
    rows = db.session.scalars(
        select(RoundResultItem).where(RoundResultItem.round_id == round_.id)
    ).all()
    assert sorted(r.submission_id for r in rows) == sorted(i.submission_id for i in computed.items)
    assert [r.submission_id for r in sorted(rows, key=lambda r: r.position)] == [
        i.submission_id for i in computed.items
    ]
    summary = results.summary_of(round_)
    assert (summary.mu, summary.sigma) == (computed.mu, computed.sigma)
    assert (summary.leniency, summary.outliers) == (computed.leniency, computed.outliers)
    assert results.results_of(round_) == computed  # read back from the rows
    for track in challenge.tracks:
        ours = [r for r in rows if r.track_id == track.id]
        assert sorted(r.track_position for r in ours) == list(range(len(ours)))
        assert results.of_track(round_, track.id) == computed.of_track(track.id)
        assert results.page_of_track(summary, track.id, 1, 1) == computed.of_track(track.id)[1:2]
        ranked = [i for i in computed.of_track(track.id) if i.rank_track is not None]
        assert results.ranked_in_track(summary, track.id) == len(ranked)
    assert results.counts_by_track(summary) == {
        t.id: len(computed.of_track(t.id)) for t in challenge.tracks if computed.of_track(t.id)
    }
    entry_id = judged["ca"][1].entry_id
    assert results.entry_result(summary, entry_id) == computed.of_entry(entry_id)


def _more_ca_submissions(world, challenge, judged, n):
    """``n`` more CA submissions, each reviewed by every CA judge (scores spread out)."""
    subs = []
    for i in range(n):
        lead = person("CA")
        team = new_team(lead, "CA", name=f"Extra team {len(judged['ca']) + i}")
        subs.append(submitted(register(team, judged["ca"][0].entry.track), challenge))
    for j, judge in enumerate(judged["ca_judges"]):
        for s, sub in enumerate(subs):
            a = assignments.assign_manually(act(world.admin_a), sub, judge)
            v = str((s * 3 + j) % 11)
            reviews.save_review(
                act(judge.user), a, score_values(judged["rubric"], v, v), "", "", True
            )
    db.session.commit()
    return subs


def test_the_results_page_reads_only_the_rows_it_shows_whatever_the_data(
    world, challenge, judged, client, login, monkeypatch, count_queries
):
    """A later view of the results page sends as many queries with 3 submissions in a track
    as with 15, and its queries of the kept results read the rows it shows, no more."""
    from competitions.judging import results
    from competitions.judging.views import results as results_views

    round_ = _score_all(
        world, challenge, judged, [["9", "6", "3"], ["8", "5", "2"], ["7", "4", "1"]]
    )
    monkeypatch.setattr(results_views, "RESULTS_PAGE_SIZE", 2)
    login(world.admin_a)
    url = f"/challenges/{challenge.slug}/rounds/{round_.id}/results"
    track_id = judged["ca"][0].entry.track_id

    def later_view(query: str) -> tuple[int, int, str]:
        client.get(url + query)  # computes and keeps the results when they changed
        with count_queries() as seen:
            page = text(client.get(url + query))
        # The item rows the page's queries of the kept results fetch, run again.
        connection = db.session.connection()
        fetched = sum(
            len(connection.exec_driver_sql(sql, params).all())
            for sql, params in seen.executed
            if "round_result_item.team" in sql
        )
        return seen.count, fetched, page

    few, few_rows, page = later_view("")
    assert few_rows == 2 + 2  # a page of each track: the CA and the US
    _more_ca_submissions(world, challenge, judged, 12)
    many, many_rows, page = later_view(f"?page-{track_id}=3")
    assert "Page 3 of 8" in page
    assert many == few
    assert many_rows == 2 + 2
    ranked = results.results_of(round_).of_track(track_id)
    assert len(ranked) == 15
    assert all(f">{i.team}<" in page for i in ranked[4:6])
    assert not any(f">{i.team}<" in page for i in ranked[:4] + ranked[6:])


def test_the_results_page_shows_each_track_a_page_at_a_time(
    world, challenge, judged, client, login, monkeypatch, count_queries
):
    """Each track's table is paged on its own (``page-<track id>``), in rank order, with the
    same number of queries whatever the page; the export keeps every row."""
    from competitions.judging.views import results as results_views

    round_ = _score_all(
        world, challenge, judged, [["9", "6", "3"], ["8", "5", "2"], ["7", "4", "1"]]
    )
    monkeypatch.setattr(results_views, "RESULTS_PAGE_SIZE", 2)
    login(world.admin_a)
    url = f"/challenges/{challenge.slug}/rounds/{round_.id}/results"
    track_id = judged["ca"][0].entry.track_id
    first, second, third = (s.entry.team.name for s in judged["ca"])
    client.get(url)  # the first view computes and keeps the results
    with count_queries() as on_first:
        page = text(client.get(url))
    assert first in page and second in page and third not in page
    assert "Page 1 of 2" in page and f"page-{track_id}=2" in page
    assert "How scores are computed" in page
    with count_queries() as on_second:
        page = text(client.get(f"{url}?page-{track_id}=2"))
    assert third in page and first not in page and "Page 2 of 2" in page
    assert on_second.count == on_first.count
    # Out of range or not a number: the nearest page, never an error.
    assert third in text(client.get(f"{url}?page-{track_id}=99"))
    assert first in text(client.get(f"{url}?page-{track_id}=x"))
    body = client.get(f"{url}.csv").get_data(as_text=True)
    assert body.count("\n") == 1 + 9


def test_the_scores_export_neutralizes_every_cell_that_looks_like_a_formula(
    world, challenge, judged, client, login
):
    """Team names, judges' addresses (``+cmd@…`` is a valid address) and criterion titles."""
    import csv

    judged["ca"][0].entry.team.name = '=HYPERLINK("http://evil.example","Click")'
    judged["ca_judges"][0].user.email = "+cmd@example.org"
    judged["rubric"].criteria[0].title = {"en": "@SUM(1+1)"}
    round_ = _score_all(
        world, challenge, judged, [["9", "6", "3"], ["8", "5", "2"], ["7", "4", "1"]]
    )
    login(world.admin_a)
    body = client.get(f"/challenges/{challenge.slug}/rounds/{round_.id}/results.csv").get_data(
        as_text=True
    )
    rows = list(csv.reader(io.StringIO(body[1:])))
    cells = [c for row in rows for c in row]
    assert "'+cmd@example.org" in cells
    assert '\'=HYPERLINK("http://evil.example","Click")' in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")], cells
    assert "80.00" in cells and "9.00" in cells  # scores are written as numbers


def test_a_team_reads_its_outcome_and_the_judges_comments_from_the_release(
    world, challenge, judged, client, login, clock
):

    rubric, (first, second, _third) = judged["rubric"], judged["ca"]
    round_ = judged["round"]
    j1, j2, j3 = judged["ca_judges"]
    for judge, values, note, submit in (
        (j1, ("9", "8"), "Strong prototype.\nTest it on the ISS.", True),
        (j2, ("7", "6"), "", True),  # no comment: nothing shown
        (j3, ("2", "2"), "Draft thought the team must not see", False),
    ):
        a = assignments.assign_manually(act(world.admin_a), first, judge)
        reviews.save_review(
            act(judge.user), a, score_values(rubric, *values), note, "Check their budget", submit
        )
    for judge in (j1, j2):
        a = assignments.assign_manually(act(world.admin_a), second, judge)
        reviews.save_review(act(judge.user), a, score_values(rubric, "3", "3"), "", "", True)
    db.session.commit()
    advancement.decide(act(world.admin_a), round_, first.entry.track, "manual", {first.entry_id})
    db.session.commit()
    url = f"/entries/{first.entry_id}/rounds/{round_.id}/feedback"
    lead = first.entry.team.lead.user
    clock.set_now(round_.results_at - timedelta(seconds=1))
    login(lead)
    entry_page = text(client.get(f"/entries/{first.entry_id}"))
    assert "Results and judges' comments" not in entry_page
    assert client.get(url).status_code == 404  # not yet
    client.post("/logout")
    login(world.admin_a)
    assert "Not public yet" in text(client.get(url))  # the agency checks what the team will read
    client.post("/logout")
    clock.set_now(round_.results_at)
    login(lead)
    assert "Results and judges' comments" in text(client.get(f"/entries/{first.entry_id}"))
    page = text(client.get(url))
    assert "Selected: your entry advances." in page
    assert "1 of 2" in page  # rank in the track among the ranked entries
    assert "Strong prototype." in page and "Judge 1" in page
    assert "Draft thought" not in page and "Judge 2" not in page
    assert j1.user.display_name not in page and j1.user.email not in page
    assert "Check their budget" not in page  # private notes to the admins stay private
    assert client.get(f"/entries/{second.entry_id}/rounds/{round_.id}/feedback").status_code == 404
    client.post("/logout")
    login(second.entry.team.lead.user)
    page = text(client.get(f"/entries/{second.entry_id}/rounds/{round_.id}/feedback"))
    assert "Not selected this time." in page
    assert "The judges left no comments for your team." in page
    assert client.get(url).status_code == 404  # another team's page
    assert "Results of" in text(client.get(f"/challenges/{challenge.slug}"))


@pytest.mark.parametrize(
    ("lang", "shortfall", "judges", "expected"),
    [
        ("en", {1: 1}, 3, "1 submission could not get enough judges"),
        ("en", {1: 1, 2: 2}, 3, "2 submissions could not get enough judges"),
        ("en", {1: 2, 2: 2}, 0, "There are no judges on this panel yet"),
        ("fr", {1: 1}, 3, "1 soumission n'a pas pu obtenir"),
        ("fr", {1: 1, 2: 1}, 0, "Ce jury n'a encore aucun membre"),
    ],
)
def test_automatic_assignment_tells_what_is_missing_in_words(
    app, lang, shortfall, judges, expected
):
    from flask import session

    from competitions.judging.views.assignments import _flash_auto_assigned

    outcome = assignments.AutoResult(0, 0, 0, shortfall, submissions=2, judges=judges)
    with app.test_request_context("/", headers={"Accept-Language": lang}):
        _flash_auto_assigned(outcome)
        messages = [m for _, m in session["_flashes"]]
    assert messages[0].startswith(("Assignments added: 0", "Attributions ajoutées : 0"))
    assert messages[1].startswith(expected) and len(messages) == 2


def test_removing_a_judge_says_how_many_assignments_ended_in_the_singular(
    world, challenge, judged, client, login
):
    judge, sub = judged["ca_judges"][0], judged["ca"][0]
    assignments.assign_manually(act(world.admin_a), sub, judge)
    db.session.commit()
    login(world.admin_a)
    url = f"/challenges/{challenge.slug}/judging/judges/{judge.id}/remove"
    page = client.post(url, follow_redirects=True).get_data(as_text=True)
    assert "is off the panel; 1 assignment ended." in page
