"""An invoice as one computed value: everything its printed page, PDF and e-invoice XML show.

Documents are views of one computed value. ``compute`` reads an invoice (a cancellation, a
credit note) once and returns an ``InvoiceDocument``: frozen, typed, with its lines and their
tax, its totals per VAT rate, the notes the law asks for, the parties, the payment reference,
the dates, the currency and the number. The renderers (``documents.render_html``,
``render_xml``, ``render_pdf``) take only that value: they need no database and no app, derive
no tax and write no sentence of law of their own, so what the page, the PDF and the XML say
cannot disagree.

All arithmetic is ``amounts.compute_totals`` (the rounding rule is written down there), called
once here; the value adds nothing to it and checks that its totals add up.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..core.settings import Seller
from .amounts import CATEGORY_OUTSIDE, compute_totals, line_tax, vat_notes
from .models import Invoice, InvoiceKind, SponsorCredit, VatRegime

#: What the printed payment terms say (also the e-invoice's BT-20), per language.
PAYMENT_TERMS = {"en": "Payment terms: {days} days net, without deduction.",
                 "de": "Zahlungsbedingungen: {days} Tage netto ohne Abzug."}


@dataclass(frozen=True)
class Buyer:
    name: str
    street: str
    postcode: str
    city: str
    country: str
    vat_id: str | None = None


@dataclass(frozen=True)
class DocumentLine:
    position: int
    description: str
    quantity_milli: int
    unit_price: int
    net: int          # rounding point 1 (``amounts.line_net``)
    category: str     # EN 16931 VAT category (S, E, AE, O)
    rate_bp: int


@dataclass(frozen=True)
class TaxTotal:
    """One VAT rate's lines: their net, the VAT on it (rounding point 2) and, where no VAT is
    charged, why (the e-invoice's exemption reason)."""

    category: str
    rate_bp: int
    net: int
    tax: int
    exemption_reason: str = ""

    @property
    def rate(self) -> Decimal:
        """The rate in per cent (19, 7, 0)."""
        return Decimal(self.rate_bp) / 100


@dataclass(frozen=True)
class Reference:
    """The invoice a cancellation or a credit note corrects."""

    number: str
    issue_date: date


@dataclass(frozen=True)
class InvoiceDocument:
    kind: InvoiceKind
    number: str
    issue_date: date
    due_date: date
    service_date: date
    service_end: date | None
    payment_days: int
    currency: str
    language: str
    seller: Seller
    buyer: Buyer
    po_reference: str
    payment_reference: str
    lines: tuple[DocumentLine, ...]
    taxes: tuple[TaxTotal, ...]
    net: int
    tax: int
    gross: int
    #: The legal sentences for the VAT case (reverse charge, not taxable, exemptions).
    vat_notes: tuple[str, ...]
    notes: str               # the treasurer's note (a cancellation's reason)
    payment_terms: str
    pay_url: str | None = None
    #: The sponsor's credit when issued, printed as a note (never deducted).
    credit: int = 0
    cancels: Reference | None = None

    def __post_init__(self) -> None:
        if not self.net == sum(line.net for line in self.lines) == sum(t.net for t in self.taxes):
            raise ValueError("the net total is not the sum of the lines, or of the VAT rates")
        if self.tax != sum(t.tax for t in self.taxes) or self.gross != self.net + self.tax:
            raise ValueError("the totals do not add up")
        if self.is_cancellation != (self.cancels is not None):
            raise ValueError("a cancellation or credit note names the invoice it corrects")

    @property
    def is_cancellation(self) -> bool:
        """A cancellation or a credit note: corrects another invoice, is never paid."""
        return self.kind in (InvoiceKind.CANCELLATION, InvoiceKind.CREDIT_NOTE)

    @property
    def is_credit_note(self) -> bool:
        return self.kind is InvoiceKind.CREDIT_NOTE

    @property
    def outside_vat(self) -> bool:
        """Not subject to VAT (the place of supply is abroad): the e-invoice carries no VAT ID."""
        return any(tax.category == CATEGORY_OUTSIDE for tax in self.taxes)


def compute(session: Session, invoice: Invoice, *, pay_url: str | None, credit: int = 0,
            issuing: Mapping[str, Any] | None = None) -> InvoiceDocument:
    """The document of ``invoice`` (issued, or a draft with ``issuing``: what issuing sets on
    it, its number among them, read from there instead of the row, which stays as it is)."""
    fields = dict(issuing or {})

    def get(name: str):
        return fields[name] if name in fields else getattr(invoice, name)

    regime = VatRegime(get("vat_regime"))
    language = invoice.language
    totals = compute_totals(invoice.lines, regime)
    lines = []
    for position, (line, net) in enumerate(zip(invoice.lines, totals.line_nets), 1):
        tax = line_tax(line.tax_treatment, line.exempt_reason, regime)
        lines.append(DocumentLine(position, line.description, line.quantity_milli,
                                  line.unit_price, net, tax.category, tax.rate_bp))
    regime_note = (vat_notes(regime, [], language) or [""])[0]
    taxes = tuple(TaxTotal(group.category, group.rate_bp, group.net, group.tax,
                           group.exempt_reason or regime_note) for group in totals.groups)
    cancels = None
    if invoice.cancels_id is not None:
        original = session.get(Invoice, invoice.cancels_id)
        cancels = Reference(original.number, original.issue_date)
    kind = InvoiceKind(invoice.kind)
    return InvoiceDocument(
        kind=kind, number=get("number"), issue_date=get("issue_date"),
        due_date=get("due_date"), service_date=invoice.service_date,
        service_end=invoice.service_end, payment_days=invoice.payment_days,
        currency=invoice.currency, language=language, seller=Seller.of(get("seller")),
        buyer=Buyer(invoice.buyer_name, invoice.buyer_street, invoice.buyer_postcode,
                    invoice.buyer_city, invoice.buyer_country, invoice.buyer_vat_id),
        po_reference=invoice.po_reference or "", payment_reference=get("payment_reference"),
        lines=tuple(lines), taxes=taxes, net=totals.net, tax=totals.tax, gross=totals.gross,
        vat_notes=tuple(vat_notes(regime, totals.groups, language)), notes=invoice.notes or "",
        payment_terms=PAYMENT_TERMS[language].format(days=invoice.payment_days),
        pay_url=pay_url, credit=credit, cancels=cancels)


def credit_held(session: Session, invoice: Invoice) -> int:
    """The sponsor's credit (``credits``) in the invoice's currency, which an invoice mentions
    (a cancellation or a credit note mentions none)."""
    if invoice.is_cancellation:
        return 0
    return int(session.scalar(select(func.coalesce(func.sum(SponsorCredit.amount), 0)).where(
        SponsorCredit.sponsor_id == invoice.sponsor_id,
        SponsorCredit.currency == invoice.currency)))
