"""The scheduled jobs that belong to no single package's import job (``schedule.SCHEDULE``):
each a job function around the service that the daily command has called so far."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ..board import reminders as board_reminders
from ..board import services as board
from ..core import backup, clock, privacy
from ..core.db import transaction
from ..core.queue import job, job_settings
from ..donations import plans as donation_plans
from ..extensions import db
from ..grants import reporting
from ..invoicing import services as invoicing
from ..ledger import totals


@job("invoices.remind")
def invoice_reminders() -> dict:
    with Session(db.engine) as session, transaction(session):
        sent = invoicing.send_due_reminders(session, today=clock.today(), settings=job_settings())
    return {"sent": len(sent)}


@job("ledger.totals")
def carry_totals() -> dict:
    """The cumulative totals carried to the end of last year (at the turn of the year; on other
    days nothing is to do)."""
    with Session(db.engine) as session, transaction(session):
        return {"horizon": totals.advance(session, clock.today().year - 1)}


@job("grants.remind")
def grant_reports() -> dict:
    with Session(db.engine) as session, transaction(session):
        return reporting.run_reminders(session, clock.today(), settings=job_settings())


@job("backup")
def daily_backup() -> dict:
    configured = job_settings()
    path = backup.create_backup(configured.paths)
    removed = backup.prune(path.parent, configured.backups.keep)
    return {"archive": path.name, "removed": [old.name for old in removed]}


@job("privacy.retention")
def retention() -> dict:
    with Session(db.engine) as session, transaction(session):
        return privacy.sweep(session, today=clock.today(), settings=job_settings())


@job("board.terms")
def terms_ending() -> dict:
    with Session(db.engine) as session, transaction(session):
        organisation = job_settings().organisation
        return board_reminders.remind_terms_ending(session, clock.today(),
                                                   organisation=organisation.name,
                                                   locale=organisation.default_locale)


@job("board.circulars")
def circular_deadlines(now: str | None = None) -> dict:
    """Circular votes whose result is certain or whose deadline passed get their result
    (``now``: an ISO time, for a run that stands in for another moment)."""
    with Session(db.engine) as session, transaction(session):
        return {"decided": board.settle_due(
            session, datetime.fromisoformat(now) if now else None)}


@job("donations.plans.finish")
def donation_plans_to_end() -> dict:
    """Recurring plans whose cancellation was asked for but not confirmed by Stripe (a crash or
    an error between the steps) are ended now, once."""
    with Session(db.engine, expire_on_commit=False) as session:
        return {"finished": donation_plans.finish_requested(session, job_settings().stripe)}
