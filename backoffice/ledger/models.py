"""The ledger's own tables: journal entries, their postings, closed periods and the cached
totals. Only the ledger imports this module (the import contract ``ledger-tables``): other
packages post through ``services.post_entry`` and read through ``reads`` and ``balances``. The
chart (accounts and funds) is public, in ``chart``.
"""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core import chain
from ..core.db import BigIntKey, UTCDateTime, string_enum, utcnow
from ..extensions import db
from . import chart  # noqa: F401 (the accounts and funds that postings and totals refer to)
from .periods import PeriodKind

if TYPE_CHECKING:
    from .chart import Account, Fund


class JournalEntry(db.Model):
    """A posted entry. Never updated, never deleted (database triggers); corrected by reversal.

    Each entry, with its postings, is a link of the hash chain (``core.chain``); once linked (at
    the commit that posted it) no posting can be added to it (a trigger on ``postings``)."""

    __tablename__ = "journal_entries"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    booking_date: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(String(500))
    source_kind: Mapped[str | None] = mapped_column(String(40))
    source_id: Mapped[str | None] = mapped_column(String(64))
    posted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Unique: an entry is reversed at most once, even by two treasurers at the same moment.
    reverses_id: Mapped[int | None] = mapped_column(
        BigIntKey, ForeignKey("journal_entries.id"), unique=True)

    postings: Mapped[list[Posting]] = relationship(
        back_populates="entry", order_by="Posting.line_no", lazy="selectin")
    posted_by = relationship("User", lazy="joined")
    reverses: Mapped[JournalEntry | None] = relationship(
        remote_side=[id], foreign_keys=[reverses_id], back_populates="reversed_by")
    reversed_by: Mapped[JournalEntry | None] = relationship(
        foreign_keys=[reverses_id], back_populates="reverses", uselist=False)

    __table_args__ = (
        UniqueConstraint("id", "booking_date", name="uq_journal_entries_id_date"),
        Index("ix_journal_entries_date_id", "booking_date", "id"),
        Index("ix_journal_entries_source", "source_kind", "source_id"),
    )

    @property
    def ref(self) -> str:
        return f"#{self.id}"

    def __repr__(self) -> str:
        return f"<JournalEntry #{self.id} {self.booking_date}>"


class Posting(db.Model):
    """One line of an entry: signed minor units, debit > 0, credit < 0."""

    __tablename__ = "postings"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    entry_id: Mapped[int] = mapped_column(BigIntKey)
    line_no: Mapped[int] = mapped_column(SmallInteger)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # Copied from the entry (a composite foreign key keeps the two equal) so that balance
    # queries run on the postings' own indexes.
    booking_date: Mapped[date] = mapped_column(Date)
    memo: Mapped[str | None] = mapped_column(String(200))

    entry: Mapped[JournalEntry] = relationship(back_populates="postings")
    # Plain lazy loads: pages load the (small) chart of accounts and funds once, after which
    # these resolve from the session's identity map without a query.
    account: Mapped[Account] = relationship()
    fund: Mapped[Fund] = relationship()

    __table_args__ = (
        ForeignKeyConstraint(["entry_id", "booking_date"],
                             ["journal_entries.id", "journal_entries.booking_date"],
                             name="fk_postings_entry"),
        UniqueConstraint("entry_id", "line_no", name="uq_postings_entry_line"),
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        CheckConstraint("length(currency) = 3 AND upper(currency) = currency", name="currency_code"),
        Index("ix_postings_account_date", "account_id", "booking_date", "id"),
        Index("ix_postings_fund_date", "fund_id", "booking_date", "id"),
        # The journal filtered by an account, in journal order (date, entry) from the index.
        Index("ix_postings_account_entry", "account_id", "booking_date", "entry_id"),
    )


chain.register(chain.Chained(
    JournalEntry,
    ("id", "booking_date", "description", "source_kind", "source_id", "posted_by_id",
     "posted_at", "reverses_id"),
    children="postings", child_key="entry_id",
    child_fields=("line_no", "id", "account_id", "fund_id", "amount", "currency",
                  "booking_date", "memo")))


class Period(db.Model):
    """A month or fiscal year that the treasurer has closed (or closed and reopened)."""

    __tablename__ = "ledger_periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[PeriodKind] = mapped_column(string_enum(PeriodKind, "period_kind"))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    closed: Mapped[bool] = mapped_column(Boolean, default=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    changed_by = relationship("User")

    __table_args__ = (
        UniqueConstraint("kind", "start", name="uq_ledger_periods_kind_start"),
        CheckConstraint('"end" >= start', name="end_after_start"),
    )

    @property
    def label(self) -> str:
        if self.kind is PeriodKind.MONTH:
            return f"month {self.start:%Y-%m}"
        if self.start.month == 1:
            return f"fiscal year {self.start.year}"
        return f"fiscal year {self.start.year}/{(self.start.year + 1) % 100:02d}"


# --- cached aggregates (derived from postings; `backoffice ledger verify` recomputes them) ----

class Grain(StrEnum):
    YEAR = "Y"
    MONTH = "M"
    DAY = "D"
    #: Everything up to the end of a calendar year (``totals``: up to the horizon only).
    CUMULATIVE = "C"


class AccountTotal(db.Model):
    """Net movement of an account in one calendar year, month or day, across all funds."""

    __tablename__ = "ledger_account_totals"

    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger)

    # The primary key starts with the period; this one reads a few accounts' rows alone.
    __table_args__ = (Index("ix_ledger_account_totals_account", "account_id", "grain",
                            "period_start"),)


class FundAccountTotal(db.Model):
    """Net movement of an account within one fund in one calendar year, month or day."""

    __tablename__ = "ledger_fund_totals"

    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), primary_key=True)
    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_ledger_fund_totals_grain", "grain", "period_start"),)


class FundBalanceTotal(db.Model):
    """Net movement of a fund's balance (its asset and liability postings) in one calendar year,
    month or day: what the fund balances page sums, a few rows per fund."""

    __tablename__ = "ledger_fund_balance_totals"

    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger)


class TotalsHorizon(db.Model):
    """The last calendar year whose cumulative totals (grain C) are kept, in every totals table:
    one row. Posting transactions read it under a shared lock, ``totals.advance`` moves it under
    an exclusive one (so no posting is missed by the rows it carries forward)."""

    __tablename__ = "ledger_totals_horizon"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    #: The first day of that year.
    last_year: Mapped[date] = mapped_column(Date)

    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)
