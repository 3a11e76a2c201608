"""The e-mails a claimant receives about their expense claim (``templates/expenses/emails``),
in the claimant's own language, else the association's (``settings``)."""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from babel.dates import format_date
from schwifty import IBAN
from sqlalchemy.orm import Session

from ..core.mail import queue_mail
from ..core.templates import render_email

if TYPE_CHECKING:
    from ..core.settings import Settings
    from .models import ExpenseClaim


def _day(day: date, locale: str) -> str:
    """A date as the pages show it: 04.12.2026 in German, 2026-12-04 otherwise."""
    return format_date(day, "dd.MM.yyyy", locale=locale) if locale.startswith("de") \
        else day.isoformat()


def _tell(session: Session, claim: ExpenseClaim, template: str, settings: Settings,
          **values: object) -> None:
    locale = claim.claimant.locale or settings.organisation.default_locale
    queue_mail(session, claim.claimant.email, *render_email(
        f"expenses/emails/{template}.txt", claim=claim, amount=claim.amount.format(locale),
        locale=locale, **{k: _day(v, locale) if isinstance(v, date) else v
                          for k, v in values.items()}))


def received(session: Session, claim: ExpenseClaim, *, needed: int, settings: Settings) -> None:
    _tell(session, claim, "received", settings, needed=needed)


def approved(session: Session, claim: ExpenseClaim, *, comment: str, settings: Settings) -> None:
    _tell(session, claim, "approved", settings, comment=comment, iban=IBAN(claim.iban).formatted)


def rejected(session: Session, claim: ExpenseClaim, *, comment: str, settings: Settings) -> None:
    _tell(session, claim, "rejected", settings, comment=comment)


def paid(session: Session, claim: ExpenseClaim, *, paid_on: date, reference: str,
         settings: Settings) -> None:
    _tell(session, claim, "paid", settings, paid_on=paid_on, reference=reference,
          iban=IBAN(claim.iban).formatted)


def payment_returned(session: Session, claim: ExpenseClaim, *, returned_on: date, reason: str,
                     link: str, settings: Settings) -> None:
    _tell(session, claim, "payment_returned", settings, returned_on=returned_on, reason=reason,
          link=link, iban=IBAN(claim.iban).formatted)
