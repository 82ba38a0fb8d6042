"""Awards: recorded from released results by the track's agency, their prize conditions
satisfied with evidence sent through the eligibility documents, approved, paid; every change
audited, the winners told in their language and shown what is left to do."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from competitions.awards import services
from competitions.awards.models import Award, AwardCondition
from competitions.core.errors import DomainError, NotFound
from competitions.core.extensions import db
from competitions.entries import documents
from tests.awards.conftest import CONDITION, RESULTS_OUT, key, record
from tests.entries.conftest import act, events, follow, text
from tests.factories import PASSWORD

PDF = b"%PDF-1.4\n% certificate of incorporation\n%%EOF\n"


def _send_evidence(user, entry, condition):
    doc = documents.upload(
        act(user), entry, condition.requirement_id, "team", io.BytesIO(PDF), "incorporation.pdf"
    )
    db.session.commit()
    return doc


def test_from_award_to_payment_with_a_prize_condition(world, winner, prize, mail):
    award = record(world, winner, prize)
    assert award.status == "pending_conditions" and award.open_conditions == 1
    (condition,) = award.conditions
    assert condition.text == CONDITION
    # The winners are told, each in their language, through the outbox.
    english = mail.text(mail.wait_for(world.innovator.email)[-1])
    assert "Phase 1 winner" in english and "Form a legal entity in Canada" in english
    assert f"/awards/{award.id}" in english
    french = mail.text(mail.wait_for("mate@example.org")[-1])
    assert "Constituer une personne morale" in french
    # The condition's evidence is a slot of the entry's eligibility documents.
    slot = next(
        s for s in documents.slots_for(winner) if s.requirement.id == condition.requirement_id
    )
    assert slot.status == "missing" and slot.requirement.entry_id == winner.id
    with pytest.raises(DomainError, match="not satisfied"):
        services.approve(act(world.admin_a), award)
    db.session.rollback()

    doc = _send_evidence(world.innovator, winner, condition)
    documents.review(act(world.admin_a), doc, "verified", "")
    db.session.commit()
    db.session.refresh(award)
    assert award.open_conditions == 0 and award.conditions[0].is_satisfied
    assert award.conditions[0].evidence_id == doc.id
    reviewed = mail.text(mail.wait_for("mate@example.org")[-1])
    assert "satisfaite" in reviewed

    services.approve(act(world.admin_a), award)
    db.session.commit()
    # Settled: the evidence slot leaves the entry's documents; nothing more can be sent.
    assert condition.requirement_id not in {s.requirement.id for s in documents.slots_for(winner)}
    with pytest.raises(NotFound):
        _send_evidence(world.innovator, winner, condition)
    db.session.rollback()
    assert services.evidence_of(award)[condition.id].id == doc.id
    with pytest.raises(DomainError, match="reference"):
        services.mark_paid(act(world.admin_a), award, RESULTS_OUT.date(), "  ")
    db.session.rollback()
    with pytest.raises(DomainError, match="future"):
        services.mark_paid(act(world.admin_a), award, RESULTS_OUT.date() + timedelta(days=9), "X")
    db.session.rollback()
    services.mark_paid(act(world.admin_a), award, RESULTS_OUT.date(), "EFT-2027-0042")
    db.session.commit()
    assert award.status == "paid" and award.payment_reference == "EFT-2027-0042"
    actions = [e.action for e in services.history(award)]
    assert actions == [
        "award.recorded",
        "award.condition_satisfied",
        "award.approved",
        "award.paid",
    ]
    with pytest.raises(DomainError, match="already paid"):
        services.mark_paid(act(world.admin_a), award, RESULTS_OUT.date(), "again")


def test_rejected_evidence_keeps_the_condition_open_and_tells_the_team(world, winner, prize, mail):
    award = record(world, winner, prize)
    condition = award.conditions[0]
    doc = _send_evidence(world.innovator, winner, condition)
    documents.review(act(world.admin_a), doc, "verified", "")
    db.session.commit()
    documents.review(act(world.admin_a), doc, "rejected", "Not a Canadian registry.")
    db.session.commit()
    db.session.refresh(award)
    assert award.open_conditions == 1 and not award.conditions[0].is_satisfied
    body = mail.text(mail.wait_for(world.innovator.email)[-1])
    assert "Not a Canadian registry." in body
    assert [e.action for e in events("award.evidence_rejected")]


def test_evidence_is_settled_once_the_award_is_approved(world, winner, prize):
    award = record(world, winner, prize)
    doc = _send_evidence(world.innovator, winner, award.conditions[0])
    documents.review(act(world.admin_a), doc, "verified", "")
    services.approve(act(world.admin_a), award)
    db.session.commit()
    with pytest.raises(DomainError, match="already approved"):
        documents.review(act(world.admin_a), doc, "rejected", "Changed our mind.")
    db.session.rollback()


def test_the_database_refuses_approval_with_open_conditions_and_payment_without_reference(
    world, winner, prize
):
    award = record(world, winner, prize)
    with pytest.raises(IntegrityError):
        db.session.execute(
            update(Award)
            .where(Award.id == award.id)
            .values(status="approved", approved_at=RESULTS_OUT)
        )
        db.session.flush()
    db.session.rollback()
    award = record(world, winner, prize, conditions=[]) if False else award
    db.session.execute(
        update(Award)
        .where(Award.id == award.id)
        .values(status="approved", approved_at=RESULTS_OUT, open_conditions=0)
    )
    db.session.flush()
    with pytest.raises(IntegrityError):
        db.session.execute(
            update(Award)
            .where(Award.id == award.id)
            .values(status="paid", paid_on=date(2027, 9, 20))
        )
        db.session.flush()
    db.session.rollback()
    with pytest.raises(IntegrityError):
        db.session.execute(update(AwardCondition).values(status="satisfied"))
        db.session.flush()
    db.session.rollback()


def test_only_winners_of_released_results_with_prize_eligibility_are_awarded(
    world, winner, prize, ca_track, clock
):
    admin = act(world.admin_a)
    clock.set_now(RESULTS_OUT - timedelta(days=2))  # not out yet
    assert services.released_winners(ca_track) == []
    with pytest.raises(DomainError, match="released results"):
        services.record_award(
            admin, ca_track, services.AwardData(key(winner), prize.id, "1", "CAD")
        )
    db.session.rollback()
    clock.set_now(RESULTS_OUT)
    data = services.AwardData(key(winner), prize.id, "12,5x", "CAD")
    with pytest.raises(DomainError, match="amount"):
        services.record_award(admin, ca_track, data)
    db.session.rollback()
    with pytest.raises(DomainError, match="ISO 4217"):
        services.record_award(
            admin, ca_track, services.AwardData(key(winner), prize.id, "10", "XYZ")
        )
    db.session.rollback()
    winner.override, winner.override_reason, winner.override_at = (
        "recognition_only",
        "Lives abroad.",
        RESULTS_OUT,
    )
    db.session.commit()
    with pytest.raises(DomainError, match="recognition only"):
        services.record_award(
            admin, ca_track, services.AwardData(key(winner), prize.id, "10", "CAD")
        )
    db.session.rollback()
    winner.override = winner.override_reason = winner.override_at = None
    db.session.commit()
    record(world, winner, prize, conditions=[])
    with pytest.raises(DomainError, match="already has this prize"):
        record(world, winner, prize, conditions=[])
    db.session.rollback()


def test_another_agency_neither_records_nor_sees_an_award(world, winner, prize, client, login):
    with pytest.raises(NotFound):
        services.record_award(
            act(world.admin_b),
            winner.track,
            services.AwardData(key(winner), prize.id, "30000", "CAD", [0]),
        )
    db.session.rollback()
    award = record(world, winner, prize)
    login(world.admin_b)
    assert client.get(f"/awards/{award.id}").status_code == 404
    slug = winner.track.challenge.slug
    assert client.get(f"/challenges/{slug}/tracks/{winner.track.slug}/awards").status_code == 404
    assert client.post(f"/awards/{award.id}/approve").status_code == 404


def test_the_agency_records_an_award_through_its_pages(world, winner, prize, client, login):
    login(world.admin_a)
    slug, track_slug = winner.track.challenge.slug, winner.track.slug
    page = text(client.get(f"/challenges/{slug}/tracks/{track_slug}/awards"))
    assert "Maple" in page and "Record an award" in page
    form = text(
        client.get(f"/challenges/{slug}/tracks/{track_slug}/awards/new?winner={key(winner)}")
    )
    assert "Form a legal entity in Canada" in form
    bad = client.post(
        f"/challenges/{slug}/tracks/{track_slug}/awards/new",
        data={"winner": key(winner), "prize": str(prize.id), "amount": "-5", "currency": "CAD"},
    )
    assert "Enter an amount from 0.01" in text(bad, 400)
    done = client.post(
        f"/challenges/{slug}/tracks/{track_slug}/awards/new",
        data={
            "winner": key(winner),
            "prize": str(prize.id),
            "amount": "30000",
            "currency": "CAD",
            "conditions": ["0"],
        },
    )
    page = follow(client, done)
    assert "The award is recorded" in page and "Not sent yet" in page
    award = db.session.query(Award).one()
    # Payment before approval, and a payment form without a reference, are refused clearly.
    response = client.post(f"/awards/{award.id}/payment", data={"paid_on": "2027-09-20"})
    assert "Approve the award before recording its payment." in text(response, 400)


def test_the_winners_see_what_is_left_on_their_entry_team_and_home(
    world, winner, prize, client, login
):
    award = record(world, winner, prize)
    login(world.innovator)
    for url in (f"/entries/{winner.id}", f"/teams/{winner.team_id}", "/"):
        page = text(client.get(url))
        assert f"/awards/{award.id}" in page, url
    title = winner.track.challenge.title_in("en")
    line = f'href="/awards/{award.id}">Phase 1 winner — Maple</a> ({title})'
    assert line + " — 1 prize condition to satisfy" in page
    assert "Form a legal entity in Canada" in text(client.get(f"/entries/{winner.id}"))
    page = text(client.get(f"/awards/{award.id}"))
    assert "Left for your team to do" in page and "Send the evidence" in page
    assert "History" not in page  # the agency's audit trail is the agency's


def test_the_track_states_several_prize_conditions_with_its_rules(
    world, winner, prize, client, login
):
    track = winner.track
    login(world.admin_a)
    url = f"/challenges/{track.challenge.slug}/tracks/{track.slug}/manage/rules"
    form = text(client.get(url))
    assert "Form a legal entity in Canada" in form and "Second prize condition" in form
    response = client.post(
        url,
        data={
            "allowed_countries": "CA",
            "entrant_types": ["individual", "team", "business"],
            "team_min": "1",
            "minimum_age": "18",
            "member_policy": "all",
            "exclusive": "y",
            "condition_en": CONDITION["en"],
            "condition_fr": CONDITION["fr"],
            "condition_types": "team",
            "condition2_en": "Open a bank account in Canada.",
        },
    )
    assert response.status_code == 302, text(response)[:3000]
    db.session.refresh(track)
    assert [c["text"]["en"] for c in track.rules["prize_conditions"]] == [
        CONDITION["en"],
        "Open a bank account in Canada.",
    ]
    assert services.applicable_indexes(track, winner) == [0, 1]
    award = record(world, winner, prize, conditions=[0, 1])
    assert award.open_conditions == 2 and len(award.conditions) == 2


def _more_winners(world, challenge, track, prize, n, clock, first=0):
    from competitions.judging.models import Advancement
    from tests.entries.conftest import NOW, new_team, person, register

    prize.count = 10
    for i in range(first, first + n):
        lead = person("CA", email=f"lead{i}@example.org")
        clock.set_now(NOW)  # registration was open then
        entry = register(new_team(lead, "CA", 30, name=f"Team {i}"), track)
        clock.set_now(RESULTS_OUT)
        db.session.add(
            Advancement(
                round_id=challenge.rounds[0].id,
                entry_id=entry.id,
                advancing=True,
                method="manual",
                rank=i + 2,
            )
        )
        db.session.commit()
        record(world, entry, prize)


def test_the_awards_list_costs_the_same_queries_for_more_awards(
    world, winner, prize, client, login, count_queries, clock
):
    track, challenge = winner.track, winner.track.challenge
    url = f"/challenges/{challenge.slug}/tracks/{track.slug}/awards"
    _more_winners(world, challenge, track, prize, 1, clock)
    login(world.admin_a)
    with count_queries() as few:
        assert client.get(url).status_code == 200
    _more_winners(world, challenge, track, prize, 3, clock, first=1)
    with count_queries() as more:
        page = text(client.get(url))
    assert "Team 3" in page
    assert more.count == few.count, (few.count, more.count)
    assert few.count < 40, few.statements


def test_a_french_speaking_winner_reads_the_award_in_french(world, winner, prize, client):
    award = record(world, winner, prize)
    mate = next(m.user for m in winner.team.members if m.user.email == "mate@example.org")
    client.post("/login", data={"email": mate.email, "password": PASSWORD})
    page = text(client.get(f"/awards/{award.id}"))
    assert "Conditions pour recevoir un prix" in page
    assert "Constituer une personne morale au Canada" in page
    assert "Il reste à votre équipe" in page and "Envoyer le justificatif" in page
    assert "Conditions en attente" in page


def test_the_home_page_lists_a_winning_team_s_awards_to_complete_for_its_members_only(
    world, winner, prize, client, login, switch
):
    award = record(world, winner, prize)
    login(world.innovator)
    page = text(client.get("/"))
    assert "Your awards" in page and f'href="/awards/{award.id}"' in page
    assert "1 prize condition to satisfy" in page
    switch(world.admin_a)  # not on the team: no line, whatever the awards of others
    assert "Your awards" not in text(client.get("/"))
