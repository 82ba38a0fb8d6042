"""Demo data for ``make run``: the agencies and people of the two real cases in DESIGN.md.

Idempotent: running it again updates nothing that already exists.
"""

from __future__ import annotations

from sqlalchemy import select

from competitions.accounts import passwords
from competitions.accounts.models import User, normalize_email
from competitions.agencies.models import Agency, Membership, Role
from competitions.core import clock
from competitions.core.actor import Actor
from competitions.core.extensions import db

# Development only; printed by `make run` and documented in README.
DEMO_PASSWORD = "tandem-demo-2026"  # noqa: S105 (documented demo credential)

AGENCIES = [
    # slug, name, short, jurisdiction, zone, languages, website
    (
        "nasa",
        "National Aeronautics and Space Administration",
        "NASA",
        "US",
        "America/Chicago",
        ["en"],
        "https://www.nasa.gov",
    ),
    (
        "csa",
        "Canadian Space Agency",
        "CSA",
        "CA",
        "America/Toronto",
        ["en", "fr"],
        "https://www.asc-csa.gc.ca",
    ),
    (
        "berlin",
        "Senate Department for Economics, Berlin",
        "Berlin",
        "DE-BE",
        "Europe/Berlin",
        ["de", "en"],
        None,
    ),
    ("london", "Greater London Authority", "London", "GB-LND", "Europe/London", ["en"], None),
    (
        "new-york",
        "NYC Economic Development Corporation",
        "New York",
        "US-NY",
        "America/New_York",
        ["en"],
        None,
    ),
    ("paris", "Ville de Paris", "Paris", "FR-75C", "Europe/Paris", ["fr", "en"], None),
    # A right-to-left partner: Arabic texts, prizes in dirhams, Gulf time (UTC+4, no DST).
    ("dubai", "Dubai Municipality", "Dubai", "AE-DU", "Asia/Dubai", ["ar", "en"], None),
]

PEOPLE = [
    # email, name, country, language, zone, platform admin, memberships
    ("admin@tandem.example", "Platform Admin", "US", "en", "UTC", True, []),
    (
        "lead@nasa.example",
        "Nadia Admin (NASA)",
        "US",
        "en",
        "America/Chicago",
        False,
        [("nasa", Role.ADMIN)],
    ),
    (
        "staff@nasa.example",
        "Sam Staff (NASA)",
        "US",
        "en",
        "America/New_York",
        False,
        [("nasa", Role.STAFF)],
    ),
    (
        "lead@csa.example",
        "Camille Admin (ASC-CSA)",
        "CA",
        "fr",
        "America/Toronto",
        False,
        [("csa", Role.ADMIN)],
    ),
    (
        "staff@csa.example",
        "Chris Staff (CSA)",
        "CA",
        "en",
        "America/Toronto",
        False,
        [("csa", Role.STAFF)],
    ),
    (
        "lead@berlin.example",
        "Bettina Admin (Berlin)",
        "DE",
        "de",
        "Europe/Berlin",
        False,
        [("berlin", Role.ADMIN)],
    ),
    (
        "lead@london.example",
        "Leo Admin (London)",
        "GB",
        "en",
        "Europe/London",
        False,
        [("london", Role.ADMIN)],
    ),
    (
        "lead@nyc.example",
        "Nia Admin (New York)",
        "US",
        "en",
        "America/New_York",
        False,
        [("new-york", Role.ADMIN)],
    ),
    (
        "lead@paris.example",
        "Pauline Admin (Paris)",
        "FR",
        "fr",
        "Europe/Paris",
        False,
        [("paris", Role.ADMIN)],
    ),
    (
        "lead@dubai.example",
        "Fatima Admin (Dubai)",
        "AE",
        "ar",
        "Asia/Dubai",
        False,
        [("dubai", Role.ADMIN)],
    ),
    ("innovator@example.org", "Ines Innovator", "CA", "en", "America/Vancouver", False, []),
    ("innovateur@example.org", "Étienne Innovateur", "FR", "fr", "Europe/Paris", False, []),
    ("maker@example.org", "Mark Maker", "DE", "en", "Europe/Berlin", False, []),
    ("judge@example.org", "Jude Judge", "CA", "en", "America/Toronto", False, []),
    ("juge@example.org", "Julie Juge", "FR", "fr", "Europe/Paris", False, []),
]


def seed() -> list[str]:
    """Create what is missing; return a report of what was created."""
    from competitions.core import audit

    report: list[str] = []
    actor = Actor(None, via="cli")
    agencies: dict[str, Agency] = {}
    for slug, name, short, jurisdiction, zone, langs, website in AGENCIES:
        agency = db.session.scalar(select(Agency).where(Agency.slug == slug))
        if agency is None:
            agency = Agency(
                slug=slug,
                name=name,
                short_name=short,
                jurisdiction=jurisdiction,
                timezone=zone,
                languages=langs,
                website=website,
            )
            audit.created(actor, "agency.created", agency, after=agency.snapshot())
            report.append(f"agency {slug}")
        agencies[slug] = agency

    password_hash: str | None = None
    for email, name, country, lang, zone, is_admin, memberships in PEOPLE:
        user = db.session.scalar(
            select(User).where(User.email_normalized == normalize_email(email))
        )
        if user is None:
            password_hash = password_hash or passwords.hash_password(DEMO_PASSWORD)
            user = User(
                email=email,
                email_normalized=normalize_email(email),
                password_hash=password_hash,
                display_name=name,
                country=country,
                preferred_language=lang,
                timezone=zone,
                is_platform_admin=is_admin,
                email_verified_at=clock.now(),
            )
            db.session.add(user)
            db.session.flush()
            report.append(f"user {email}")
        for slug, role in memberships:
            agency = agencies[slug]
            exists = db.session.scalar(
                select(Membership.id).where(
                    Membership.user_id == user.id, Membership.agency_id == agency.id
                )
            )
            if exists is None:
                db.session.add(Membership(user=user, agency=agency, role=role))
                report.append(f"membership {email} {slug} {role.value}")
    db.session.commit()
    from competitions.demo_challenges import seed_challenges

    report.extend(seed_challenges())
    from competitions.demo_journeys import seed_journeys

    report.extend(seed_journeys())
    from competitions.demo_judging import seed_judging

    report.extend(seed_judging())
    from competitions.demo_pilots import seed_pilots

    report.extend(seed_pilots())
    if not report:
        report.append("demo data already present; nothing to do")
    else:
        report.append(f"demo users' password: {DEMO_PASSWORD}")
    return report
