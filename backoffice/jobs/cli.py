"""``backoffice jobs``: the schedule, one scheduled job run now, a job's progress, the outbox."""
from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from ..core import jobs, outbox, queue
from ..extensions import db, settings
from .schedule import SCHEDULE

jobs_cli = AppGroup("jobs", help="Background jobs, the schedule and the mail outbox.")


@jobs_cli.command("schedule")
def schedule_command():
    """List what runs on its own (Celery beat) and when."""
    for name, entry in SCHEDULE.items():
        click.echo(f"{name:<18} {entry.when():<24} {entry.job:<16} {entry.what}")


@jobs_cli.command("run-scheduled")
@click.argument("name", type=click.Choice(sorted(SCHEDULE)))
def run_scheduled(name):
    """Run one scheduled job now, in this process (whether or not a queue is configured)."""
    entry = SCHEDULE[name]
    started = time.monotonic()
    try:
        with queue.running_with(current_app.config, settings()):
            result = queue.JOBS[entry.job]()
    except queue.RetryLater as later:
        raise click.ClickException(f"{name}: {later}") from None
    click.echo(f"{name} ({entry.job}) done in {time.monotonic() - started:.1f} s: {result}")


@jobs_cli.command("show")
@click.argument("job_id", type=int)
@click.option("--wait/--no-wait", default=True, help="Follow the job until it has finished.")
def show_command(job_id, wait):
    """A job's state, with a progress bar while it runs, then its result."""
    job = db.session.get(jobs.Job, job_id)
    if job is None:
        raise click.ClickException(f"No job {job_id}.")
    click.echo(f"Job {job.id}: {job.title} ({job.kind}), {job.state}")
    if wait and not job.finished:
        with click.progressbar(length=max(job.total, 1), label="Progress") as bar:
            while not job.finished:
                time.sleep(0.5)
                db.session.expire(job)
                bar.length = max(job.total, 1)
                bar.update(job.done - bar.pos)
            bar.update(bar.length - bar.pos)
    if job.state == jobs.FAILED:
        raise click.ClickException(f"Job {job.id} failed: {job.error}")
    for _category, note in (job.result or {}).get("notes", []):
        click.echo(note)
    if job.state == jobs.DONE and not (job.result or {}).get("notes"):
        click.echo(f"Done: {job.result}")


@jobs_cli.command("outbox")
def outbox_command():
    """Mail waiting or failed in the outbox."""
    counts = outbox.counts(db.session)
    click.echo(", ".join(f"{state}: {count}" for state, count in sorted(counts.items()))
               or "The outbox is empty.")
    for mail in db.session.scalars(select(outbox.OutboxMail).where(
            outbox.OutboxMail.state.in_([outbox.PENDING, outbox.FAILED]))
            .order_by(outbox.OutboxMail.id)):
        click.echo(f"{mail.id:>6} {mail.state:<8} {mail.attempts:>2} {mail.recipients}: "
                   f"{mail.subject} {mail.last_error}")
