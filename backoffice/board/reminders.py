"""Terms of office that end soon: the member and the body's chair and secretary are told 90 and
30 days before (the daily ``board.terms`` job). Each reminder is sent once: it is written to the
audit log with its term and its number of days, and a reminder already there is not sent again."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core import audit
from ..core.audit import AuditEvent
from ..core.mail import queue_mail
from ..core.templates import render_email
from .models import Function, Term
from .services import in_office
from .wording import label, moment

DAYS_BEFORE = (90, 30)
ACTION = "board.term_ending_told"


def _told(session: Session, term: Term, days: int) -> bool:
    return session.scalar(select(AuditEvent.id).where(
        AuditEvent.action == ACTION, AuditEvent.object_type == "board_term",
        AuditEvent.object_id == str(term.id), AuditEvent.summary.startswith(f"{days} days"))
        .limit(1)) is not None


def remind_terms_ending(session: Session, today: date, *, organisation: str,
                        locale: str = "en") -> dict[str, int]:
    """Tell who must know of every term ending within a threshold not told yet, in the
    association's language (``locale``: the mail goes to several people); ``{"told": n}``."""
    told = 0
    for days in sorted(DAYS_BEFORE):  # the nearer threshold first: one mail, not two
        terms = session.scalars(select(Term).where(
            Term.end_on.is_not(None), Term.end_on >= today,
            Term.end_on <= today + timedelta(days=days)).order_by(Term.end_on, Term.id)).all()
        for term in terms:
            if any(_told(session, term, d) for d in DAYS_BEFORE if d <= days):
                continue
            officers = [t for t in in_office(session, term.body, today)
                        if t.function in (Function.CHAIR, Function.SECRETARY) and t.id != term.id]
            recipients = sorted({term.email, *(t.email for t in officers)})
            queue_mail(session, recipients, *render_email(
                "board/emails/term_ending.txt", term=term, organisation=organisation,
                days_left=(term.end_on - today).days, locale=locale,
                function=label(term.function, locale),
                ends=moment(term.end_on, locale, "day")))
            audit.record(session, None, ACTION, "board_term", term.id,
                         summary=f"{days} days: the term ending on {term.end_on} was told")
            told += 1
    return {"told": told}
