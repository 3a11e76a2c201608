"""The bank postings still open (``models.BankOpenPosting``): what the reconciliation queue
reads instead of every posting on the bank's ledger account since ``reconcile_from``.

A posting has a row when it is on a bank account's ledger account in the account's currency,
its entry is no reversal, was not reversed, was neither posted nor undone by a match of the
account, and the account's active matches of the provider the posting is (``owner``: the one
claiming its entry's source, else the booked postings) have not confirmed it in full. The row
holds what they have not confirmed (``open_amount``) and the posting's own columns (entry,
fund, date, amount: postings never change); the date is not tested against ``reconcile_from`` here (the queue reads from it on), so that moving
``reconcile_from`` (an import of an older statement) changes no row.

One computation from scratch (``_computed``) says what the rows are; every change writes the
rows of the postings it touches from it, in the unit of work of the change:

- the ledger's ``entries_posted`` (``entries_posted``): a new entry's bank postings get rows;
  a reversal takes its original's away (and gets none itself);
- a match posts its own entry (``matched_entry``: not open on its account) and records what
  it confirms; its undo takes that back (``refresh``, from ``services``);
- a new bank account gets the rows of the postings already on its ledger account
  (``rebuild``, under ``ledger.services.hold_postings``).

Concurrency: what a match or an undo confirms is recomputed under the bank account's lock
(``services._lock``), and a reversal of a bank posting takes the account's row in share mode
first, so that a match and a reversal of the same posting cannot each write from what the
other has not committed yet. A posting no other transaction can see yet needs no lock.

``differences`` compares the rows with the computation (``backoffice bank verify``),
``rebuild`` writes them again (``backoffice bank rebuild-open-postings``).
"""
from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, case, delete, event, func, literal, or_, select
from sqlalchemy.orm import Session

from ..core.db import in_batches
from ..ledger.reads import postings_view, reversed_entry_ids
from ..ledger.services import hold_postings
from .matching import Provider, providers
from .models import BankAccount, BankMatch, BankMatchItem, BankOpenPosting

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, Select

BOOKED = "posting"  # providers.BookedPostings.name: a posting no other provider claims
_TABLE = BankOpenPosting.__table__
_COLUMNS = ("posting_id", "bank_account_id", "entry_id", "fund_id", "booking_date", "amount",
            "open_amount")


def owners() -> tuple[Provider, ...]:
    """The providers that claim their entries' sources (payout batches, Stripe payouts)."""
    return tuple(each for each in providers() if each.claims_sources)


def owner_of(source_kind: ColumnElement, source_id: ColumnElement,
             claiming: tuple[Provider, ...]) -> ColumnElement:
    """The provider a posting is, as a column: the first of ``claiming`` whose sources name
    its entry's (with a document id), else the booked postings."""
    booked = literal(BOOKED)
    if not claiming:
        return booked
    return case(*[(and_(source_kind.in_(each.claims_sources), source_id.is_not(None)),
                   literal(each.name)) for each in claiming], else_=booked)


@cache
def _computed(claiming: tuple[Provider, ...]) -> Select:
    """Every row there should be, from scratch (``_COLUMNS``). Narrowed by the caller (``where`` on its columns ``entry_id``, ``id``,
    ``bank_account_id``: ``_narrowed``)."""
    posting = postings_view()
    owner = owner_of(posting.c.source_kind, posting.c.source_id, claiming)
    confirmed = (select(func.coalesce(func.sum(BankMatchItem.amount), 0))
                 .join(BankMatch, BankMatch.id == BankMatchItem.match_id)
                 .where(BankMatch.bank_account_id == BankAccount.id,
                        BankMatchItem.active.is_(True), BankMatchItem.posting_id == posting.c.id,
                        BankMatchItem.provider == owner).scalar_subquery())
    reversals = reversed_entry_ids().subquery("reversals")
    rows = (
        select(posting.c.id.label("posting_id"), BankAccount.id.label("bank_account_id"),
               posting.c.entry_id, posting.c.fund_id, posting.c.booking_date, posting.c.amount,
               (posting.c.amount - confirmed).label("open_amount"))
        .join(BankAccount, and_(BankAccount.ledger_account_id == posting.c.account_id,
                                BankAccount.currency == posting.c.currency))
        .where(posting.c.reverses_id.is_(None),
               ~select(reversals.c[0]).where(reversals.c[0] == posting.c.entry_id).exists(),
               ~select(BankMatch.id).where(BankMatch.bank_account_id == BankAccount.id,
                                           BankMatch.journal_entry_id == posting.c.entry_id)
               .exists(),
               ~select(BankMatch.id).where(BankMatch.bank_account_id == BankAccount.id,
                                           BankMatch.undo_entry_id == posting.c.entry_id)
               .exists()))
    return rows


def _narrowed(*, entry_ids: Collection[int] = (), posting_ids: Collection[int] = (),
              bank_account_id: int | None = None) -> Select:
    """``_computed``'s rows of those entries or postings (or of one account, or all), less
    those confirmed in full (``_COLUMNS``)."""
    rows = _computed(owners())
    conditions = []
    if entry_ids:
        conditions.append(rows.selected_columns.entry_id.in_(list(entry_ids)))
    if posting_ids:
        conditions.append(rows.selected_columns.posting_id.in_(list(posting_ids)))
    if conditions:
        rows = rows.where(or_(*conditions))
    if bank_account_id is not None:
        rows = rows.where(rows.selected_columns.bank_account_id == bank_account_id)
    inner = rows.subquery("computed")
    return select(*(inner.c[name] for name in _COLUMNS)).where(inner.c.open_amount != 0)


def _write(session: Session, *, entry_ids: Collection[int] = (),
           posting_ids: Collection[int] = ()) -> None:
    session.execute(_TABLE.insert().from_select(
        list(_COLUMNS), _narrowed(entry_ids=entry_ids, posting_ids=posting_ids)))


def refresh(session: Session, *, entry_ids: Iterable[int] = (),
            posting_ids: Iterable[int] = ()) -> None:
    """Write the rows of these postings (and of the postings of these entries) from scratch:
    after a match or its undo changed what is confirmed of them, a reversal, ... (flushed:
    the computation reads the database)."""
    entries = sorted({number for number in entry_ids if number is not None})
    postings = sorted({number for number in posting_ids if number is not None})
    posting = postings_view()
    for part in in_batches(entries):
        session.execute(delete(BankOpenPosting).where(BankOpenPosting.posting_id.in_(
            select(posting.c.id).where(posting.c.entry_id.in_(part)))))
        _write(session, entry_ids=part)
    for part in in_batches(postings):
        session.execute(delete(BankOpenPosting).where(BankOpenPosting.posting_id.in_(part)))
        _write(session, posting_ids=part)


def matched_entry(session: Session, bank_account_id: int, entry_id: int) -> None:
    """A match of the account posted ``entry_id`` (``services._post_for_match``): its
    postings on the account are the bank line's own booking, never open there (on another
    bank account's ledger account, a transfer between the two, they stay open there)."""
    posting = postings_view()
    session.execute(delete(BankOpenPosting).where(
        BankOpenPosting.bank_account_id == bank_account_id,
        BankOpenPosting.posting_id.in_(select(posting.c.id).where(
            posting.c.entry_id == entry_id))))


# --- the ledger's entries_posted ------------------------------------------------------------

_LEDGERS = "banking.open_postings.ledgers"


def _ledgers(session: Session) -> dict[tuple[int, str], int]:
    """{(ledger account id, currency): bank account id}, read once per transaction (and again
    in a savepoint's, and after a bank account is created). Read after the transaction's first
    posting is inserted (``entries_posted`` comes after): from then on no bank account is
    created until it ends (``ledger.services.hold_postings`` waits for it), so what was read
    stays true while it posts."""
    known = session.info.get(_LEDGERS)
    if known is None:
        known = session.info[_LEDGERS] = {
            (ledger_id, currency): account_id for account_id, ledger_id, currency in
            session.execute(select(BankAccount.id, BankAccount.ledger_account_id,
                                   BankAccount.currency))}
    return known


def forget_ledgers(session: Session) -> None:
    session.info.pop(_LEDGERS, None)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: object) -> None:
    session.info.pop(_LEDGERS, None)


def entries_posted(sender: object, *, session: Session, entry_ids: list[int],
                   reversed_ids: list[int], accounts: set[tuple[int, str]],
                   **kwargs: Any) -> None:
    """``core.signals.entries_posted``: the new entries' postings on bank accounts' ledger
    accounts get their rows; a reversal takes its original's away. Nothing is read or written
    for entries that touch no bank account's ledger account (but the bank accounts, once a
    transaction)."""
    ledgers = _ledgers(session)
    touched = sorted({ledgers[key] for key in accounts if key in ledgers})
    if not touched:
        return
    if reversed_ids:
        # A match of the original's postings may be under way: wait for it (its lock), and
        # keep matches of the account waiting until this reversal is committed.
        session.execute(select(BankAccount.id).where(BankAccount.id.in_(touched))
                        .order_by(BankAccount.id).with_for_update(read=True)).all()
        refresh(session, entry_ids=[*entry_ids, *reversed_ids])
        return
    for part in in_batches(entry_ids):  # new postings: nothing to take away
        _write(session, entry_ids=part)


# --- rebuilding and checking -----------------------------------------------------------------


def rebuild(session: Session, bank_account: BankAccount | None = None) -> int:
    """Write the rows of one bank account (None: of all) again from scratch, under the
    postings' lock (``hold_postings``) and the accounts' (no match meanwhile); returns how many
    there are."""
    hold_postings(session)
    accounts = select(BankAccount.id).order_by(BankAccount.id).with_for_update()
    if bank_account is not None:
        accounts = accounts.where(BankAccount.id == bank_account.id)
    session.execute(accounts).all()
    forget_ledgers(session)
    removed = delete(BankOpenPosting)
    if bank_account is not None:
        removed = removed.where(BankOpenPosting.bank_account_id == bank_account.id)
    session.execute(removed)
    rows = _narrowed(bank_account_id=bank_account.id if bank_account is not None else None)
    session.execute(_TABLE.insert().from_select(list(_COLUMNS), rows))
    count = select(func.count()).select_from(BankOpenPosting)
    if bank_account is not None:
        count = count.where(BankOpenPosting.bank_account_id == bank_account.id)
    return session.scalar(count)


def differences(session: Session, limit: int = 20) -> list[str]:
    """Where the stored rows differ from the computation from scratch (empty: they agree)."""
    session.flush()
    expected = {row[0]: tuple(row[1:]) for row in session.execute(_narrowed())}
    stored = {row[0]: tuple(row[1:]) for row in session.execute(
        select(*(_TABLE.c[name] for name in _COLUMNS)))}
    found = []
    for posting_id in sorted(set(expected) | set(stored)):
        want, have = expected.get(posting_id), stored.get(posting_id)
        if want is not None and have is not None:
            want, have = _normal(want), _normal(have)
        if want != have:
            found.append(f"bank_open_postings posting #{posting_id}: stored "
                         f"{_shown(have)}, the postings and matches say {_shown(want)}")
            if len(found) >= limit:
                break
    return found


def _normal(row: tuple) -> tuple:
    account_id, entry_id, fund_id, day, amount, open_amount = row
    return (account_id, int(entry_id), fund_id,
            date.fromisoformat(day) if isinstance(day, str) else day, int(amount),
            int(open_amount))


def _shown(row: tuple | None) -> str:
    if row is None:
        return "no row"
    account_id, entry_id, fund_id, day, amount, open_amount = _normal(row)
    return (f"bank account {account_id}, entry #{entry_id}, fund {fund_id}, {day}, {amount}, "
            f"open {open_amount}")

