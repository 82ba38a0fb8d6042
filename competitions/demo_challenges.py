"""Demo challenges shaped like the two real cases in DESIGN.md (idempotent)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from competitions.accounts.models import User
from competitions.agencies.models import Agency
from competitions.challenges import services
from competitions.challenges.models import Challenge, Track
from competitions.challenges.services import timeline as timeline_services
from competitions.challenges.services import tracks as track_services
from competitions.core import clock
from competitions.core.actor import Actor
from competitions.core.extensions import db
from competitions.entries import documents

# Phase 1 of the Deep Space Food Challenge closed on 30 July 2021, 17:00 Central Time.
DSFC_PHASE1 = datetime(2021, 7, 30, 17, 0, tzinfo=ZoneInfo("America/Chicago"))


def _next_anniversary(anchor: datetime, min_days_ahead: int = 14) -> datetime:
    """The same local date and time in the first year that is far enough in the future."""
    year = clock.now().year
    while True:
        moved = anchor.replace(year=year)
        if moved > clock.now() + timedelta(days=min_days_ahead):
            return moved
        year += 1


def _local(year: int, month: int, day: int, hour: int, zone: str) -> datetime:
    return datetime(year, month, day, hour, 0, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _agency(slug: str) -> Agency:
    agency = db.session.scalar(select(Agency).where(Agency.slug == slug))
    assert agency is not None, f"seed the agencies first ({slug})"
    return agency


def _admin(email: str) -> Actor:
    user = db.session.scalar(select(User).where(User.email_normalized == email))
    assert user is not None, email
    return Actor(user, via="cli")


def _add_track(challenge: Challenge, agency: Agency, position: int) -> Track:
    track = services.new_track(challenge, agency, position)
    db.session.flush()
    return track


@dataclass(frozen=True)
class TrackSeed:
    """What an agency's admin sets on its track: its name, languages, contact and time zone,
    the rules, prizes (label, amount, count) in one currency, and the terms."""

    admin: str
    name: dict[str, str]
    languages: list[str]
    contact_email: str
    timezone: str
    rules: dict[str, Any]
    prizes: list[tuple[dict[str, str], str, int]]
    currency: str
    terms: dict[str, str]
    description: dict[str, str] = field(default_factory=dict)
    attestations: dict[str, str] | None = None


def _configure(track: Track, seed: TrackSeed) -> Actor:
    """Set up ``track`` as its agency's admin would; answer that admin."""
    actor = _admin(seed.admin)
    settings = track_services.TrackSettings(
        seed.name,
        seed.description,
        seed.languages,
        seed.contact_email,
        seed.timezone,
        seed.attestations,
    )
    track_services.update_track(actor, track, settings)
    track_services.update_rules(actor, track, seed.rules)
    for label, amount, count in seed.prizes:
        track_services.save_prize(
            actor, track, None, track_services.PrizeData(label, amount, seed.currency, count, {})
        )
    track_services.publish_terms(actor, track, seed.terms)
    return actor


def _save_rounds(
    actor: Actor, challenge: Challenge, rounds: list[tuple[dict[str, str], dict[str, Any]]]
) -> None:
    for name, instants in rounds:
        timeline_services.save_round(
            actor, challenge, None, timeline_services.RoundData(name, instants)
        )


# --- Deep Space Food Challenge: NASA and CSA in parallel --------------------------------------


def _dsfc_texts() -> services.Texts:
    return services.Texts(
        title={
            "en": "Deep Space Food Challenge",
            "fr": "Défi de l'alimentation dans l'espace lointain",
        },
        summary={
            "en": "Novel food production technologies for long-duration space missions "
            "— and for communities on Earth.",
            "fr": "De nouvelles technologies de production alimentaire pour les longues "
            "missions spatiales, et pour les collectivités sur Terre.",
        },
        description={
            "en": "NASA and the Canadian Space Agency run this challenge **in parallel**. "
            "Canadian residents enter the CSA track (prizes in CAD); U.S. residents enter "
            "the NASA track (prizes in USD); people living elsewhere may take part in the "
            "NASA track for recognition only.\n\n*Applicants may not apply in more than one "
            "competitor category.*",
            "fr": "La NASA et l'Agence spatiale canadienne mènent ce défi **en parallèle**. "
            "Les résidents du Canada participent au volet de l'ASC (prix en dollars "
            "canadiens); les résidents des États-Unis au volet de la NASA.",
        },
    )


def _nasa_track() -> TrackSeed:
    return TrackSeed(
        admin="lead@nasa.example",
        name={"en": "NASA track (United States)"},
        languages=["en"],
        contact_email="deepspacefood@nasa.example",
        timezone="America/Chicago",
        rules={
            "allowed_countries": ["US"],
            "excluded_countries": ["CA"],  # residents of Canada apply to the CSA's track
            "member_policy": "lead",
            "minimum_age": 18,
            "recognition_for_others": True,
            "exclusive": True,
        },
        prizes=[
            ({"en": "Phase 1 winners"}, "25000", 18),
            ({"en": "Phase 2 winners"}, "150000", 5),
            ({"en": "Grand prize"}, "750000", 1),
        ],
        currency="USD",
        terms={
            "en": "## Rules\n\nTeams led by a U.S. resident may win prizes. Residents of Canada "
            "apply to the CSA's track; others may take part for recognition only.\n\nFull "
            "rules: the NASA Centennial Challenges rules."
        },
    )


def _csa_track() -> TrackSeed:
    return TrackSeed(
        admin="lead@csa.example",
        name={"en": "CSA track (Canada)", "fr": "Volet de l'ASC (Canada)"},
        languages=["en", "fr"],
        contact_email="deepspacefood@csa.example",
        timezone="America/Toronto",
        rules={
            "allowed_countries": ["CA"],
            "member_policy": "all",
            "minimum_age": 18,
            "entrant_types": [
                "individual",
                "team",
                "business",
                "nonprofit",
                "indigenous",
                "academic",
            ],
            "establishment_countries": ["CA"],
            "exclusive": True,
            "prize_conditions": [
                {
                    "text": {
                        "en": "Individuals and teams of individuals must form a legal "
                        "entity in Canada before receiving a prize.",
                        "fr": "Les particuliers et les équipes de particuliers doivent "
                        "constituer une personne morale au Canada avant de recevoir un prix.",
                    },
                    "entrant_types": ["individual", "team"],
                }
            ],
        },
        prizes=[
            ({"en": "Phase 1 winners", "fr": "Lauréats de la phase 1"}, "30000", 10),
            ({"en": "Phase 2 winners", "fr": "Lauréats de la phase 2"}, "100000", 4),
            ({"en": "Grand prize", "fr": "Grand prix"}, "380000", 1),
        ],
        currency="CAD",
        terms={
            "en": "## Terms\n\nOpen to residents of Canada. Individuals must form a Canadian legal "
            "entity before receiving a prize.",
            "fr": "## Conditions\n\nOuvert aux résidents du Canada. Les particuliers doivent "
            "constituer une personne morale canadienne avant de recevoir un prix.",
        },
    )


def _dsfc_phase(opens: datetime, deadline: datetime) -> dict[str, Any]:
    """A phase's instants: registration a month before it opens until a week before its
    deadline; judging for 45 days after, results after 60."""
    return {
        "registration_opens": opens - timedelta(days=30),
        "registration_closes": deadline - timedelta(days=7),
        "submission_opens": opens,
        "submission_deadline": deadline,
        "judging_closes": deadline + timedelta(days=45),
        "results_at": deadline + timedelta(days=60),
    }


def _dsfc_rounds(phase1: datetime) -> list[tuple[dict[str, str], dict[str, Any]]]:
    return [
        (
            {"en": "Phase 1: design", "fr": "Phase 1 : conception"},
            _dsfc_phase(phase1 - timedelta(days=120), phase1),
        ),
        (
            {"en": "Phase 2: kitchen demonstration", "fr": "Phase 2 : démonstration en cuisine"},
            _dsfc_phase(phase1 + timedelta(days=120), phase1 + timedelta(days=300)),
        ),
        (
            {"en": "Phase 3: final demonstration", "fr": "Phase 3 : démonstration finale"},
            _dsfc_phase(phase1 + timedelta(days=420), phase1 + timedelta(days=600)),
        ),
    ]


def _dsfc_milestones(
    lead: Actor, csa_admin: Actor, challenge: Challenge, csa_track: Track, phase1: datetime
) -> None:
    """A shared webinar, and the CSA's own information session."""
    timeline_services.save_milestone(
        lead,
        challenge,
        None,
        None,
        timeline_services.MilestoneData(
            {"en": "Information webinar", "fr": "Webinaire d'information"},
            phase1 - timedelta(days=60),
            phase1 - timedelta(days=60) + timedelta(hours=1),
            None,
        ),
    )
    timeline_services.save_milestone(
        csa_admin,
        challenge,
        None,
        csa_track,
        timeline_services.MilestoneData(
            {"en": "CSA info session (French)", "fr": "Séance d'information de l'ASC"},
            phase1 - timedelta(days=50),
            None,
            None,
        ),
    )


def _deep_space_food() -> None:
    lead = _admin("lead@nasa.example")
    challenge = services.create_challenge(
        lead, _agency("nasa"), "deep-space-food", _dsfc_texts(), "America/Chicago"
    )
    nasa_track = challenge.tracks[0]
    csa_track = _add_track(challenge, _agency("csa"), 1)
    _configure(nasa_track, _nasa_track())
    csa_admin = _configure(csa_track, _csa_track())
    phase1 = _next_anniversary(DSFC_PHASE1)
    _save_rounds(lead, challenge, _dsfc_rounds(phase1))
    _dsfc_milestones(lead, csa_admin, challenge, csa_track, phase1)
    track_services.mark_ready(lead, nasa_track, True)
    track_services.mark_ready(csa_admin, csa_track, True)
    services.publish(lead, challenge)


# --- Resilient Cities: five cities' test-beds --------------------------------------------------

CITY_TRACKS = {
    # slug: admin, track name, languages, zone, country, currency, prize amount
    "london": (
        "lead@london.example",
        {"en": "London test-bed"},
        ["en"],
        "Europe/London",
        "GB",
        "GBP",
        "50000",
    ),
    "berlin": (
        "lead@berlin.example",
        {"de": "Testfeld Berlin", "en": "Berlin test-bed"},
        ["de", "en"],
        "Europe/Berlin",
        "DE",
        "EUR",
        "60000",
    ),
    "new-york": (
        "lead@nyc.example",
        {"en": "New York test-bed"},
        ["en"],
        "America/New_York",
        "US",
        "USD",
        "65000",
    ),
    "paris": (
        "lead@paris.example",
        {"en": "Paris test-bed", "fr": "Banc d'essai de Paris"},
        ["fr", "en"],
        "Europe/Paris",
        "FR",
        "EUR",
        "60000",
    ),
    "dubai": (
        "lead@dubai.example",
        {"ar": "منصة اختبار دبي", "en": "Dubai test-bed"},
        ["ar", "en"],
        "Asia/Dubai",
        "AE",
        "AED",
        "220000",
    ),
}

# What the Berlin and Dubai admins write in their own languages: the track's description,
# its prize condition, its terms and the statements entrants attest when registering.
CITY_TEXTS: dict[str, dict[str, dict[str, str]]] = {
    "berlin": {
        "description": {
            "de": "Die Senatsverwaltung für Wirtschaft öffnet ihr **Testfeld** in "
            "Berlin-Tegel: Lösungen für Hitzeschutz und Regenwassermanagement werden "
            "zwölf Monate lang im Stadtraum erprobt.",
            "en": "The Senate Department for Economics opens its **test-bed** in "
            "Berlin-Tegel: solutions for heat protection and rainwater management are "
            "tried in the city for twelve months.",
        },
        "condition": {
            "de": "Der Pilotvertrag setzt eine Niederlassung in der Europäischen Union voraus.",
            "en": "The pilot contract requires an establishment in the European Union.",
        },
        "terms": {
            "de": "## Teilnahmebedingungen\n\nTeilnehmen können Unternehmen, gemeinnützige "
            "Organisationen und Hochschulen. Die Preise werden in Euro ausgezahlt. Es gilt "
            "das Recht des Landes Berlin.",
            "en": "## Terms\n\nOpen to businesses, not-for-profits and academic institutions. "
            "Prizes are paid in euros. The law of the State of Berlin applies.",
        },
        "attestations": {
            "de": "Ich bin berechtigt, für meine Organisation zu handeln.\n"
            "Wir haben die Teilnahmebedingungen gelesen und akzeptieren sie.",
            "en": "I am authorised to act for my organisation.\nWe have read and accept the terms.",
        },
    },
    "dubai": {
        "description": {
            "ar": "تفتح بلدية دبي **منصة الاختبار** الخاصة بها: تُجرَّب الحلول الخاصة بالتبريد "
            "الحضري وإدارة المياه في أحياء المدينة لمدة اثني عشر شهراً.",
            "en": "Dubai Municipality opens its **test-bed**: solutions for urban cooling and "
            "water management are tried in the city's districts for twelve months.",
        },
        "condition": {
            "ar": "يشترط العقد التجريبي وجود رخصة تجارية سارية في دولة الإمارات العربية المتحدة.",
            "en": "The pilot contract requires a valid trade licence in the United Arab Emirates.",
        },
        "terms": {
            "ar": "## الشروط والأحكام\n\nالمشاركة متاحة للشركات والمؤسسات غير الربحية "  # noqa: RUF001
            "والمؤسسات الأكاديمية. تُدفع الجوائز بالدرهم الإماراتي. تسري قوانين إمارة دبي.",
            "en": "## Terms\n\nOpen to businesses, not-for-profits and academic institutions. "
            "Prizes are paid in UAE dirhams. The laws of the Emirate of Dubai apply.",
        },
        "attestations": {
            "ar": "أقر بأنني مخوّل بالتصرف نيابة عن مؤسستي.\n"
            "لقد قرأنا الشروط والأحكام ونوافق عليها.",
            "en": "I am authorised to act for my organisation.\nWe have read and accept the terms.",
        },
    },
}

PILOT_CONTRACT = {
    "en": "Pilot contract",
    "fr": "Contrat pilote",
    "de": "Pilotvertrag",
    "ar": "عقد تجريبي",
}


def _city_texts() -> services.Texts:
    return services.Texts(
        title={
            "en": "Resilient Cities Challenge",
            "fr": "Défi des villes résilientes",
            "de": "Challenge Resiliente Städte",
            "ar": "تحدي المدن المرنة",
        },
        summary={
            "en": "Berlin, Dubai, London, New York and Paris pose shared recovery challenges; "
            "deploy your solution in each city's local test-bed.",
            "fr": "Berlin, Dubaï, Londres, New York et Paris posent des défis de relance "
            "communs; déployez votre solution dans le banc d'essai de chaque ville.",
            "de": "Berlin, Dubai, London, New York und Paris stellen gemeinsame "
            "Herausforderungen; erproben Sie Ihre Lösung im Testfeld jeder Stadt.",
            "ar": "تطرح برلين ودبي ولندن ونيويورك وباريس تحديات مشتركة للتعافي؛ "
            "اختبروا حلولكم في منصة الاختبار المحلية لكل مدينة.",
        },
        description={
            "en": "Datasets shared by the cities and industry partners are "
            "available to every track.",
            "de": "Die von den Städten und Industriepartnern bereitgestellten Datensätze "
            "stehen allen Tracks zur Verfügung.",
            "ar": "البيانات التي تشاركها المدن وشركاء القطاع الصناعي متاحة لجميع المسارات.",
        },
    )


def _city_track(slug: str) -> TrackSeed:
    admin, name, langs, zone, country, currency, amount = CITY_TRACKS[slug]
    texts = CITY_TEXTS.get(slug, {})
    rules: dict[str, Any] = {
        "entrant_types": ["business", "nonprofit", "academic"],
        "establishment_countries": [],
        "allowed_countries": [],
        "team_min": 1,
        "team_max": 20,
        "exclusive": False,
    }
    if "condition" in texts:
        rules["prize_conditions"] = [
            {"text": texts["condition"], "entrant_types": ["business", "nonprofit", "academic"]}
        ]
    label = {code: PILOT_CONTRACT[code] for code in ("en", *langs) if code in PILOT_CONTRACT}
    return TrackSeed(
        admin=admin,
        name=dict(name),
        languages=list(langs),
        contact_email=f"pilot@{slug}.example",
        timezone=zone,
        rules=rules,
        prizes=[(label, amount, 2)],
        currency=currency,
        terms=texts.get("terms")
        or {code: f"Terms of the {name.get('en')} ({country})." for code in langs},
        description=texts.get("description", {}),
        attestations=texts.get("attestations"),
    )


def _proof_of_incorporation() -> documents.RequirementData:
    return documents.RequirementData(
        {
            "en": "Proof of incorporation",
            "fr": "Preuve de constitution",
            "de": "Nachweis der Eintragung",
            "ar": "إثبات التأسيس",
        },
        {
            "en": "A registry extract under 6 months old.",
            "fr": "Un extrait de moins de 6 mois.",
            "de": "Ein Registerauszug, nicht älter als 6 Monate.",
            "ar": "مستخرج من السجل التجاري لا يزيد عمره عن 6 أشهر.",
        },
        "organisation",
        ["pdf"],
        10,
    )


def _city_rounds(start: datetime) -> list[tuple[dict[str, str], dict[str, Any]]]:
    """Proposals (open ten days ago, due at noon London time 55 days after) then pilots."""
    deadline = _local(start.year, start.month, start.day, 12, "Europe/London")
    return [
        (
            {"en": "Proposals", "fr": "Propositions", "de": "Vorschläge", "ar": "المقترحات"},
            {
                "submission_opens": start,
                "submission_deadline": deadline + timedelta(days=55),
                "judging_closes": start + timedelta(days=80),
                "results_at": start + timedelta(days=90),
            },
        ),
        (
            {
                "en": "Test-bed pilots",
                "fr": "Pilotes en banc d'essai",
                "de": "Pilotprojekte im Testfeld",
                "ar": "التجارب في منصات الاختبار",
            },
            {
                "submission_opens": start + timedelta(days=120),
                "submission_deadline": start + timedelta(days=240),
                "judging_closes": start + timedelta(days=260),
                "results_at": start + timedelta(days=270),
            },
        ),
    ]


def _city_challenge() -> None:
    lead = _admin("lead@london.example")
    challenge = services.create_challenge(
        lead, _agency("london"), "resilient-cities", _city_texts(), "Europe/London"
    )
    tracks = {"london": challenge.tracks[0]}
    for position, slug in enumerate(("berlin", "new-york", "paris", "dubai"), start=1):
        tracks[slug] = _add_track(challenge, _agency(slug), position)
    for slug in CITY_TRACKS:
        track = tracks[slug]
        actor = _configure(track, _city_track(slug))
        documents.add_requirement(actor, track, _proof_of_incorporation())
        track_services.mark_ready(actor, track, True)
    start = clock.now().replace(minute=0, second=0, microsecond=0) - timedelta(days=10)
    _save_rounds(lead, challenge, _city_rounds(start))
    services.publish(lead, challenge)


def seed_challenges() -> list[str]:
    report = []
    for slug, build in (
        ("deep-space-food", _deep_space_food),
        ("resilient-cities", _city_challenge),
    ):
        if db.session.scalar(select(Challenge.id).where(Challenge.slug == slug)) is None:
            build()
            db.session.commit()
            report.append(f"challenge {slug}")
    return report
