"""The teammates board: posts read by signed-in people only; contact through Tandem with no
address shown until the poster accepts; the tracks two people could enter together; an
agency hides a post with a reason (audited); contacting is rate limited."""

from __future__ import annotations

import re

import pytest

from competitions.challenges.services import tracks_with_rules
from competitions.core.errors import Conflict, DomainError, PermissionDenied
from competitions.core.extensions import db
from competitions.teammates import services
from competitions.teammates.models import BoardPost
from tests.entries.conftest import act, build, events, person, text


@pytest.fixture
def challenge(world, clock):
    from tests.entries.conftest import NOW

    clock.set_now(NOW)
    return build(world)


def _post(challenge, user, offers: str, residence: str = "CA", track: str = ""):
    post = services.save_post(
        act(user),
        challenge,
        services.PostData("individual", offers, "A teammate who cooks", residence, track, 30),
    )
    db.session.commit()
    return post


def test_two_people_meet_on_the_board_and_see_where_they_could_enter(
    challenge, world, client, login, mail
):
    chef = person("CA", email="chef@example.org", display_name="Chloé Chef")
    grower = person("CA", email="grower@example.org", display_name="Gabe Grower")
    wanted = _post(challenge, chef, "Twenty years in kitchens")
    with pytest.raises(DomainError, match="Put your own post"):
        services.request_contact(act(grower), wanted, "Hello!")
    _post(challenge, grower, "Hydroponics")
    services.request_contact(act(grower), wanted, "Let us grow and cook in space.")
    db.session.commit()
    with pytest.raises(Conflict):
        services.request_contact(act(grower), wanted, "Again?")
    db.session.rollback()
    (note,) = mail.to("chef@example.org")
    body = mail.text(note)
    assert "Let us grow and cook" in body and "grower@example.org" not in body

    login(chef)
    page = text(client.get("/challenges/dsfc/teammates/contacts"))
    assert "Gabe Grower" in page and "grower@example.org" not in page
    (contact,) = services.contacts(chef, challenge)
    response = client.post(
        f"/challenges/dsfc/teammates/contacts/{contact.request.id}", data={"accept": "yes"}
    )
    assert response.status_code == 302
    page = re.sub(r"\s*<[^>]+>\s*", " ", text(client.get("/challenges/dsfc/teammates/contacts")))
    assert "grower@example.org" in page  # accepted: addresses shared
    assert "Canada track: Eligible " in page  # two Canadians: the Canada track
    assert "US track: Eligible for recognition only" in page
    assert len(mail.to("grower@example.org")) == 1  # told it was accepted
    assert "Create a team" in page  # the way to the existing team invitation


def test_the_board_is_for_signed_in_people_and_the_poster_alone_answers(
    challenge, world, client, login
):
    chef = person("CA", email="chef@example.org", display_name="Chloé Chef")
    _post(challenge, chef, "Twenty years in kitchens")
    response = client.get("/challenges/dsfc/teammates")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    grower = person("US", email="grower@example.org")
    post = _post(challenge, grower, "Hydroponics", "US")
    req = services.request_contact(act(chef), post, "Hello")
    db.session.commit()
    with pytest.raises(PermissionDenied):
        services.answer_request(act(chef), req, True)  # only the poster answers
    login(grower)
    page = text(client.get("/challenges/dsfc/teammates"))
    assert "Chloé Chef" in page and "chef@example.org" not in page


def test_an_agency_hides_a_reported_post_with_a_reason(challenge, world, client, login):
    spam = _post(challenge, person("CA"), "Cheap watches")
    reader = person("CA")
    login(reader)
    client.post(f"/challenges/dsfc/teammates/{spam.id}/report", data={"reason": "Spam."})
    assert events("board.reported")[-1].after == {"reason": "Spam."}
    client.post("/logout")
    login(world.admin_b)
    assert "Reported: Spam." in text(client.get("/challenges/dsfc/teammates"))
    with pytest.raises(DomainError, match="Give a reason"):
        services.hide_post(act(world.admin_b), spam, "")
    with pytest.raises(PermissionDenied):
        services.hide_post(act(person("CA")), spam, "Spam")
    services.hide_post(act(world.admin_b), spam, "Advertising.")
    db.session.commit()
    assert services.board(challenge) == []
    assert events("board.hidden")[-1].after["reason"] == "Advertising."


def test_a_post_needs_what_one_offers_and_a_country(challenge, world, client, login):
    login(person("CA"))
    page = text(
        client.post(
            "/challenges/dsfc/teammates/mine",
            data={"kind": "individual", "offers": "", "seeks": "x", "residence": "", "track": ""},
        ),
        400,
    )
    assert "Say what you offer." in page or "Select your country of residence." in page


def test_contacting_is_rate_limited(app, challenge, client, login):
    me = person("CA")
    _post(challenge, me, "Cooking")
    posts = [_post(challenge, person("CA"), f"Skill {i}") for i in range(3)]
    login(me)
    app.config["RATELIMIT_CONTACT"] = "2 per minute"
    try:
        codes = [
            client.post(
                f"/challenges/dsfc/teammates/{p.id}/contact", data={"message": "Hi"}
            ).status_code
            for p in posts
        ]
    finally:
        app.config["RATELIMIT_CONTACT"] = "10 per hour;30 per day"
    assert codes == [302, 302, 429]


def test_a_teams_post_brings_its_members_to_the_evaluator(challenge, world):
    """A team looking for members: the would-be team is its members plus the newcomer, so a
    member living in the U.S. keeps the team out of the Canada track (all must live in Canada)."""
    from tests.entries.conftest import new_team

    lead = person("CA", email="lead@example.org")
    abroad = person("US", email="abroad@example.org")
    new_team(lead, "CA", 30, name="Orbit", members=[(abroad, "US", 40)])
    team_post = services.save_post(
        act(lead),
        challenge,
        services.PostData("team", "A kitchen and a lab", "A grower", "CA", "", 30),
    )
    newcomer = _post(challenge, person("CA", email="new@example.org"), "Hydroponics")
    db.session.commit()
    tracks = tracks_with_rules(challenge)
    ca = challenge.tracks[0]

    def status(options):
        return {o.track_key.slug: o.decision.status for o in options}[ca.slug]

    assert status(services.together(team_post, newcomer, tracks)) == "not_eligible"
    alone = BoardPost(kind="individual", residence="CA", declared_age=30)
    assert status(services.together(alone, newcomer, tracks)) == "eligible"  # without the team
