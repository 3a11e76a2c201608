"""``backoffice donations receipts --year 2026 [--send]``: the year-end run from the command line
(the same service as the page's job), with a progress bar; run it again after an interruption
and it issues only what is still due.

``backoffice donations receipt issue|cancel|replace``: one receipt, as its pages do it (the same
services): issue one for a donation, cancel one with a reason (the donor is told), replace one
(cancelled and issued again, saying which receipt it replaces, mailed to the donor). A refusal
is one line and exit code 2; nothing is written then."""
from __future__ import annotations

import click
from sqlalchemy import select

from ...core import clock
from ...core.db import transaction
from ...core.errors import DomainError
from ...extensions import db
from ...extensions import settings as app_settings
from ..models import Donation
from . import run, services
from .models import Receipt


class Refused(click.ClickException):
    """Bad input or a refusal of the service: one line, exit code 2, nothing written."""

    exit_code = 2


@click.command("receipts")
@click.option("--year", type=click.IntRange(2000, 2199), required=True,
              help="The calendar year whose donations are confirmed.")
@click.option("--send", is_flag=True, help="Mail each receipt (PDF attached) to its donor.")
@click.option("--date", "issue_date", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="The receipts' date (default: today).")
def receipts_command(year: int, send: bool, issue_date) -> None:
    """Issue every donation receipt YEAR still needs (collective receipts for donors who gave more
    than once, single receipts for the rest)."""
    day = issue_date.date() if issue_date else clock.today()
    with click.progressbar(length=1, label=f"Receipts {year}") as bar:
        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        try:
            outcome = run.run(db.session, year, settings=app_settings(), actor=None, send=send,
                              issue_date=day, progress=progress)
        except DomainError as refused:  # the notice, the association's details
            raise Refused(str(refused)) from None
    for _, line in outcome.lines(year):
        click.echo(line)


@click.group("receipt")
def receipt_command() -> None:
    """One receipt: issue it for a donation, cancel it, replace it."""


def _receipt(number: str) -> Receipt:
    """A receipt by its number (as printed: ZB-2026-00001) or its id."""
    found = db.session.scalar(select(Receipt).where(Receipt.number == number.strip()))
    if found is None and number.strip().isdigit() and int(number) < 2**53:
        found = db.session.get(Receipt, int(number))
    if found is None:
        raise Refused(f"No receipt {number}.")
    return found


@receipt_command.command("issue")
@click.argument("donation_id", type=click.IntRange(1, 2**53))
@click.option("--no-send", is_flag=True, help="Do not mail it to the donor.")
@click.option("--date", "issue_date", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="The receipt's date (default: today).")
def issue_command(donation_id: int, no_send: bool, issue_date) -> None:
    """Issue a single receipt for the donation DONATION_ID (and mail it to the donor)."""
    donation = db.session.get(Donation, donation_id)
    if donation is None:
        raise Refused(f"No donation {donation_id}.")
    try:
        receipt = services.issue_for_donation(
            db.session, donation, settings=app_settings(), actor=None, send=not no_send,
            issue_date=issue_date.date() if issue_date else None)
    except DomainError as refused:
        raise Refused(str(refused)) from None
    click.echo(f"Receipt {receipt.number} issued for {donation.ref}"
               f"{'' if no_send else ', mailed to the donor'}.")


@receipt_command.command("cancel")
@click.argument("receipt")
@click.option("--reason", required=True, help="Why it is void (the donor is told).")
def cancel_command(receipt: str, reason: str) -> None:
    """Cancel RECEIPT (its number or id); the donor is told."""
    row = _receipt(receipt)
    if not reason.strip():
        raise Refused("Say why the receipt is cancelled (--reason).")
    try:
        with transaction():
            services.cancel(db.session, row, reason=reason, actor=None, settings=app_settings())
    except DomainError as refused:
        raise Refused(str(refused)) from None
    click.echo(f"Receipt {row.number} cancelled; the donor is told.")


@receipt_command.command("replace")
@click.argument("receipt")
@click.option("--reason", required=True, help="Why it is replaced (the donor is told).")
@click.option("--date", "issue_date", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="The replacement's date (default: today).")
def replace_command(receipt: str, reason: str, issue_date) -> None:
    """Cancel RECEIPT (its number or id) and issue its replacement, mailed to the donor."""
    row = _receipt(receipt)
    if not reason.strip():
        raise Refused("Say why the receipt is replaced (--reason).")
    try:
        replacement = services.replace(db.session, row, reason=reason, actor=None,
                                       settings=app_settings(),
                                       issue_date=issue_date.date() if issue_date else None)
    except DomainError as refused:
        raise Refused(str(refused)) from None
    click.echo(f"Receipt {row.number} replaced by {replacement.number}, mailed to the donor.")
