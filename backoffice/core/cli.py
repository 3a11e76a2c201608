"""``backoffice doctor``: say plainly what this machine lacks, instead of failing obscurely later;
``backoffice db grant-app-role``: the application's own database role (PostgreSQL)."""
import shutil
import sqlite3
import subprocess
import sys
import warnings

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import inspect, text

from ..extensions import db
from . import health
from .db import transaction
from .protection import app_role_grants

MIN_SQLITE = (3, 33)  # UPDATE ... FROM (bank matches written in bulk)


def _weasyprint_problem() -> str | None:
    """WeasyPrint needs Pango and HarfBuzz's subsetting library from the system."""
    probe = ("import warnings; warnings.simplefilter('error');"
             "import weasyprint; weasyprint.HTML(string='<p>ok</p>').write_pdf()")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    if result.returncode == 0:
        return None
    last = (result.stderr.strip().splitlines() or ["unknown error"])[-1]
    return (f"PDF rendering (WeasyPrint) is not ready: {last}\n"
            "      On Debian/Ubuntu: apt-get install libpango-1.0-0 libpangoft2-1.0-0 "
            "libharfbuzz-subset0")


@click.command("doctor")
@with_appcontext
def doctor():
    """Check the database, migrations, Redis, storage, PDF rendering and the test browser."""
    problems = 0
    for check in health.readiness():
        if check.name == "database" and check.ok:
            click.echo(f"ok    database {db.engine.url.render_as_string(hide_password=True)}")
        elif check.ok:
            click.echo(f"ok    {check.name} {check.detail}".rstrip())
        else:
            problems += 1
            click.echo(f"FAIL  {check.name}: {check.reason} ({check.detail})" if check.detail
                       else f"FAIL  {check.name}: {check.reason}")
    if sqlite3.sqlite_version_info < MIN_SQLITE:
        problems += 1
        click.echo(f"FAIL  SQLite {sqlite3.sqlite_version} is too old: the app needs "
                   f"{'.'.join(map(str, MIN_SQLITE))} or newer (UPDATE ... FROM)")
    with warnings.catch_warnings():
        issue = _weasyprint_problem()
    if issue:
        problems += 1
        click.echo(f"WARN  {issue}")
    else:
        click.echo("ok    PDF rendering (WeasyPrint)")
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    click.echo(f"ok    chromium for browser tests: {browser}" if browser else
               "info  no chromium: browser tests will be skipped (apt-get install chromium)")
    if current_app.config["ENV"] == "production" and not current_app.config.get("MAIL_SERVER"):
        click.echo("WARN  production without MAIL_SERVER: mail is only written to the log")
    if problems:
        click.echo(f"{problems} problem(s) found.")


@click.command("grant-app-role")
@click.argument("role")
@with_appcontext
def grant_app_role(role):
    """PostgreSQL: give ROLE, the login the application connects as, only what it needs.

    Run it as the owner of the tables (who runs `db upgrade`), after every upgrade. ROLE gets
    SELECT and INSERT on the append-only tables and no TRUNCATE anywhere; owning nothing, it can
    neither alter the tables nor drop their triggers."""
    if db.engine.dialect.name != "postgresql":
        raise click.ClickException("Database roles exist on PostgreSQL only.")
    with transaction():
        tables = inspect(db.session.connection()).get_table_names()
        for statement in app_role_grants(tables, role):
            db.session.execute(text(statement))
    click.echo(f"{role} may read and write the {len(tables)} tables as the application does; "
               f"the append-only ones only by INSERT.")
