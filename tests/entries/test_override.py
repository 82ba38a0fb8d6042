"""Track admins (and platform admins) override an entry's eligibility, with a reason."""

from __future__ import annotations

import pytest

from competitions.core.errors import DomainError, NotFound
from competitions.core.extensions import db
from competitions.entries import decisions
from tests.entries.conftest import act, events, follow, new_team, person, register, text

REASON = "Proof of residence was not provided."


@pytest.fixture
def entry(world, ca_track):
    team = new_team(world.innovator, "CA", 30, name="Maple")
    return register(team, ca_track)


def decide(client, entry, decision="not_eligible", reason=REASON):
    return client.post(
        f"/entries/{entry.id}/eligibility", data={"decision": decision, "reason": reason}
    )


def test_a_track_admin_marks_an_entry_ineligible_with_a_reason(client, world, login, entry):
    login(world.admin_a)
    page = text(client.get(f"/entries/{entry.id}"))
    assert "Record the decision" in page
    response = decide(client, entry)
    page = follow(client, response)
    assert "The eligibility decision was recorded." in page
    assert f"Not eligible (decided by the track: {REASON})" in page
    db.session.refresh(entry)
    assert (entry.override, entry.override_reason) == ("not_eligible", REASON)
    assert entry.override_by_id == world.admin_a.id and entry.override_at is not None
    assert entry.eligibility == "eligible"  # the evaluator's decision is kept
    assert entry.effective_eligibility == "not_eligible"
    event = events("entry.eligibility_decided")[-1]
    assert event.actor_id == world.admin_a.id
    assert event.agency_id == world.agency_a.id
    assert event.role == "agency_admin"
    assert event.object_id == str(entry.id)
    assert event.before == {"override": None, "reason": None}
    assert event.after == {"override": "not_eligible", "reason": REASON}
    # The team sees the decision and its reason, without the form.
    client.post("/logout")
    login(world.innovator)
    team_view = text(client.get(f"/entries/{entry.id}"))
    assert f"Not eligible (decided by the track: {REASON})" in team_view
    assert "Record the decision" not in team_view


def test_a_platform_admin_may_decide(client, world, login, entry):
    login(world.platform_admin)
    follow(client, decide(client, entry, "recognition_only", "Prize money not allowed."))
    db.session.refresh(entry)
    assert entry.effective_eligibility == "recognition_only"
    assert events("entry.eligibility_decided")[-1].role == "platform_admin"


@pytest.mark.parametrize("who", ["staff_a", "admin_b", "innovator"])
def test_others_get_404(client, world, login, entry, who):
    user = getattr(world, who)
    login(user)
    assert decide(client, entry).status_code == 404
    db.session.refresh(entry)
    assert entry.override is None
    assert events("entry.eligibility_decided") == []
    with pytest.raises(NotFound):
        decisions.decide_eligibility(act(user), entry, "not_eligible", REASON)


def test_agency_staff_see_the_entry_but_not_the_decision_form(client, world, login, entry):
    login(world.staff_a)
    page = text(client.get(f"/entries/{entry.id}"))
    assert "Entry of Maple in Canada track" in page
    assert "Record the decision" not in page
    client.post("/logout")
    login(world.admin_b)
    assert client.get(f"/entries/{entry.id}").status_code == 404


def test_an_empty_reason_is_refused(client, world, login, entry):
    login(world.admin_a)
    page = follow(client, decide(client, entry, reason="   "))
    assert "Give the reason for this decision." in page
    db.session.refresh(entry)
    assert entry.override is None
    with pytest.raises(DomainError) as err:
        decisions.decide_eligibility(act(world.admin_a), entry, "not_eligible", " \n ")
    assert err.value.field == "reason"
    with pytest.raises(DomainError) as err:
        decisions.decide_eligibility(act(world.admin_a), entry, "maybe", REASON)
    assert err.value.field == "decision"
    assert events("entry.eligibility_decided") == []


def test_clearing_the_override_goes_back_to_the_rules(world, entry):
    admin = act(world.admin_a)
    decisions.decide_eligibility(admin, entry, "not_eligible", REASON)
    db.session.commit()
    decisions.decide_eligibility(admin, entry, "", "Document received.")
    db.session.commit()
    assert (entry.override, entry.override_reason, entry.override_at) == (None, None, None)
    assert entry.effective_eligibility == "eligible"
    assert events("entry.eligibility_decided")[-1].after == {
        "override": None,
        "reason": "Document received.",
    }


def test_an_entry_in_the_other_track_belongs_to_the_other_agency(client, world, login, us_track):
    team = new_team(person("US"), "US", 30, name="Stars")
    entry = register(team, us_track)
    login(world.admin_a)
    assert client.get(f"/entries/{entry.id}").status_code == 404
    assert decide(client, entry).status_code == 404
    client.post("/logout")
    login(world.admin_b)
    follow(client, decide(client, entry))
    db.session.refresh(entry)
    assert entry.override == "not_eligible"
    assert events("entry.eligibility_decided")[-1].agency_id == world.agency_b.id
