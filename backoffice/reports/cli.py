"""``backoffice reports`` (the statements, the pack, DATEV, Beancount, the tax audit export) and
``backoffice import beancount``."""
from __future__ import annotations

import shutil
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import click
from flask.cli import AppGroup

from ..core import clock
from ..core.db import transaction
from ..core.errors import DomainError
from ..core.uploads import StoredFile, read_stored
from ..extensions import db, settings
from ..ledger.periods import FiscalYear
from . import (
    aging,
    audit_export,
    beancount_export,
    beancount_import,
    beancount_job,
    budgets,
    datev,
    fund_trend,
    pack,
    render,
    scope,
    spheres,
    statements,
    vat,
)
from .models import Sphere

reports_cli = AppGroup("reports", help="Reports and exports for the accountant and other tools.")
import_cli = AppGroup("import", help="Bring books kept elsewhere into the ledger.")

DAY = click.DateTime(["%Y-%m-%d"])


def _fail(error: DomainError) -> None:
    raise click.ClickException(str(error))


@reports_cli.command("datev")
@click.option("--start", type=DAY, required=True, help="First day (YYYY-MM-DD).")
@click.option("--end", type=DAY, required=True, help="Last day, in the same fiscal year.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default: EXTF_Buchungsstapel_<start>_<end>.csv).")
def datev_command(start: datetime, end: datetime, output: Path | None):
    """The journal of a period as a DATEV Buchungsstapel (EXTF) for the tax adviser."""
    config = settings()
    try:
        result = datev.export(db.session, config.datev, start=start.date(), end=end.date(),
                              fiscal_year=FiscalYear.of(config.organisation),
                              home_currency=config.organisation.default_currency,
                              exported_by="backoffice", now=datetime.now(UTC))
    except DomainError as error:
        _fail(error)
    target = output or Path(result.filename)
    with result.file as source, target.open("wb") as sink:
        shutil.copyfileobj(source, sink)
    click.echo(f"{target}: {result.bookings} bookings from {result.entries} entries.")
    for note in result.notes:
        click.echo(f"Note: {note}", err=True)


@reports_cli.command("beancount")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default: standard output).")
@click.option("--as-of", type=DAY, default=None, help="Last day to include (default: all).")
def beancount_command(output: Path | None, as_of: datetime | None):
    """The whole ledger as a Beancount file (bean-check accepts it; open it with Fava)."""
    config = settings()
    stream = output.open("w", encoding="utf-8") if output else sys.stdout
    try:
        result = beancount_export.write(
            db.session, stream, title=config.organisation.name,
            operating_currency=config.organisation.default_currency, link=beancount_export.page_links(config),
            as_of=as_of.date() if as_of else None)
    finally:
        if output:
            stream.close()
    if output:
        click.echo(f"{output}: {result.entries} entries on {result.accounts} accounts.")


@reports_cli.command("audit-export")
@click.option("--year", type=int, required=True, help="The fiscal year (the year it begins in).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Zip file to write (default: gdpdu-<year>.zip).")
def audit_export_command(year: int, output: Path | None):
    """The fiscal year for the tax auditor (GoBD data access: CSV files with index.xml)."""
    config = settings()
    fiscal_year = FiscalYear.of(config.organisation)
    start = date(year, fiscal_year.first_month, 1)
    target = output or Path(f"gdpdu-{year}.zip")
    with target.open("wb") as sink:
        result = audit_export.write_zip(db.session, sink, start=start, fiscal_year=fiscal_year,
                                        organisation=config.organisation.name,
                                        created=datetime.now(UTC))
    click.echo(f"{target}: " + ", ".join(f"{name} {rows} rows" for name, rows in result.items()))


@import_cli.command("beancount")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="TOML file mapping Beancount accounts to ledger account codes.")
@click.option("--dry-run", is_flag=True, help="Check and report; write nothing.")
@click.option("--queue", "queued", is_flag=True,
              help="Run it as a job on the queue's worker (its page and `backoffice jobs show`).")
def import_beancount_command(file: Path, mapping: Path | None, dry_run: bool, queued: bool):
    """Import a Beancount history into an empty ledger (all of it or nothing)."""
    if queued:
        with transaction():
            row = beancount_job.start(
                db.session, filename=file.name, data=file.read_bytes(), dry_run=dry_run,
                mapping_toml=mapping.read_text(encoding="utf-8") if mapping else None, actor=None)
        click.echo(f"Job {row.id}: {row.title}. Follow it with `backoffice jobs show {row.id}`.")
        return
    try:
        report = beancount_import.import_file(
            db.session, file, mapping=beancount_import.read_mapping(mapping), actor=None,
            dry_run=dry_run)
    except DomainError as error:
        _fail(error)
    for line in report.lines():
        click.echo(line)


# --- statements and the annual report pack (reports/statements.py, pack.py) --------------------

STATEMENT_FORMATS = ("csv", "xlsx", "pdf")


def _write_statements(found, fmt: str, output: Path | None, name: str) -> None:

    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if fmt == "csv":
        data = render.to_csv(found).encode()
    elif fmt == "xlsx":
        data = render.to_xlsx(found, generated=f"Data as of {generated}")
    else:
        data = render.to_pdf(found, organisation=settings().organisation.name,
                             generated=generated)
    target = output or Path(f"{name}.{fmt}")
    if str(target) == "-":
        sys.stdout.buffer.write(data)
        return
    target.write_bytes(data)
    click.echo(f"{target}: {', '.join(s.title + ' ' + s.currency for s in found)}.")


def _statement_command(name: str, help_text: str):
    def decorate(compute):
        @reports_cli.command(name, help=help_text)
        @click.option("--format", "fmt", type=click.Choice(STATEMENT_FORMATS), default="csv")
        @click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
                      help=f"File to write (default: {name}-<period>.<format>; - for stdout).")
        @click.option("--year", type=int, help="Fiscal year (default: the current one).")
        @click.option("--as-of", type=DAY, help="Balance sheet, aging: the day (default: today "
                      "or the year's last day).")
        def command(fmt: str, output: Path | None, year: int | None,
                    as_of: datetime | None) -> None:
            config = settings()
            fiscal_year = FiscalYear.of(config.organisation)
            year = year or fiscal_year.start(clock.today()).year
            start = date(year, fiscal_year.first_month, 1)
            end = statements.day_before(date(year + 1, fiscal_year.first_month, 1))
            found = compute(config, fiscal_year, year, start, end,
                            as_of.date() if as_of else min(end, clock.today()))
            _write_statements(found, fmt, output, f"{name}-{year}")
        return command
    return decorate


@_statement_command("balance-sheet", "The balance sheet at a day (the year's end by default).")
def balance_sheet_command(config, fiscal_year, year, start, end, as_of):
    return statements.compute_balance_sheet(db.session, as_of)


@_statement_command("activities", "The statement of activities for a fiscal year.")
def activities_command(config, fiscal_year, year, start, end, as_of):
    return statements.compute_activities(db.session, start, end)


@_statement_command("cash-flow", "Cash flow by month for a fiscal year.")
def cash_flow_command(config, fiscal_year, year, start, end, as_of):
    return statements.compute_cash_flow(db.session, start,
                                        bank_account_ids=scope.bank_ledger_accounts(db.session))


@_statement_command("fund-balances", "Each fund's balance at every month end of a fiscal year "
                    "(up to --as-of, today by default).")
def fund_balances_command(config, fiscal_year, year, start, end, as_of):
    return fund_trend.compute(db.session, start, fund_trend.shown_until(start, end, as_of),
                              config.organisation.default_currency)


@_statement_command("spheres", "The result per German tax sphere for a fiscal year.")
def spheres_command(config, fiscal_year, year, start, end, as_of):
    return [spheres.compute(db.session, start, end, config.reports,
                            config.organisation.default_currency)]


@_statement_command("budget", "The budget against actual for a fiscal year.")
def budget_command(config, fiscal_year, year, start, end, as_of):
    return [budgets.compute(db.session, year, fiscal_year, as_of,
                            config.organisation.default_currency)]


@_statement_command("aging", "Receivables and payables by age at a day.")
def aging_command(config, fiscal_year, year, start, end, as_of):
    return aging.compute(db.session, as_of if as_of else clock.today())[0]


@reports_cli.command("vat")
@click.option("--year", type=int, required=True)
@click.option("--quarter", type=click.IntRange(1, 4))
@click.option("--month", type=click.IntRange(1, 12))
@click.option("--format", "fmt", type=click.Choice(STATEMENT_FORMATS), default="csv")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path))
def vat_command(year: int, quarter: int | None, month: int | None, fmt: str, output: Path | None):
    """The figures of the advance VAT return for a quarter or a month, by Kennzahl."""

    if (quarter is None) == (month is None):
        raise click.UsageError("Give --quarter or --month.")
    start, end = vat.quarter_bounds(year, quarter) if quarter else vat.month_bounds(year, month)
    statement, _ = vat.compute(db.session, start, end,
                               settings().organisation.default_currency,
                               deducts_input_vat=settings().reports.deducts_input_vat)
    _write_statements([statement], fmt, output,
                      f"vat-{year}-" + (f"Q{quarter}" if quarter else f"{month:02d}"))


@reports_cli.command("pack")
@click.option("--year", type=int, required=True, help="The fiscal year (the year it begins in).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the PDF here.")
def pack_command(year: int, output: Path | None):
    """Make the annual report pack for the general assembly (one PDF, kept with its SHA-256)."""

    config = settings()
    with click.progressbar(length=len(pack.SECTION_TITLES), label=f"Annual report {year}",
                           file=sys.stderr) as bar:
        row = pack.make(db.session, year, config, actor=None,
                        progress=lambda done, total: bar.update(done - bar.pos))
    click.echo(f"Annual report pack {year}: {row.pages} pages, SHA-256 {row.sha256} "
               f"(pack {row.id}).")
    if output:
        output.write_bytes(read_stored(db.session.get(StoredFile, row.file_id),
                                       config.paths.uploads))
        click.echo(f"{output} written.")


@reports_cli.command("sphere-posting")
@click.argument("posting_id", type=int)
@click.argument("sphere", type=click.Choice([s.value for s in Sphere]))
@click.option("--reason", required=True, help="Why this posting belongs to that sphere.")
def sphere_posting_command(posting_id: int, sphere: str, reason: str):
    """Place one posting in another tax sphere than its account's (e.g. drinks sold at an event
    booked on ticket income)."""
    try:
        with transaction():
            spheres.set_posting_sphere(db.session, posting_id, Sphere(sphere),
                                       reason=reason, actor=None)
    except DomainError as error:
        _fail(error)
    click.echo(f"Posting {posting_id} is placed in {Sphere(sphere).label}.")
