"""Lessons learned: each partner writes its section, the lead publishes them to every partner,
and the next edition's set-up checklist shows them (issue 16, point 3)."""

from __future__ import annotations

from typing import Any

import pytest

from competitions.challenges.services import editions
from competitions.core.errors import DomainError, FieldErrors, NotFound
from competitions.core.extensions import db
from competitions.lessons import services
from competitions.lessons.models import LessonSection, Retrospective
from tests.entries.conftest import act, count, events, text


def data(keep: str = "", change: str = "", stop: str = "", figures: Any = ()) -> Any:
    return services.SectionData(keep, change, stop, list(figures))


def page(client: Any, slug: str = "dsfc") -> str:
    return text(client.get(f"/challenges/{slug}/lessons"))


def test_each_partner_writes_its_own_section_and_reads_only_it_until_published(
    world, challenge, client, login, switch
):
    services.save_section(
        act(world.admin_b), challenge, world.agency_b, data(keep="Joint webinars\nLocal test-bed")
    )
    services.save_section(
        act(world.staff_a), challenge, world.agency_a, data(change="Open registration earlier")
    )
    db.session.commit()
    login(world.admin_b)
    body = page(client)
    assert "Joint webinars" in body and "Local test-bed" in body
    assert "Open registration earlier" not in body  # the lead's section, not published yet
    switch(world.admin_a)  # the lead reads every section of the draft
    body = page(client)
    assert "Joint webinars" in body and "Open registration earlier" in body
    assert events("lessons.section_saved")[0].after["keep"] == 2


def test_nobody_writes_another_agency_s_section_or_outside_the_partners(world, challenge):
    with pytest.raises(NotFound):
        services.save_section(act(world.admin_b), challenge, world.agency_a, data(keep="x"))
    with pytest.raises(NotFound):
        services.save_section(act(world.innovator), challenge, world.agency_b, data(keep="x"))
    assert count(LessonSection) == 0


def test_bad_input_is_refused_with_a_message_per_field_and_nothing_is_saved(world, challenge):
    with pytest.raises(DomainError, match="at least one lesson"):
        services.save_section(act(world.admin_b), challenge, world.agency_b, data(keep="  \n "))
    with pytest.raises(FieldErrors) as caught:
        services.save_section(
            act(world.admin_b),
            challenge,
            world.agency_b,
            data(keep="x" * 5001, figures=["funnel", "secret"]),
        )
    assert set(caught.value.problems) == {"keep", "figures"}
    assert count(LessonSection) == 0 and count(Retrospective) == 0


def test_the_form_shows_errors_in_the_user_s_language(world, challenge, client, login):
    world.admin_b.preferred_language = "fr"
    db.session.commit()
    login(world.admin_b)
    response = client.post(
        "/challenges/dsfc/lessons/agencies/agency-b", data={"keep": "", "change": "", "stop": ""}
    )
    assert response.status_code == 400
    assert "Écrivez au moins une leçon" in response.get_data(as_text=True)


def test_publishing_tells_partner_admins_and_locks_sections_until_reopened(
    world, challenge, client, login, switch, mail
):
    services.save_section(
        act(world.admin_b), challenge, world.agency_b, data(stop="Paper forms", figures=["funnel"])
    )
    db.session.commit()
    login(world.admin_b)
    assert client.post("/challenges/dsfc/lessons/publish").status_code == 404  # not the lead
    switch(world.admin_a)
    client.post("/challenges/dsfc/lessons/publish")
    retro = services.retrospective_of(challenge)
    assert retro is not None and retro.is_published
    assert mail.wait_for(world.admin_b.email)[0]["Subject"].startswith("Lessons learned of")
    assert mail.wait_for(world.admin_a.email)
    with pytest.raises(DomainError, match="reopen"):
        services.save_section(act(world.admin_b), challenge, world.agency_b, data(stop="More"))
    # Published: every partner reads every section, with links to the figures.
    switch(world.staff_a)
    body = page(client)
    assert "Paper forms" in body and "/challenges/dsfc/insights#funnel" in body
    switch(world.admin_a)
    client.post("/challenges/dsfc/lessons/reopen")
    services.save_section(act(world.admin_b), challenge, world.agency_b, data(stop="More"))
    db.session.commit()
    assert [e.action for e in events("lessons.published")] == ["lessons.published"]
    assert len(events("lessons.reopened")) == 1


def test_publishing_nothing_is_refused(world, challenge):
    with pytest.raises(DomainError, match="nothing to publish"):
        services.publish(act(world.admin_a), challenge)


def test_the_next_edition_s_checklist_shows_the_published_lessons(world, challenge, client, login):
    services.save_section(
        act(world.admin_b), challenge, world.agency_b, data(keep="Joint webinars\nMentors")
    )
    services.publish(act(world.admin_a), challenge)
    nxt = editions.launch_next_edition(act(world.admin_a), challenge, "dsfc-2", 365)
    db.session.commit()
    login(world.admin_a)
    console = text(client.get(f"/challenges/{nxt.slug}/manage"))
    assert "Lessons learned of edition 1" in console
    assert "2 lessons from Agency B" in console
    assert '/challenges/dsfc/lessons"' in console
    # The lessons page of the first edition links to the next one, and back.
    assert "/challenges/dsfc-2/manage" in page(client)
    assert "/challenges/dsfc/lessons" in page(client, "dsfc-2")


def test_a_first_edition_has_no_such_step(world, challenge, client, login):
    login(world.admin_a)
    assert "Lessons learned of edition" not in text(client.get("/challenges/dsfc/manage"))
