"""The daily digest of new answers: one email per person and challenge a day at most, through
the outbox and a real SMTP server; entrants get the answers of their track and the shared ones,
followers every answer; nothing when nothing is new."""

from __future__ import annotations

from datetime import timedelta

from competitions.core.extensions import db
from competitions.outreach.models import Subscription
from competitions.questions import answers, digest
from tests.entries.conftest import NOW, new_team, person, register
from tests.questions.conftest import act, ask, draft


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
