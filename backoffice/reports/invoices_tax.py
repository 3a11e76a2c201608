"""The VAT of the invoices issued in a period, per invoice and tax group, computed by the one
rule invoicing prints them with (``invoicing.amounts.compute_totals``): the VAT summary and the
sphere report's sponsorship split read it here."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..invoicing.amounts import TaxGroup, compute_totals
from ..invoicing.models import Invoice, InvoiceStatus

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True)
class InvoiceTax:
    id: int
    number: str
    issue_date: date
    buyer: str
    currency: str
    regime: str
    groups: tuple[TaxGroup, ...]


def issued_between(session: Session, start: date, end: date) -> list[InvoiceTax]:
    """Invoices, cancellations and credit notes issued from ``start`` to ``end`` (their issue
    date is the date of the tax point the return counts them in)."""
    found = session.scalars(
        select(Invoice).options(selectinload(Invoice.lines))
        .where(Invoice.status == InvoiceStatus.ISSUED.value, Invoice.issue_date >= start,
               Invoice.issue_date <= end)
        .order_by(Invoice.issue_date, Invoice.id))
    return [InvoiceTax(i.id, i.number or "", i.issue_date, i.buyer_name, i.currency,
                       i.vat_regime or "domestic",
                       tuple(compute_totals(i.lines, i.vat_regime or "domestic").groups))
            for i in found]
