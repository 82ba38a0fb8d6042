"""The daily digest of new answers: one email per person a day at most, whatever the number of
challenges, with a section per challenge, through the outbox and a real SMTP server; entrants
get the answers of their track and the shared ones, followers every answer; nothing when
nothing is new; each challenge's digest can be stopped from its section's link."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from competitions.core.extensions import db
from competitions.outreach.models import Subscription
from competitions.questions import answers, corrections, digest
from competitions.questions.models import DigestRun
from tests.entries.conftest import NOW, build, new_team, person, register
from tests.questions.conftest import act, ask, draft, events


def _follower(challenge, email: str, lang: str) -> None:
    db.session.add(
        Subscription(
            challenge=challenge,
            email=email,
            email_normalized=email,
            language=lang,
            status="active",
            nonce=email,
        )
    )
    db.session.commit()


def _publish(challenge, user, asker, scope: str, body: str) -> None:
    question = ask(challenge, asker, scope, body)
    draft(question, user, scope)
    answers.publish(act(user), question)
    db.session.commit()


def test_a_digest_a_day_to_entrants_and_followers(challenge, world, asker, clock, mail):
    ca, us = challenge.tracks
    claire = person("CA", email="claire@example.org", preferred_language="fr")
    register(new_team(claire, "CA", 30, name="Maple"), ca)
    uma = person("US", email="uma@example.org")
    register(new_team(uma, "US", 30, name="Oak"), us)
    _follower(challenge, "fan@example.org", "en")
    _publish(challenge, world.staff_a, asker, ca.slug, "Is the Canada prize taxable income?")
    _publish(challenge, world.admin_b, asker, us.slug, "Is the US prize paid in dollars?")
    mail.clear()

    clock.set_now(NOW.replace(hour=10))
    assert digest.run_due() == 0  # before the digest hour
    clock.set_now(NOW.replace(hour=16, minute=5))
    assert digest.run_due() == 3  # Claire, Uma (each her own track's) and the follower
    (fr,) = mail.to("claire@example.org")
    assert "Nouvelles réponses" in str(fr["Subject"])
    assert "Oui, par le volet américain." in mail.text(fr)
    assert fr["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail.text(fr).count("Oui, par le volet américain.") == 1  # not the US answer
    (fan,) = mail.to("fan@example.org")
    assert mail.text(fan).count("Yes, through the U.S. track.") == 2  # both tracks'

    _publish(challenge, world.admin_b, asker, us.slug, "Do US teams need a tax number?")
    mail.clear()
    clock.set_now(NOW.replace(hour=22))
    assert digest.run_due() == 0  # one digest a day
    clock.set_now(NOW.replace(hour=16) + timedelta(days=1))
    assert digest.run_due() == 2  # Uma and the follower: only what is new
    assert len(mail.to("uma@example.org")) == 1 and mail.to("claire@example.org") == []
    assert len(mail.to("fan@example.org")) == 1
    clock.set_now(NOW.replace(hour=16) + timedelta(days=2))
    assert digest.run_due() == 0  # nothing new: no email
    assert len(mail.messages) == 2


def test_one_email_a_day_for_every_challenge_a_person_follows(
    challenge, world, asker, clock, mail, client
):
    """Following two challenges with new answers: exactly one email, a section each, each
    with its own stop link; running the day's task again sends nothing more."""
    other = build(world, "lunar")
    _follower(challenge, "fan@example.org", "fr")
    _follower(other, "fan@example.org", "fr")
    claire = person("CA", email="claire@example.org", preferred_language="fr")
    register(new_team(claire, "CA", 30, name="Maple"), other.tracks[0])
    _publish(challenge, world.staff_a, asker, challenge.tracks[0].slug, "Is the prize taxable?")
    _publish(other, world.admin_b, asker, "agency-b", "Is the US prize paid in dollars?")
    mail.clear()

    clock.set_now(NOW.replace(hour=16, minute=5))
    assert digest.run_due() == 1  # the follower of both (not Claire: not her track's answer)
    (fan,) = mail.to("fan@example.org")
    body = mail.text(fan)
    assert "Nouvelles réponses aux questions sur 2 défis" in str(fan["Subject"])  # her language
    assert body.count("== Alimentation spatiale ==") == 2  # a section per challenge
    assert "/challenges/dsfc/questions" in body and "/challenges/lunar/questions" in body
    stops = [w for w in body.split() if "/questions/digest/" in w]
    assert len(stops) == 3  # each section's own, and the one for all in the header too
    assert fan["List-Unsubscribe"].strip("<>") == stops[-1]
    assert fan["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail.to("claire@example.org") == []  # an entrant of lunar's other track

    # The daily task again, the same day (a retried task, a second beat): nothing more.
    assert digest.run_due() == 0
    db.session.query(DigestRun).delete()  # even without the day's run, the outbox refuses it
    db.session.commit()
    _publish(challenge, world.staff_a, asker, challenge.tracks[0].slug, "Is the prize in CAD?")
    mail.clear()
    digest.run_due()
    assert mail.to("fan@example.org") == []

    # The first section's link stops that challenge's digest only (GET asks, POST stops).
    first = urlsplit(stops[0]).path
    assert "Arrêter le résumé" in client.get(first, headers={"Accept-Language": "fr"}).text
    assert client.post(first, data={"List-Unsubscribe": "One-Click"}).status_code == 204
    assert events("subscription.qa_digest_stopped")
    assert "Receive the digest again" in client.get(first).text
    client.post(first, data={"again": "1"})  # changed their mind, then stopped it again
    assert events("subscription.qa_digest_resumed")
    assert "Stop the digest" in client.get(first).text
    client.post(first)
    _publish(challenge, world.staff_a, asker, challenge.tracks[0].slug, "Is the prize in USD?")
    _publish(other, world.admin_b, asker, "agency-b", "Do US teams need a tax number?")
    mail.clear()
    clock.set_now(NOW.replace(hour=16) + timedelta(days=1))
    assert digest.run_due() >= 1
    (fan,) = mail.to("fan@example.org")
    assert "/challenges/lunar/questions" in mail.text(fan)
    assert "/challenges/dsfc/questions" not in mail.text(fan)
    assert "Alimentation spatiale" in str(fan["Subject"])  # one challenge left


def test_the_digest_tells_a_correction(challenge, world, asker, clock, mail):
    _follower(challenge, "fan@example.org", "en")
    _publish(challenge, world.staff_a, asker, challenge.tracks[0].slug, "Is the prize taxable?")
    clock.set_now(NOW.replace(hour=16, minute=5))
    assert digest.run_due() == 1
    question = challenge_question(challenge)
    clock.set_now(NOW.replace(hour=18))
    corrections.correct(
        act(world.staff_a),
        question,
        answers.AnswerDraft(
            "",
            {"en": "Eligibility", "fr": "Admissibilité"},
            dict(question.answer.question_text),
            {"en": "No: only through the Canada track.", "fr": "Non : par le volet canadien."},
            False,
        ),
        "The U.S. track does not take Canadian companies.",
    )
    db.session.commit()
    mail.clear()
    clock.set_now(NOW.replace(hour=16) + timedelta(days=1))
    assert digest.run_due() == 1
    (fan,) = mail.to("fan@example.org")
    assert "Corrected on" in mail.text(fan)
    assert "No: only through the Canada track." in mail.text(fan)


def challenge_question(challenge):
    from competitions.questions.models import Question

    return db.session.query(Question).filter_by(challenge_id=challenge.id).one()
