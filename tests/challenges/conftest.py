"""Fixtures of the challenge tests: a draft led by agency A, with or without agency B's track."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from competitions.challenges import services
from competitions.challenges.models import Challenge, PartnerInvitation, Track
from competitions.challenges.services import partners as partner_services
from competitions.core.extensions import db
from tests.challenges.helpers import BASE_URL, act, token_for, utc

# Before the Deep Space Food Challenge timeline starts.
NOW = utc(2021, 1, 15, 12)

TEXTS = services.Texts(
    title={"en": "Deep Space Food Challenge", "fr": "Défi des aliments pour l'espace lointain"},
    summary={"en": "Feed astronauts on long missions.", "fr": "Nourrir les astronautes."},
    description={"en": "# Food for space\n\nRead the rules.", "fr": "# Aliments\n\nLisez."},
)


@pytest.fixture
def invite(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Callable[..., PartnerInvitation]:
    """``invite(actor, challenge, email)`` calls ``partner_services.invite_partner``.

    Until the partner-invitation page exists, its link is built by a stand-in URL builder
    (same shape, same token), so the service can be exercised end to end.
    """
    if "challenges.partner_invitation" not in app.view_functions:

        def fake_url(endpoint: str, **values: Any) -> str:
            assert endpoint == "challenges.partner_invitation"
            return f"{BASE_URL}/partner-invitations/{values['token']}"

        monkeypatch.setattr(services, "external_url", fake_url)
    return partner_services.invite_partner


@pytest.fixture
def draft(world: Any, clock: Any) -> Challenge:
    """A draft challenge led by agency A, with only agency A's track (committed)."""
    clock.set_now(NOW)
    challenge = services.create_challenge(
        act(world.admin_a), world.agency_a, "deep-space-food", TEXTS
    )
    db.session.commit()
    return challenge


@pytest.fixture
def challenge(draft: Challenge, world: Any, invite: Callable[..., Any]) -> Challenge:
    """The draft with agency B as a partner (invited, accepted, committed)."""
    inv = invite(act(world.admin_a), draft, world.admin_b.email)
    partner_services.accept_partner_invitation(
        act(world.admin_b), token_for(inv), world.agency_b.id
    )
    db.session.commit()
    return draft


@pytest.fixture
def track_a(challenge: Challenge, world: Any) -> Track:
    track = challenge.track_of(world.agency_a.id)
    assert track is not None
    return track


@pytest.fixture
def track_b(challenge: Challenge, world: Any) -> Track:
    track = challenge.track_of(world.agency_b.id)
    assert track is not None
    return track
