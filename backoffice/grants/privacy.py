"""A grant applicant, for ``core.privacy``: their applications exported with the files sent; an
application never decided in their favour is erased on request or once declined for longer than
the rule; one that moved money keeps what the books need (who was paid, into which account)."""
from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..core.actors import Actor
from ..core.privacy import (
    ANONYMISED,
    ERASED,
    KEPT,
    Holding,
    Outcome,
    is_placeholder,
    months_before,
    placeholder_email,
)
from ..core.uploads import forget_linked, read_stored
from .models import REVIEW_STATES, Application, Status

DECLINED = (Status.DRAFT, Status.REJECTED, Status.WITHDRAWN, Status.CANCELLED)


def holdings(sender, *, session: Session, email: str, settings) -> list[Holding]:
    applications = session.scalars(select(Application).where(
        func.lower(Application.contact_email) == email).order_by(Application.id)).all()
    return [Holding("grant application", f"Grant application {a.id}: {a.title}", _data(a),
                    _erase(a), files=[(f.file.original_name, read_stored(f.file, settings.paths.uploads))
                                      for f in a.attachments])
            for a in applications]


def _data(application: Application) -> dict:
    return {
        "programme": application.programme.name, "status": application.status.value,
        "applicant": application.applicant_name, "contact_name": application.contact_name,
        "contact_email": application.contact_email, "title": application.title,
        "description": application.description, "event_start": application.event_start,
        "event_end": application.event_end, "currency": application.currency,
        "amount_requested": application.amount_requested,
        "amount_awarded": application.amount_awarded, "answers": application.answers,
        "other_funding": application.other_funding, "account_holder": application.account_holder,
        "iban": application.iban, "submitted_at": application.submitted_at,
        "decided_at": application.decided_at,
        "messages": [{"at": e.at, "action": e.action, "text": e.reason}
                     for e in application.events if e.public],
    }


def _moved_money(application: Application) -> bool:
    return application.commitment_entry_id is not None or bool(application.disbursements)


def _erase(application: Application):
    def erase(session: Session, actor: Actor | None, today: date) -> Outcome:
        label = f"Grant application {application.id}: {application.title}"
        if application.status in REVIEW_STATES:
            return Outcome(label, KEPT, "it is still being decided: withdraw it (or let the "
                           "committee decide) and ask again")
        if _moved_money(application):
            application.contact_name = ""
            application.contact_email = placeholder_email("applicant", application.id)
            return Outcome(label, ANONYMISED, "the grant moved money: its bookkeeping records "
                           "(who was paid how much, into which account, for what) are kept for "
                           "10 years (§ 147 AO); the contact's name and address are erased")
        _erase_all(session, application)
        return Outcome(label, ERASED, "no grant was paid on it")
    return erase


def _erase_all(session: Session, application: Application) -> None:
    """Everything that names or describes the applicant; the record that an application of this
    programme existed (title, amounts, states) stays for the programme's statistics."""
    application.applicant_name = "Erased applicant"
    application.contact_name = ""
    application.contact_email = placeholder_email("applicant", application.id)
    application.description = application.other_funding = ""
    application.account_holder = application.iban = ""
    application.answers = {}
    for event in application.events:
        event.reason = ""
    forget_linked(session, application.attachments)


def retention(sender, *, session: Session, today: date, settings) -> dict[str, int]:
    cutoff = datetime.combine(months_before(today, settings.retention.declined_applications_months),
                              time(), UTC)
    stale = session.scalars(select(Application).where(
        Application.status.in_(DECLINED),
        or_(Application.decided_at < cutoff, Application.decided_at.is_(None)),
        Application.updated_at < cutoff)).all()
    erased = 0
    for application in stale:
        if not is_placeholder(application.contact_email) and not _moved_money(application):
            _erase_all(session, application)
            erased += 1
    return {"declined grant applications": erased}
