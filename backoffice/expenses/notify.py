"""The e-mails a claimant receives about their expense claim (``templates/expenses/emails``)."""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from schwifty import IBAN
from sqlalchemy.orm import Session

from ..core.mail import queue_mail
from ..core.templates import render_email

if TYPE_CHECKING:
    from .models import ExpenseClaim


def _tell(session: Session, claim: ExpenseClaim, template: str, **values: object) -> None:
    queue_mail(session, claim.claimant.email,
               *render_email(f"expenses/emails/{template}.txt", claim=claim, **values))


def received(session: Session, claim: ExpenseClaim, *, needed: int) -> None:
    _tell(session, claim, "received", needed=needed)


def approved(session: Session, claim: ExpenseClaim, *, comment: str) -> None:
    _tell(session, claim, "approved", comment=comment, iban=IBAN(claim.iban).formatted)


def rejected(session: Session, claim: ExpenseClaim, *, comment: str) -> None:
    _tell(session, claim, "rejected", comment=comment)


def paid(session: Session, claim: ExpenseClaim, *, paid_on: date, reference: str) -> None:
    _tell(session, claim, "paid", paid_on=paid_on, reference=reference,
          iban=IBAN(claim.iban).formatted)


def payment_returned(session: Session, claim: ExpenseClaim, *, returned_on: date, reason: str, link: str) -> None:
    _tell(session, claim, "payment_returned", returned_on=returned_on, reason=reason, link=link,
          iban=IBAN(claim.iban).formatted)
