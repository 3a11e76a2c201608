"""``backoffice payments replay``: process stored Stripe events again."""
import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..core.db import transaction
from ..core.errors import DomainError
from ..extensions import db, settings
from . import services
from .models import StripeEvent

payments_cli = AppGroup("payments", help="Stripe events and payouts.")


@payments_cli.command("replay")
@click.argument("event_ids", nargs=-1)
@click.option("--failed", is_flag=True, help="Every event whose processing failed.")
def replay(event_ids: tuple[str, ...], failed: bool):
    """Process stored events again (idempotent: nothing already booked is booked twice)."""
    ids = list(event_ids)
    if failed:
        ids += db.session.scalars(select(StripeEvent.id).where(StripeEvent.status == "failed")
                                  .order_by(StripeEvent.created)).all()
    if not ids:
        raise click.UsageError("Name event ids or use --failed.")
    for event_id in ids:
        try:
            with transaction():
                outcome = services.replay(db.session, event_id, settings())
        except DomainError as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"{event_id}: {outcome.status} {outcome.note}")
