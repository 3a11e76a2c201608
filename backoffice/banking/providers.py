"""The providers this package brings: postings already booked on the bank's ledger account.

Other packages add theirs (see ``docs/BANKING.md``): open invoices, executed payout batches,
Stripe payouts. Each is registered once, at import time of ``backoffice.banking``.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import or_, select

from ..ledger.models import JournalEntry, Posting
from .matching import OpenItem, Provider, register, usable
from .models import BankAccount, BankMatch


def unreconciled_postings_query(bank_account: BankAccount, *, until: date | None = None):
    """Postings on the bank's ledger account that no bank line has confirmed as a whole.

    Left out: entries posted by a match (they are the bank line's own booking) and their
    reversals when the match was undone, and entries that were reversed together with their
    reversal (they cancel out and never reach the bank)."""
    matched_entries = select(BankMatch.journal_entry_id).where(
        BankMatch.bank_account_id == bank_account.id, BankMatch.journal_entry_id.is_not(None))
    undo_entries = select(BankMatch.undo_entry_id).where(
        BankMatch.bank_account_id == bank_account.id, BankMatch.undo_entry_id.is_not(None))
    reversed_entries = select(JournalEntry.reverses_id).where(JournalEntry.reverses_id.is_not(None))
    conditions = [
        Posting.account_id == bank_account.ledger_account_id,
        Posting.currency == bank_account.currency,
        Posting.entry_id.not_in(matched_entries),
        Posting.entry_id.not_in(undo_entries),
        JournalEntry.reverses_id.is_(None),
        JournalEntry.id.not_in(reversed_entries),
    ]
    if bank_account.reconcile_from is not None:
        conditions.append(Posting.booking_date >= bank_account.reconcile_from)
    if until is not None:
        conditions.append(Posting.booking_date <= until)
    return (select(Posting.id, Posting.amount, Posting.booking_date, Posting.entry_id,
                   JournalEntry.description, JournalEntry.source_kind, JournalEntry.source_id)
            .join(JournalEntry, JournalEntry.id == Posting.entry_id)
            .where(*conditions))


def references_in(text: str) -> tuple[str, ...]:
    """Words of a description that look like references (five or more characters, a digit)."""
    words = [word.strip(".,;:()[]") for word in (text or "").split()]
    return tuple(word for word in words if usable(word))


class BookedPostings(Provider):
    """A posting on the bank's ledger account that the bank has not shown yet.

    Accepting a match posts nothing: the books already have the movement, the bank line just
    confirms it."""

    name = "posting"
    label = "Booked bank postings"
    posts_entries = False

    def open_items(self, session, bank_account) -> Iterable[OpenItem]:
        rows = session.execute(unreconciled_postings_query(bank_account))
        currency = bank_account.currency
        for posting_id, amount, day, entry_id, description, source_kind, source_id in rows:
            references = references_in(description)
            if source_id:
                references += (source_id,)
            yield OpenItem(
                provider=self.name, key=str(posting_id), amount=amount, currency=currency,
                date=day, label=f"#{entry_id} {description}", references=references,
                kind="booked entry", url=f"/ledger/entries/{entry_id}")

    def posting_id(self, item: OpenItem) -> int | None:
        return int(item.key)

    def accept(self, session, *, bank_account, match, item, amount, booking_date, actor):
        return []


register(BookedPostings())
