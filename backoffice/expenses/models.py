"""Expense claims (with lines, receipts and approvals)."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.db import BigIntKey, UTCDateTime, string_enum, utcnow
from ..core.i18n import _, _l, lazy_pgettext
from ..core.money import Money
from ..core.states import StateMachine, rows
from ..extensions import db


class ClaimStatus(StrEnum):
    SUBMITTED = "submitted"  # waiting for one (or, above the threshold, two) approvals
    APPROVED = "approved"    # posted Dr expense / Cr payables; waiting to be paid
    REJECTED = "rejected"    # nothing posted
    PAID = "paid"            # its payout batch was executed: Dr payables / Cr bank
    WAIVED = "waived"        # the claimant gave it up as a donation: settled without a payout

    @property
    def label(self) -> str:
        """The state's name on pages and in lists (a badge: "Approved")."""
        return str(_LABELS[self])

    @property
    def word(self) -> str:
        """The state within a sentence: "Claim A-3 is already *approved*."."""
        return str(_WORDS[self])


_C = ClaimStatus
_LABELS = {_C.SUBMITTED: _l("Submitted"), _C.APPROVED: _l("Approved"), _C.REJECTED: _l("Rejected"),
           _C.PAID: _l("Paid"), _C.WAIVED: _l("Waived")}
_WORDS = {_C.SUBMITTED: lazy_pgettext("claim is", "submitted"),
          _C.APPROVED: lazy_pgettext("claim is", "approved"),
          _C.REJECTED: lazy_pgettext("claim is", "rejected"),
          _C.PAID: lazy_pgettext("claim is", "paid"),
          _C.WAIVED: lazy_pgettext("claim is", "waived")}


def _refused(claim: ExpenseClaim, action: str) -> str:
    """Why ``action`` is refused in the claim's state (``CLAIM_STATES``), read when it is shown."""
    values = {"ref": claim.ref, "state": claim.status.word}
    if action in ("approve", "reject"):
        return _("Claim %(ref)s is already %(state)s.", **values)
    if action in ("paid", "return_undone"):
        return _("Claim %(ref)s is %(state)s, not approved.", **values)
    if action == "payment_returned":
        return _("Claim %(ref)s is %(state)s, not paid.", **values)
    if action == "correct_iban":
        return _("Claim %(ref)s is %(state)s: its account can be corrected only while it waits "
                 "for payment.", **values)
    return _("Claim %(ref)s is %(state)s: only an approved claim waiting for payment can be "
             "waived.", **values)


def _already(claim: ExpenseClaim, action: str) -> str | None:
    if action not in ("approve", "reject", "waive"):
        return None
    return _("Claim %(ref)s is already %(state)s; nothing was changed.", ref=claim.ref,
             state=claim.status.word)


#: A claim's life: decided once, then paid by a payout batch (whose bank may send it back).
CLAIM_STATES: StateMachine[ClaimStatus] = StateMachine(rows(
    ([_C.SUBMITTED], "approve", _C.APPROVED),
    ([_C.SUBMITTED], "reject", _C.REJECTED),
    ([_C.APPROVED], "paid", _C.PAID),
    ([_C.PAID], "payment_returned", _C.APPROVED),
    ([_C.APPROVED], "return_undone", _C.PAID),
    ([_C.APPROVED], "correct_iban", _C.APPROVED),
    ([_C.APPROVED], "waive", _C.WAIVED),
), refused=_refused, already=_already)


class ExpenseClaim(db.Model):
    __tablename__ = "expense_claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), index=True)
    # The member group whose fund it is (None for the general fund and programmes): what an
    # organiser's scope is checked against.
    group_id: Mapped[int | None] = mapped_column(ForeignKey("member_groups.id"), index=True)
    claimant_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    payee_name: Mapped[str] = mapped_column(String(70))
    iban: Mapped[str] = mapped_column(String(34))  # compact, upper case
    bic: Mapped[str | None] = mapped_column(String(11))
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[int] = mapped_column(BigInteger)  # minor units, the sum of the lines
    status: Mapped[ClaimStatus] = mapped_column(string_enum(ClaimStatus, "claim_status"),
                                                default=ClaimStatus.SUBMITTED, index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_comment: Mapped[str] = mapped_column(Text, default="")
    overspend_reason: Mapped[str | None] = mapped_column(Text)
    approval_entry_id: Mapped[int | None] = mapped_column(BigIntKey, ForeignKey("journal_entries.id"))
    paid_on: Mapped[date | None] = mapped_column(Date)
    # Optimistic locking: two treasurers deciding at the same moment cannot both win.
    version: Mapped[int] = mapped_column(Integer, default=1)

    fund = relationship("Fund")
    group = relationship("MemberGroup")
    claimant = relationship("User", foreign_keys=[claimant_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    lines: Mapped[list[ClaimLine]] = relationship(
        back_populates="claim", order_by="ClaimLine.line_no", cascade="all, delete-orphan",
        lazy="selectin")
    receipts: Mapped[list[ClaimReceipt]] = relationship(
        back_populates="claim", order_by="ClaimReceipt.id", cascade="all, delete-orphan",
        lazy="selectin")
    approvals: Mapped[list[ClaimApproval]] = relationship(
        back_populates="claim", order_by="ClaimApproval.id", cascade="all, delete-orphan",
        lazy="selectin")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (CheckConstraint("total > 0", name="total_positive"),)

    @property
    def ref(self) -> str:
        return f"EC{self.id}"

    @property
    def amount(self) -> Money:
        return Money(self.total, self.currency)


class ClaimLine(db.Model):
    __tablename__ = "expense_claim_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("expense_claims.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column(SmallInteger)
    spent_on: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(String(200))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))  # the category
    amount: Mapped[int] = mapped_column(BigInteger)

    claim: Mapped[ExpenseClaim] = relationship(back_populates="lines")
    account = relationship("Account")

    __table_args__ = (
        UniqueConstraint("claim_id", "line_no", name="uq_expense_claim_lines_claim_line"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )


class ClaimReceipt(db.Model):
    __tablename__ = "expense_claim_receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("expense_claims.id", ondelete="CASCADE"),
                                          index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"))

    claim: Mapped[ExpenseClaim] = relationship(back_populates="receipts")
    file = relationship("StoredFile", lazy="joined")


class ClaimApproval(db.Model):
    __tablename__ = "expense_claim_approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("expense_claims.id", ondelete="CASCADE"))
    approver_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    comment: Mapped[str] = mapped_column(Text, default="")

    claim: Mapped[ExpenseClaim] = relationship(back_populates="approvals")
    approver = relationship("User", lazy="joined")

    __table_args__ = (
        # One approval per person: two approvals are always two different people.
        UniqueConstraint("claim_id", "approver_id", name="uq_expense_claim_approvals_claim_approver"),
    )
