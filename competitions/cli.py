"""Flask CLI commands: ``flask create-admin``, ``flask seed-demo``."""

from __future__ import annotations

import click
from flask import Flask, current_app

from competitions.core.actor import Actor
from competitions.core.errors import DomainError


def register_cli(app: Flask) -> None:
    @app.cli.command("create-admin")
    @click.option("--email", prompt=True, help="Email address of the platform admin.")
    @click.option("--name", "display_name", default="", help="Display name.")
    @click.password_option(help="Password (asked twice if not given).")
    def create_admin(email: str, display_name: str, password: str) -> None:
        """Create a platform administrator, or promote an existing account."""
        from competitions.accounts.services import create_admin as create
        from competitions.core.extensions import db

        try:
            user = create(Actor(None, via="cli"), email, password, display_name or email)
        except DomainError as err:
            raise click.ClickException(err.message) from err
        db.session.commit()
        click.echo(f"Platform admin ready: {user.email}")

    @app.cli.command("seed-demo")
    @click.option("--force", is_flag=True, help="Allow seeding a production database.")
    def seed_demo(force: bool) -> None:
        """Load the demo agencies and people (idempotent)."""
        from competitions.demo import seed

        if current_app.config["TANDEM_ENV"] == "production" and not force:
            raise click.ClickException("refusing to seed demo data in production (use --force)")
        report = seed()
        for line in report:
            click.echo(line)
