"""An agency's "require two-step sign-in" setting (``accounts.mfa``, installed by
``agencies.mfa_requirement`` and ``judging.mfa_requirement``): its members and the judges of its
challenges and tracks must enrol before any other signed-in page; an innovator need not."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pyotp

from competitions.accounts import mfa
from competitions.core import clock
from competitions.core.extensions import db
from tests.agencies.test_agency_admin import settings_form
from tests.judging.conftest import events, seat

SETUP = "/account/two-step/setup"


def _require(agency, on: bool = True) -> None:
    agency.require_mfa = on
    db.session.commit()


def _sent_to_enrol(client, path: str = "/account") -> bool:
    response = client.get(path)
    if response.status_code == 302 and urlsplit(response.headers["Location"]).path == SETUP:
        return True
    assert response.status_code == 200, response.status_code
    return False


def test_an_agency_admin_turns_the_requirement_on(client, world, login, now):
    login(world.admin_a)
    response = client.post(
        "/agencies/agency-a/settings", data=settings_form(world.agency_a, require_mfa="y")
    )
    assert response.status_code == 302
    assert world.agency_a.require_mfa is True
    assert events("agency.updated")[-1].after["require_mfa"] is True
    clock.advance(timedelta(minutes=1))  # the requirement is read again within a minute
    assert _sent_to_enrol(client)


def test_a_member_must_enrol_right_after_sign_in(client, world, login, now):
    _require(world.agency_a)
    login(world.staff_a)
    assert _sent_to_enrol(client, "/account")
    assert _sent_to_enrol(client, "/agencies/agency-a/console")
    assert client.get("/account/two-step").status_code == 200
    page = client.get(SETUP).get_data(as_text=True)
    secret = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', page).group(1)
    code = pyotp.TOTP(secret.replace(" ", "")).at(clock.now())
    assert client.post(SETUP, data={"code": code}).status_code == 200
    assert not _sent_to_enrol(client, "/account")
    assert client.post("/logout").status_code == 302


def test_sign_out_still_works_for_someone_who_must_enrol(client, world, login, now):
    _require(world.agency_a)
    login(world.staff_a)
    assert client.post("/logout").status_code == 302
    assert urlsplit(client.get("/account").headers["Location"]).path == "/login"


def test_a_member_of_another_agency_and_an_innovator_are_not_asked(client, world, login, now):
    _require(world.agency_a)
    login(world.admin_b)
    assert not _sent_to_enrol(client)
    client.post("/logout")
    login(world.innovator)
    assert not _sent_to_enrol(client)
    assert not mfa.required(world.innovator)


def test_a_judge_on_a_track_panel_answers_to_that_tracks_agency(
    client, world, login, challenge, ca_track, us_track
):
    judge = seat(world, challenge, us_track).user
    _require(world.agency_a)  # the lead agency, but not the US track's
    assert not mfa.required(judge)
    _require(world.agency_b)
    assert mfa.required(judge)
    login(judge)
    assert _sent_to_enrol(client, "/judging")


def test_a_judge_on_the_shared_panel_answers_to_every_agency_of_the_challenge(
    world, challenge, ca_track, us_track
):
    judge = seat(world, challenge, None).user
    assert not mfa.required(judge)
    _require(world.agency_b)  # a partner with a track, not the lead
    assert mfa.required(judge)
    _require(world.agency_b, False)
    _require(world.agency_a)  # the lead
    assert mfa.required(judge)


def test_a_removed_judge_is_no_longer_asked(world, challenge, us_track):
    judge = seat(world, challenge, us_track)
    _require(world.agency_b)
    judge.removed_at = clock.now()
    db.session.commit()
    assert not mfa.required(judge.user)
