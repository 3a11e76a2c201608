"""``backoffice reports datev|beancount|audit-export`` and ``backoffice import beancount``."""
from __future__ import annotations

import shutil
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import click
from flask.cli import AppGroup
from werkzeug.routing import BuildError

from ..core.errors import DomainError
from ..core.urls import absolute_url
from ..extensions import db, settings
from ..ledger.periods import FiscalYear
from . import audit_export, beancount_export, beancount_import, datev

reports_cli = AppGroup("reports", help="Reports and exports for the accountant and other tools.")
import_cli = AppGroup("import", help="Bring books kept elsewhere into the ledger.")

DAY = click.DateTime(["%Y-%m-%d"])


def _fail(error: DomainError) -> None:
    raise click.ClickException(str(error))


def page_link(endpoint: str, values: dict) -> str | None:
    """The absolute address of a page (None when the app has no such page)."""
    try:
        return absolute_url(settings(), endpoint, **values)
    except BuildError:
        return None


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
            operating_currency=config.organisation.default_currency, link=page_link,
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
def import_beancount_command(file: Path, mapping: Path | None, dry_run: bool):
    """Import a Beancount history into an empty ledger (all of it or nothing)."""
    try:
        report = beancount_import.import_file(
            db.session, file, mapping=beancount_import.read_mapping(mapping), actor=None,
            dry_run=dry_run)
    except DomainError as error:
        _fail(error)
    for line in report.lines():
        click.echo(line)
