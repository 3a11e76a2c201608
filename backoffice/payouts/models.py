"""Payout batches, their transfers, and the transfers the bank sent back.

The tables keep the names they had when the batches lived in ``expenses``.
"""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

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

from ..core.db import BigIntKey, UTCDateTime, string_enum, utcnow
from ..core.i18n import _l
from ..core.money import Money
from ..core.states import StateMachine, rows
from ..extensions import db


class BatchStatus(StrEnum):
    READY = "ready"          # the SEPA file exists; waiting for the bank
    EXECUTED = "executed"    # the bank paid it: Dr liability / Cr bank posted
    CANCELLED = "cancelled"  # never paid; its items were released

    @property
    def label(self) -> str:
        return str(_LABELS[self])


_B = BatchStatus
_LABELS = {_B.READY: _l("Ready"), _B.EXECUTED: _l("Executed"), _B.CANCELLED: _l("Cancelled")}
#: A batch's life: the bank executes it (and may send single transfers back later), or it is
#: cancelled and its payables wait for the next one.
BATCH_STATES: StateMachine[BatchStatus] = StateMachine(rows(
    ([_B.READY], "execute", _B.EXECUTED),
    ([_B.READY], "cancel", _B.CANCELLED),
    ([_B.EXECUTED], "return_transfer", _B.EXECUTED),
), refused=lambda batch, action: (
    f"Batch {batch.message_id} is {batch.status.value}"
    + (": only a transfer the bank executed can come back." if action == "return_transfer"
       else ".")),
    already=lambda batch, action: (
        f"Batch {batch.message_id} is already {batch.status.value}; nothing was changed."
        if action in ("execute", "cancel") else None))


class PayoutBatch(db.Model):
    """One SEPA credit-transfer file (pain.001) paying many payables from the bank account.

    ``message_id`` is the file's MsgId and, with ``-1``, its PmtInfId: what the bank statement
    shows for the batch booking. Each item carries its own end-to-end id.
    """

    __tablename__ = "payout_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(35), unique=True)
    status: Mapped[BatchStatus] = mapped_column(string_enum(BatchStatus, "payout_batch_status"),
                                                default=BatchStatus.READY, index=True)
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[int] = mapped_column(BigInteger)
    item_count: Mapped[int] = mapped_column(Integer)
    requested_on: Mapped[date] = mapped_column(Date)  # ReqdExctnDt
    debtor_name: Mapped[str] = mapped_column(String(70))
    debtor_iban: Mapped[str] = mapped_column(String(34))
    debtor_bic: Mapped[str | None] = mapped_column(String(11))
    pain_version: Mapped[str] = mapped_column(String(20))
    xml: Mapped[str] = mapped_column(Text)  # exactly the file given to the bank
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    executed_on: Mapped[date | None] = mapped_column(Date)
    executed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    payment_entry_id: Mapped[int | None] = mapped_column(BigIntKey, ForeignKey("journal_entries.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    #: ``BOARD_PAYOUT_BATCH_LIMIT`` in force when the batch was made (minor units; None: no
    #: limit): above it the file and the execution wait for a board resolution naming the batch.
    board_limit: Mapped[int | None] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer, default=1)

    items: Mapped[list[PayoutItem]] = relationship(
        back_populates="batch", order_by="PayoutItem.line_no", cascade="all, delete-orphan")
    created_by = relationship("User", foreign_keys=[created_by_id])
    executed_by = relationship("User", foreign_keys=[executed_by_id])

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (CheckConstraint("total > 0", name="total_positive"),)

    @property
    def ref(self) -> str:
        return f"PB{self.id}"

    @property
    def amount(self) -> Money:
        return Money(self.total, self.currency)


class PayoutItem(db.Model):
    """One credit transfer of a batch, paying one payable of a payable source."""

    __tablename__ = "payout_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("payout_batches.id", ondelete="CASCADE"),
                                          index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    source_kind: Mapped[str] = mapped_column(String(40))
    source_id: Mapped[str] = mapped_column(String(64))
    payee_name: Mapped[str] = mapped_column(String(70))
    iban: Mapped[str] = mapped_column(String(34))
    bic: Mapped[str | None] = mapped_column(String(11))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"))
    liability_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    remittance: Mapped[str] = mapped_column(String(140))
    end_to_end_id: Mapped[str] = mapped_column(String(35), unique=True)
    # False once the batch is cancelled: the payable may then go into another batch.
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    batch: Mapped[PayoutBatch] = relationship(back_populates="items")
    fund = relationship("Fund")
    liability_account = relationship("Account")

    __table_args__ = (
        UniqueConstraint("batch_id", "line_no", name="uq_payout_items_batch_line"),
        CheckConstraint("amount > 0", name="amount_positive"),
        # A payable is in at most one batch that is not cancelled.
        Index("uq_payout_items_active_source", "source_kind", "source_id", unique=True,
              sqlite_where=text("active"), postgresql_where=text("active")),
    )

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)


class PayoutReturn(db.Model):
    """A transfer of an executed batch that the bank sent back (wrong IBAN, closed account, the
    payee deceased), with the ISO 20022 reason. Accepting it took the payment back in the books
    (``entry_id``: Dr bank / Cr the liability the batch had debited, linked to the batch's entry
    through ``item.batch.payment_entry_id``) and made the payable open again.

    What may never happen twice is enforced by the database: one active return per transfer (a
    partial unique index), so a return line accepted twice, or by two treasurers at once, takes a
    payment back once. Undoing (the bank match undone) sets ``undone_at``; nothing is deleted.
    """

    __tablename__ = "payout_returns"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("payout_items.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    returned_on: Mapped[date] = mapped_column(Date)
    reason_code: Mapped[str] = mapped_column(String(35))
    #: The bank match whose line brought the money back (banking's id; no import of banking).
    bank_match_id: Mapped[int | None] = mapped_column(BigInteger)
    entry_id: Mapped[int | None] = mapped_column(BigIntKey, ForeignKey("journal_entries.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    undo_entry_id: Mapped[int | None] = mapped_column(BigIntKey, ForeignKey("journal_entries.id"))

    item: Mapped[PayoutItem] = relationship()

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("uq_payout_returns_active_item", "item_id", unique=True,
              sqlite_where=text("undone_at IS NULL"), postgresql_where=text("undone_at IS NULL")),
    )

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)
