"""``backoffice invoices remind``: send the reminders due today (run it daily from cron)."""
from datetime import date

import click
from flask.cli import AppGroup

from ..core.db import transaction
from ..core.errors import DomainError
from ..extensions import db
from . import services

invoices_cli = AppGroup("invoices", help="Sponsor invoices.")


@invoices_cli.command("remind")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Act as if today were this day (YYYY-MM-DD).")
def remind(day):
    """Send first and second reminders for overdue invoices (each at most once)."""
    today = day.date() if day else date.today()
    try:
        with transaction():
            sent = services.send_due_reminders(db.session, today=today)
    except DomainError as error:
        raise click.ClickException(str(error)) from None
    for dispatch in sent:
        click.echo(f"{dispatch.invoice.number}: {dispatch.kind.replace('_', ' ')} to "
                   f"{dispatch.recipients}")
    click.echo(f"{len(sent)} reminder(s) sent.")
