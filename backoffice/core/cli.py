"""``backoffice doctor``: say plainly what this machine lacks, instead of failing obscurely later;
``backoffice db grant-app-role``: the application's own database role (PostgreSQL);
``backoffice backup|restore``; ``backoffice serve``: the production processes of one machine."""
import shutil
import sqlite3
import subprocess
import sys
import time
import warnings
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import inspect, text

from ..extensions import db, settings
from . import backup, catalogs, clock, health, outbox, privacy, processes
from .db import transaction
from .errors import DomainError
from .protection import app_role_grants
from .settings import setup_problems
from .template_text import untranslated, wrap

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
    """Check the database, migrations, Redis, storage, backups, PDF rendering, test browser."""
    problems = 0
    checks = health.readiness()
    for check in checks:
        if check.name == "database" and check.ok:
            click.echo(f"ok    database {db.engine.url.render_as_string(hide_password=True)}")
        elif check.ok:
            click.echo(f"ok    {check.name} {check.detail}".rstrip())
        else:
            problems += 1
            click.echo(f"FAIL  {check.name}: {check.reason} ({check.detail})" if check.detail
                       else f"FAIL  {check.name}: {check.reason}")
    backups = Path(settings().paths.backups)
    latest = backup.newest(backups)
    if latest is None:
        click.echo(f"WARN  no backup in {backups} (`backoffice backup`, daily)")
    else:
        age = (time.time() - latest.stat().st_mtime) / 3600
        click.echo(f"{'ok  ' if age <= 26 else 'WARN'}  newest backup {latest.name}, "
                   f"{age:.0f} hours old")
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
    if not any(check.name in ("database", "migrations") and not check.ok for check in checks):
        waiting = outbox.counts(db.session)
        failed, pending = waiting.get(outbox.FAILED, 0), waiting.get(outbox.PENDING, 0)
        click.echo(f"{'WARN' if failed else 'ok  '}  outbox: {pending} waiting, {failed} failed"
                   + (" (see /admin/outbox)" if failed else ""))
    values = settings()
    if values.production and not values.mail.server:
        click.echo("WARN  production without MAIL_SERVER: mail is only written to the log")
    elif not values.mail.server:
        click.echo("info  no MAIL_SERVER: mail is only written to the log")
    else:
        click.echo(f"ok    mail through {values.mail.server}:{values.mail.port}")
    stripe = [name for name, value in (("STRIPE_SECRET_KEY", values.stripe.secret_key),
                                       ("STRIPE_WEBHOOK_SECRET", values.stripe.webhook_secret))
              if not value]
    click.echo(f"{'WARN' if values.production else 'info'}  Stripe: {', '.join(stripe)} not set "
               "(sponsors can only pay by bank transfer)" if stripe else "ok    Stripe keys set")
    if not any(check.name == "database" and not check.ok for check in checks):
        missing = setup_problems(values)
        for problem in missing:
            click.echo(f"{'FAIL' if values.production else 'WARN'}  setup: {problem}")
        problems += len(missing) if values.production else 0
        if not missing:
            click.echo("ok    the association's details are complete (documents can be issued)")
    if problems:
        click.echo(f"{problems} problem(s) found.")


@click.command("grant-app-role")
@click.argument("role")
@with_appcontext
def grant_app_role(role: str):
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


@click.command("backup")
@click.option("--folder", type=click.Path(file_okay=False, path_type=Path),
              help="Where to write the archive (default: BACKUP_FOLDER, instance/backups).")
@click.option("--keep", type=click.IntRange(min=1),
              help="Afterwards keep only the newest KEEP archives in the folder.")
@with_appcontext
def backup_command(folder: Path | None, keep: int | None):
    """Write one archive: the database, every stored file, a manifest with their SHA-256."""
    started = time.monotonic()
    try:
        path = backup.create_backup(settings().paths, folder)
        removed = backup.prune(path.parent, keep) if keep else []
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Wrote {path} ({path.stat().st_size / 1e6:.1f} MB) in "
               f"{time.monotonic() - started:.1f} s.")
    for old in removed:
        click.echo(f"Removed {old.name} (keeping the newest {keep}).")


@click.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(archive: Path):
    """Restore ARCHIVE into this instance, whose database and upload folder must be empty."""
    started = time.monotonic()
    try:
        manifest = backup.restore(archive, settings().paths)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Restored the backup of {manifest['created_at']} ({len(manifest['parts'])} "
               f"parts, migration {manifest['alembic_revision']}) in "
               f"{time.monotonic() - started:.1f} s. Run `backoffice ledger verify`.")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=processes.default_web_workers,
              show_default="one per core", help="gunicorn's web worker processes.")
@click.option("--threads", type=click.IntRange(min=1), default=processes.WEB_THREADS,
              show_default=True, help="Requests each web worker serves at once.")
@click.option("--job-concurrency", type=click.IntRange(min=1), default=2, show_default=True,
              help="Jobs the Celery worker runs at once.")
@with_appcontext
def serve(host: str, port: int, workers: int, threads: int, job_concurrency: int):
    """Serve in production on this machine: gunicorn, a job worker and the scheduler.

    When one of them stops the others are stopped and the command fails, for systemd or the
    container runtime to restart. `make run` is the development server (no queue needed)."""
    if not current_app.config.get("QUEUE_BROKER_URL"):
        raise click.ClickException("serve runs jobs on a queue: set QUEUE_BROKER_URL (e.g. "
                                   "redis://127.0.0.1:6379/0). For development use `make run`.")
    if db.engine.dialect.name == "sqlite":
        click.echo("WARN  several processes on one SQLite file: PostgreSQL is the production "
                   "database (DATABASE_URL=postgresql+psycopg://...)")
    db.engine.dispose()  # the children open their own connections
    schedule = Path(current_app.instance_path) / "celerybeat-schedule"
    commands = processes.production_commands(host=host, port=port, web_workers=workers,
                                             web_threads=threads, job_concurrency=job_concurrency,
                                             beat_schedule=str(schedule))
    sys.exit(processes.supervise(commands, say=click.echo))


privacy_cli = AppGroup("privacy", help="A person's data: export it, erase it; the retention rules.")


@privacy_cli.command("export")
@click.argument("email")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The ZIP file to write.")
def privacy_export(email: str, out: Path):
    """Everything held about EMAIL as a ZIP (JSON and their documents)."""
    try:
        with transaction():
            data = privacy.export(db.session, email, actor=None, today=clock.today(),
                                  settings=settings())
    except DomainError as error:
        raise click.ClickException(str(error)) from None
    out.write_bytes(data)
    click.echo(f"Wrote {out} ({len(data) / 1e3:.0f} kB).")


@privacy_cli.command("erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def privacy_erase(email: str, yes: bool):
    """Erase what is held about EMAIL where no duty to keep it applies, anonymise the rest."""
    if not yes:
        click.confirm(f"Erase the personal data of {email}?", abort=True)
    try:
        with transaction():
            outcomes = privacy.erase(db.session, email, actor=None, today=clock.today(),
                                     settings=settings())
    except DomainError as error:
        raise click.ClickException(str(error)) from None
    for outcome in outcomes:
        click.echo(f"{outcome.done:10}  {outcome.label}: {outcome.why}")
    if not outcomes:
        click.echo(f"Nothing is held about {email}.")


@privacy_cli.command("retention")
def privacy_retention():
    """Apply the retention rules now (the daily privacy.retention job does it on its own)."""
    with transaction():
        done = privacy.sweep(db.session, today=clock.today(), settings=settings())
    for rule, count in sorted(done.items()):
        click.echo(f"{count:6}  {rule}")


# --- translations (docs/I18N.md) -----------------------------------------------------------------

translations_cli = AppGroup("translations", help="The German catalogs of each package.")


@translations_cli.command("update")
@click.argument("packages", nargs=-1)
def update_translations(packages: tuple[str, ...]):
    """Extract the marked messages of PACKAGES (all without) into their catalogs."""
    for name in packages or catalogs.PACKAGES:
        if name not in catalogs.PACKAGES:
            raise click.UsageError(f"No package {name!r}: one of {', '.join(catalogs.PACKAGES)}.")
        for language in catalogs.LANGUAGES:
            total, missing = catalogs.update(catalogs.PACKAGES[name], language)
            click.echo(f"{name:10} {language}: {total} messages, {missing} untranslated")


@translations_cli.command("wrap")
@click.argument("templates", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def wrap_templates(templates: tuple[Path, ...]):
    """Mark the plain visible text of TEMPLATES for translation; list what is left to do by hand."""
    for path in templates:
        source = path.read_text()
        marked = wrap(source) if path.suffix == ".html" else source
        if marked != source:
            path.write_text(marked)
        for left in untranslated(marked, text_template=path.suffix != ".html"):
            click.echo(f"{path}:{left.line}: {left.text}")
