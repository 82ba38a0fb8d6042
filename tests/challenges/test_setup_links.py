"""The set-up checklist's steps lead straight to the form where each is done."""

from __future__ import annotations

from competitions.challenges import setup
from competitions.challenges.services import timeline as timeline_services
from competitions.core.extensions import db
from tests.challenges.helpers import act, round_data


def _url(app, challenge, title):
    with app.test_request_context("/"):
        return next(s.url for s in setup.steps(challenge) if s.title == title)


def test_the_timeline_step_opens_the_round_form_until_there_is_a_round(app, draft, world):
    assert _url(app, draft, "Shared timeline") == f"/challenges/{draft.slug}/manage/rounds/new"
    timeline_services.save_round(act(world.admin_a), draft, None, round_data())
    db.session.commit()
    assert _url(app, draft, "Shared timeline") == f"/challenges/{draft.slug}/manage#timeline"


def test_while_a_partner_is_invited_the_lead_is_sent_on_to_its_own_track(app, draft, world, invite):
    with app.test_request_context("/"):
        assert setup.next_for(setup.steps(draft), world.admin_a).title == "Partner agencies"
    invite(act(world.admin_a), draft, world.admin_b.email)
    db.session.commit()
    with app.test_request_context("/"):
        steps = setup.steps(draft)
        partners = next(s for s in steps if s.title == "Partner agencies")
        assert partners.state is setup.State.TODO
        assert partners.who == "the invited agencies"
        assert partners.left == ["1 invitation waits for its agency's answer."]
        assert not partners.open_to(world.admin_a)
        assert setup.next_for(steps, world.admin_a).title.startswith("Track: ")
