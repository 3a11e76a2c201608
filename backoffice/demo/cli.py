from __future__ import annotations

import time
from typing import TYPE_CHECKING

import click
from flask import current_app
from flask.cli import AppGroup

from ..core.db import transaction
from ..extensions import db, settings
from . import seed as demo

if TYPE_CHECKING:
    from datetime import datetime

demo_cli = AppGroup("demo", help="Demo data for trying Backoffice out.")


@demo_cli.command("seed")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Start of the demo history (default: 1 January of last year).")
def seed_command(since: datetime | None):
    """Fill an empty database with a demo association (does nothing when data exists)."""
    if current_app.config["ENV"] == "production":
        raise click.ClickException("Refusing to add demo data in production.")
    if demo.already_seeded(db.session):
        click.echo("The database already has data; demo seed left it as it is.")
        return
    started = time.monotonic()
    with click.progressbar(length=1, label="Seeding the demo association") as bar:
        with transaction():
            counts = demo.seed(db.session, settings(), since=since.date() if since else None)
        bar.update(1)
    click.echo(f"Seeded {counts['users']} users, {counts['funds']} funds and "
               f"{counts['entries']} journal entries in {time.monotonic() - started:.1f} s.")


@demo_cli.command("logins")
def logins_command():
    """Print the demo logins (one per role)."""
    click.echo(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
    for email, _, roles in demo.DEMO_USERS:
        click.echo(f"  {roles[0].value:<10} {email}")
