"""``backoffice payouts ...``: payout batches for scripts (and the bank's upload tools)."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..core.money import Money
from ..extensions import db
from . import services as payouts
from .models import PayoutBatch

payouts_cli = AppGroup("payouts", help="SEPA payout batches.")


@payouts_cli.command("list")
def list_command():
    """Every batch: message id, status, execution date, transfers, total."""
    for batch in db.session.scalars(select(PayoutBatch).order_by(PayoutBatch.id)):
        click.echo(f"{batch.message_id:<24} {batch.status.value:<9} "
                   f"{(batch.executed_on or batch.requested_on).isoformat()} "
                   f"{batch.item_count:>5} {Money(batch.total, batch.currency)}")


@payouts_cli.command("xml")
@click.argument("message_id")
def xml_command(message_id: str):
    """The batch's SEPA file (pain.001), exactly as it was created."""
    batch = payouts.batch_by_message_id(db.session, message_id)
    if batch is None:
        raise click.ClickException(f"There is no payout batch {message_id}.")
    sys.stdout.write(batch.xml)
