from __future__ import annotations

from sqlalchemy import func, select

from competitions.accounts.models import User
from competitions.agencies.models import Agency, Membership
from competitions.core.audit import AuditEvent


def test_create_admin_creates_a_verified_platform_admin(app, db):
    result = app.test_cli_runner().invoke(
        args=[
            "create-admin",
            "--email",
            "Chief@Tandem.Example",
            "--name",
            "Chief",
            "--password",
            "a strong passphrase",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email_normalized == "chief@tandem.example"))
    assert user is not None and user.is_platform_admin and user.is_verified
    assert user.password_hash.startswith("$argon2id$")
    assert (
        db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "admin.platform_admin_granted",
                AuditEvent.object_id == str(user.id),
            )
        ).via
        == "cli"
    )


def test_create_admin_rejects_a_weak_password_with_a_clear_message(app, db):
    result = app.test_cli_runner().invoke(
        args=["create-admin", "--email", "x@tandem.example", "--password", "short"]
    )
    assert result.exit_code != 0
    assert "at least 10 characters" in result.output


def test_seed_demo_is_idempotent_and_reproduces_the_real_cases(app, db):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    counts = [
        db.session.scalar(select(func.count()).select_from(m)) for m in (User, Agency, Membership)
    ]
    second = runner.invoke(args=["seed-demo"])
    assert "nothing to do" in second.output
    assert counts == [
        db.session.scalar(select(func.count()).select_from(m)) for m in (User, Agency, Membership)
    ]
    slugs = set(db.session.scalars(select(Agency.slug)))
    assert {"nasa", "csa", "berlin", "london", "new-york", "paris"} <= slugs
    csa = db.session.scalar(select(Agency).where(Agency.slug == "csa"))
    assert csa.jurisdiction == "CA" and csa.languages == ["en", "fr"]


def test_the_demo_can_be_tried_end_to_end_without_setting_anything_up(app, db, client):
    """After ``seed-demo``: residents of Canada are refused by NASA's track (they apply to the
    CSA's), people elsewhere are recognition only; each challenge's first round has a form with
    a file field and a rubric; the demo judges sit on panels."""
    from competitions.challenges import eligibility as el
    from competitions.challenges.models import Challenge
    from competitions.judging import panels, rubrics
    from competitions.submissions import services as submissions

    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    dsfc = db.session.scalar(select(Challenge).where(Challenge.slug == "deep-space-food"))
    nasa = next(t for t in dsfc.tracks if t.agency.slug == "nasa")
    rules = el.parse_rules(nasa.rules)

    def status(country: str) -> el.Status:
        team = el.TeamProfile(el.EntrantType.INDIVIDUAL, (el.Member(country, 30, True),))
        return el.evaluate(team, rules).status

    assert status("US") == el.Status.ELIGIBLE
    assert status("CA") == el.Status.INELIGIBLE
    assert status("FR") == el.Status.RECOGNITION
    for slug in ("deep-space-food", "resilient-cities"):
        challenge = db.session.scalar(select(Challenge).where(Challenge.slug == slug))
        round_ = challenge.rounds[0]
        assert any(f.type.value == "file" for f in submissions.fields_of(round_)), slug
        assert len(rubrics.rubric_for(round_).criteria) == 2
        seated = {
            j.user.email for p in panels.panels_of(challenge) for j in panels.active_judges(p)
        }
        assert {"judge@example.org", "juge@example.org"} <= seated, slug
    # A closed round is being judged: each demo judge has a queue of real submissions.
    from competitions.judging import reviews

    judge = db.session.scalar(select(User).where(User.email_normalized == "judge@example.org"))
    queues = reviews.my_rounds(judge.id)
    assert [(c.slug, assigned) for c, _round, assigned, _done in queues] == [("quiet-streets", 2)]
    again = app.test_cli_runner().invoke(args=["seed-demo"])
    assert "nothing to do" in again.output


def test_make_run_on_another_port_points_email_links_at_it(tmp_path):
    """``PORT=8123 make run``: the web server listens on 8123 and the worker writes links to
    it (BASE_URL), not to :5000."""
    import os
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    log = tmp_path / "calls"
    for name in ("celery", "flask"):
        stub = tmp_path / name
        stub.write_text(f'#!/bin/sh\necho "{name} $BASE_URL $*" >> {log}\nexec sleep 2\n')
        stub.chmod(0o755)
    env = {**os.environ, "PORT": "8123", "TANDEM_BIN": str(tmp_path)}
    env.pop("BASE_URL", None)
    subprocess.run(
        ["bash", "scripts/run-dev.sh"], cwd=root, env=env, capture_output=True, timeout=30
    )
    calls = log.read_text().splitlines()
    assert len(calls) == 3 and all("http://127.0.0.1:8123 " in c for c in calls), calls
    assert any(c.startswith("flask") and "--port 8123" in c for c in calls), calls
