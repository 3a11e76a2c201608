"""The ``donations`` command group: record (money by hand, a gift in kind, a waived
reimbursement), list, plans, merge donors; and the receipts (``receipts/cli.py``). Thin: the
same services as the pages; a refusal or bad input is one line and exit code 2, nothing
written."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import click
from flask.cli import AppGroup

from ..auth.services import find_user
from ..core import clock
from ..core.db import transaction
from ..core.errors import DomainError
from ..core.money import Money
from ..expenses.models import ExpenseClaim
from ..extensions import db
from ..extensions import settings as app_settings
from ..ledger.services import fund_by_code
from . import booking, donors, manual, plans, queries, waivers
from .models import Channel, DonationKind, Donor, InKindOrigin, PlanStatus, RecurringPlan
from .receipts.cli import Refused, receipt_command, receipts_command

donations_cli = AppGroup("donations", help="Donors, donations and their receipts.")
donations_cli.add_command(receipts_command)
donations_cli.add_command(receipt_command)


def _fail(error: DomainError) -> click.ClickException:
    return Refused(str(error))


def _amount(text: str, currency: str) -> Money:
    try:
        return Money.from_decimal(Decimal(text), currency.upper())
    except (ArithmeticError, ValueError):
        raise Refused(f"{text!r} is not an amount.") from None
    except DomainError as error:
        raise _fail(error) from None


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
    money = _amount(amount, currency)
    try:
        with transaction():
            fund = fund_by_code(db.session, fund_code.upper())
            donor = donors.find_or_create(db.session, donors.DonorDetails(name=name, email=email),
                                          iban=iban)
            donation = manual.record_by_hand(
                db.session, donor=donor, fund=fund, amount=money,
                day=day.date() if day else clock.today(), channel=Channel(channel), actor=None,
                kind=DonationKind.MEMBERSHIP_FEE if membership_fee else DonationKind.MONEY,
                receipt_wanted=receipt)
    except DomainError as error:
        raise _fail(error) from None
    click.echo(f"{donation.ref} {donation.money} from {donor.ref} {donor.name} to {fund.code} "
               f"booked (entry #{donation.journal_entry_id}).")


@donations_cli.command("in-kind")
@click.option("--fund", "fund_code", required=True, help="The fund's code (GEN for the general fund).")
@click.option("--description", required=True, help="What was given (as the receipt names it).")
@click.option("--value", required=True, help="Its value, e.g. 480.00")
@click.option("--currency", default="EUR", show_default=True)
@click.option("--valuation-basis", required=True,
              help="How the value was found (an invoice, a price list, an appraisal).")
@click.option("--origin", type=click.Choice([o.value for o in InKindOrigin]), default="unknown",
              show_default=True, help="From business or private assets.")
@click.option("--account", "account_code", required=True,
              help="The expense or asset account it is booked on (its code).")
@click.option("--name", required=True, help="The donor's name.")
@click.option("--email", default="")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="The day of the gift (default: today).")
@click.option("--no-receipt", is_flag=True, help="The donor wants no receipt.")
def in_kind_command(fund_code, description, value, currency, valuation_basis, origin,
                    account_code, name, email, day, no_receipt):
    """Record a gift in kind (Sachzuwendung) at its value and book it."""
    money = _amount(value, currency)
    if not description.strip() or not valuation_basis.strip():
        raise Refused("A gift in kind needs its description and its valuation basis.")
    try:
        with transaction():
            fund = fund_by_code(db.session, fund_code.upper())
            donor = donors.find_or_create(db.session, donors.DonorDetails(name=name, email=email))
            donation = manual.record_in_kind(
                db.session, donor=donor, fund=fund, value=money,
                day=day.date() if day else clock.today(),
                in_kind=booking.InKind(description.strip(), valuation_basis.strip(),
                                       InKindOrigin(origin), account_code=account_code),
                actor=None, receipt_wanted=not no_receipt)
    except DomainError as error:
        raise _fail(error) from None
    click.echo(f"{donation.ref} {donation.money} in kind ({description.strip()}) from "
               f"{donor.ref} {donor.name} to {fund.code} booked (entry #{donation.journal_entry_id}).")


@donations_cli.command("waive")
@click.argument("claim_id", type=click.IntRange(1, 2**53))
@click.option("--by", "email", required=True,
              help="Who waives it: the claimant, or a treasurer on their word (e-mail address).")
@click.option("--no-receipt", is_flag=True, help="The claimant wants no receipt.")
def waive_command(claim_id, email, no_receipt):
    """Waive the reimbursement of approved, unpaid expense claim CLAIM_ID: it becomes the
    claimant's donation (Aufwandsspende)."""
    claim = db.session.get(ExpenseClaim, claim_id)
    if claim is None:
        raise Refused(f"No expense claim {claim_id}.")
    user = find_user(db.session, email)
    if user is None or not user.active:
        raise Refused(f"No active user {email}.")
    try:
        with transaction():
            donation = waivers.waive(db.session, claim, actor=user,
                                     receipt_wanted=not no_receipt)
    except DomainError as error:
        raise _fail(error) from None
    click.echo(f"Claim {claim.ref} waived: {donation.ref} {donation.money} from "
               f"{donation.donor.ref} {donation.donor.name} to {donation.fund.code} booked.")


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
        raise Refused(f"No plan {plan_id}.")
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
        raise Refused("No such donor.")
    try:
        with transaction():
            donors.merge(db.session, keep, merged, actor=None)
    except DomainError as error:
        raise _fail(error) from None
    click.echo(f"{merged.ref} merged into {keep.ref}.")
