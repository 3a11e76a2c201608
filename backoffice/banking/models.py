"""Bank accounts, imported statements and their lines, matches, rules.

A bank line is what the bank booked; it is *open* until a match explains it. A match links one
or several lines to one or several open items (a booked posting on the bank's ledger account, an
invoice, a payout batch, ...) and to the journal entry it posted, if any. Matches are never
deleted: undoing one sets ``undone_at`` and reverses its entry.
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
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.audit import JSONValue
from ..core.db import BigIntKey, UTCDateTime, utcnow
from ..extensions import db


class BankAccount(db.Model):
    __tablename__ = "bank_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: One IBAN may hold several currencies (Wise, PayPal, some German banks): each currency is
    #: its own bank account here, with its own statements and ledger account.
    iban: Mapped[str] = mapped_column(String(34))
    bic: Mapped[str] = mapped_column(String(11), default="")
    currency: Mapped[str] = mapped_column(String(3))
    ledger_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Accept matches with an exact reference and the exact amount without asking.
    auto_accept: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Postings before this date are taken as reconciled (the first statement's opening).
    reconcile_from: Mapped[date | None] = mapped_column(Date)
    csv_mapping: Mapped[dict | None] = mapped_column(JSONValue)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ledger_account = relationship("Account")

    __table_args__ = (
        UniqueConstraint("iban", "currency", name="uq_bank_accounts_iban_currency"),
        UniqueConstraint("ledger_account_id", "currency", name="uq_bank_accounts_ledger_currency"),
    )

    @property
    def iban_display(self) -> str:
        return " ".join(self.iban[i:i + 4] for i in range(0, len(self.iban), 4))

    @property
    def label(self) -> str:
        return f"{self.name} ({self.iban_display}, {self.currency})"


class BankImport(db.Model):
    """One imported file: who, when, what it brought."""

    __tablename__ = "bank_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_account_id: Mapped[int] = mapped_column(ForeignKey("bank_accounts.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(10))
    statements: Mapped[int] = mapped_column(Integer, default=0)
    lines_new: Mapped[int] = mapped_column(Integer, default=0)
    lines_duplicate: Mapped[int] = mapped_column(Integer, default=0)
    lines_by_rule: Mapped[int] = mapped_column(Integer, default=0)
    lines_auto_matched: Mapped[int] = mapped_column(Integer, default=0)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    imported_by = relationship("User")


class BankStatement(db.Model):
    __tablename__ = "bank_statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_account_id: Mapped[int] = mapped_column(ForeignKey("bank_accounts.id"))
    import_id: Mapped[int] = mapped_column(ForeignKey("bank_imports.id"))
    reference: Mapped[str] = mapped_column(String(100), default="")
    sequence: Mapped[str] = mapped_column(String(40), default="")
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    opening: Mapped[int | None] = mapped_column(BigInteger)  # None: the format has no balances
    closing: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    entries_total: Mapped[int] = mapped_column(BigInteger, default=0)  # sum of its lines
    line_count: Mapped[int] = mapped_column(Integer, default=0)
    fingerprint: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        UniqueConstraint("bank_account_id", "fingerprint", name="uq_bank_statements_fingerprint"),
        Index("ix_bank_statements_account_dates", "bank_account_id", "end_date", "start_date"),
    )

    @property
    def adds_up(self) -> bool:
        if self.opening is None or self.closing is None:
            return True
        return self.opening + self.entries_total == self.closing


class BankLine(db.Model):
    __tablename__ = "bank_lines"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    bank_account_id: Mapped[int] = mapped_column(ForeignKey("bank_accounts.id"))
    statement_id: Mapped[int] = mapped_column(ForeignKey("bank_statements.id"), index=True)
    booking_date: Mapped[date] = mapped_column(Date)
    value_date: Mapped[date | None] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)  # money in > 0
    currency: Mapped[str] = mapped_column(String(3))
    counterparty_name: Mapped[str] = mapped_column(String(200), default="")
    counterparty_iban: Mapped[str] = mapped_column(String(34), default="")
    counterparty_bic: Mapped[str] = mapped_column(String(11), default="")
    remittance: Mapped[str] = mapped_column(Text, default="")
    references: Mapped[str] = mapped_column(Text, default="")  # space-separated
    bank_reference: Mapped[str] = mapped_column(String(100), default="")
    transaction_code: Mapped[str] = mapped_column(String(40), default="")
    reversal: Mapped[bool] = mapped_column(Boolean, default=False)
    #: A transfer that came back: the ISO 20022 return reason ("AC04", "MD07"; "RETURN" when
    #: the bank names none). Such lines are offered the transfers they return.
    return_reason: Mapped[str] = mapped_column(String(35), default="", server_default="")
    charges: Mapped[int | None] = mapped_column(BigInteger)
    details: Mapped[list | None] = mapped_column(JSONValue)
    dedup_key: Mapped[str] = mapped_column(String(80))
    #: open: waiting for a match; matched: explained by an active match.
    status: Mapped[str] = mapped_column(String(10), default="open")
    match_id: Mapped[int | None] = mapped_column(ForeignKey("bank_matches.id"))

    statement = relationship("BankStatement")
    match = relationship("BankMatch", foreign_keys=[match_id])

    __table_args__ = (
        UniqueConstraint("bank_account_id", "dedup_key", name="uq_bank_lines_dedup"),
        Index("ix_bank_lines_queue", "bank_account_id", "status", "booking_date", "id"),
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        CheckConstraint("status IN ('open', 'matched')", name="status_known"),
    )

    @property
    def text(self) -> str:
        return " ".join(filter(None, (self.remittance, self.references)))


class BankRule(db.Model):
    """'Counterparty contains X and text contains Y' -> post to this account and fund."""

    __tablename__ = "bank_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_account_id: Mapped[int | None] = mapped_column(ForeignKey("bank_accounts.id"))
    name: Mapped[str] = mapped_column(String(200))
    counterparty_contains: Mapped[str] = mapped_column(String(200), default="")
    text_contains: Mapped[str] = mapped_column(String(200), default="")
    direction: Mapped[str] = mapped_column(String(3), default="any")  # in, out, any
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    account = relationship("Account")
    fund = relationship("Fund")
    bank_account = relationship("BankAccount")

    __table_args__ = (
        CheckConstraint("direction IN ('in', 'out', 'any')", name="direction_known"),
    )


class BankMatch(db.Model):
    """Lines explained by items. ``how``: manual, auto (confident match accepted on import),
    rule (a saved rule posted an entry), entry (an entry created by hand from the line)."""

    __tablename__ = "bank_matches"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    bank_account_id: Mapped[int] = mapped_column(ForeignKey("bank_accounts.id"))
    how: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(300), default="")
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("bank_rules.id"))
    journal_entry_id: Mapped[int | None] = mapped_column(BigIntKey,
                                                         ForeignKey("journal_entries.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    undo_entry_id: Mapped[int | None] = mapped_column(BigIntKey, ForeignKey("journal_entries.id"))

    lines: Mapped[list[BankMatchLine]] = relationship(back_populates="match", lazy="selectin")
    items: Mapped[list[BankMatchItem]] = relationship(back_populates="match", lazy="selectin")
    rule = relationship("BankRule")
    journal_entry = relationship("JournalEntry", foreign_keys=[journal_entry_id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    undone_by = relationship("User", foreign_keys=[undone_by_id])

    __table_args__ = (
        Index("ix_bank_matches_review", "bank_account_id", "how", "undone_at", "reviewed_at"),
        # Whether a posting's entry is a match's own, or its undoing (``open_postings``).
        Index("ix_bank_matches_entry", "journal_entry_id"),
        Index("ix_bank_matches_undo_entry", "undo_entry_id"),
        CheckConstraint("how IN ('manual', 'auto', 'rule', 'entry')", name="how_known"),
    )

    @property
    def active(self) -> bool:
        return self.undone_at is None


class BankMatchLine(db.Model):
    __tablename__ = "bank_match_lines"

    match_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("bank_matches.id"),
                                          primary_key=True)
    bank_line_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("bank_lines.id"),
                                              primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger)

    match: Mapped[BankMatch] = relationship(back_populates="lines")
    line: Mapped[BankLine] = relationship()

    __table_args__ = (Index("ix_bank_match_lines_line", "bank_line_id"),)


class BankMatchItem(db.Model):
    """An open item (of a provider) a match allocated money to; ``active`` follows the match."""

    __tablename__ = "bank_match_items"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    match_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("bank_matches.id"), index=True)
    provider: Mapped[str] = mapped_column(String(30))
    item_key: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(300), default="")
    amount: Mapped[int] = mapped_column(BigInteger)
    #: For booked postings on the bank's ledger account: the posting the bank line confirms.
    posting_id: Mapped[int | None] = mapped_column(BigIntKey, ForeignKey("postings.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    match: Mapped[BankMatch] = relationship(back_populates="items")

    __table_args__ = (
        Index("ix_bank_match_items_key", "provider", "item_key", "active"),
        Index("ix_bank_match_items_posting", "posting_id", "active"),
    )


class BankOpenPosting(db.Model):
    """A posting on a bank account's ledger account (in its currency) that the reconciliation
    still offers: not a reversal, not reversed, not in an entry a match of the account posted
    or undid, and not confirmed in full by the account's active matches of the provider the
    posting is (``open_amount``: what they have not confirmed, signed like the posting; never
    0). Of any date: the queue reads those from ``reconcile_from`` on (issue 17: it read every
    posting since then and tested each against the account's matches). No foreign keys but
    the posting's and the account's: the row goes with its posting.

    Derived, and kept in the unit of work that changes what it derives from
    (``open_postings``: the ledger's ``entries_posted``, a match, its undo, a new bank
    account); ``backoffice bank verify`` compares it with the computation from scratch and
    ``backoffice bank rebuild-open-postings`` writes it again."""

    __tablename__ = "bank_open_postings"

    posting_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("postings.id"),
                                            primary_key=True, autoincrement=False)
    bank_account_id: Mapped[int] = mapped_column(ForeignKey("bank_accounts.id"))
    #: The posting's own (postings never change): the queue reads them here, and the posting
    #: itself not at all.
    entry_id: Mapped[int] = mapped_column(BigIntKey)
    fund_id: Mapped[int] = mapped_column(Integer)
    booking_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    #: What the account's active matches of the provider the posting is have not confirmed.
    open_amount: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_bank_open_postings_account", "bank_account_id", "booking_date"),
        CheckConstraint("open_amount <> 0", name="open_amount_not_zero"),
    )


class BankWriteOff(db.Model):
    """A difference between what a bank line paid and what its item asked, to be written off
    (bank charges the payer's bank kept) once a second person approves it: write-offs above
    ``BANK_SMALL_DIFFERENCE_LIMIT`` need somebody other than the treasurer who asked, as money
    out does (expense claims above their limit). Until then the item stays open by ``amount``.
    ``amount`` is signed as the bank shows it (what the item still owes: > 0 for an invoice)."""

    __tablename__ = "bank_write_offs"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_match_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("bank_matches.id"),
                                               index=True)
    provider: Mapped[str] = mapped_column(String(30))
    item_key: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(300), default="")
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"))
    reason: Mapped[str] = mapped_column(String(300), default="")
    #: pending: waiting for a second person; approved: posted; rejected: the item stays open;
    #: cancelled: its match was undone.
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    journal_entry_id: Mapped[int | None] = mapped_column(BigIntKey,
                                                         ForeignKey("journal_entries.id"))

    account = relationship("Account")
    fund = relationship("Fund")
    match = relationship("BankMatch")
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        CheckConstraint("status IN ('pending', 'approved', 'rejected', 'cancelled')",
                        name="status_known"),
    )
