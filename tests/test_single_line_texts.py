"""Every single-line text a service accepts (a title, a name, a subject, a label) is stored
without line breaks or other control characters, whichever way it came in; longer texts keep
their line breaks and lose the other control characters. A title that holds a line break
anyway (written before, or directly) never stops an email: its subject is one line."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from competitions.agencies import services as agency_services
from competitions.challenges import services as challenge_services
from competitions.challenges.services import timeline as timeline_services
from competitions.challenges.services import tracks as track_services
from competitions.core.extensions import db
from competitions.core.outbox import OutboxMessage
from competitions.entries import documents, teams
from competitions.judging import panels, rubrics
from competitions.outreach import announcements
from tests.entries import conftest as entrants
from tests.entries.conftest import act, build, person
from tests.judging.conftest import criterion, seat

DIRTY = "Deep\r\nBcc: victim@example.org\x00\x07\x1b"
CLEAN = "Deep Bcc: victim@example.org"
BLOCK = "First line\r\nSecond\x00 line\x1b"
BLOCK_CLEAN = "First line\nSecond line"


now = entrants.now


@pytest.fixture
def challenge(world: Any, now: Any) -> Any:
    return build(world)


def test_challenge_titles_are_one_line_and_longer_texts_keep_their_lines(world, now):
    texts = challenge_services.Texts({"en": DIRTY, "fr": DIRTY}, {"en": BLOCK}, {"en": BLOCK})
    made = challenge_services.create_challenge(act(world.admin_a), world.agency_a, "dirty", texts)
    assert made.title == {"en": CLEAN, "fr": CLEAN}
    assert made.summary == made.description == {"en": BLOCK_CLEAN}
    texts = challenge_services.Texts({"en": f"New {DIRTY}"}, {}, {})
    challenge_services.update_texts(act(world.admin_a), made, texts)
    assert made.title == {"en": f"New {CLEAN}"}


def test_track_names_prizes_and_statements_are_one_line(world, challenge):
    track = challenge.tracks[0]
    admin = act(world.admin_a)
    settings = track_services.TrackSettings(
        {"en": DIRTY, "fr": DIRTY},
        {"en": BLOCK},
        ["en", "fr"],
        "ca@example.org",
        "America/Toronto",
        {"en": f"{DIRTY}\nTwo\x00", "fr": f"{DIRTY}\nDeux"},
    )
    track_services.update_track(admin, track, settings)
    assert track.name == {"en": CLEAN, "fr": CLEAN}
    assert track.description == {"en": BLOCK_CLEAN}
    assert track.attestations == {
        "en": ["Deep", "Bcc: victim@example.org", "Two"],
        "fr": [
            "Deep",
            "Bcc: victim@example.org",
            "Deux",
        ],
    }
    prize = track_services.save_prize(
        admin,
        track,
        None,
        track_services.PrizeData({"en": DIRTY}, "1000", "CAD", 1, {"en": DIRTY}),
    )
    assert prize.label == {"en": CLEAN} and prize.condition == {"en": CLEAN}


def test_round_and_milestone_names_are_one_line(world, challenge):
    admin = act(world.admin_a)
    round_ = challenge.rounds[0]
    later = {**round_.instants(), "results_at": round_.results_at + timedelta(days=1)}
    data = timeline_services.RoundData({"en": DIRTY}, later)
    timeline_services.save_round(admin, challenge, round_, data, reason=BLOCK)
    assert round_.name == {"en": CLEAN}
    (change,) = timeline_services.timeline_changes(challenge)
    assert change.reason == BLOCK_CLEAN  # a longer text: its lines kept
    milestone = timeline_services.save_milestone(
        admin,
        challenge,
        None,
        None,
        timeline_services.MilestoneData(
            {"en": DIRTY, "fr": DIRTY},
            round_.submission_opens,
            None,
            "https://webinar.example.org/\x00info",
        ),
    )
    assert milestone.name == {"en": CLEAN, "fr": CLEAN}
    assert milestone.url == "https://webinar.example.org/info"


def test_announcement_subjects_are_one_line(world, challenge):
    draft = announcements.Draft({"en": DIRTY}, {"en": BLOCK}, ["subscribers"], None)
    ann = announcements.create(act(world.admin_a), challenge, None, draft)
    assert ann.subject == {"en": CLEAN} and ann.body == {"en": BLOCK_CLEAN}
    draft = announcements.Draft({"en": f"Update {DIRTY}"}, {"en": "Hi"}, ["subscribers"], None)
    announcements.update(act(world.admin_a), ann, draft)
    assert ann.subject == {"en": f"Update {CLEAN}"}


def test_agency_names_and_website_are_one_line(world):
    data = agency_services.AgencyData(
        DIRTY, "dirty", "CA", "America/Toronto", ["en"], "Short\r\n\x00", "https://a.example/\x00"
    )
    agency = agency_services.create_agency(act(world.platform_admin), data)
    assert (agency.name, agency.short_name, agency.website) == (
        CLEAN,
        "Short",
        "https://a.example/",
    )


def test_team_and_organisation_names_are_one_line(world, now):
    team = teams.create_team(
        act(person("CA")), teams.TeamData(DIRTY, "business", DIRTY, "CA"), "CA", 30
    )
    assert (team.name, team.organisation_name) == (CLEAN, CLEAN)


def test_document_names_are_one_line(world, challenge):
    track = challenge.tracks[0]
    data = documents.RequirementData({"en": DIRTY}, {"en": BLOCK}, "team", ["pdf"], 5)
    requirement = documents.add_requirement(act(world.admin_a), track, data)
    assert requirement.label == {"en": CLEAN} and requirement.help == {"en": BLOCK_CLEAN}


def test_review_stage_and_criterion_titles_are_one_line(world, challenge):
    admin = act(world.admin_a)
    round_ = challenge.rounds[0]
    stage = rubrics.add_stage(admin, challenge, round_, {"en": DIRTY}, "all")
    assert stage.name == {"en": CLEAN}
    data = criterion("Innovation")
    data = rubrics.CriterionData(**{**data.__dict__, "title": {"en": DIRTY}})
    made = rubrics.add_criterion(admin, challenge, stage, data)
    assert made.title == {"en": CLEAN}


def test_a_judges_organisation_and_tags_are_one_line(world, challenge):
    judge = seat(world, challenge, challenge.tracks[0])
    panels.update_profile(act(judge.user), judge, DIRTY, [DIRTY], [f"Org\r\n{DIRTY}"])
    assert judge.organisation == CLEAN
    assert judge.expertise == [CLEAN] and judge.conflict_organisations == [f"Org {CLEAN}"]


def test_a_follower_of_a_title_with_a_line_break_gets_a_one_line_subject(client, challenge, mail):
    challenge.title = {"en": DIRTY, "fr": DIRTY}  # written before titles were cleaned
    db.session.commit()
    response = client.post(
        f"/challenges/{challenge.slug}/follow", data={"email": "fan@example.org", "language": "en"}
    )
    assert response.status_code == 200
    (message,) = mail.to("fan@example.org")
    assert "\n" not in message["Subject"] and "Deep Bcc: victim@example.org" in message["Subject"]
    assert mail.to("victim@example.org") == []
    row = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.to_address == "fan@example.org")
    )
    assert row is not None and row.status == "sent"
