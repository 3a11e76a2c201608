"""A sponsor's contact person, for ``core.privacy``: the sponsor's record and the invoices sent to
the address are exported; erasure removes the address from the sponsor's contacts, while issued
invoices stay exactly as issued (they are kept for 10 years: § 147 AO, § 14b UStG)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..core.actors import Actor
from ..core.privacy import ANONYMISED, ERASED, Holding, Outcome
from ..core.uploads import StoredFile, read_stored
from .models import Invoice, Sponsor


def _names(text: str, email: str) -> bool:
    return any(email in line.lower() for line in text.replace(",", "\n").splitlines())


def holdings(sender, *, session: Session, email: str, settings) -> list[Holding]:
    pattern = f"%{email}%"
    sponsors = [s for s in session.scalars(select(Sponsor).where(or_(
        func.lower(Sponsor.billing_emails).like(pattern),
        func.lower(Sponsor.contacts).like(pattern))).order_by(Sponsor.id))
        if _names(s.billing_emails, email) or _names(s.contacts, email)]
    found = []
    for sponsor in sponsors:
        invoices = session.scalars(select(Invoice).where(
            Invoice.sponsor_id == sponsor.id, Invoice.number.is_not(None),
            func.lower(Invoice.buyer_emails).like(pattern)).order_by(Invoice.id)).all()
        data = {"sponsor": sponsor.name, "billing_emails": sponsor.emails,
                "contacts": sponsor.contacts, "notes": sponsor.notes,
                "invoices_sent_to_the_address": [
                    {"number": i.number, "issued": i.issue_date, "status": i.status}
                    for i in invoices]}
        files = [(f"{i.number}.pdf", read_stored(session.get(StoredFile, i.pdf_file_id),
                                                 settings.paths.uploads))
                 for i in invoices if i.pdf_file_id]
        found.append(Holding("sponsor contact", f"Contact of sponsor {sponsor.name}", data,
                             _remove_address(sponsor, email, kept=bool(invoices)), files))
    return found


def _remove_address(sponsor: Sponsor, email: str, *, kept: bool):
    def erase(session: Session, actor: Actor | None, today: date) -> Outcome:
        sponsor.billing_emails = "\n".join(e for e in sponsor.emails if e.lower() != email)
        sponsor.contacts = "\n".join(line for line in sponsor.contacts.splitlines()
                                     if email not in line.lower())
        label = f"Contact of sponsor {sponsor.name}"
        if kept:
            return Outcome(label, ANONYMISED, "the address is removed from the sponsor's "
                           "contacts; invoices already sent to it are kept unchanged for 10 years "
                           "(§ 147 AO, § 14b UStG)")
        return Outcome(label, ERASED, "the address is removed from the sponsor's contacts")
    return erase
