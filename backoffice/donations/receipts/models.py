"""Issued donation receipts, the gifts each confirms, and their number series.

A receipt never changes once issued: its row, its gifts and its PDF (stored with its SHA-256)
stay as they were. The one thing that can happen to it later is its cancellation: the three
cancellation fields are set once (``cancelled_at``, ``cancelled_by_id``, ``cancel_reason``) and
its gifts are marked ``cancelled`` in the same unit of work; a replacement is a new receipt that
names the one it replaces (``replaces_id``, once). Database triggers (migration) refuse every
other UPDATE, every DELETE, TRUNCATE and SQLite's REPLACE; the services refuse first.

At most one valid receipt per donation: a partial unique index on ``receipt_gifts.donation_id``
over the gifts not cancelled, on both databases, whoever writes.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
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

from ...core.db import BigIntKey, UTCDateTime, string_enum, utcnow
from ...core.money import Money
from ...extensions import db
from .document import GiftKind, ReceiptKind

#: The columns a cancellation sets (once); every other column never changes.
CANCELLATION_FIELDS = ("cancelled_at", "cancelled_by_id", "cancel_reason")


class ReceiptNumberCounter(db.Model):
    """The last number given in each series (``core.numbering``)."""

    __tablename__ = "receipt_number_counters"

    series: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Receipt(db.Model):
    __tablename__ = "receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(60), unique=True)
    series: Mapped[str] = mapped_column(String(40))
    sequence: Mapped[int] = mapped_column(Integer)
    kind: Mapped[ReceiptKind] = mapped_column(string_enum(ReceiptKind, "receipt_kind"))
    donor_id: Mapped[int] = mapped_column(ForeignKey("donors.id"), index=True)
    # The donor as printed (a later change of address does not change an issued receipt).
    donor_name: Mapped[str] = mapped_column(String(200))
    donor_address: Mapped[str] = mapped_column(Text)  # lines separated by newlines
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[int] = mapped_column(BigInteger)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    issue_date: Mapped[date] = mapped_column(Date, index=True)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("receipts.id"), unique=True)
    pdf_file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"))
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancel_reason: Mapped[str | None] = mapped_column(Text)

    gifts = relationship("ReceiptGift", back_populates="receipt", order_by="ReceiptGift.id")
    donor = relationship("Donor")
    replaces = relationship("Receipt", remote_side=[id], foreign_keys=[replaces_id],
                            backref="replaced_by", uselist=False)

    __table_args__ = (
        UniqueConstraint("series", "sequence", name="uq_receipts_series_sequence"),
        CheckConstraint("total > 0", name="total_positive"),
        CheckConstraint("(cancelled_at IS NULL) = (cancel_reason IS NULL)",
                        name="cancelled_with_reason"),
    )

    @property
    def valid(self) -> bool:
        return self.cancelled_at is None

    @property
    def money(self) -> Money:
        return Money(self.total, self.currency)

    @property
    def address_lines(self) -> tuple[str, ...]:
        return tuple(line for line in self.donor_address.split("\n") if line)


class ReceiptGift(db.Model):
    """One donation a receipt confirms, as it confirmed it."""

    __tablename__ = "receipt_gifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipts.id"), index=True)
    donation_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("donations.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[GiftKind] = mapped_column(string_enum(GiftKind, "receipt_gift_kind"))
    waiver: Mapped[bool] = mapped_column(Boolean, default=False)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)

    receipt = relationship("Receipt", back_populates="gifts")

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ux_receipt_gifts_valid_donation", "donation_id", unique=True,
              sqlite_where=text("NOT cancelled"), postgresql_where=text("NOT cancelled")),
    )


class ReceiptMailing(db.Model):
    """A receipt put in the outbox for its donor (once; the year-end run with ``--send`` mails
    the receipts of the year not mailed yet)."""

    __tablename__ = "receipt_mailings"

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipts.id"), unique=True)
    recipient: Mapped[str] = mapped_column(String(254))
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
