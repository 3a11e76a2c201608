from __future__ import annotations

from typing import TYPE_CHECKING

import click
from flask.cli import AppGroup

from ..core.db import transaction
from ..extensions import db, settings
from . import reporting

if TYPE_CHECKING:
    from datetime import datetime

grants_cli = AppGroup("grants", help="Grant programmes and applications.")


@grants_cli.command("remind")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Run as if it were this day (YYYY-MM-DD).")
def remind_command(today: datetime | None):
    """The daily job (cron): reports due after the event, reminders before and after the due
    date, overdue reports. Running it twice a day sends nothing twice."""
    with transaction():
        counts = reporting.run_reminders(db.session, today.date() if today else None,
                                         settings=settings())
    click.echo(f"{counts['due']} report(s) now due, {counts['reminded']} reminder(s) before the "
               f"due date, {counts['overdue']} report(s) now overdue, "
               f"{counts['overdue_reminded']} reminder(s) about overdue reports.")
