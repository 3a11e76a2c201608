"""The ``donations`` command group: record, list, plans, merge donors; and the receipts."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import click
from flask.cli import AppGroup

from ..core.db import transaction
from ..core.errors import DomainError
from ..core.money import Money
from ..extensions import db
from ..extensions import settings as app_settings
from ..ledger.services import fund_by_code
from . import donors, manual, plans, queries
from .models import Channel, DonationKind, Donor, PlanStatus, RecurringPlan
from .receipts.cli import receipts_command

donations_cli = AppGroup("donations", help="Donors, donations and their receipts.")
donations_cli.add_command(receipts_command)


def _fail(error: DomainError) -> click.ClickException:
    return click.ClickException(str(error))


@donations_cli.command("record")
@click.option("--fund", "fund_code", required=True, help="The fund's code (GEN for the general fund).")
@click.option("--amount", type=click.STRING, required=True, help="e.g. 25.00")
@click.option("--currency", default="EUR", show_default=True)
@click.option("--channel", type=click.Choice(["cash", "cheque", "bank"]), default="cash",
              show_default=True)
@click.option("--membership-fee", is_flag=True, help="A membership fee, not a donation.")
@click.option("--name", required=True, help="The donor's name.")
@click.option("--email", default="")
@click.option("--iban", default="")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="The day of the gift (default: today).")
@click.option("--receipt", is_flag=True, help="The donor wants a receipt.")
def record_command(fund_code, amount, currency, channel, membership_fee, name, email, iban, day,
                   receipt):
    """Record money given by hand (cash, a cheque, a transfer) and book it."""
    try:
        with transaction():
            fund = fund_by_code(db.session, fund_code.upper())
            donor = donors.find_or_create(db.session, donors.DonorDetails(name=name, email=email),
                                          iban=iban)
            donation = manual.record_by_hand(
                db.session, donor=donor, fund=fund,
                amount=Money.from_decimal(Decimal(amount), currency.upper()),
                day=day.date() if day else date.today(), channel=Channel(channel), actor=None,
                kind=DonationKind.MEMBERSHIP_FEE if membership_fee else DonationKind.MONEY,
                receipt_wanted=receipt)
    except DomainError as error:
        raise _fail(error) from None
    except ArithmeticError:
        raise click.ClickException(f"{amount!r} is not an amount.") from None
    click.echo(f"{donation.ref} {donation.money} from {donor.ref} {donor.name} to {fund.code} "
               f"booked (entry #{donation.journal_entry_id}).")


@donations_cli.command("list")
@click.option("--fund", "fund_code", default=None)
@click.option("--year", type=click.IntRange(2000, 2199), default=None)
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
def list_command(fund_code, year, limit):
    """The newest donations and the totals of booked ones."""
    fund_id = fund_by_code(db.session, fund_code.upper()).id if fund_code else None
    filters = queries.Filters(fund_id=fund_id, start=date(year, 1, 1) if year else None,
                              end=date(year, 12, 31) if year else None)
    for d in queries.donations(db.session, filters, limit=limit):
        click.echo(f"{d.donated_on}  {d.ref}  {d.fund.code:<8} {d.channel.value:<8} "
                   f"{d.status.value:<8} {str(d.money):>14}  {d.donor.name}")
    for currency, (count, total) in sorted(queries.totals(db.session, filters).items()):
        click.echo(f"Booked: {Money(total, currency)} in {count} donation(s)")


@donations_cli.command("plans")
@click.option("--status", type=click.Choice([s.value for s in PlanStatus]), default=None)
def plans_command(status):
    """Recurring plans with their status."""
    for p in queries.plans(db.session, PlanStatus(status) if status else None):
        click.echo(f"{p.ref}  {p.status.value:<9} {str(p.money):>12} {p.interval.value:<5} "
                   f"{p.fund.code:<8} {p.donor.name}  (failed {p.failed_payments})")


@donations_cli.command("cancel-plan")
@click.argument("plan_id", type=click.IntRange(1, 2**53))
@click.option("--reason", required=True)
def cancel_plan_command(plan_id, reason):
    """End a recurring plan (Stripe ends its subscription)."""
    plan = db.session.get(RecurringPlan, plan_id)
    if plan is None:
        raise click.ClickException(f"No plan {plan_id}.")
    try:
        with transaction():
            plans.cancel(db.session, plan, actor=None, reason=reason,
                         config=app_settings().stripe)
    except DomainError as error:
        raise _fail(error) from None
    click.echo(f"{plan.ref} cancelled.")


@donations_cli.command("merge")
@click.argument("keep_id", type=click.IntRange(1, 2**53))
@click.argument("merged_id", type=click.IntRange(1, 2**53))
def merge_command(keep_id, merged_id):
    """Merge donor MERGED_ID into donor KEEP_ID (everything follows; audited)."""
    keep, merged = db.session.get(Donor, keep_id), db.session.get(Donor, merged_id)
    if keep is None or merged is None:
        raise click.ClickException("No such donor.")
    try:
        with transaction():
            donors.merge(db.session, keep, merged, actor=None)
    except DomainError as error:
        raise _fail(error) from None
    click.echo(f"{merged.ref} merged into {keep.ref}.")
