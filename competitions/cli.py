"""Flask CLI commands: ``flask create-admin``, ``flask seed-demo``, ``flask data-keys``."""

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

    register_data_keys(app)


def register_data_keys(app: Flask) -> None:
    """``flask data-keys new|current|rotate``: the keys of the sealed columns (``core.sealed``)."""
    from flask.cli import AppGroup

    group = AppGroup("data-keys", help="Keys of the secrets kept sealed in the database.")
    app.cli.add_command(group)

    @group.command("new")
    def new_key() -> None:
        """Print a new key (put it first in DATA_KEYS, then rotate)."""
        from cryptography.fernet import Fernet

        click.echo(Fernet.generate_key().decode())

    @group.command("current")
    def current() -> None:
        """Print the keys in use (the derived one without DATA_KEYS), to pin them."""
        from competitions.core import sealed

        click.echo(",".join(sealed.current_keys()))

    @group.command("rotate")
    def rotate() -> None:
        """Reseal every sealed value with the first key of DATA_KEYS."""
        from competitions.core import sealed
        from competitions.core.db import Base
        from competitions.core.extensions import db

        with db.engine.begin() as connection:
            done = sealed.rotate_all(connection, Base.metadata)
        click.echo(f"Resealed {done} values with the first key.")
