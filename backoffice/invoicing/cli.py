"""``backoffice invoices remind``: send the reminders due today (run it daily from cron);
``backoffice invoices check-einvoices``: check the stored e-invoices against EN 16931;
``backoffice invoices refunds`` / ``settle-refund``: the refunds waiting for a decision."""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..core import clock
from ..core.db import transaction
from ..core.errors import DomainError
from ..core.money import Money
from ..extensions import db, settings
from . import services, state
from .models import Invoice, InvoicePayment

if TYPE_CHECKING:
    from datetime import datetime

invoices_cli = AppGroup("invoices", help="Sponsor invoices.")


@invoices_cli.command("remind")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Act as if today were this day (YYYY-MM-DD).")
def remind(day: datetime | None):
    """Send first and second reminders for overdue invoices (each at most once)."""
    today = day.date() if day else clock.today()
    try:
        with transaction():
            sent = services.send_due_reminders(db.session, today=today, settings=settings())
    except DomainError as error:
        raise click.ClickException(str(error)) from None
    for dispatch in sent:
        click.echo(f"{dispatch.invoice.number}: {dispatch.kind.replace('_', ' ')} to "
                   f"{dispatch.recipients}")
    click.echo(f"{len(sent)} reminder(s) sent.")


@invoices_cli.command("check-einvoices")
@click.option("--year", type=int, default=None, help="Only invoices issued in this year.")
def check_einvoices(year: int | None):
    """Check every issued invoice's stored e-invoice against the EN 16931 business rules."""
    import facturx  # noqa: PLC0415

    from . import en16931  # noqa: PLC0415

    broken = 0
    query = select(Invoice).where(Invoice.pdf_file_id.is_not(None)).order_by(Invoice.id)
    if year is not None:
        query = query.where(Invoice.issue_date.between(date(year, 1, 1), date(year, 12, 31)))
    for invoice in db.session.scalars(query):
        _name, xml = facturx.get_xml_from_pdf(services.stored_pdf(db.session, invoice, settings=settings()),
                                              check_xsd=False)
        for failure in en16931.failures(xml):
            broken += failure.flag != "warning"
            click.echo(f"{invoice.number}: {failure.flag} {failure}")
    if broken:
        raise click.ClickException(f"{broken} rule(s) broken.")
    click.echo("All e-invoices pass EN 16931.")


@invoices_cli.command("refunds")
def refunds():
    """Refunds waiting for a decision: a credit note, or the money owed again."""
    waiting = db.session.scalars(state.refunds_to_decide_query()
                                 .order_by(InvoicePayment.received_on)).all()
    for refund in waiting:
        click.echo(f"{refund.reference}  {refund.invoice.number}  {refund.received_on}  "
                   f"{Money(-refund.amount, refund.currency)}")
    click.echo(f"{len(waiting)} refund(s) to settle.")


@invoices_cli.command("settle-refund")
@click.argument("reference")
@click.option("--credit-note", "decision", flag_value="credit_note", default=True,
              help="Issue a partial credit note for the refunded amount (the default).")
@click.option("--owed-again", "decision", flag_value="owed_again",
              help="The refunded money is owed again: reminders and the pay link ask for it.")
def settle_refund(reference: str, decision: str):
    """Settle the refund REFERENCE (e.g. re_...) of an invoice."""
    refund = db.session.scalar(select(InvoicePayment).where(InvoicePayment.reference == reference))
    if refund is None:
        raise click.ClickException(f"No refund {reference}.")
    try:
        made = services.decide_refund_now(db.session, refund, decision, actor=None, settings=settings())
        note = made.credit_note.number if made.credit_note else None
    except DomainError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{reference}: credit note {note}" if note else f"{reference}: {made.decision}")
