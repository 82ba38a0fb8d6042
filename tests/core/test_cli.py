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
