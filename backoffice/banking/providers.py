"""Booked postings on the bank's ledger account as open items, and what the providers of
documents already in the books (payout batches, Stripe payouts) share with it.

The providers of other kinds live beside this module (``invoices.py``, ``payout_batches.py``,
``stripe_payouts.py``, see ``docs/BANKING.md``); ``backoffice/banking/__init__.py`` connects each
to ``core.signals.open_item_providers``.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import Date, bindparam, func, or_, select
from sqlalchemy.orm import Session

from ..core.actors import Actor
from ..core.i18n import N_
from ..ledger.reads import other_sides, postings_view, reversed_entry_ids
from .matching import OpenItem, Provider, claimed_sources, usable
from .models import BankAccount, BankMatch, BankMatchItem

if TYPE_CHECKING:
    from sqlalchemy import Row, Select


def unreconciled_postings(session: Session, bank_account: BankAccount, *,
                          until: date | None = None, since: date | None = None,
                          sources: Iterable[str] | None = None, other_sources: Iterable[str] = (),
                          unconfirmed_by: str | None = None, elsewhere: bool = False) -> list[Row]:
    """Postings on the bank's ledger account that no bank line has confirmed as a whole: (id,
    amount, booking date, entry id, description, source kind, source id, fund id).

    Left out: entries posted by a match (they are the bank line's own booking) and their
    reversals when the match was undone, and entries that were reversed together with their
    reversal (they cancel out and never reach the bank). Only entries of ``sources`` when given;
    none of ``other_sources`` (entries without a source stay). With ``unconfirmed_by`` (a
    provider's name), not the postings whose own items of that provider active matches of the
    account allocated in full; with ``elsewhere`` too, a ninth column: whether an active match
    of another provider confirmed the posting (a batch posting matched as a booked posting
    before its provider existed)."""
    statement = _unreconciled(
        bank_account.reconcile_from is not None, since is not None, until is not None,
        None if sources is None else tuple(sorted(sources)), tuple(sorted(other_sources)),
        unconfirmed_by, elsewhere)
    return session.execute(statement, {
        "bank_account_id": bank_account.id, "ledger_account_id": bank_account.ledger_account_id,
        "currency": bank_account.currency, "reconcile_from": bank_account.reconcile_from,
        "since": since, "until": until}).all()


@cache
def _unreconciled(reconcile_from: bool, since: bool, until: bool, sources: tuple[str, ...] | None,
                  other_sources: tuple[str, ...], unconfirmed_by: str | None,
                  elsewhere: bool) -> Select:
    """``unreconciled_postings``'s statement for one shape of its arguments, built once per
    process (issue 17: building it cost the queue's page a millisecond each of three times);
    the account and the days are bound parameters of the same names."""
    posting = postings_view()
    account_id = bindparam("bank_account_id")
    matched_entries = select(BankMatch.journal_entry_id).where(
        BankMatch.bank_account_id == account_id, BankMatch.journal_entry_id.is_not(None))
    undo_entries = select(BankMatch.undo_entry_id).where(
        BankMatch.bank_account_id == account_id, BankMatch.undo_entry_id.is_not(None))
    conditions = [
        posting.c.account_id == bindparam("ledger_account_id"),
        posting.c.currency == bindparam("currency"),
        posting.c.entry_id.not_in(matched_entries),
        posting.c.entry_id.not_in(undo_entries),
        posting.c.reverses_id.is_(None),
        posting.c.entry_id.not_in(reversed_entry_ids()),
    ]
    if reconcile_from:
        conditions.append(posting.c.booking_date >= bindparam("reconcile_from", type_=Date))
    if since:
        conditions.append(posting.c.booking_date >= bindparam("since", type_=Date))
    if until:
        conditions.append(posting.c.booking_date <= bindparam("until", type_=Date))
    if sources is not None:
        conditions += [posting.c.source_kind.in_(sources), posting.c.source_id.is_not(None)]
    if other_sources:
        conditions.append(or_(posting.c.source_kind.is_(None),
                              posting.c.source_kind.not_in(other_sources),
                              posting.c.source_id.is_(None)))
    if unconfirmed_by is not None:
        conditions.append(~select(BankMatchItem.posting_id)
                          .join(BankMatch, BankMatch.id == BankMatchItem.match_id)
                          .where(BankMatch.bank_account_id == account_id,
                                 BankMatchItem.active.is_(True),
                                 BankMatchItem.provider == unconfirmed_by,
                                 BankMatchItem.posting_id == posting.c.id)
                          .group_by(BankMatchItem.posting_id)
                          .having(func.sum(BankMatchItem.amount) == posting.c.amount).exists())
    columns = [posting.c.id, posting.c.amount, posting.c.booking_date, posting.c.entry_id,
               posting.c.description, posting.c.source_kind, posting.c.source_id,
               posting.c.fund_id]
    if elsewhere:
        columns.append(select(BankMatchItem.id).where(
            BankMatchItem.active.is_(True), BankMatchItem.provider != unconfirmed_by,
            BankMatchItem.posting_id == posting.c.id).exists().label("elsewhere"))
    return select(*columns).where(*conditions)


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

    def open_items(self, session: Session, bank_account: BankAccount) -> Iterable[OpenItem]:
        # Entries of claimed sources are offered by their own providers, as a batch or a payout.
        # Postings that bank lines confirmed in full are no open item (the index would drop
        # them): left out by the database (issue 17: most of a long history's bank postings
        # are confirmed, and the queue read and built each one on every page).
        rows = unreconciled_postings(session, bank_account, other_sources=claimed_sources(),
                                     unconfirmed_by=self.name)
        booked_to = other_sides(session, (row.entry_id for row in rows),
                                bank_account.ledger_account_id)
        currency = bank_account.currency
        for posting_id, amount, day, entry_id, description, _kind, source_id, _fund in rows:
            references = references_in(description)
            if source_id:
                references += (source_id,)
            what = f"{description} → {booked_to[entry_id]}" if entry_id in booked_to else description
            yield OpenItem(
                provider=self.name, key=str(posting_id), amount=amount, currency=currency,
                date=day, label=f"#{entry_id} {what}", references=references,
                kind=N_("booked entry"), url=f"/ledger/entries/{entry_id}",
                postings=((posting_id, amount),), alike=what)

    def accept(self, session: Session, *, bank_account: BankAccount, match: BankMatch, item: OpenItem, amount: int, booking_date: date, actor: Actor):
        return []


def allocated_keys(session: Session, bank_account: BankAccount, provider_name: str) -> set[str]:
    """Item keys of this provider that active matches of the account allocated money to."""
    return set(session.scalars(
        select(BankMatchItem.item_key).join(BankMatch, BankMatch.id == BankMatchItem.match_id)
        .where(BankMatch.bank_account_id == bank_account.id, BankMatchItem.active.is_(True),
               BankMatchItem.provider == provider_name).distinct()))


class Unconfirmed(NamedTuple):
    """A document's bank postings that no line has confirmed yet."""

    postings: list[tuple[int, int]]  # (posting id, amount), by id
    booked_on: date
    funds: dict[int, int]  # posting id: its fund's id


class ConfirmsBookedPostings(Provider):
    """A document whose movement the books already have on the bank's ledger account (a payout
    batch's execution, a Stripe payout): its items carry those postings (``OpenItem.postings``),
    accepting posts nothing and records them as confirmed by the bank, undo clears that."""

    posts_entries = False

    def accept(self, session: Session, *, bank_account: BankAccount, match: BankMatch, item: OpenItem, amount: int, booking_date: date, actor: Actor):
        return []

    def unconfirmed(self, session: Session, bank_account: BankAccount) -> dict[str, Unconfirmed]:
        """{document id: its ``Unconfirmed`` postings}: the bank postings of
        entries whose source is this provider's document (``claims_sources``) that no line has
        confirmed yet. A document one of whose postings another provider's match confirmed
        (matched as a booked posting before this provider existed) is left out. Postings that
        this provider's matches confirmed in full are left out by the database (issue 17: the
        documents of the whole history were read on every page of the queue, and all but a few
        dropped as allocated in full), and so are those confirmed elsewhere (a column of the same
        statement, not a query of their ids)."""
        rows = unreconciled_postings(session, bank_account, sources=self.claims_sources,
                                     unconfirmed_by=self.name, elsewhere=True)
        documents: dict[str, Unconfirmed] = {}
        taken: set[str] = set()
        for posting_id, amount, day, _entry, _text, _kind, source_id, fund_id, elsewhere in rows:
            document = documents.setdefault(source_id, Unconfirmed([], day, {}))
            document.postings.append((posting_id, amount))
            document.funds[posting_id] = fund_id
            if elsewhere:
                taken.add(source_id)
        return {source_id: document._replace(postings=sorted(document.postings))
                for source_id, document in documents.items() if source_id not in taken}


BOOKED_POSTINGS = BookedPostings()


def open_item_provider(sender: object, **kwargs: Any) -> BookedPostings:
    return BOOKED_POSTINGS
