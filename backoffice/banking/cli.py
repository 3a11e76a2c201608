"""``backoffice bank ...``: bank accounts and statement import from the command line."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..core.db import transaction
from ..core.errors import DomainError
from ..extensions import db, settings
from ..ledger.services import account_by_code
from . import imports, open_postings, services
from .models import BankAccount, BankLine
from .parsers import FORMATS

bank_cli = AppGroup("bank", help="Bank accounts and statements.")


@bank_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--account", "iban", required=True, help="IBAN of the bank account.")
@click.option("--currency", default=None,
              help="With an IBAN that holds several currencies: the account whose CSV mapping "
                   "to use (CAMT and MT940 statements go to their own currency's account).")
@click.option("--format", "format_", type=click.Choice(sorted(FORMATS)), default=None,
              help="Statement format (default: recognised from the content).")
def import_command(file: Path, iban: str, currency: str | None, format_: str | None):
    """Import a statement file (CAMT.053, MT940, or CSV with the account's saved mapping)."""
    bars: list = []

    def progress(done: int, total: int) -> None:
        if not bars:
            bars.append(click.progressbar(length=max(total, 1), label=f"Importing {file.name}"))
            bars[0].__enter__()
        bar = bars[0]
        bar.update(done - bar.pos)

    try:
        with transaction():
            account = services.bank_account_by_iban(db.session, iban, currency)
            result = imports.import_statement(db.session, account, filename=file.name,
                                               data=file.read_bytes(), actor=None,
                                               format=format_, progress=progress, settings=settings())
    except DomainError as error:
        raise click.ClickException(f"{file.name}: {error} Nothing was imported.") from None
    finally:
        if bars:
            bars[0].__exit__(None, None, None)
    if result.already_imported:
        click.echo(f"{file.name}: {imports.already_imported_text(result)}")
    for record in [] if result.already_imported else result.records:
        target = db.session.get(BankAccount, record.bank_account_id)
        open_lines = db.session.scalar(select(db.func.count()).select_from(BankLine).where(
            BankLine.bank_account_id == target.id, BankLine.status == "open"))
        into = f" into {target.name} ({target.currency})" if len(result.records) > 1 else ""
        click.echo(f"{file.name} ({FORMATS[record.format]}){into}: {record.statements} "
                   f"statement(s), {record.lines_new} new line(s), {record.lines_duplicate} "
                   f"already known, {record.lines_by_rule} booked by rules, "
                   f"{record.lines_auto_matched} matched automatically; {open_lines} line(s) "
                   f"wait for reconciliation.")
    for other in sorted(set(result.skipped_statements)):
        click.echo(f"Skipped the statements of another account: {other}")


@bank_cli.command("accounts")
def accounts_command():
    """List the bank accounts."""
    for account in db.session.scalars(select(BankAccount).order_by(BankAccount.name)):
        click.echo(f"{account.iban:<34} {account.currency} {account.ledger_account.code:<6} "
                   f"{account.name}")


@bank_cli.command("add-account")
@click.argument("name")
@click.argument("iban")
@click.option("--currency", default="EUR", show_default=True)
@click.option("--ledger-account", "code", default="1200", show_default=True,
              help="Code of the ledger account the bank account is kept on.")
@click.option("--bic", default="")
def add_account_command(name: str, iban: str, currency: str, code: str, bic: str):
    """Set up a bank account."""
    try:
        with transaction():
            account = services.create_bank_account(
                db.session, name=name, iban=iban, bic=bic, currency=currency,
                ledger_account=account_by_code(db.session, code), actor=None)
    except DomainError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Bank account {account.label} is set up on {account.ledger_account.label}.")


@bank_cli.command("verify")
def verify_command():
    """Check what banking keeps derived (the bank postings still open) against the postings and
    the matches; exit 1 and list what differs."""
    found = open_postings.differences(db.session)
    if found:
        for problem in found:
            click.echo(problem, err=True)
        raise click.ClickException(f"{len(found)} problem(s) found; "
                                   f"`backoffice bank rebuild-open-postings` writes them again.")
    click.echo("The bank postings still open agree with the postings and the matches.")


@bank_cli.command("rebuild-open-postings")
def rebuild_open_postings_command():
    """Write the bank postings still open again from the postings and the matches."""
    with transaction():
        count = open_postings.rebuild(db.session)
    click.echo(f"{count} bank posting(s) still open, rebuilt from the postings and the matches.")
