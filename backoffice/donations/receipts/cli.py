"""``backoffice donations receipts --year 2026 [--send]``: the year-end run from the command line
(the same service as the page's job), with a progress bar; run it again after an interruption
and it issues only what is still due."""
from __future__ import annotations

from datetime import date

import click

from ...core.settings import SetupIncomplete
from ...extensions import db
from ...extensions import settings as app_settings
from . import run
from .notice import ReceiptRefused


@click.command("receipts")
@click.option("--year", type=click.IntRange(2000, 2199), required=True,
              help="The calendar year whose donations are confirmed.")
@click.option("--send", is_flag=True, help="Mail each receipt (PDF attached) to its donor.")
@click.option("--date", "issue_date", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="The receipts' date (default: today).")
def receipts_command(year: int, send: bool, issue_date) -> None:
    """Issue every donation receipt YEAR still needs (collective receipts for donors who gave more
    than once, single receipts for the rest)."""
    day = issue_date.date() if issue_date else date.today()
    with click.progressbar(length=1, label=f"Receipts {year}") as bar:
        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        try:
            outcome = run.run(db.session, year, settings=app_settings(), actor=None, send=send,
                              issue_date=day, progress=progress)
        except (ReceiptRefused, SetupIncomplete) as refused:
            raise click.ClickException(str(refused)) from None
    for _, line in outcome.lines(year):
        click.echo(line)
