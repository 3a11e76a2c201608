"""What Stripe told us and what we did about it.

``StripeEvent`` keeps every webhook event once, by its id, with the exact body received, so that
events can be replayed. The other tables remember which Stripe objects were booked, so that no
event, however often or in whatever order it arrives, books the same money twice.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.db import UTCDateTime, utcnow
from ..extensions import db

EntryId = BigInteger().with_variant(Integer(), "sqlite")


class CheckoutSession(db.Model):
    """A Stripe Checkout Session started from an invoice's pay link."""

    __tablename__ = "stripe_checkout_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    stripe_id: Mapped[str] = mapped_column(String(255), unique=True)
    url: Mapped[str | None] = mapped_column(Text)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20), default="open")  # open, complete, expired
    payment_status: Mapped[str] = mapped_column(String(30), default="unpaid")
    payment_intent: Mapped[str | None] = mapped_column(String(255), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    invoice = relationship("Invoice")


class StripeEvent(db.Model):
    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)  # evt_...
    type: Mapped[str] = mapped_column(String(100), index=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime)  # when Stripe created it
    livemode: Mapped[bool] = mapped_column(Boolean, default=False)
    object_id: Mapped[str | None] = mapped_column(String(255), index=True)
    payload: Mapped[str] = mapped_column(Text)  # the body exactly as received
    status: Mapped[str] = mapped_column(String(12), default="received", index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StripeFee(db.Model):
    """A Stripe balance transaction booked for an invoice (its fee, possibly zero), once: a
    payment's, a refund's, a dispute's, or one that arrived after its payment was booked."""

    __tablename__ = "stripe_fees"

    balance_transaction: Mapped[str] = mapped_column(String(255), primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    source: Mapped[str] = mapped_column(String(255))  # the charge or dispute it belongs to
    amount: Mapped[int] = mapped_column(BigInteger)    # positive: a cost
    currency: Mapped[str] = mapped_column(String(3))
    journal_entry_id: Mapped[int | None] = mapped_column(EntryId, ForeignKey("journal_entries.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StripePayout(db.Model):
    """Money Stripe sent to the bank account; the bank line that receives it carries the
    payout id (bank reconciliation matches on ``stripe_id``, ``amount`` and ``arrival_date``)."""

    __tablename__ = "stripe_payouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    stripe_id: Mapped[str] = mapped_column(String(255), unique=True)  # po_...
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    arrival_date: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(20))  # paid, failed
    journal_entry_id: Mapped[int | None] = mapped_column(EntryId, ForeignKey("journal_entries.id"))
    reversal_entry_id: Mapped[int | None] = mapped_column(EntryId, ForeignKey("journal_entries.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
