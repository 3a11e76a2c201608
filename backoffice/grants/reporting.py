"""Reporting back: the applicant's report, closing the grant (unused money returned) and the
daily reminders."""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core import audit, clock
from ..core.actors import Actor
from ..core.errors import ValidationError
from ..core.i18n import _
from ..core.money import Money
from ..core.settings import Settings
from ..ledger import services as ledger
from . import conflicts
from .applying import store_files
from .lifecycle import (
    BANK_ROLE,
    GRANTS_EXPENSE_ROLE,
    S,
    check,
    locked,
    required_text,
    transition,
)
from .models import Application, Report
from .notify import applicant_mail

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .applying import Upload


def submit_report(session: Session, application: Application, *, narrative: str,
                  attendance: int | None, amount_spent: Money, unused: Money, uploads: Iterable[Upload] = (),
                  actor: Actor, settings: Settings) -> Report:
    application = locked(session, application)
    check(application, "report")
    narrative = required_text(narrative, "narrative", _("Please tell us how it went."), 20000)
    if attendance is None or attendance < 0:
        raise ValidationError(_("Give the number of people who took part."), field="attendance")
    for name, money in (("amount_spent", amount_spent), ("unused", unused)):
        if money.currency != application.currency or money.amount < 0:
            raise ValidationError(_("Give an amount in %(currency)s, zero or more.",
                                    currency=application.currency), field=name)
    if unused.amount > application.amount_paid:
        raise ValidationError(_("The unused amount cannot be more than the grant paid "
                                "(%(paid)s).",
                                paid=Money(application.amount_paid, application.currency)),
                              field="unused")
    if not uploads:
        raise ValidationError(_("Attach the receipts (PDF, or photos as JPEG or PNG)."),
                              field="receipts")
    store_files(session, application, list(uploads), "report", actor, settings,
                allowed=frozenset({"pdf", "jpeg", "png"}), field_name="receipts")
    report = Report(application=application, narrative=narrative, attendance=attendance,
                    amount_spent=amount_spent.amount, unused_amount=unused.amount)
    session.add(report)
    transition(session, application, "report", actor, settings=settings)
    return report


def close_grant(session: Session, application: Application, *, returned: Money, note: str = "",
                actor: Actor, booking_date: date | None = None, settings: Settings) -> Application:
    """Accept the report back; money returned to the bank goes back into the programme's fund."""
    booking_date = booking_date or clock.today()
    application = locked(session, application)
    check(application, "close")
    conflicts.refuse(application, actor, "close")
    report = application.report
    if returned.currency != application.currency or returned.amount < 0:
        raise ValidationError(_("Give the amount returned in %(currency)s.",
                                currency=application.currency),
                              field="returned")
    if returned.amount > application.amount_paid:
        raise ValidationError(_("More cannot come back than was paid."), field="returned")
    if returned.amount:
        fund = application.programme.fund
        entry = ledger.post_entry(
            session, booking_date=booking_date, actor=actor, source=("grant_return", application.id),
            description=f"Grant {application.reference}: unused amount returned by "
                        f"{application.applicant_name}",
            lines=[ledger.Line(ledger.account_by_role(session, BANK_ROLE), fund, returned),
                   ledger.Line(ledger.account_by_role(session, GRANTS_EXPENSE_ROLE), fund,
                               -returned)])
        report.returned_entry_id = entry.id
    transition(session, application, "close", actor, reason=(note or "").strip(),
               settings=settings)
    return application


def run_reminders(session: Session, today: date | None = None, *,
                  settings: Settings) -> dict[str, int]:
    """The daily job: reports become due after the event, reminders go out before and after the
    due date, and reports not in by then become overdue. Safe to run more than once a day."""
    today = today or clock.today()
    counts = {"due": 0, "reminded": 0, "overdue": 0, "overdue_reminded": 0}
    before, every = settings.grants.remind_days_before, settings.grants.remind_every_days
    for application in session.scalars(select(Application).where(Application.status == S.PAID)):
        end = application.event_end or application.event_start
        if end is not None and end <= today:
            transition(session, application, "report_due", None, settings=settings)
            application.last_reminder_on = today
            counts["due"] += 1
    for application in session.scalars(select(Application).where(
            Application.status == S.REPORT_DUE)):
        if application.report_due_on < today:
            transition(session, application, "report_overdue", None, settings=settings)
            application.last_reminder_on = today
            counts["overdue"] += 1
        elif (application.report_due_on - today).days <= before and (
                application.last_reminder_on is None
                or (application.report_due_on - application.last_reminder_on).days > before):
            applicant_mail(session, application, "reminder", settings=settings)
            application.last_reminder_on = today
            counts["reminded"] += 1
    for application in session.scalars(select(Application).where(
            Application.status == S.REPORT_OVERDUE)):
        if application.last_reminder_on is None or \
                (today - application.last_reminder_on).days >= every:
            applicant_mail(session, application, "overdue_reminder", settings=settings)
            application.last_reminder_on = today
            counts["overdue_reminded"] += 1
    if any(counts.values()):
        audit.record(session, None, "grant.reminders", "grant_application", None,
                     summary=", ".join(f"{k} {v}" for k, v in counts.items()))
    return counts
