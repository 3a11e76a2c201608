"""``backoffice funds ...``: fund statements for scripts."""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click
from flask.cli import AppGroup

from ..core import clock
from ..core.errors import DomainError
from ..extensions import db, settings
from ..ledger.periods import FiscalYear
from ..ledger.services import fund_by_code
from .statements import statements, to_csv

if TYPE_CHECKING:
    from datetime import datetime

funds_cli = AppGroup("funds", help="Fiscal sponsorship funds.")


@funds_cli.command("statement")
@click.argument("code")
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="First day (YYYY-MM-DD); the start of the fiscal year when omitted.")
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Last day (YYYY-MM-DD); today when omitted.")
def statement_command(code: str, start: datetime | None, end: datetime | None):
    """A fund's statement as CSV: opening balance, income, admin fees, expenses, transfers,
    closing balance."""
    end = end.date() if end else clock.today()
    start = start.date() if start else FiscalYear.of(settings().organisation).start(end)
    if end < start:
        raise click.ClickException("The end date is before the start date.")
    try:
        fund = fund_by_code(db.session, code)
    except DomainError as error:
        raise click.ClickException(str(error)) from None
    sys.stdout.write(to_csv(fund, statements(db.session, fund, start, end)))
