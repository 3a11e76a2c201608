"""The e-mails a sponsor receives about an invoice (``templates/invoicing/emails``): the invoice,
the first and second reminder, and the confirmation that it is paid, each in the invoice's
language (``<kind>.txt``, rendered in the sponsor's locale) and with the invoice's PDF attached. The mail says what the
PDF says: its values come from the computed document."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from ..core.mail import queue_mail
from ..core.templates import render_email
from . import documents

if TYPE_CHECKING:
    from .document import InvoiceDocument

KINDS = ("invoice", "reminder_1", "reminder_2", "paid")


def text(doc: InvoiceDocument, kind: str, *, amount: int) -> tuple[str, str]:
    """(subject, body) of the mail of ``kind`` about ``doc``, naming ``amount`` (minor units of
    the invoice's currency: the total, or what is still owed)."""
    if kind not in KINDS:
        raise ValueError(f"no invoice mail {kind!r}: one of {', '.join(KINDS)}")
    language = doc.language
    return render_email(
        f"invoicing/emails/{kind}.txt", locale=documents.LOCALES[language], number=doc.number,
        org=doc.seller.name, name=doc.buyer.name, date=documents.date_text(doc.issue_date, language),
        due=documents.date_text(doc.due_date, language),
        amount=documents.money_text(amount, doc.currency, language),
        ref=doc.payment_reference, url=doc.pay_url)


def send(session: Session, recipients: list[str], doc: InvoiceDocument, kind: str, *, amount: int,
         pdf: bytes) -> None:
    """Queue the mail of ``kind`` to ``recipients`` with the invoice's PDF attached."""
    subject, body = text(doc, kind, amount=amount)
    queue_mail(session, recipients, subject, body,
               attachments=[(f"{doc.number}.pdf", "application/pdf", pdf)])
