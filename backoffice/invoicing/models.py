"""Sponsors, sponsorship packages, invoices and what happened to them.

An issued invoice never changes and is never deleted: once ``status`` is ``issued`` the row and its
lines are frozen (database triggers refuse UPDATE and DELETE, see the migration; the services
refuse first). Everything that happens to an invoice later is a row of its own: a payment, a
refund or a dispute (``InvoicePayment``), a mail (``InvoiceDispatch``), a cancellation invoice
(``Invoice`` with ``cancels_id``). What an invoice "is" today (open, partially paid, paid,
overpaid, overdue, cancelled) is derived from those rows (``state.py``).
"""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.db import BigIntKey, UTCDateTime, utcnow
from ..core.i18n import _
from ..extensions import db


class Language(StrEnum):
    EN = "en"
    DE = "de"


class TaxTreatment(StrEnum):
    """How a line is taxed for a buyer in Germany (buyers abroad: see ``VatRegime``)."""

    STANDARD = "standard"  # 19 %
    REDUCED = "reduced"    # 7 %
    EXEMPT = "exempt"      # 0 %, with the legal reason printed


TAX_RATE_BP = {TaxTreatment.STANDARD: 1900, TaxTreatment.REDUCED: 700, TaxTreatment.EXEMPT: 0}


class VatRegime(StrEnum):
    DOMESTIC = "domestic"                    # German VAT as the lines say
    REVERSE_CHARGE = "eu_reverse_charge"     # EU business buyer with a VAT ID: §13b UStG
    NOT_TAXABLE = "non_eu"                   # buyer outside the EU: §3a Abs. 2 UStG


class InvoiceKind(StrEnum):
    INVOICE = "invoice"
    CANCELLATION = "cancellation"  # cancels the invoice it names, in full (once)
    CREDIT_NOTE = "credit_note"    # credits part of the invoice it names (a partial refund)


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"


class PaymentKind(StrEnum):
    PAYMENT = "payment"              # money received (positive)
    REFUND = "refund"                # money given back (negative)
    DISPUTE = "dispute"              # money withdrawn by a dispute (negative) or reinstated
    REVERSAL = "reversal"            # a payment recorded in error taken back (``reverses_id``)
    WRITE_OFF = "write_off"          # a small rest forgiven (bank charges the payer's bank kept)


class Sponsor(db.Model):
    __tablename__ = "sponsors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))          # legal name
    street: Mapped[str] = mapped_column(Text)               # street and house, one or two lines
    postcode: Mapped[str] = mapped_column(String(20))
    city: Mapped[str] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2))         # ISO 3166-1 alpha-2
    vat_id: Mapped[str | None] = mapped_column(String(20))  # compact, e.g. "NL123456789B01"
    billing_emails: Mapped[str] = mapped_column(Text, default="")  # one per line
    po_reference: Mapped[str] = mapped_column(String(100), default="")
    language: Mapped[str] = mapped_column(String(2), default=Language.EN.value)
    contacts: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("language IN ('en', 'de')", name="language"),
    )

    @property
    def emails(self) -> list[str]:
        return [e.strip() for e in self.billing_emails.replace(",", "\n").splitlines() if e.strip()]


class SponsorshipPackage(db.Model):
    """What a sponsor can buy from an event or group (Gold, Silver, ...)."""

    __tablename__ = "sponsorship_packages"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    event: Mapped[str] = mapped_column(String(200), default="")
    group_id: Mapped[int | None] = mapped_column(ForeignKey("member_groups.id"))
    description: Mapped[str] = mapped_column(Text, default="")  # what is included
    price: Mapped[int] = mapped_column(BigInteger)              # net, minor units
    currency: Mapped[str] = mapped_column(String(3))
    tax_treatment: Mapped[str] = mapped_column(String(10), default=TaxTreatment.STANDARD.value)
    exempt_reason: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    group = relationship("MemberGroup")

    __table_args__ = (
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("tax_treatment IN ('standard', 'reduced', 'exempt')", name="tax_treatment"),
    )

    @property
    def label(self) -> str:
        return f"{self.event} – {self.name}" if self.event else self.name


class InvoiceNumberCounter(db.Model):
    """The last number given in a series (``<prefix><year>``); gap-free, see ``numbering.py``."""

    __tablename__ = "invoice_number_counters"

    series: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


def invoice_label(number: str | None, invoice_id: int) -> str:
    """How an invoice is named: its number, or "Draft #12" before it has one."""
    return number or _("Draft #%(id)s", id=invoice_id)


class Invoice(db.Model):
    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)  # in the pay link
    kind: Mapped[str] = mapped_column(String(12), default=InvoiceKind.INVOICE.value)
    status: Mapped[str] = mapped_column(String(10), default=InvoiceStatus.DRAFT.value)
    series: Mapped[str | None] = mapped_column(String(40))
    sequence: Mapped[int | None] = mapped_column(Integer)
    number: Mapped[str | None] = mapped_column(String(40), unique=True)
    cancels_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))

    sponsor_id: Mapped[int] = mapped_column(ForeignKey("sponsors.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("member_groups.id"), index=True)
    fund_id: Mapped[int | None] = mapped_column(ForeignKey("funds.id"))
    language: Mapped[str] = mapped_column(String(2), default=Language.EN.value)
    currency: Mapped[str] = mapped_column(String(3))

    # The buyer as printed (copied from the sponsor; frozen at issue).
    buyer_name: Mapped[str] = mapped_column(String(200))
    buyer_street: Mapped[str] = mapped_column(Text)
    buyer_postcode: Mapped[str] = mapped_column(String(20))
    buyer_city: Mapped[str] = mapped_column(String(100))
    buyer_country: Mapped[str] = mapped_column(String(2))
    buyer_vat_id: Mapped[str | None] = mapped_column(String(20))
    buyer_emails: Mapped[str] = mapped_column(Text, default="")
    po_reference: Mapped[str] = mapped_column(String(100), default="")

    issue_date: Mapped[date | None] = mapped_column(Date)
    service_date: Mapped[date] = mapped_column(Date)
    service_end: Mapped[date | None] = mapped_column(Date)
    payment_days: Mapped[int] = mapped_column(Integer, default=30)
    due_date: Mapped[date | None] = mapped_column(Date, index=True)
    notes: Mapped[str] = mapped_column(Text, default="")  # printed on the invoice

    vat_regime: Mapped[str | None] = mapped_column(String(20))
    net_total: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_total: Mapped[int] = mapped_column(BigInteger, default=0)
    gross_total: Mapped[int] = mapped_column(BigInteger, default=0)
    seller: Mapped[dict | None] = mapped_column(JSON)  # the seller as printed, frozen at issue
    payment_reference: Mapped[str | None] = mapped_column(String(60), unique=True)

    pdf_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    journal_entry_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"),
                                                         ForeignKey("journal_entries.id"))

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    sponsor: Mapped[Sponsor] = relationship(lazy="joined")
    group = relationship("MemberGroup")
    fund = relationship("Fund")
    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.position", lazy="selectin",
        cascade="all, delete-orphan")
    #: The invoice a cancellation or a credit note corrects.
    cancels: Mapped[Invoice | None] = relationship(
        remote_side=[id], foreign_keys=[cancels_id], viewonly=True)
    cancelled_by: Mapped[Invoice | None] = relationship(
        primaryjoin="and_(remote(Invoice.cancels_id) == Invoice.id, "
                    "remote(Invoice.kind) == 'cancellation')",
        foreign_keys=[cancels_id], viewonly=True, uselist=False)
    credit_notes: Mapped[list[Invoice]] = relationship(
        primaryjoin="and_(remote(Invoice.cancels_id) == Invoice.id, "
                    "remote(Invoice.kind) == 'credit_note')",
        foreign_keys=[cancels_id], viewonly=True, order_by="Invoice.id")
    payments: Mapped[list[InvoicePayment]] = relationship(
        back_populates="invoice", order_by="InvoicePayment.id")
    dispatches: Mapped[list[InvoiceDispatch]] = relationship(
        back_populates="invoice", order_by="InvoiceDispatch.id")

    __table_args__ = (
        CheckConstraint("kind IN ('invoice', 'cancellation', 'credit_note')", name="kind"),
        CheckConstraint("status IN ('draft', 'issued')", name="status"),
        CheckConstraint("status = 'draft' OR (number IS NOT NULL AND issue_date IS NOT NULL "
                        "AND due_date IS NOT NULL AND pdf_sha256 IS NOT NULL)", name="issued_complete"),
        CheckConstraint("(kind IN ('cancellation', 'credit_note')) = (cancels_id IS NOT NULL)",
                        name="cancellation_link"),
        # An invoice is cancelled once; it may be credited in part several times.
        Index("uq_invoices_cancels_id", "cancels_id", unique=True,
              sqlite_where=text("kind = 'cancellation'"),
              postgresql_where=text("kind = 'cancellation'")),
        CheckConstraint("net_total + tax_total = gross_total", name="totals_add_up"),
        UniqueConstraint("series", "sequence", name="uq_invoices_series_sequence"),
        Index("ix_invoices_status_kind", "status", "kind"),
    )

    @property
    def is_draft(self) -> bool:
        return self.status == InvoiceStatus.DRAFT

    @property
    def is_cancellation(self) -> bool:
        """A cancellation or a credit note: a document that corrects another, never paid."""
        return self.kind in (InvoiceKind.CANCELLATION, InvoiceKind.CREDIT_NOTE)

    @property
    def is_credit_note(self) -> bool:
        return self.kind == InvoiceKind.CREDIT_NOTE

    @property
    def label(self) -> str:
        return invoice_label(self.number, self.id)


class InvoiceLine(db.Model):
    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    quantity_milli: Mapped[int] = mapped_column(BigInteger, default=1000)  # 1.5 = 1500
    unit_price: Mapped[int] = mapped_column(BigInteger)                    # net, minor units
    net: Mapped[int] = mapped_column(BigInteger)                           # see rounding rule
    tax_treatment: Mapped[str] = mapped_column(String(10), default=TaxTreatment.STANDARD.value)
    exempt_reason: Mapped[str] = mapped_column(String(300), default="")
    package_id: Mapped[int | None] = mapped_column(ForeignKey("sponsorship_packages.id"))

    invoice: Mapped[Invoice] = relationship(back_populates="lines")

    __table_args__ = (
        UniqueConstraint("invoice_id", "position", name="uq_invoice_lines_position"),
        CheckConstraint("tax_treatment IN ('standard', 'reduced', 'exempt')", name="tax_treatment"),
        CheckConstraint("quantity_milli <> 0", name="quantity_not_zero"),
    )


class InvoicePayment(db.Model):
    """Money received for an invoice (positive) or given back (negative), booked in the ledger.

    ``reference`` is the payment's identity at its source (a Stripe PaymentIntent, refund or
    balance transaction id, a bank match), unique: the same money is never counted twice,
    however often it is reported.

    The table is append-only: a payment recorded in error (a bank match undone) is taken back by
    a ``reversal`` row of the opposite amount that names it in ``reverses_id`` (once).
    """

    __tablename__ = "invoice_payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default=PaymentKind.PAYMENT.value)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    received_on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(20))  # stripe, bank, manual
    reference: Mapped[str] = mapped_column(String(100), unique=True)
    note: Mapped[str] = mapped_column(String(300), default="")
    journal_entry_id: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), ForeignKey("journal_entries.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reverses_id: Mapped[int | None] = mapped_column(
        ForeignKey("invoice_payments.id"))

    invoice: Mapped[Invoice] = relationship(back_populates="payments")
    decision: Mapped[InvoiceRefundDecision | None] = relationship(
        back_populates="payment", uselist=False, lazy="selectin")

    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        Index("uq_invoice_payments_reverses_id", "reverses_id", unique=True),
    )


class RefundDecision(StrEnum):
    CREDIT_NOTE = "credit_note"  # the refund settles part of the invoice: a credit note says so
    OWED_AGAIN = "owed_again"    # the treasurer says the money is owed again
    RETURNED = "returned"        # it gave back money that was not owed (overpaid, cancelled)


class InvoiceRefundDecision(db.Model):
    """What a refund of an invoice's payment means for the invoice, decided once.

    Until it is decided, the refunded money is not asked for (reminders, the pay page): a
    partial refund is a partial credit note unless the treasurer says the money is owed again.
    """

    __tablename__ = "invoice_refund_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("invoice_payments.id"), unique=True)
    decision: Mapped[str] = mapped_column(String(12))
    credit_note_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), unique=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    payment: Mapped[InvoicePayment] = relationship(back_populates="decision")
    credit_note: Mapped[Invoice | None] = relationship(foreign_keys=[credit_note_id])

    __table_args__ = (
        CheckConstraint("decision IN ('credit_note', 'owed_again', 'returned')", name="decision"),
        CheckConstraint("(decision = 'credit_note') = (credit_note_id IS NOT NULL)",
                        name="credit_note_named"),
    )


class InvoiceDispatch(db.Model):
    """An invoice or a reminder sent by mail (to whom, when, by whom)."""

    __tablename__ = "invoice_dispatches"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # invoice, reminder_1, reminder_2
    recipients: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    invoice: Mapped[Invoice] = relationship(back_populates="dispatches")
    sent_by = relationship("User")

    __table_args__ = (
        CheckConstraint("kind IN ('invoice', 'reminder_1', 'reminder_2')", name="kind"),
    )


class CreditKind(StrEnum):
    OVERPAYMENT = "overpayment"  # more was paid than an invoice asked (credit +)
    APPLIED = "applied"          # credit used to pay an invoice (credit -)
    REFUND = "refund"            # credit paid back by SEPA transfer (credit -)
    REVERSAL = "reversal"        # a movement taken back (its bank match was undone)


class SponsorCredit(db.Model):
    """One movement of a sponsor's credit: money the association holds for a sponsor and owes
    back or sets off against later invoices (an overpayment).

    Why a table of movements, and why append-only: the ledger keeps the credit on one liability
    account (role ``sponsor_credits``) per fund, but postings do not say which sponsor they
    belong to. These rows are that account's sub-ledger: every row is written in the same
    transaction as the journal entry that moves the same amount on that account in the same fund
    (``journal_entry_id``), so the sum of the rows per fund and currency *is* the account's
    balance (``credits.differences`` checks it). A sponsor's balance is the sum of its rows,
    never a stored number that could drift; rows are never changed or deleted (database
    triggers), a mistake is taken back by a ``reversal`` row naming it (``reverses_id``, once);
    every use of a credit first locks the sponsor's row and reads the sum after the lock, so two
    treasurers cannot spend the same credit twice; ``reference`` is unique, so the same money is
    never credited twice.
    """

    __tablename__ = "sponsor_credits"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    sponsor_id: Mapped[int] = mapped_column(ForeignKey("sponsors.id"), index=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)  # > 0 credit for the sponsor, < 0 used
    kind: Mapped[str] = mapped_column(String(12))
    reference: Mapped[str] = mapped_column(String(100), unique=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("sponsor_refunds.id"))
    bank_match_id: Mapped[int | None] = mapped_column(BigIntKey, ForeignKey("bank_matches.id"))
    journal_entry_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("journal_entries.id"))
    reverses_id: Mapped[int | None] = mapped_column(BigIntKey, ForeignKey("sponsor_credits.id"))
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    sponsor = relationship("Sponsor")
    fund = relationship("Fund")
    invoice = relationship("Invoice")

    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        CheckConstraint("kind IN ('overpayment', 'applied', 'refund', 'reversal')", name="kind"),
        Index("uq_sponsor_credits_reverses_id", "reverses_id", unique=True),
        Index("ix_sponsor_credits_match", "bank_match_id"),
    )


class RefundStatus(StrEnum):
    READY = "ready"    # waiting for a payout batch (Dr sponsor credits / Cr payables posted)
    PAID = "paid"      # the batch was executed: Dr payables / Cr bank


class SponsorRefund(db.Model):
    """Credit paid back to a sponsor by SEPA transfer: a payable of the payout batches
    (``invoicing.credits.RefundPayables``), one per fund the credit was held in."""

    __tablename__ = "sponsor_refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    sponsor_id: Mapped[int] = mapped_column(ForeignKey("sponsors.id"), index=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    payee_name: Mapped[str] = mapped_column(String(70))
    iban: Mapped[str] = mapped_column(String(34))
    bic: Mapped[str | None] = mapped_column(String(11))
    status: Mapped[str] = mapped_column(String(10), default=RefundStatus.READY.value, index=True)
    journal_entry_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("journal_entries.id"))
    paid_on: Mapped[date | None] = mapped_column(Date)
    batch_ref: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    sponsor = relationship("Sponsor")
    fund = relationship("Fund")

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("status IN ('ready', 'paid')", name="status"),
    )

    @property
    def ref(self) -> str:
        return f"SR{self.id}"
