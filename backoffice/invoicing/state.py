"""What an invoice is today, derived from the frozen document and the rows that followed it, and
the queries other packages use (bank reconciliation: open invoices, lookup by payment reference).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import and_, bindparam, case, func, literal, or_, select, union_all
from sqlalchemy.orm import Session, aliased
from stdnum import iso11649

from ..core.i18n import _l, lazy_pgettext
from ..core.money import Money
from ..core.tables import DATE, MONEY, Column, Table
from .models import (
    Invoice,
    InvoiceKind,
    InvoicePayment,
    InvoiceRefundDecision,
    InvoiceStatus,
    PaymentKind,
    invoice_label,
)

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, Select


class Status(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    OVERDUE = "overdue"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    OVERPAID = "overpaid"
    CANCELLED = "cancelled"
    CANCELLATION = "cancellation"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.value]

    @property
    def badge(self) -> str:
        return {"draft": "secondary", "open": "primary", "overdue": "danger",
                "partially_paid": "warning", "paid": "success", "overpaid": "info",
                "cancelled": "dark", "cancellation": "dark"}[self.value]


#: The names shown for an invoice's status (a state, hence the context: "Open" is no verb).
STATUS_LABELS = {
    "draft": lazy_pgettext("invoice", "Draft"), "open": lazy_pgettext("invoice", "Open"),
    "overdue": lazy_pgettext("invoice", "Overdue"),
    "partially_paid": lazy_pgettext("invoice", "Partially paid"),
    "paid": lazy_pgettext("invoice", "Paid"), "overpaid": lazy_pgettext("invoice", "Overpaid"),
    "cancelled": lazy_pgettext("invoice", "Cancelled"),
    "cancellation": lazy_pgettext("invoice", "Cancellation")}

#: The names shown for the rows an invoice and a sponsor's credit collect, and for the mails
#: sent (the stored values stay as they are).
LABELS = {
    "payment": {"payment": _l("Payment"), "refund": _l("Refund"), "dispute": _l("Dispute"),
                "reversal": _l("Reversal"), "write_off": _l("Write-off")},
    "credit": {"overpayment": _l("Overpayment"), "applied": _l("Set off against an invoice"),
               "refund": _l("Paid back"), "reversal": _l("Reversal")},
    "treatment": {"standard": _l("19 %% VAT"), "reduced": _l("7 %% VAT"), "exempt": _l("Exempt")},
    "regime": {"domestic": _l("Germany"), "eu_reverse_charge": _l("Reverse charge (EU)"),
               "non_eu": _l("Not taxable in Germany")},
    "dispatch": {"invoice": _l("Invoice"), "reminder_1": _l("First reminder"),
                 "reminder_2": _l("Second reminder"), "paid": _l("Payment confirmation")},
    "method": {"bank": _l("Bank transfer"), "stripe": "Stripe", "credit": _l("Sponsor credit"),
               "write_off": _l("Write-off")},
}


def counts(payment: InvoicePayment, payments: dict[int, InvoicePayment]) -> bool:
    """Whether a payment row counts towards what the invoice has received. A refund counts once
    the treasurer decided what it means (a credit note lowers what is owed by as much; or the
    money is owed again; or it was not owed): until then the refunded money is not asked for
    (reminders, the pay page). A failed refund's reversal counts as its refund does."""
    if payment.kind == PaymentKind.REFUND:
        return payment.decision is not None
    if payment.kind == PaymentKind.REVERSAL:
        original = payments.get(payment.reverses_id)
        return original is None or original.kind != PaymentKind.REFUND \
            or original.decision is not None
    return True


def paid_amount(invoice: Invoice) -> int:
    """Money received for the invoice, less refunds and disputes (minor units), as far as it
    counts (``counts``)."""
    payments = {p.id: p for p in invoice.payments}
    return sum(p.amount for p in invoice.payments if counts(p, payments))


def credited(invoice: Invoice) -> int:
    """What issued credit notes took off the invoice (positive)."""
    return -sum(note.gross_total for note in invoice.credit_notes
                if note.status == InvoiceStatus.ISSUED)


def owed(invoice: Invoice) -> int:
    """What the invoice asks for: its total, less credit notes; nothing once cancelled."""
    return 0 if is_cancelled(invoice) else invoice.gross_total - credited(invoice)


def refunds_to_decide(invoice: Invoice) -> list[InvoicePayment]:
    """Refunds (not failed) that wait for the treasurer: a credit note, or owed again."""
    reversed_ids = {p.reverses_id for p in invoice.payments if p.reverses_id}
    return [p for p in invoice.payments if p.kind == PaymentKind.REFUND and p.decision is None
            and p.id not in reversed_ids]


def outstanding(invoice: Invoice) -> int:
    """What the sponsor still owes (negative: what the association owes back)."""
    if invoice.is_draft or invoice.is_cancellation:
        return 0
    return owed(invoice) - paid_amount(invoice)


def is_cancelled(invoice: Invoice) -> bool:
    return invoice.cancelled_by is not None and invoice.cancelled_by.status == InvoiceStatus.ISSUED


def status(invoice: Invoice, today: date) -> Status:
    if invoice.is_draft:
        return Status.DRAFT
    if invoice.is_cancellation:
        return Status.CANCELLATION
    if is_cancelled(invoice):
        return Status.CANCELLED
    return settled_status(paid_amount(invoice), owed(invoice), invoice.due_date, today)


def settled_status(paid: int, due: int, due_date: date | None, today: date) -> Status:
    """An issued invoice's state by what it received (``paid_amount``) against what it asks for
    (``owed``)."""
    if paid > due:
        return Status.OVERPAID
    if paid == due:
        return Status.PAID
    if due_date and due_date < today:
        return Status.OVERDUE
    return Status.PARTIALLY_PAID if paid > 0 else Status.OPEN


def days_overdue(invoice: Invoice, today: date) -> int:
    return (today - invoice.due_date).days if invoice.due_date else 0


# --- SQL building blocks ---------------------------------------------------------------------

# The building blocks are built once per process (issue 17): each aliases the invoice or the
# payment table, and an alias built afresh copies every column of its table, for every query of
# every page that asks what invoices are open (the invoice list, the bank reconciliation). They
# are immutable; a statement that uses one uses it once.

@cache
def paid_subquery():
    """(invoice_id, paid) with what counts as received, as ``paid_amount`` says."""
    decision, original = aliased(InvoiceRefundDecision), aliased(InvoicePayment)
    original_decision = aliased(InvoiceRefundDecision)
    counted = or_(
        InvoicePayment.kind.not_in((PaymentKind.REFUND, PaymentKind.REVERSAL)),
        and_(InvoicePayment.kind == PaymentKind.REFUND, decision.id.is_not(None)),
        and_(InvoicePayment.kind == PaymentKind.REVERSAL,
             or_(original.id.is_(None), original.kind != PaymentKind.REFUND,
                 original_decision.id.is_not(None))))
    return (select(InvoicePayment.invoice_id, func.sum(InvoicePayment.amount).label("paid"))
            .outerjoin(decision, decision.payment_id == InvoicePayment.id)
            .outerjoin(original, original.id == InvoicePayment.reverses_id)
            .outerjoin(original_decision, original_decision.payment_id == original.id)
            .where(counted)
            .group_by(InvoicePayment.invoice_id).subquery("paid"))


def settled_column(statement: Select):
    """``statement`` (selecting from invoices) joined to what each invoice received and what
    credit notes took off it, and the column of both together: an invoice is paid when it
    reaches ``gross_total``. (statement, column)"""
    paid, notes = paid_subquery(), _credited_subquery()
    statement = (statement.outerjoin(paid, paid.c.invoice_id == Invoice.id)
                 .outerjoin(notes, notes.c.invoice_id == Invoice.id))
    return statement, func.coalesce(paid.c.paid, 0) - func.coalesce(notes.c.credited, 0)


@cache
def _credited_subquery():
    """(invoice_id, credited): what issued credit notes took off each invoice."""
    note = aliased(Invoice)
    return (select(note.cancels_id.label("invoice_id"), func.sum(note.gross_total).label("credited"))
            .where(note.kind == InvoiceKind.CREDIT_NOTE, note.status == InvoiceStatus.ISSUED)
            .group_by(note.cancels_id).subquery("credited"))


def refunds_to_decide_query():
    """Refund rows (not failed) that wait for the treasurer's decision (``refunds_to_decide``)."""
    reversal = aliased(InvoicePayment)
    return select(InvoicePayment).where(
        InvoicePayment.kind == PaymentKind.REFUND,
        ~select(InvoiceRefundDecision.id).where(
            InvoiceRefundDecision.payment_id == InvoicePayment.id).exists(),
        ~select(reversal.id).where(reversal.reverses_id == InvoicePayment.id).exists())


@cache
def cancelled_ids():
    cancellation = aliased(Invoice)
    return select(cancellation.cancels_id).where(cancellation.cancels_id.is_not(None),
                                                 cancellation.kind == InvoiceKind.CANCELLATION,
                                                 cancellation.status == InvoiceStatus.ISSUED)


@dataclass
class OpenInvoice:
    invoice: Invoice
    paid: int  # received, plus what credit notes took off

    @property
    def outstanding(self) -> int:
        return self.invoice.gross_total - self.paid


def open_invoices(session: Session, *, currency: str | None = None, due_before: date | None = None,
                  sponsor_id: int | None = None) -> list[OpenInvoice]:
    """Issued, not cancelled invoices with money still owed, oldest due first.

    For bank reconciliation: match a bank line by ``invoice.payment_reference`` or
    ``invoice.number`` (see ``find_by_reference``) and the outstanding amount.
    """
    statement = _still_owed(select(Invoice))
    if currency:
        statement = statement.where(Invoice.currency == currency)
    if due_before:
        statement = statement.where(Invoice.due_date < due_before)
    if sponsor_id:
        statement = statement.where(Invoice.sponsor_id == sponsor_id)
    return [OpenInvoice(invoice, int(paid)) for invoice, paid in session.execute(statement)]


def _still_owed(statement: Select) -> Select:
    """``statement`` (selecting from invoices) with what each received (the last column), for
    the issued, not cancelled invoices with money still owed, oldest due first."""
    statement, paid_col = settled_column(statement)
    return (statement.add_columns(paid_col)
            .where(Invoice.status == InvoiceStatus.ISSUED, Invoice.kind == InvoiceKind.INVOICE,
                   Invoice.id.not_in(cancelled_ids()), paid_col < Invoice.gross_total)
            .order_by(Invoice.due_date, Invoice.id))


@cache
def open_invoice_select() -> Select:
    """``open_invoices`` as light rows, for matching thousands of them against bank lines in one
    query: (id, number, payment_reference, issue_date, due_date, outstanding, buyer_name,
    sponsor_id), unordered, to read them with more (the currency is the bound parameter
    ``currency``); built once per process."""
    statement, paid_col = settled_column(select(
        Invoice.id, Invoice.number, Invoice.payment_reference, Invoice.issue_date,
        Invoice.due_date))
    return (statement.add_columns((Invoice.gross_total - paid_col).label("outstanding"),
                                  Invoice.buyer_name, Invoice.sponsor_id)
            .where(Invoice.status == InvoiceStatus.ISSUED, Invoice.kind == InvoiceKind.INVOICE,
                   Invoice.currency == bindparam("currency"),
                   Invoice.id.not_in(cancelled_ids()), paid_col < Invoice.gross_total))


_RF = re.compile(r"RF\d{2}[0-9A-Z]{1,21}", re.IGNORECASE)
_NUMBER = re.compile(r"[A-Z]*\d{4}-\d{5}", re.IGNORECASE)


def find_by_reference(session: Session, text: str) -> Invoice | None:
    """The issued invoice a payment's remittance text names: by its RF creditor reference or
    its number (spaces inside an RF reference are allowed, as banks print them in groups)."""
    compact = re.sub(r"\s+", "", text or "").upper()
    candidates = [m.upper() for m in _NUMBER.findall(text or "")]
    for match in _RF.findall(compact):  # the run may swallow the words after it: keep the
        candidates += [match[:end] for end in range(len(match), 4, -1)  # prefixes whose
                       if iso11649.is_valid(match[:end])]                  # check digits hold
    if not candidates:
        return None
    return session.scalar(select(Invoice).where(
        Invoice.status == InvoiceStatus.ISSUED,
        or_(Invoice.payment_reference.in_(candidates), Invoice.number.in_(candidates)))
        .order_by(Invoice.id).limit(1))


AGING_BUCKETS = [("current", _l("Not yet due")), ("0-30", _l("0–30 days")),
                 ("31-60", _l("31–60 days")), ("61-90", _l("61–90 days")),
                 ("90+", _l("90+ days"))]


def aging_bucket(days: int) -> str:
    if days < 0:
        return "current"
    if days <= 30:
        return "0-30"
    if days <= 60:
        return "31-60"
    if days <= 90:
        return "61-90"
    return "90+"


def credits(session: Session) -> list[tuple[Invoice, int]]:
    """Invoices where the association holds more than is owed (overpaid, or paid and then
    cancelled): (invoice, amount owed back). Shown so that no payment is lost."""
    statement, paid = settled_column(select(Invoice))
    owed = case((Invoice.id.in_(cancelled_ids()), 0), else_=Invoice.gross_total)
    statement = (statement.add_columns(paid - owed)
                 .where(Invoice.status == InvoiceStatus.ISSUED, Invoice.kind == InvoiceKind.INVOICE,
                        and_(paid > owed))
                 .order_by(Invoice.issue_date, Invoice.id))
    return [(invoice, int(amount)) for invoice, amount in session.execute(statement)]


# --- lists and totals for the pages --------------------------------------------------------------

@dataclass
class InvoiceFilter:
    status: str = ""
    year: int | None = None
    sponsor_id: int | None = None
    text: str = ""


@dataclass(frozen=True)
class ListedInvoice:
    """One row of the invoice list, read as light columns (issue 17: the page loaded each
    invoice with its lines, payments, refund decisions, cancellation and credit notes to work
    out its state)."""

    id: int
    number: str | None
    kind: str
    issue_date: date | None
    due_date: date | None
    buyer_name: str
    currency: str
    net_total: int
    tax_total: int
    gross_total: int
    cancels_number: str | None  # the invoice a cancellation or credit note corrects
    status: Status
    paid: int  # received, plus what credit notes took off

    @property
    def label(self) -> str:
        return invoice_label(self.number, self.id)

    @property
    def is_cancellation(self) -> bool:
        return self.kind in (InvoiceKind.CANCELLATION, InvoiceKind.CREDIT_NOTE)


def _listed(row, today: date) -> ListedInvoice:
    """A row of ``list_invoices``'s query as the page shows it, its state worked out as
    ``status`` works it out from the invoice's objects."""
    received, credited = int(row.received), int(row.credited)  # credited: positive
    if row.status == InvoiceStatus.DRAFT:
        shown = Status.DRAFT
    elif row.kind in (InvoiceKind.CANCELLATION, InvoiceKind.CREDIT_NOTE):
        shown = Status.CANCELLATION
    elif row.cancelled:
        shown = Status.CANCELLED
    else:
        shown = settled_status(received, row.gross_total - credited, row.due_date, today)
    return ListedInvoice(row.id, row.number, row.kind, row.issue_date, row.due_date,
                         row.buyer_name, row.currency, row.net_total, row.tax_total,
                         row.gross_total, row.cancels_number, shown, received + credited)


@cache
def _corrected():
    """The invoice a cancellation or a credit note corrects (an alias, built once)."""
    return aliased(Invoice)


@cache
def _listing() -> tuple[Select, ColumnElement, ColumnElement]:
    """The invoice list's statement before its filters and order, what each invoice received and
    credit notes took off it, and whether it is cancelled (built once, issue 17)."""
    paid, notes, corrected = paid_subquery(), _credited_subquery(), _corrected()
    received = func.coalesce(paid.c.paid, 0)
    credited = -func.coalesce(notes.c.credited, 0)
    cancelled = Invoice.id.in_(cancelled_ids())
    statement = (select(Invoice.id, Invoice.number, Invoice.kind, Invoice.issue_date,
                        Invoice.due_date, Invoice.buyer_name, Invoice.currency, Invoice.net_total,
                        Invoice.tax_total, Invoice.gross_total,
                        corrected.number.label("cancels_number"), Invoice.status,
                        cancelled.label("cancelled"), received.label("received"),
                        credited.label("credited"))
                 .outerjoin(paid, paid.c.invoice_id == Invoice.id)
                 .outerjoin(notes, notes.c.invoice_id == Invoice.id)
                 .outerjoin(corrected, corrected.id == Invoice.cancels_id))
    return statement, received + credited, cancelled


def _page_of(statement: Select) -> Select:
    return (statement.order_by(Invoice.issue_date.desc().nulls_first(), Invoice.id.desc())
            .limit(bindparam("limit")).offset(bindparam("offset")))


@cache
def _unfiltered_page() -> Select:
    """A page of the list without filters, the one most asked for (built once, issue 17)."""
    return _page_of(_listing()[0])


def list_invoices(session: Session, filters: InvoiceFilter, today: date, *, limit: int,
                  offset: int = 0) -> tuple[list[ListedInvoice], bool]:
    """(a page of ``ListedInvoice``, more?) newest first; ``status`` filters on the derived
    state. One query: what each received and what credit notes took off it are summed by the
    database (``paid_subquery``, as ``paid_amount`` counts)."""
    statement, paid_col, cancelled = _listing()
    conditions = []
    issued_invoice = and_(Invoice.status == InvoiceStatus.ISSUED, Invoice.kind == InvoiceKind.INVOICE,
                          ~cancelled)
    if filters.status == "draft":
        conditions.append(Invoice.status == InvoiceStatus.DRAFT)
    elif filters.status == "open":
        conditions += [issued_invoice, paid_col < Invoice.gross_total]
    elif filters.status == "overdue":
        conditions += [issued_invoice, paid_col < Invoice.gross_total, Invoice.due_date < today]
    elif filters.status == "paid":
        conditions += [issued_invoice, paid_col >= Invoice.gross_total]
    elif filters.status == "refunds":
        conditions.append(Invoice.id.in_(
            refunds_to_decide_query().with_only_columns(InvoicePayment.invoice_id)))
    elif filters.status == "cancelled":
        conditions.append(or_(cancelled, Invoice.kind.in_((InvoiceKind.CANCELLATION,
                                                           InvoiceKind.CREDIT_NOTE))))
    if filters.year:
        conditions.append(or_(Invoice.series.like(f"%{filters.year}"),
                              and_(Invoice.issue_date.is_(None),
                                   func.extract("year", Invoice.service_date) == filters.year)))
    if filters.sponsor_id:
        conditions.append(Invoice.sponsor_id == filters.sponsor_id)
    if filters.text.strip():
        like = f"%{filters.text.strip()}%"
        conditions.append(or_(Invoice.number.ilike(like), Invoice.buyer_name.ilike(like),
                              Invoice.payment_reference.ilike(like)))
    statement = _page_of(statement.where(*conditions)) if conditions else _unfiltered_page()
    rows = [_listed(row, today) for row in session.execute(
        statement, {"limit": limit + 1, "offset": offset})]
    return rows[:limit], len(rows) > limit


@dataclass
class Summary:
    open_count: int
    open_total: dict[str, int]
    overdue_count: int
    overdue_total: dict[str, int]
    paid_this_year: dict[str, int]


@cache
def _summary_statement() -> Select:
    """The summary's figures in one statement, built once (issue 17: two statements, the first
    a row for each open invoice): per currency, the invoices still owed (how many, what they
    still ask for, how many and how much of that is overdue at ``today``), then what was
    received from ``since`` to ``today``, told apart by the first column."""
    statement, paid_col = settled_column(select(literal("owed").label("part"), Invoice.currency))
    outstanding = Invoice.gross_total - paid_col
    overdue = Invoice.due_date < bindparam("today")
    owed = (statement.add_columns(func.count().label("invoices"), func.sum(outstanding).label("amount"),
                                  func.count(case((overdue, 1))).label("overdue_invoices"),
                                  func.sum(case((overdue, outstanding), else_=0)).label("overdue"))
            .where(Invoice.status == InvoiceStatus.ISSUED, Invoice.kind == InvoiceKind.INVOICE,
                   Invoice.id.not_in(cancelled_ids()), paid_col < Invoice.gross_total)
            .group_by(Invoice.currency))
    received = (select(literal("received"), InvoicePayment.currency, literal(0),
                       func.sum(InvoicePayment.amount), literal(0), literal(0))
                .where(InvoicePayment.kind != "write_off",
                       InvoicePayment.received_on >= bindparam("since"),
                       InvoicePayment.received_on <= bindparam("today"))
                .group_by(InvoicePayment.currency))
    return union_all(owed, received)


def summary(session: Session, today: date) -> Summary:
    open_total: dict[str, int] = {}
    overdue_total: dict[str, int] = {}
    received: dict[str, int] = {}
    open_count = overdue_count = 0
    for part, currency, invoices, amount, overdue_invoices, overdue in session.execute(
            _summary_statement(), {"since": date(today.year, 1, 1), "today": today}):
        if part == "received":
            received[currency] = int(amount)
            continue
        open_count += invoices
        open_total[currency] = int(amount)
        if overdue_invoices:
            overdue_count += overdue_invoices
            overdue_total[currency] = int(overdue)
    return Summary(open_count, open_total, overdue_count, overdue_total, received)


def aging(session: Session, today: date) -> tuple[list[tuple[OpenInvoice, str]], dict[str, dict[str, int]]]:
    """Open invoices with their bucket, and totals per currency and bucket."""
    rows, totals = [], {}
    for item in open_invoices(session):
        bucket = aging_bucket(days_overdue(item.invoice, today))
        rows.append((item, bucket))
        per_currency = totals.setdefault(item.invoice.currency, {key: 0 for key, _ in AGING_BUCKETS})
        per_currency[bucket] += item.outstanding
    return rows, totals


def invoices_table(session: Session, filters: InvoiceFilter, today: date) -> Table:
    """The invoices page's rows with its filters, every page of them, as a table to download."""
    rows, _ = list_invoices(session, filters, today, limit=10**9)

    def values():
        for invoice in rows:
            shown, paid = invoice.status, invoice.paid
            outstanding = invoice.gross_total - paid if shown.value in (
                "open", "overdue", "partially_paid", "overpaid") else None
            def money(minor: int | None, currency: str = invoice.currency) -> Money | None:
                return None if minor is None else Money(minor, currency)

            yield (invoice.label, invoice.kind, invoice.issue_date, invoice.buyer_name,
                   invoice.due_date if not invoice.is_cancellation else None, str(shown.label),
                   money(invoice.net_total), money(invoice.tax_total), money(invoice.gross_total),
                   money(paid), money(outstanding))

    return Table("invoices", (
        Column("Number", width=16), Column("Kind", width=12), Column("Date", DATE),
        Column("Sponsor"), Column("Due", DATE), Column("Status", width=14),
        Column("Net", MONEY), Column("VAT", MONEY), Column("Total", MONEY), Column("Paid", MONEY),
        Column("Outstanding", MONEY)), values())
