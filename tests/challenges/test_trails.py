"""Breadcrumb trails of challenges: in the page's language, through the viewer's own agency,
linking only what the viewer may open (every page's trail is checked in test_breadcrumbs.py)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import force_locale

from competitions.challenges import services
from competitions.challenges.trails import challenge_trail, manage_trail
from competitions.core.actor import Actor
from tests.factories import World


def _bilingual(world: World) -> Any:
    challenge = services.create_challenge(
        Actor(world.admin_a),
        world.agency_a,
        "bilingual",
        services.Texts({"en": "Space food", "fr": "Nourriture spatiale"}, {}, {}),
    )
    partner = services.new_track(challenge, world.agency_b, 1)
    partner.name = {"en": "Partner track", "fr": "Volet partenaire"}
    return challenge, partner


def test_labels_are_in_the_page_language(app: Flask, world: World) -> None:
    challenge, partner = _bilingual(world)
    with app.test_request_context(), force_locale("fr"):
        trail = challenge_trail(world.admin_b, challenge, partner)
    assert trail == [
        ("Accueil", "/"),
        ("Défis", "/challenges/"),
        ("Nourriture spatiale", "/challenges/bilingual"),
        ("Volet partenaire", f"/challenges/bilingual/tracks/{partner.slug}"),
    ]


def test_a_partner_walks_through_its_own_agency(app: Flask, world: World) -> None:
    challenge, partner = _bilingual(world)
    with app.test_request_context():
        assert manage_trail(world.admin_b, challenge, partner)[2:] == [
            ("Agency B", "/agencies/agency-b/console"),
            ("Challenges", "/agencies/agency-b/challenges"),
            ("Space food", "/challenges/bilingual/manage"),
            ("Partner track", f"/challenges/bilingual/tracks/{partner.slug}/manage"),
        ]
        # The lead agency's staff: through agency A; agency B's track is only shown to them.
        assert manage_trail(world.staff_a, challenge, partner)[2:] == [
            ("Agency A", "/agencies/agency-a/console"),
            ("Challenges", "/agencies/agency-a/challenges"),
            ("Space food", "/challenges/bilingual/manage"),
            ("Partner track", f"/challenges/bilingual/tracks/{partner.slug}"),
        ]


def test_what_the_viewer_may_not_open_is_not_linked(app: Flask, world: World) -> None:
    challenge, _partner = _bilingual(world)  # a draft: the public does not see it
    with app.test_request_context():
        assert manage_trail(world.innovator, challenge)[2:] == [
            ("Agency A", "/agencies/agency-a"),  # the public page, not the console
            ("Challenges", None),
            ("Space food", None),
        ]
        assert challenge_trail(world.innovator, challenge)[-1] == ("Space food", None)
