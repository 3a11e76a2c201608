"""``backoffice ledger ...``: reports for scripts and the checks an auditor runs."""
from __future__ import annotations

import json
import sys
from datetime import date
from typing import TYPE_CHECKING

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..core import chain, clock
from ..core.db import transaction
from ..core.errors import DomainError
from ..core.exports import csv_writer
from ..core.money import Money
from ..extensions import db, settings
from . import services, totals
from .balances import by_fund, fund_balances, trial_balance
from .chart import Fund
from .integrity import problems
from .periods import FiscalYear, PeriodKind

if TYPE_CHECKING:
    from datetime import datetime

ledger_cli = AppGroup("ledger", help="Reports and checks of the fund ledger.")

FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]),
                      default="table", show_default=True)
AS_OF = click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), default=None,
                     help="Date (YYYY-MM-DD); today when omitted.")


def _amount(minor: int, currency: str) -> str:
    return f"{Money(minor, currency).to_decimal():f}"


def _emit(fmt: str, header: list[str], rows: list[list[str]], numeric: set[int]) -> None:
    if fmt == "csv":
        writer = csv_writer(sys.stdout, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    elif fmt == "json":
        click.echo(json.dumps([dict(zip(header, row)) for row in rows], indent=2))
    else:
        widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
        for row in [header, *rows]:
            click.echo("  ".join(str(v).rjust(w) if i in numeric else str(v).ljust(w)
                                 for i, (v, w) in enumerate(zip(row, widths))).rstrip())


@ledger_cli.command("trial-balance")
@AS_OF
@click.option("--fund", "fund_code", default=None, help="Only this fund (by code).")
@FORMAT
def trial_balance_command(as_of: datetime | None, fund_code: str | None, fmt: str):
    """Debit and credit balance of every account."""
    day = as_of.date() if as_of else clock.today()
    try:
        fund = services.fund_by_code(db.session, fund_code) if fund_code else None
    except DomainError as error:
        raise click.ClickException(str(error)) from None
    report = trial_balance(db.session, day, fiscal_year=FiscalYear.of(settings().organisation), fund=fund)
    rows = [[r.account.code, r.account.name, r.account.type.value, r.currency,
             _amount(r.debit, r.currency) if r.debit else "",
             _amount(r.credit, r.currency) if r.credit else ""] for r in report.rows]
    if fmt == "table":
        for currency, (debit, credit) in report.totals.items():
            rows.append(["", "Total", "", currency, _amount(debit, currency), _amount(credit, currency)])
    _emit(fmt, ["code", "account", "type", "currency", "debit", "credit"], rows, {4, 5})


@ledger_cli.command("fund-balances")
@AS_OF
@FORMAT
def fund_balances_command(as_of: datetime | None, fmt: str):
    """What every fund holds."""
    day = as_of.date() if as_of else clock.today()
    balances = by_fund(fund_balances(db.session, day))
    rows = []
    for fund in db.session.scalars(select(Fund).order_by(Fund.kind, Fund.code)):
        for currency, amount in sorted(balances.get(fund.id, {}).items()) or [("", 0)]:
            if fund.active or amount:
                rows.append([fund.code, fund.name, fund.kind.value, currency,
                             _amount(amount, currency) if currency else "0"])
    _emit(fmt, ["code", "fund", "kind", "currency", "balance"], rows, {4})


@ledger_cli.command("verify")
@click.option("--head", "noted", metavar="LINK:HASH", default=None,
              help="A chain head printed by an earlier verify: check that the chain still "
                   "passes through it (a rewrite of the whole chain does not).")
def verify_command(noted: str | None):
    """Check every invariant of the ledger; exit 1 and list what is wrong."""
    found = problems(db.session)
    if noted:
        position, _, expected = noted.partition(":")
        if not position.isdigit() or not expected:
            raise click.ClickException("Give the head as LINK:HASH, e.g. 1234:9f86d08...")
        found.extend(chain.differs_from_noted(db.session.connection(), int(position), expected))
    if found:
        for problem in found:
            click.echo(problem, err=True)
        raise click.ClickException(f"{len(found)} problem(s) found in the ledger.")
    links, head = chain.head(db.session.connection())
    click.echo("The ledger is consistent: every entry balances per currency and per fund, "
               "the cached totals equal the postings, and the hash chain over the entries and "
               "the audit log is unbroken.")
    click.echo(f"Chain head: {links}:{head} (note it, and check it later with --head: a "
               f"rewrite of the books changes it).")


@ledger_cli.command("rebuild-totals")
def rebuild_totals_command():
    """Recompute the cached totals from the postings."""
    with transaction():
        totals.rebuild(db.session)
    click.echo("Totals rebuilt from the postings.")


@ledger_cli.command("close-period")
@click.argument("period")
@click.option("--reopen", is_flag=True, help="Reopen instead of closing.")
def close_period_command(period: str, reopen: bool):
    """Close (or reopen) a month (2026-03) or a fiscal year (2026)."""
    fiscal_year = FiscalYear.of(settings().organisation)
    try:
        if len(period) == 4 and period.isdigit():
            kind, start = PeriodKind.YEAR, fiscal_year.start(date(int(period), 12, 31))
        else:
            kind, start = PeriodKind.MONTH, date.fromisoformat(period + "-01")
    except ValueError:
        raise click.ClickException(f"{period!r} is neither a month (2026-03) nor a year (2026).") from None
    try:
        with transaction():
            result = services.set_period_closed(db.session, kind, start, not reopen, actor=None,
                                                fiscal_year=fiscal_year)
    except DomainError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"The {result.label} is {'closed' if result.closed else 'open'}.")
