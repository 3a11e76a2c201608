"""Sponsors, packages and invoices: every change goes through these functions.

They validate, change state, post to the ledger, write the audit log and queue mail inside the
caller's transaction; they never commit and know nothing of HTTP.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..core import audit, clock, logo
from ..core.actors import Actor
from ..core.db import transaction, utcnow
from ..core.errors import AlreadyDone, Conflict, InvalidTransition, NotFound, ValidationError
from ..core.i18n import _
from ..core.money import Money, check_currency
from ..core.settings import Settings, refuse_unless_set_up
from ..core.uploads import StoredFile, read_stored, store_upload
from ..core.urls import absolute_url
from ..funds.fees import income_lines
from ..funds.models import IncomeKind
from ..groups.models import MemberGroup
from ..ledger import reads
from ..ledger.chart import Fund
from ..ledger.services import (
    Line,
    account_by_role,
    booking_date_for,
    general_fund,
    post_entry,
    reverse_entry,
)
from . import document, documents, notify, numbering, state
from .amounts import compute_totals, credit_parts, line_net, vat_regime
from .document import InvoiceDocument
from .models import (
    Invoice,
    InvoiceDispatch,
    InvoiceKind,
    InvoiceLine,
    InvoicePayment,
    InvoiceRefundDecision,
    InvoiceStatus,
    PaymentKind,
    RefundDecision,
    Sponsor,
    TaxTreatment,
)
from .sponsors import check_treatment

RECEIVABLES, SPONSORSHIP_INCOME, VAT_PAYABLE = "receivables", "sponsorship_income", "vat_payable"
PAYMENT_FEES = "payment_fees"
MAX_PDF_BYTES = 20 * 1024 * 1024


# --- drafts ------------------------------------------------------------------------------------

@dataclass
class LineData:
    description: str
    quantity_milli: int
    unit_price: int
    tax_treatment: str = TaxTreatment.STANDARD.value
    exempt_reason: str = ""
    package_id: int | None = None


@dataclass
class DraftData:
    sponsor: Sponsor
    currency: str
    service_date: date
    lines: list[LineData]
    group_id: int | None = None
    service_end: date | None = None
    payment_days: int | None = None
    notes: str = ""
    po_reference: str | None = None


def _draft_values(data: DraftData, settings: Settings) -> dict:
    check_currency(data.currency)
    if data.service_end and data.service_end < data.service_date:
        raise ValidationError(_("The service period ends before it starts."), field="service_end")
    days = settings.invoicing.payment_days if data.payment_days is None else data.payment_days
    if not 0 <= days <= 120:
        raise ValidationError(_("Give payment terms between 0 and 120 days."), field="payment_days")
    sponsor = data.sponsor
    return {
        "sponsor_id": sponsor.id, "group_id": data.group_id, "currency": data.currency,
        "language": sponsor.language, "buyer_name": sponsor.name, "buyer_street": sponsor.street,
        "buyer_postcode": sponsor.postcode, "buyer_city": sponsor.city,
        "buyer_country": sponsor.country, "buyer_vat_id": sponsor.vat_id,
        "buyer_emails": sponsor.billing_emails,
        "po_reference": sponsor.po_reference if data.po_reference is None else data.po_reference.strip(),
        "service_date": data.service_date, "service_end": data.service_end,
        "payment_days": days, "notes": (data.notes or "").strip(),
    }


def _lines(data: DraftData) -> list[InvoiceLine]:
    lines = []
    for position, line in enumerate(data.lines, 1):
        description = (line.description or "").strip()
        if not description:
            raise ValidationError(_("Line %(position)s: describe what is invoiced.", position=position),
                                  field="lines")
        if line.quantity_milli == 0:
            raise ValidationError(_("Line %(position)s: the quantity is zero.", position=position),
                                  field="lines")
        treatment, reason = check_treatment(line.tax_treatment, line.exempt_reason)
        Money(line.unit_price, data.currency).check_size()
        lines.append(InvoiceLine(
            position=position, description=description, quantity_milli=line.quantity_milli,
            unit_price=line.unit_price, net=line_net(line.quantity_milli, line.unit_price),
            tax_treatment=treatment, exempt_reason=reason, package_id=line.package_id))
    if not lines:
        raise ValidationError(_("An invoice needs at least one line."), field="lines")
    return lines


def _apply_totals(invoice: Invoice) -> None:
    regime = vat_regime(invoice.buyer_country, invoice.buyer_vat_id)
    totals = compute_totals(invoice.lines, regime)
    invoice.vat_regime = regime.value
    invoice.net_total, invoice.tax_total, invoice.gross_total = totals.net, totals.tax, totals.gross


def create_draft(session: Session, data: DraftData, *, actor: Actor, settings: Settings) -> Invoice:
    invoice = Invoice(public_id=secrets.token_urlsafe(16), kind=InvoiceKind.INVOICE.value,
                      status=InvoiceStatus.DRAFT.value, created_by_id=getattr(actor, "id", None),
                      **_draft_values(data, settings))
    invoice.lines = _lines(data)
    _apply_totals(invoice)
    session.add(invoice)
    session.flush()
    audit.record(session, actor, "invoice.draft_created", "invoice", invoice.id,
                 summary=f"Draft for {invoice.buyer_name}",
                 after={"gross_total": invoice.gross_total, "currency": invoice.currency})
    return invoice


def _ensure_draft(invoice: Invoice) -> None:
    if not invoice.is_draft:
        raise InvalidTransition(_("Invoice %(number)s is issued and can no longer change. Cancel it "
                                  "with a cancellation invoice and issue a new one.",
                                  number=invoice.number))


def update_draft(session: Session, invoice: Invoice, data: DraftData, *, actor: Actor,
                 settings: Settings) -> Invoice:
    _ensure_draft(invoice)
    before = {"gross_total": invoice.gross_total}
    for key, value in _draft_values(data, settings).items():
        setattr(invoice, key, value)
    invoice.lines.clear()
    session.flush()  # the old lines go before the new ones take their positions
    invoice.lines.extend(_lines(data))
    _apply_totals(invoice)
    session.flush()
    audit.record(session, actor, "invoice.draft_updated", "invoice", invoice.id,
                 summary=f"Draft for {invoice.buyer_name}", before=before,
                 after={"gross_total": invoice.gross_total})
    return invoice


def delete_draft(session: Session, invoice: Invoice, *, actor: Actor) -> None:
    _ensure_draft(invoice)
    audit.record(session, actor, "invoice.draft_deleted", "invoice", invoice.id,
                 summary=f"Draft for {invoice.buyer_name}")
    session.delete(invoice)
    session.flush()


# --- issuing -----------------------------------------------------------------------------------

def payment_reference(number: str) -> str:
    """An ISO 11649 creditor reference ("RF" + check digits + the number's characters): banks
    carry it unchanged, and ``state.find_by_reference`` finds the invoice from it."""
    body = "".join(ch for ch in number.upper() if ch.isalnum())
    digits = "".join(str(int(ch, 36)) for ch in body + "RF00")
    return f"RF{98 - int(digits) % 97:02d}{body}"


def _serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key, salt="invoice-pay-link")


def pay_token(invoice: Invoice, *, settings: Settings) -> str:
    return _serializer(settings).dumps(invoice.public_id)


def pay_url(invoice: Invoice, *, settings: Settings) -> str:
    return absolute_url(settings, "payments.pay", token=pay_token(invoice, settings=settings))


def invoice_for_token(session: Session, token: str, *, settings: Settings) -> Invoice:
    """The issued invoice a pay link names; ``NotFound`` for a tampered or unknown token."""
    try:
        public_id = _serializer(settings).loads(token)
    except BadSignature:
        raise NotFound(_("There is no invoice at this address.")) from None
    invoice = session.scalar(select(Invoice).where(Invoice.public_id == public_id))
    if invoice is None or invoice.is_draft or invoice.is_cancellation:
        raise NotFound(_("There is no invoice at this address."))
    return invoice


def _fund_for(session: Session, invoice: Invoice) -> Fund:
    if invoice.group_id:
        group = session.get(MemberGroup, invoice.group_id)
        if group is not None and group.fund_id:
            return session.get(Fund, group.fund_id)
    return general_fund(session)


#: How often ``issue_now`` renders again when another issuer took the number it rendered for,
#: before it renders inside its unit of work (which then holds the others up, but always ends).
RENDER_ATTEMPTS = 5


@dataclass(frozen=True)
class Rendering:
    """A draft's PDF rendered before the unit of work that issues it: the ``values`` issuing
    would set and the ``document`` they make; used only if issuing makes exactly that document."""

    values: dict
    document: InvoiceDocument
    pdf: bytes
    last_attempt: bool = False


class StaleRendering(Exception):
    """Another issuer took the number a rendering was made for, or something it shows changed
    (nothing was written)."""


def _issue_values(session: Session, invoice: Invoice, series: str, sequence: int,
                  issue_date: date, settings: Settings) -> dict:
    """Everything issuing sets on a draft (and its PDF shows), but the totals (``_document``)."""
    number = numbering.format_number(series, sequence)
    return {"series": series, "sequence": sequence, "number": number, "issue_date": issue_date,
            "due_date": issue_date + timedelta(days=invoice.payment_days),
            "seller": settings.invoicing.seller.as_dict(),
            "payment_reference": payment_reference(number),
            "fund_id": _fund_for(session, invoice).id,
            "vat_regime": vat_regime(invoice.buyer_country, invoice.buyer_vat_id).value}


def document_of(session: Session, invoice: Invoice, values: dict | None = None, *,
                settings: Settings) -> InvoiceDocument:
    """The invoice's document; with ``values``, the one it becomes when issuing sets them (their
    totals are added to ``values``)."""
    doc = document.compute(session, invoice, issuing=values,
                           credit=document.credit_held(session, invoice),
                           pay_url=None if invoice.is_cancellation
                           else pay_url(invoice, settings=settings))
    if values is not None:
        values.update(net_total=doc.net, tax_total=doc.tax, gross_total=doc.gross)
    return doc


def _render(doc: InvoiceDocument, settings: Settings) -> bytes:
    return documents.render_pdf(doc, check_rules=settings.invoicing.check_en16931,
                                logo=logo.data_url(settings.paths.uploads, doc.seller.logo))


def page_document(session: Session, invoice: Invoice, settings: Settings) -> InvoiceDocument | None:
    """What the invoice's page shows: the document the PDF and the XML render (a draft's as it
    would be issued today, without its number); None for a draft without lines."""
    if not invoice.is_draft:
        return document_of(session, invoice, settings=settings)
    if not invoice.lines:
        return None
    today = clock.today()
    regime = invoice.vat_regime or vat_regime(invoice.buyer_country, invoice.buyer_vat_id).value
    return document.compute(session, invoice, pay_url=None, issuing={
        "number": "", "issue_date": today, "due_date": today + timedelta(days=invoice.payment_days),
        "seller": settings.invoicing.seller.as_dict(), "payment_reference": "",
        "vat_regime": regime})


def render_for_issue(session: Session, invoice: Invoice, *, issue_date: date, settings: Settings,
                     last_attempt: bool = False) -> Rendering:
    """The PDF the draft gets if it is issued now as the next number of its series. Writes
    nothing and leaves the draft as it was."""
    series = numbering.series_for(issue_date, settings.invoicing.number_prefix)
    values = _issue_values(session, invoice, series, numbering.next_number(session, series),
                           issue_date, settings)
    doc = document_of(session, invoice, values, settings=settings)
    return Rendering(values, doc, _render(doc, settings), last_attempt)


def _prepare_issue(session: Session, invoice: Invoice, *, actor: Actor, issue_date: date,
                   settings: Settings, rendering: Rendering | None = None) -> None:
    """Number, render (unless ``rendering`` was made for exactly this document) and store a
    draft; ``_mark_issued`` freezes it once it is booked."""
    series = numbering.series_for(issue_date, settings.invoicing.number_prefix)
    sequence = numbering.take_number(session, series)  # takes the write lock first (SQLite)
    current = session.scalar(select(Invoice.status).where(Invoice.id == invoice.id)
                             .with_for_update())
    if current != InvoiceStatus.DRAFT:
        raise AlreadyDone(_("Invoice #%(id)s was issued a moment ago (twice asked, or by somebody "
                            "else); it was issued once.", id=invoice.id))
    values = _issue_values(session, invoice, series, sequence, issue_date, settings)
    doc = document_of(session, invoice, values, settings=settings)
    fits = rendering is not None and rendering.document == doc
    if rendering is not None and not fits and not rendering.last_attempt:
        raise StaleRendering
    for key, value in values.items():
        setattr(invoice, key, value)
    pdf = rendering.pdf if fits else _render(doc, settings)
    stored = store_upload(session, folder=settings.paths.uploads,
                          filename=f"{invoice.number}.pdf", data=pdf, allowed={"pdf"},
                          max_bytes=MAX_PDF_BYTES, actor=actor)
    invoice.pdf_file_id, invoice.pdf_sha256 = stored.id, stored.sha256


def _mark_issued(session: Session, invoice: Invoice, entry_id: int | None, *, actor: Actor) -> None:
    """The last change the row ever sees (the database refuses any after it): issued, with the
    ledger entry that booked it (None: nothing was booked)."""
    invoice.journal_entry_id = entry_id
    invoice.status = InvoiceStatus.ISSUED.value
    invoice.issued_at, invoice.issued_by_id = utcnow(), getattr(actor, "id", None)
    session.flush()


def _post_invoice(session: Session, invoice: Invoice, *, actor: Actor, day: date, description: str) -> int:
    """Receivable / income (with the fund's admin fee) and VAT payable for an invoice's totals;
    the other way round for a credit note's (negative) totals. Returns the entry's id."""
    fund = session.get(Fund, invoice.fund_id)
    receivables = account_by_role(session, RECEIVABLES)
    currency = invoice.currency
    lines = income_lines(session, fund=fund, kind=IncomeKind.SPONSORSHIP,
                         amount=Money(invoice.net_total, currency), day=day,
                         debit_account=receivables,
                         income_account=account_by_role(session, SPONSORSHIP_INCOME),
                         memo=f"Invoice {invoice.number}")
    if invoice.tax_total:
        tax = Money(invoice.tax_total, currency)
        lines += [Line(receivables, fund, tax, f"VAT invoice {invoice.number}"),
                  Line(account_by_role(session, VAT_PAYABLE), fund, -tax,
                       f"VAT invoice {invoice.number}")]
    return post_entry(session, booking_date=day, lines=lines, actor=actor,
                      description=description, source=("invoice", invoice.id)).id


def _check_issuable(invoice: Invoice, settings: Settings) -> None:
    if not invoice.is_draft:
        raise AlreadyDone(_("Invoice %(number)s is already issued; nothing was changed.",
                            number=invoice.number))
    refuse_unless_set_up(settings, "an invoice")
    regime = vat_regime(invoice.buyer_country, invoice.buyer_vat_id)
    if not invoice.lines or compute_totals(invoice.lines, regime).gross <= 0:
        raise ValidationError(_("An invoice must come to more than zero."))


def _render_first(session: Session, *, issue_date: date, draft, issue, settings: Settings):
    """Issue a document in a short unit of work of its own, its PDF rendered before it.

    Rendering takes 0.05-0.5 s. Inside the unit of work it would hold the series' number
    counter that long (on SQLite: the whole database), and issuers on other workers would wait,
    past their timeout when there are several. So ``draft()`` checks what is asked and gives
    the document to issue (a draft row, or a cancellation or credit note not yet written; None
    when nothing will be rendered), whose PDF is rendered first for the number the series gives
    next (``render_for_issue``); ``issue(rendering)`` then runs in the unit of work, takes the
    number and uses the PDF only if it was made for exactly the document issuing computes. If
    another issuer took the number meanwhile, nothing is written and the PDF is rendered again;
    the last of ``RENDER_ATTEMPTS`` renders inside the unit of work, so that issuing always
    ends. A rendering that fails fails before anything is written: an issued document always
    has its PDF. Numbers stay gap-free: a number is taken only in the unit of work that issues
    it, and given back if that rolls back.
    """
    for attempt in range(1, RENDER_ATTEMPTS + 1):
        document_draft = draft()
        rendering = None if document_draft is None else render_for_issue(
            session, document_draft, issue_date=issue_date, settings=settings,
            last_attempt=attempt == RENDER_ATTEMPTS)
        try:
            with transaction(session):
                return issue(rendering)
        except StaleRendering:
            continue
    raise AssertionError("unreachable: the last attempt renders inside its unit of work")


def issue_now(session: Session, invoice: Invoice, *, actor: Actor, settings: Settings,
              issue_date: date | None = None) -> Invoice:
    """``issue`` in a unit of work of its own, the PDF rendered before it (``_render_first``)."""
    issue_date = issue_date or clock.today()

    def draft() -> Invoice:
        _check_issuable(invoice, settings)
        return invoice

    return _render_first(session, issue_date=issue_date, draft=draft, settings=settings,
                         issue=lambda rendering: issue(session, invoice, actor=actor,
                                                       issue_date=issue_date, settings=settings,
                                                       rendering=rendering))


def issue(session: Session, invoice: Invoice, *, actor: Actor, settings: Settings,
          issue_date: date | None = None, rendering: Rendering | None = None) -> Invoice:
    """Give the draft its number, render and store its PDF, book it: receivable / income (with
    the fund's admin fee) and VAT payable. From here on it never changes. Inside the caller's
    unit of work; ``issue_now`` renders before it instead."""
    _check_issuable(invoice, settings)
    issue_date = issue_date or clock.today()
    _prepare_issue(session, invoice, actor=actor, issue_date=issue_date, settings=settings,
                   rendering=rendering)
    entry_id = _post_invoice(session, invoice, actor=actor, day=booking_date_for(session, issue_date),
                             description=f"Invoice {invoice.number} to {invoice.buyer_name}")
    currency = invoice.currency
    _mark_issued(session, invoice, entry_id, actor=actor)
    audit.record(session, actor, "invoice.issued", "invoice", invoice.id,
                 summary=f"{invoice.number} {invoice.buyer_name} "
                         f"{Money(invoice.gross_total, currency)}",
                 after={"number": invoice.number, "gross_total": invoice.gross_total,
                        "pdf_sha256": invoice.pdf_sha256, "journal_entry": entry_id})
    return invoice


def _cancellation(invoice: Invoice, *, reason: str, actor: Actor, settings: Settings) -> Invoice:
    """The cancellation invoice of ``invoice`` as a draft not yet written (the same lines with
    the opposite sign), once the invoice may be cancelled."""
    refuse_unless_set_up(settings, "a cancellation")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why the invoice is cancelled."), field="reason")
    if invoice.is_draft:
        raise InvalidTransition(_("A draft has no number: delete it instead of cancelling it."))
    if invoice.is_cancellation:
        raise InvalidTransition(_("%(number)s is itself a cancellation invoice.",
                                  number=invoice.number))
    if invoice.cancelled_by is not None:
        raise AlreadyDone(_("Invoice %(number)s was already cancelled by %(cancellation)s.",
                            number=invoice.number, cancellation=invoice.cancelled_by.number))
    if invoice.credit_notes:
        raise InvalidTransition(_("Invoice %(number)s was credited in part by %(notes)s; it can no "
                                  "longer be cancelled in full.", number=invoice.number,
                                  notes=", ".join(n.label for n in invoice.credit_notes)))
    cancellation = _correction(invoice, InvoiceKind.CANCELLATION, notes=reason, actor=actor)
    cancellation.lines = [
        InvoiceLine(position=line.position, description=line.description,
                    quantity_milli=line.quantity_milli, unit_price=-line.unit_price,
                    net=-line.net, tax_treatment=line.tax_treatment,
                    exempt_reason=line.exempt_reason, package_id=line.package_id)
        for line in invoice.lines]
    return cancellation


def cancel_now(session: Session, invoice: Invoice, *, actor: Actor, reason: str, settings: Settings,
               issue_date: date | None = None) -> Invoice:
    """``cancel`` in a unit of work of its own, the cancellation's PDF rendered before it
    (``_render_first``)."""
    issue_date = issue_date or clock.today()
    return _render_first(
        session, issue_date=issue_date, settings=settings,
        draft=lambda: _cancellation(invoice, reason=reason, actor=actor, settings=settings),
        issue=lambda rendering: cancel(session, invoice, actor=actor, reason=reason,
                                       issue_date=issue_date, settings=settings,
                                       rendering=rendering))


def cancel(session: Session, invoice: Invoice, *, actor: Actor, reason: str, settings: Settings,
           issue_date: date | None = None, rendering: Rendering | None = None) -> Invoice:
    """Issue a cancellation invoice (own number, refers to the original, the same lines with
    the opposite sign) and post the exact reverse of the original's entry. Inside the caller's
    unit of work; ``cancel_now`` renders before it instead."""
    cancellation = _cancellation(invoice, reason=reason, actor=actor, settings=settings)
    reason = cancellation.notes
    issue_date = issue_date or clock.today()
    _add_once(session, cancellation,
              _("Invoice %(number)s was cancelled by somebody else a moment ago.",
                number=invoice.number))
    _prepare_issue(session, cancellation, actor=actor, issue_date=issue_date, settings=settings,
                   rendering=rendering)
    reversal_id = None
    if invoice.journal_entry_id:
        original = reads.entry(session, invoice.journal_entry_id)
        reversal_id = reverse_entry(session, original, actor=actor,
                                    reason=f"cancellation invoice {cancellation.number}",
                                    booking_date=booking_date_for(session, issue_date)).id
    _mark_issued(session, cancellation, reversal_id, actor=actor)
    session.expire(invoice, ["cancelled_by"])
    audit.record(session, actor, "invoice.cancelled", "invoice", invoice.id,
                 summary=f"{invoice.number} cancelled by {cancellation.number}: {reason}",
                 after={"cancellation": cancellation.number})
    return cancellation


def _add_once(session: Session, row, conflict: str) -> None:
    """Insert a row that a unique constraint allows once; a concurrent insert of the same thing
    becomes ``Conflict(conflict)``, with nothing written."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict(conflict) from None


def _correction(invoice: Invoice, kind: InvoiceKind, *, notes: str, actor: Actor) -> Invoice:
    """A draft cancellation or credit note of ``invoice``, to the same buyer (no lines yet)."""
    copy = {key: getattr(invoice, key) for key in (
        "sponsor_id", "group_id", "currency", "language", "buyer_name", "buyer_street",
        "buyer_postcode", "buyer_city", "buyer_country", "buyer_vat_id", "buyer_emails",
        "po_reference", "service_date", "service_end")}
    return Invoice(public_id=secrets.token_urlsafe(16), kind=kind.value,
                   status=InvoiceStatus.DRAFT.value, cancels_id=invoice.id, payment_days=0,
                   notes=notes, created_by_id=getattr(actor, "id", None), **copy)


# --- refunds: partial credit notes ---------------------------------------------------------

CREDIT_WORDING = {"en": "Credit for the refund of {amount} ({reference})",
                  "de": "Gutschrift für die Erstattung von {amount} ({reference})"}


def _credit_note(invoice: Invoice, amount: Money, *, reason: str, actor: Actor,
                 settings: Settings) -> Invoice:
    """The credit note of ``amount`` (VAT included) for ``invoice`` as a draft not yet written:
    lines per VAT rate as ``amounts.credit_parts`` splits it."""
    refuse_unless_set_up(settings, "a credit note")
    if invoice.is_draft or invoice.is_cancellation or state.is_cancelled(invoice):
        raise InvalidTransition(_("%(invoice)s cannot be credited: only an issued, not cancelled "
                                  "invoice can.", invoice=invoice.label))
    if amount.currency != invoice.currency or amount.amount <= 0:
        raise ValidationError(_("%(amount)s cannot be credited on %(number)s.", amount=amount,
                                number=invoice.number))
    if amount.amount > invoice.gross_total - state.credited(invoice):
        raise ValidationError(_("%(number)s has %(left)s left to credit; %(amount)s is more.",
                                number=invoice.number, amount=amount,
                                left=Money(invoice.gross_total - state.credited(invoice),
                                           invoice.currency)))
    note = _correction(invoice, InvoiceKind.CREDIT_NOTE, notes=reason, actor=actor)
    regime = vat_regime(invoice.buyer_country, invoice.buyer_vat_id)
    note.lines = [
        InvoiceLine(position=position, description=reason[:500], quantity_milli=1000,
                    unit_price=-part.net, net=-part.net, tax_treatment=part.tax_treatment,
                    exempt_reason=part.exempt_reason)
        for position, part in enumerate(credit_parts(invoice.lines, regime, amount.amount), 1)]
    return note


def issue_credit_note(session: Session, invoice: Invoice, amount: Money, *, actor: Actor, reason: str,
                      settings: Settings, issue_date: date | None = None,
                      rendering: Rendering | None = None) -> Invoice:
    """A credit note for part of an issued invoice (its own number, PDF and e-invoice): lines
    per VAT rate as ``amounts.credit_parts`` splits ``amount`` (VAT included), and the entry
    that takes that much income and VAT back off the receivable."""
    note = _credit_note(invoice, amount, reason=reason, actor=actor, settings=settings)
    issue_date = issue_date or clock.today()
    session.add(note)
    session.flush()
    _prepare_issue(session, note, actor=actor, issue_date=issue_date, settings=settings,
                   rendering=rendering)
    entry_id = _post_invoice(session, note, actor=actor, day=booking_date_for(session, issue_date),
                             description=f"Credit note {note.number} for invoice {invoice.number}")
    _mark_issued(session, note, entry_id, actor=actor)
    session.expire(invoice, ["credit_notes"])
    audit.record(session, actor, "invoice.credited", "invoice", invoice.id,
                 summary=f"{invoice.number} credited {Money(-note.gross_total, invoice.currency)} "
                         f"by {note.number}: {reason}", after={"credit_note": note.number})
    return note


def refund_to_credit(invoice: Invoice, refund: InvoicePayment) -> int:
    """How much of a refund reopened the invoice (the rest gave back money that was not owed:
    an overpayment, or a cancelled invoice's payment). The refund itself is not counted yet."""
    excess = max(0, state.paid_amount(invoice) - state.owed(invoice))
    return max(0, -refund.amount - excess)


def note_refund(session: Session, refund: InvoicePayment) -> InvoiceRefundDecision | None:
    """A refund just booked: one that only gave back money that was not owed is recorded as
    ``returned``; any other waits for the treasurer (``decide_refund``), and until then the
    refunded money is not asked for (``state.counts``)."""
    invoice = session.get(Invoice, refund.invoice_id)
    session.refresh(invoice, ["payments"])
    if refund.kind != PaymentKind.REFUND or refund.decision is not None:
        return refund.decision
    if refund_to_credit(invoice, refund) == 0:
        return _decide(session, refund, RefundDecision.RETURNED, actor=None)
    return None


def _decide(session: Session, refund: InvoicePayment, decision: RefundDecision, *, actor: Actor,
            credit_note: Invoice | None = None) -> InvoiceRefundDecision:
    row = InvoiceRefundDecision(payment_id=refund.id, decision=decision.value,
                                credit_note_id=credit_note.id if credit_note else None,
                                decided_by_id=getattr(actor, "id", None))
    _add_once(session, row,
              _("The refund %(reference)s was decided by somebody else a moment ago.",
                reference=refund.reference))
    session.expire(refund, ["decision"])
    audit.record(session, actor, f"invoice.refund_{decision.value}", "invoice",
                 refund.invoice_id, summary=f"Refund {refund.reference}: {decision.value}"
                 + (f" ({credit_note.number})" if credit_note else ""))
    return row


def _refund_decision(decision: RefundDecision | str) -> RefundDecision:
    try:
        decision = RefundDecision(decision)
    except ValueError:
        raise ValidationError(_("Choose a credit note or 'owed again'.")) from None
    if decision is RefundDecision.RETURNED:
        raise ValidationError(_("Choose a credit note or 'owed again'."))
    return decision


def _credit_for_refund(invoice: Invoice, refund: InvoicePayment) -> tuple[Money, str]:
    """What a credit note for the refund credits, and its wording (nothing: a zero amount)."""
    if refund not in state.refunds_to_decide(invoice):
        raise InvalidTransition(_("The refund %(reference)s has nothing left to decide.",
                                  reference=refund.reference))
    amount = Money(refund_to_credit(invoice, refund), invoice.currency)
    wording = CREDIT_WORDING[invoice.language].format(
        amount=documents.money_text(amount.amount, amount.currency, invoice.language),
        reference=refund.reference)
    return amount, wording


def decide_refund(session: Session, refund: InvoicePayment, decision: RefundDecision | str, *, actor: Actor,
                  settings: Settings, issue_date: date | None = None,
                  rendering: Rendering | None = None) -> InvoiceRefundDecision:
    """The treasurer's word on a refund that reopened an invoice: a partial credit note for the
    refunded amount (the default), or the money is owed again (reminders and the pay page ask
    for it). Inside the caller's unit of work; ``decide_refund_now`` renders before it."""
    decision = _refund_decision(decision)
    invoice = session.get(Invoice, refund.invoice_id)
    locked = session.scalar(select(Invoice.id).where(Invoice.id == invoice.id).with_for_update())
    if locked is None:
        raise InvalidTransition(_("The refund %(reference)s has nothing left to decide.",
                                  reference=refund.reference))
    amount, wording = _credit_for_refund(invoice, refund)
    if decision is RefundDecision.OWED_AGAIN:
        return _decide(session, refund, decision, actor=actor)
    if not amount:
        return _decide(session, refund, RefundDecision.RETURNED, actor=actor)
    note = issue_credit_note(session, invoice, amount, actor=actor, reason=wording,
                             settings=settings, issue_date=issue_date, rendering=rendering)
    return _decide(session, refund, decision, actor=actor, credit_note=note)


def decide_refund_now(session: Session, refund: InvoicePayment, decision: RefundDecision | str, *,
                      actor: Actor, settings: Settings,
                      issue_date: date | None = None) -> InvoiceRefundDecision:
    """``decide_refund`` in a unit of work of its own; a credit note's PDF is rendered before
    it (``_render_first``)."""
    decision = _refund_decision(decision)
    issue_date = issue_date or clock.today()

    def draft() -> Invoice | None:
        if decision is not RefundDecision.CREDIT_NOTE:
            return None
        invoice = session.get(Invoice, refund.invoice_id)
        amount, wording = _credit_for_refund(invoice, refund)
        return _credit_note(invoice, amount, reason=wording, actor=actor,
                            settings=settings) if amount else None

    return _render_first(session, issue_date=issue_date, draft=draft, settings=settings,
                         issue=lambda rendering: decide_refund(
                             session, refund, decision, actor=actor, settings=settings,
                             issue_date=issue_date, rendering=rendering))


# --- the stored PDF --------------------------------------------------------------------------

def stored_pdf(session: Session, invoice: Invoice, *, settings: Settings) -> bytes:
    """The bytes rendered at issue, checked against the SHA-256 recorded then."""
    if invoice.pdf_file_id is None:
        raise NotFound(_("This invoice has no PDF yet: drafts are rendered when they are issued."))
    data = read_stored(session.get(StoredFile, invoice.pdf_file_id), settings.paths.uploads)
    if hashlib.sha256(data).hexdigest() != invoice.pdf_sha256:
        raise Conflict(_("The stored PDF of %(number)s does not match its recorded SHA-256; it "
                         "must not be served. Restore it from a backup.", number=invoice.number))
    return data


# --- payments ----------------------------------------------------------------------------------

def _check_payment(session: Session, invoice: Invoice, amount: Money) -> None:
    if invoice.is_draft or invoice.is_cancellation:
        raise InvalidTransition(_("Payments are recorded against issued invoices only."))
    if amount.currency != invoice.currency:
        raise ValidationError(_("%(amount)s does not match the invoice currency %(currency)s.",
                                amount=amount, currency=invoice.currency))


def _add_payment(session: Session, invoice: Invoice, *, kind: PaymentKind, amount: Money, reference: str,
                 received_on: date, method: str, note: str, journal_entry_id: int | None,
                 actor: Actor, reverses_id: int | None = None) -> InvoicePayment:
    what = {PaymentKind.PAYMENT: "Payment", PaymentKind.REFUND: "Refund",
            PaymentKind.DISPUTE: "Dispute", PaymentKind.REVERSAL: "Reversal",
            PaymentKind.WRITE_OFF: "Write-off"}[PaymentKind(kind)]
    payment = InvoicePayment(invoice_id=invoice.id, kind=PaymentKind(kind).value,
                             amount=amount.amount, currency=amount.currency,
                             received_on=received_on, method=method, reference=reference,
                             note=note[:300], journal_entry_id=journal_entry_id,
                             reverses_id=reverses_id)
    session.add(payment)
    session.flush()
    session.expire(invoice, ["payments"])
    audit.record(session, actor, f"invoice.{payment.kind}", "invoice", invoice.id,
                 summary=f"{invoice.number}: {what.lower()} {amount} ({method} {reference})",
                 after={"amount": amount.amount, "reference": reference,
                        "journal_entry": journal_entry_id})
    return payment


def record_payment(session: Session, invoice: Invoice, *, amount: Money, reference: str, received_on: date,
                   method: str, debit_role: str | None = None,
                   kind: PaymentKind = PaymentKind.PAYMENT, note: str = "",
                   fee: Money | None = None, lines: list[Line] | None = None,
                   actor: Actor | None = None) -> InvoicePayment | None:
    """Book money received (positive) or paid back (negative) for an issued invoice:
    Dr ``debit_role`` (e.g. stripe_balance, bank) / Cr receivables, in the invoice's fund.
    ``fee`` is what the payment provider kept of it: Dr payment fees / Cr ``debit_role``, in the
    same entry. (A bank transfer recorded by hand with ``debit_role="bank"`` is a posting on the
    bank's ledger account: the reconciliation offers it as a booked posting, and the invoice,
    if now paid, is no longer offered as open.) A caller that builds the entry itself (Stripe
    money settled in another currency: ``payments.settlement``) passes its ``lines`` instead;
    they credit the receivable with ``amount`` (``receivable_lines``).

    ``reference`` identifies the money at its source; the same reference is booked once only
    (None is returned the second time, also when two deliveries race).
    """
    _check_payment(session, invoice, amount)
    if session.scalar(select(InvoicePayment.id).where(InvoicePayment.reference == reference)):
        return None
    fund = session.get(Fund, invoice.fund_id)
    what = {PaymentKind.PAYMENT: "Payment", PaymentKind.REFUND: "Refund",
            PaymentKind.DISPUTE: "Dispute"}[PaymentKind(kind)]
    if lines is None:
        debit = account_by_role(session, debit_role)
        lines = [Line(debit, fund, amount, reference[:200]),
                 *receivable_lines(session, invoice, amount)]
        if fee:
            lines += [Line(account_by_role(session, PAYMENT_FEES), fund, fee,
                           f"Fee {reference}"[:200]),
                      Line(debit, fund, -fee, f"Fee {reference}"[:200])]
    try:
        with session.begin_nested():
            entry = post_entry(
                session, booking_date=booking_date_for(session, received_on), actor=actor,
                description=f"{what} {invoice.number} ({method} {reference})"[:500],
                source=("invoice", invoice.id), lines=lines)
            payment = InvoicePayment(invoice_id=invoice.id, kind=PaymentKind(kind).value,
                                     amount=amount.amount, currency=amount.currency,
                                     received_on=received_on, method=method, reference=reference,
                                     note=note[:300], journal_entry_id=entry.id)
            session.add(payment)
            session.flush()
    except IntegrityError:
        return None  # the same money was recorded by a concurrent delivery
    session.expire(invoice, ["payments"])
    audit.record(session, actor, f"invoice.{payment.kind}", "invoice", invoice.id,
                 summary=f"{invoice.number}: {what.lower()} {amount} ({method} {reference})",
                 after={"amount": amount.amount, "reference": reference})
    return payment


def receivable_lines(session: Session, invoice: Invoice, amount: Money) -> list[Line]:
    """Cr receivables in the invoice's fund: the side of a payment that is the invoice's (the
    other side, bank or Stripe balance, is the caller's)."""
    return [Line(account_by_role(session, RECEIVABLES), session.get(Fund, invoice.fund_id),
                 -amount, f"Invoice {invoice.number}")]


def check_transfer(session: Session, invoice: Invoice, amount: Money) -> None:
    """Refuse a bank transfer of ``amount`` for an invoice that cannot take it (not issued,
    cancelled, other currency, more than is owed)."""
    _check_payment(session, invoice, amount)
    if state.is_cancelled(invoice):
        raise InvalidTransition(_("Invoice %(number)s is cancelled.", number=invoice.number))
    if amount.amount <= 0 or amount.amount > state.outstanding(invoice):
        raise ValidationError(_("Invoice %(number)s has %(open)s open; %(amount)s cannot be "
                                "recorded as paid for it.", number=invoice.number, amount=amount,
                                open=Money(state.outstanding(invoice), invoice.currency)))


def record_bank_transfer(session: Session, invoice: Invoice, *, amount: Money, reference: str,
                         received_on: date, journal_entry_id: int | None, actor: Actor,
                         note: str = "") -> InvoicePayment:
    """A bank transfer that the bank reconciliation has booked (Dr bank / Cr receivables, with
    ``receivable_lines``, in the match's own entry): recorded on the invoice, nothing posted
    here. The invoice becomes partly paid or paid."""
    return _record_booked(session, invoice, PaymentKind.PAYMENT, "bank", amount=amount,
                          reference=reference, on=received_on, note=note,
                          journal_entry_id=journal_entry_id, actor=actor)


def record_write_off(session: Session, invoice: Invoice, *, amount: Money, reference: str, on: date,
                     journal_entry_id: int | None, actor: Actor, note: str = "") -> InvoicePayment:
    """A rest the association forgives (bank charges the payer's bank kept), booked by the
    caller (Dr bank charges / Cr receivables): recorded on the invoice, which is then settled
    by that much. Never more than is open."""
    return _record_booked(session, invoice, PaymentKind.WRITE_OFF, "write_off", amount=amount,
                          reference=reference, on=on, note=note,
                          journal_entry_id=journal_entry_id, actor=actor)


def _record_booked(session: Session, invoice: Invoice, kind: PaymentKind, method: str, *, amount: Money,
                   reference: str, on: date, journal_entry_id: int | None, actor: Actor,
                   note: str) -> InvoicePayment:
    """Record on the invoice what somebody else's entry booked, once per reference."""
    check_transfer(session, invoice, amount)
    if session.scalar(select(InvoicePayment.id).where(InvoicePayment.reference == reference)):
        raise Conflict(_("The payment %(reference)s is already recorded.", reference=reference))
    return _add_payment(session, invoice, kind=kind, amount=amount, reference=reference,
                        received_on=on, method=method, note=note,
                        journal_entry_id=journal_entry_id, actor=actor)


def reverse_payment(session: Session, payment: InvoicePayment, *, reason: str,
                    journal_entry_id: int | None, actor: Actor) -> InvoicePayment:
    """Take back a payment or write-off recorded in error (its bank match was undone), or a
    refund that failed (the caller reverses the entry): a ``reversal`` row of the opposite
    amount, so the invoice is open again (or paid again) by that much. The payment itself stays,
    as everything in this table."""
    if not (payment.kind in (PaymentKind.PAYMENT, PaymentKind.WRITE_OFF) and payment.amount > 0
            or payment.kind == PaymentKind.REFUND and payment.amount < 0):
        raise InvalidTransition(_("Only a payment received, a write-off or a refund can be "
                                  "reversed."))
    if session.scalar(select(InvoicePayment.id).where(InvoicePayment.reverses_id == payment.id)):
        raise Conflict(_("The payment %(reference)s was already reversed.",
                         reference=payment.reference))
    invoice = payment.invoice
    return _add_payment(session, invoice, kind=PaymentKind.REVERSAL,
                        amount=-Money(payment.amount, payment.currency),
                        reference=f"{payment.reference}:reversed"[:100],
                        received_on=payment.received_on, method=payment.method,
                        note=reason, journal_entry_id=journal_entry_id, actor=actor,
                        reverses_id=payment.id)


# --- mail (the texts: notify.py and templates/invoicing/emails) ------------------------------

def _send(session: Session, invoice: Invoice, kind: str, *, actor: Actor,
          settings: Settings) -> InvoiceDispatch | None:
    """Mail the invoice (``kind``: the invoice, a reminder, or ``paid``, the confirmation); each
    is in the audit log, and all but the confirmation are dispatches the invoice page lists."""
    recipients = [e.strip() for e in invoice.buyer_emails.splitlines() if e.strip()]
    if not recipients:
        raise ValidationError(_("%(sponsor)s has no billing email address; add one to the sponsor "
                                "first.", sponsor=invoice.buyer_name))
    doc = document_of(session, invoice, settings=settings)  # the mail says what the PDF says
    amount = doc.gross if kind in ("invoice", "paid") else state.outstanding(invoice)
    notify.send(session, recipients, doc, kind, amount=amount,
                pdf=stored_pdf(session, invoice, settings=settings))
    if kind == "paid":
        audit.record(session, actor, "invoice.sent_paid", "invoice", invoice.id,
                     summary=f"{invoice.number} paid confirmation to {', '.join(recipients)}")
        return None
    dispatch = InvoiceDispatch(invoice_id=invoice.id, kind=kind, recipients=", ".join(recipients),
                               sent_by_id=getattr(actor, "id", None))
    session.add(dispatch)
    session.flush()
    session.expire(invoice, ["dispatches"])
    audit.record(session, actor, f"invoice.sent_{kind}", "invoice", invoice.id,
                 summary=f"{invoice.number} {kind.replace('_', ' ')} to {dispatch.recipients}")
    return dispatch


def confirm_paid(session: Session, invoice: Invoice, *, settings: Settings,
                 actor: Actor | None = None) -> bool:
    """Tell the sponsor their invoice is paid (once per invoice, as the audit log records it;
    nothing while it is not paid in full, or when the sponsor has no billing address). Called
    when an online payment arrives. True when the confirmation was queued."""
    session.flush()
    session.expire(invoice, ["payments"])
    if state.status(invoice, clock.today()).value not in ("paid", "overpaid"):
        return False
    if not invoice.buyer_emails.strip() or session.scalar(select(audit.AuditEvent.id).where(
            audit.AuditEvent.action == "invoice.sent_paid",
            audit.AuditEvent.object_type == "invoice",
            audit.AuditEvent.object_id == str(invoice.id)).limit(1)):
        return False
    _send(session, invoice, "paid", actor=actor, settings=settings)
    return True


def send_invoice(session: Session, invoice: Invoice, *, actor: Actor,
                 settings: Settings) -> InvoiceDispatch:
    if invoice.is_draft:
        raise InvalidTransition(_("Issue the invoice before sending it."))
    if invoice.is_cancellation:
        raise InvalidTransition(_("Cancellation invoices are not sent with a pay link."))
    return _send(session, invoice, "invoice", actor=actor, settings=settings)


def next_reminder(invoice: Invoice, today: date, *, settings: Settings) -> str | None:
    """Which reminder is due today, if any: the first once the invoice is overdue, the second
    ``INVOICE_REMINDER_DAYS`` after the first."""
    if state.status(invoice, today) not in (state.Status.OVERDUE,):
        return None
    sent = {d.kind: clock.day_of(d.sent_at) for d in invoice.dispatches}
    if "reminder_1" not in sent:
        return "reminder_1"
    if "reminder_2" not in sent and (today - sent["reminder_1"]).days >= settings.invoicing.reminder_days:
        return "reminder_2"
    return None


def send_reminder(session: Session, invoice: Invoice, *, actor: Actor, settings: Settings,
                  today: date | None = None) -> InvoiceDispatch:
    today = today or clock.today()
    if state.status(invoice, today) is not state.Status.OVERDUE:
        raise InvalidTransition(_("Invoice %(number)s is not overdue.", number=invoice.label))
    sent = {d.kind for d in invoice.dispatches}
    if "reminder_2" in sent:
        raise InvalidTransition(_("Both reminders for %(number)s have been sent; follow up "
                                  "personally.", number=invoice.number))
    return _send(session, invoice, "reminder_2" if "reminder_1" in sent else "reminder_1",
                 actor=actor, settings=settings)


def send_due_reminders(session: Session, *, today: date, settings: Settings,
                       actor: Actor | None = None) -> list[InvoiceDispatch]:
    """Every reminder due today (for cron: ``backoffice invoices remind``)."""
    sent = []
    for item in state.open_invoices(session, due_before=today):
        kind = next_reminder(item.invoice, today, settings=settings)
        if kind and item.invoice.buyer_emails.strip():
            sent.append(_send(session, item.invoice, kind, actor=actor, settings=settings))
    return sent
