"""A demo of what comes after the award: one winner of the Resilient Cities Challenge piloting
in two cities at once, Berlin and Paris, each host measuring the same KPIs in its own words,
units and language — so that the comparison page, the public pilot pages and their Atom feed
can be tried after ``make run``.

The current Resilient Cities Challenge is still taking proposals, so the winner comes from its
**first edition** (``resilient-cities-2025``, linked as the current one's previous edition):
London leads, Berlin and Paris run tracks; Floodwise (the demo maker's company) won the Berlin
track, was awarded and paid; Berlin and Paris each offered it a pilot from their budget for
success; both run, with KPIs measured monthly, milestones signed off, updates posted, and the
public pages consented to by both sides.

Built as it would have happened, through the services, with the clock set to when each step
took place (as ``demo_judging`` does). Idempotent. Kept apart from ``demo_challenges`` so that
the demo's challenges and this story change independently.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from competitions.accounts.models import User
from competitions.awards import reserves
from competitions.awards import services as awards
from competitions.awards.models import Award
from competitions.challenges import services
from competitions.challenges.models import Challenge
from competitions.challenges.services import timeline as timeline_services
from competitions.challenges.services import tracks as track_services
from competitions.core import clock
from competitions.core.actor import Actor
from competitions.core.extensions import db
from competitions.core.i18n import current_language
from competitions.demo_challenges import _add_track, _admin, _agency, _city_track, _configure
from competitions.entries import registration, teams
from competitions.judging.models import Advancement
from competitions.pilots import consent
from competitions.pilots import services as pilots
from competitions.pilots.models import Pilot

SLUG = "resilient-cities-2025"
CURRENT = "resilient-cities"
MAKER = "maker@example.org"


@dataclass(frozen=True)
class KPISeed:
    name: str
    unit: str
    key: str
    baseline: str
    target: str
    monthly: tuple[str, ...]  # one measurement a month from the start


@dataclass(frozen=True)
class PilotSeed:
    city: str
    admin: str
    test_bed: str
    objectives: str
    host_people: str
    budget: str
    kpis: tuple[KPISeed, ...]
    updates: tuple[str, ...]


PILOTS = (
    PilotSeed(
        "berlin",
        "lead@berlin.example",
        "Spree-Überschwemmungsgebiet, Treptow-Köpenick",
        "Haushalte früher vor Flusshochwasser warnen.\n"
        "Jeden Haushalt im Überschwemmungsgebiet erreichen.",
        "Bernd Admin, Programmleitung\nKatastrophenschutzamt, Bereitschaftsdienst",
        "180000",
        (
            KPISeed(
                "Vorwarnzeit vor dem Hochwasser",
                "Stunden",
                "warning-lead-time",
                "2",
                "12",
                ("4", "7.5"),
            ),
            KPISeed(
                "Gewarnte Haushalte", "Haushalte", "households-warned", "0", "20000", ("6200",)
            ),
            KPISeed("Fehlalarme", "pro Monat", "false-alarms", "6", "1", ("4", "3")),
        ),
        (
            "Pegelmesser auf 14 km entlang der Spree angeschlossen; die ersten Warnungen "
            "erreichen das Katastrophenschutzamt.",
            "Anmeldung per SMS für die Haushalte des Überschwemmungsgebiets geöffnet.",
        ),
    ),
    PilotSeed(
        "paris",
        "lead@paris.example",
        "Berges de la Seine, 12e et 13e arrondissements",
        "Prévenir plus tôt les riverains des crues de la Seine.",
        "Pauline Admin, cheffe de projet\nDirection de la voirie, astreinte",
        "150000",
        (
            KPISeed(
                "Délai d'alerte avant la crue",
                "minutes",
                "warning-lead-time",
                "90",
                "600",
                ("150", "312.5"),
            ),
            KPISeed(
                "Foyers prévenus", "foyers", "households-warned", "0", "12000", ("2400", "5150.5")
            ),
        ),
        ("Sondes installées sur les berges ; premières alertes envoyées à l'astreinte.",),
    ),
)


def _user(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email_normalized == email))
    assert user is not None, email
    return user


def _publish(start: datetime) -> Challenge:
    """The first edition: London leads, Berlin and Paris run tracks; one round."""
    lead = _admin("lead@london.example")
    texts = services.Texts(
        {
            "en": "Resilient Cities Challenge — first edition",
            "fr": "Défi des villes résilientes — première édition",
            "de": "Resilient Cities Challenge — erste Ausgabe",
        },
        {
            "en": "Early flood warnings for riverside neighbourhoods.",
            "fr": "Alerter plus tôt les quartiers riverains des crues.",
            "de": "Frühere Hochwasserwarnungen für Wohnviertel am Fluss.",
        },
        {"en": "Berlin and Paris pilot the winners in their flood plains."},
    )
    challenge = services.create_challenge(lead, _agency("london"), SLUG, texts, "Europe/London")
    tracks = {
        "london": challenge.tracks[0],
        "berlin": _add_track(challenge, _agency("berlin"), 1),
        "paris": _add_track(challenge, _agency("paris"), 2),
    }
    for slug, track in tracks.items():
        track_services.mark_ready(_configure(track, _city_track(slug)), track, True)
    deadline = start + timedelta(days=40)
    instants: dict[str, datetime | None] = {
        "submission_opens": start,
        "submission_deadline": deadline,
        "judging_closes": deadline + timedelta(days=20),
        "results_at": deadline + timedelta(days=30),
    }
    data = timeline_services.RoundData(
        {"en": "Proposals", "fr": "Propositions", "de": "Vorschläge"}, instants
    )
    timeline_services.save_round(lead, challenge, None, data)
    services.publish(lead, challenge)
    return challenge


def _winner(challenge: Challenge) -> tuple[Actor, int]:
    """Floodwise (the demo maker's company) enters the Berlin track; returns its entry's id."""
    maker = Actor(_user(MAKER), via="cli")
    team = teams.create_team(
        maker, teams.TeamData("Floodwise", "business", "Floodwise GmbH", "DE"), "DE", 35
    )
    track = next(t for t in challenge.tracks if t.agency.slug == "berlin")
    terms = services.current_terms(track)
    assert terms is not None
    # Floodwise confirms every statement Berlin asks entrants to confirm.
    statements = track.attestations_in(current_language())
    entry = registration.register(maker, team, track, terms.id, list(range(len(statements))))
    return maker, entry.id


def _award(challenge: Challenge, entry_id: int) -> Award:
    berlin = _admin("lead@berlin.example")
    track = next(t for t in challenge.tracks if t.agency.slug == "berlin")
    round_ = challenge.rounds[0]
    db.session.add(
        Advancement(round_id=round_.id, entry_id=entry_id, advancing=True, method="manual", rank=1)
    )
    db.session.flush()
    prize = track.prizes[0]
    award = awards.record_award(
        berlin,
        track,
        awards.AwardData(f"{round_.id}:{entry_id}", prize.id, str(prize.amount), "EUR", []),
    )
    awards.approve(berlin, award)
    awards.mark_paid(berlin, award, clock.now().date(), "SEPA-2025-0117")
    return award


def _run(pilot: Pilot, seed: PilotSeed, maker: Actor, host: Actor, start: datetime) -> None:
    """KPIs measured monthly, the first milestones signed off, the team's updates."""
    kpis = [
        pilots.add_kpi(host, pilot, k.name, k.unit, k.baseline, k.target, k.key) for k in seed.kpis
    ]
    for month in range(1, 4):
        when = start + timedelta(days=30 * month)
        with clock.frozen_at(when):
            for kpi, kseed in zip(kpis, seed.kpis, strict=True):
                if month <= len(kseed.monthly):
                    pilots.record_measurement(
                        host, pilot, kpi.id, kseed.monthly[month - 1], when.date()
                    )
            if month <= len(seed.updates):
                pilots.post_update(maker, pilot, seed.updates[month - 1])
            if month <= 2:
                pilots.sign_off(host, pilot, pilot.milestones[month - 1].id)
    consent.set_public(host, pilot, "host", True)
    consent.set_public(maker, pilot, "team", True)


def seed_pilots() -> list[str]:
    if db.session.scalar(select(Challenge.id).where(Challenge.slug == SLUG)) is not None:
        return []
    start = clock.now().replace(minute=0, second=0, microsecond=0) - timedelta(days=200)
    with clock.frozen_at(start - timedelta(hours=1)):
        challenge = _publish(start)
    with clock.frozen_at(start + timedelta(days=10)):
        maker, entry_id = _winner(challenge)
    with clock.frozen_at(start + timedelta(days=75)):
        award = _award(challenge, entry_id)
    pilots_start = start + timedelta(days=90)
    for seed in PILOTS:
        host = _admin(seed.admin)
        track = next(t for t in challenge.tracks if t.agency.slug == seed.city)
        with clock.frozen_at(pilots_start - timedelta(days=10)):
            reserves.set_reserve(
                host,
                track,
                reserves.ReserveData(
                    "400000", track.prizes[0].currency, {"en": "Pilots of the winners."}, False
                ),
            )
            data = pilots.OfferData(
                host_agency_id=track.agency_id,
                test_bed=seed.test_bed,
                objectives=seed.objectives,
                host_people=seed.host_people,
                starts_on=pilots_start.date(),
                budget=seed.budget,
            )
            pilot = pilots.offer(host, award, data)
        with clock.frozen_at(pilots_start - timedelta(days=5)):
            pilots.decide(maker, pilot, True)
        _run(pilot, seed, maker, host, pilots_start)
    current = db.session.scalar(select(Challenge).where(Challenge.slug == CURRENT))
    if current is not None and current.previous_edition_id is None:
        current.previous_edition_id = challenge.id
        current.edition = challenge.edition + 1
    db.session.commit()
    return [f"challenge {SLUG} (one winner piloting in Berlin and Paris)"]
