"""Booked postings on the bank's ledger account as open items, and what the providers of
documents already in the books (payout batches, Stripe payouts) share with it.

The providers of other kinds live beside this module (``invoices.py``, ``payout_batches.py``,
``stripe_payouts.py``, see ``docs/BANKING.md``); ``backoffice/banking/__init__.py`` connects each
to ``core.signals.open_item_providers``.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import (
    Date,
    String,
    bindparam,
    case,
    cast,
    false,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from ..core.actors import Actor
from ..core.db import planned_once
from ..core.i18n import N_
from ..ledger.reads import (
    entries_view,
    other_sides_of,
    postings_view,
    reversed_entry_ids,
    side_texts,
)
from .matching import OpenItem, Provider, providers, shared, usable
from .models import BankAccount, BankMatch, BankMatchItem, BankOpenPosting
from .open_postings import owner_of

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, Row, Select


def unreconciled_postings(session: Session, bank_account: BankAccount, *,
                          until: date | None = None, since: date | None = None) -> list[Row]:
    """Postings on the bank's ledger account that no bank line has confirmed as a whole: (id,
    amount, booking date, entry id, description, source kind, source id, fund id).

    Left out: entries posted by a match (they are the bank line's own booking) and their
    reversals when the match was undone, and entries that were reversed together with their
    reversal (they cancel out and never reach the bank)."""
    statement = _unreconciled(bank_account.reconcile_from is not None, since is not None,
                              until is not None)
    return session.execute(statement, _parameters(bank_account, since=since, until=until)).all()


def _parameters(bank_account: BankAccount, **days: date | None) -> dict[str, Any]:
    return {"bank_account_id": bank_account.id, "ledger_account_id": bank_account.ledger_account_id,
            "currency": bank_account.currency, "reconcile_from": bank_account.reconcile_from,
            **days}


def _on_the_account(posting: Any, reconcile_from: bool) -> list:
    """The conditions of ``unreconciled_postings`` but the days asked for."""
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
    return conditions


@cache
def _unreconciled(reconcile_from: bool, since: bool, until: bool) -> Select:
    """``unreconciled_postings``'s statement for one shape of its arguments, built once per
    process (issue 17: building it cost the queue's page a millisecond each of three times);
    the account and the days are bound parameters of the same names."""
    posting = postings_view()
    conditions = _on_the_account(posting, reconcile_from)
    if since:
        conditions.append(posting.c.booking_date >= bindparam("since", type_=Date))
    if until:
        conditions.append(posting.c.booking_date <= bindparam("until", type_=Date))
    return select(posting.c.id, posting.c.amount, posting.c.booking_date, posting.c.entry_id,
                  posting.c.description, posting.c.source_kind, posting.c.source_id,
                  posting.c.fund_id).where(*conditions)


class BankPostings(NamedTuple):
    """``bank_postings``: the unconfirmed postings of each provider, and what the entries of
    the booked postings booked against the bank."""

    #: {provider name: [(id, amount, booking date, entry id, description, source kind, source
    #: id, fund id, elsewhere, day, allocated)]}, by entry and id
    of: dict[str, list[Row]]
    other_sides: dict[int, str]  # entry id: ``ledger.reads.other_sides``


def bank_postings(session: Session, bank_account: BankAccount) -> BankPostings:
    """The postings on the bank's ledger account that no bank line has confirmed as a whole
    (``unreconciled_postings``), each given to the provider that offers it, less those that
    this provider's active matches of the account allocated in full: the provider claiming its
    entry's source (``Provider.claims_sources``) when the entry names its document, else the
    booked postings. ``elsewhere``, for a claimed posting: whether an active match of another
    provider confirmed it (a batch posting matched as a booked posting before its provider
    existed); ``day``, for a claimed posting, the day its document reached the bank
    (``ConfirmsBookedPostings.document_day``), else its booking date; ``allocated``, what the
    account's active matches allocated to the item of the provider the posting is (the booked
    posting, the document its entry names: ``OpenItem.allocated``), 0 for nothing.

    One statement (issue 17: three, one per provider, each testing every posting since
    ``reconcile_from`` for a match that confirmed it in full, and a fourth for the other sides),
    read once for the providers of one pass (``matching.shared``)."""
    def read() -> BankPostings:
        owners = tuple(each for each in providers() if each.claims_sources)
        of: dict[str, list[Row]] = {}
        sides = []
        for kind, owner, *row in session.execute(
                _unconfirmed(bank_account.reconcile_from is not None, owners),
                _parameters(bank_account)).all():  # fetched at once, not row by row
            if kind:
                sides.append((row[3], row[5], row[4], row[6]))
            else:
                of.setdefault(owner, []).append(row)
        return BankPostings(of, side_texts(sides))
    return shared(session, ("bank_postings", bank_account.id), read)


@cache
def _unconfirmed(reconcile_from: bool, owners: tuple[Provider, ...]) -> Select:
    """``bank_postings``' statement for the providers claiming sources (``owners``), built once
    per process: the unconfirmed postings (kind 0: owner, id, amount, booking date, entry id,
    description, source kind, source id, fund id, elsewhere, day, allocated), then the other
    sides of the booked ones (kind 1: entry id, account name, account code and fund code in the
    places of the description, the source kind and id), in that order.

    It starts from the account's rows of the bank postings still open (``open_postings``:
    issue 17, it read every posting since ``reconcile_from`` and tested each against the
    account's matched, undo and reversed entries and what its matches allocated to it)."""
    entry = entries_view()
    booked = literal(BookedPostings.name)
    owner = owner_of(entry.c.source_kind, entry.c.source_id, owners)
    still_open = BankOpenPosting.__table__
    conditions = [still_open.c.bank_account_id == bindparam("bank_account_id")]
    if reconcile_from:
        conditions.append(still_open.c.booking_date >= bindparam("reconcile_from", type_=Date))
    on_account = (select(still_open.c.posting_id.label("id"), still_open.c.amount,
                         still_open.c.booking_date, still_open.c.entry_id, entry.c.description,
                         entry.c.source_kind, entry.c.source_id, still_open.c.fund_id,
                         owner.label("owner"))
                  .select_from(still_open)
                  .join(entry, entry.c.id == still_open.c.entry_id)
                  .where(*conditions).subquery("on_account"))
    elsewhere = case((on_account.c.owner != booked, select(BankMatchItem.id).where(
        BankMatchItem.active.is_(True), BankMatchItem.provider != on_account.c.owner,
        BankMatchItem.posting_id == on_account.c.id).exists()), else_=false())
    days = [(on_account.c.owner == each.name, func.coalesce(day, on_account.c.booking_date))
            for each in owners if isinstance(each, ConfirmsBookedPostings)
            and (day := each.document_day(on_account.c.source_id)) is not None]
    day = case(*days, else_=on_account.c.booking_date) if days else on_account.c.booking_date
    key = case((on_account.c.owner == booked, cast(on_account.c.id, String)),
               else_=on_account.c.source_id)  # the item's: the posting's, or its document's
    allocated = func.coalesce(select(func.sum(BankMatchItem.amount)).join(
        BankMatch, BankMatch.id == BankMatchItem.match_id).where(
        BankMatch.bank_account_id == bindparam("bank_account_id"), BankMatchItem.active.is_(True),
        BankMatchItem.provider == on_account.c.owner, BankMatchItem.item_key == key)
        .scalar_subquery(), 0)
    unconfirmed = (
        select(literal(0).label("kind"), on_account.c.owner, on_account.c.id,
               on_account.c.amount, on_account.c.booking_date, on_account.c.entry_id,
               on_account.c.description, on_account.c.source_kind, on_account.c.source_id,
               on_account.c.fund_id, elsewhere.label("elsewhere"), day.label("day"),
               allocated.label("allocated"))
        .cte("unconfirmed"))
    sides = other_sides_of(select(unconfirmed.c.entry_id).where(unconfirmed.c.owner == booked),
                           bindparam("ledger_account_id")).subquery("sides")
    statement = union_all(
        select(*unconfirmed.c),
        select(literal(1), null(), null(), null(), null(), sides.c.entry_id, sides.c.name,
               sides.c.code, sides.c.fund_code, null(), null(), null(), null()))
    columns = statement.selected_columns
    # The account's ids and first day in its text: with them as parameters PostgreSQL planned
    # it afresh on every page of the queue, 0.5 ms each time (``planned_once``).
    return planned_once(statement.order_by(columns.kind, columns.entry_id, columns.source_kind,
                                           columns.source_id, columns.id))


@lru_cache(maxsize=4096)
def references_in(text: str) -> tuple[str, ...]:
    """Words of a description that look like references (five or more characters, a digit);
    kept for the descriptions seen last (issue 17: the queue's page asked it of every booked
    posting, most of them alike)."""
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
        postings = bank_postings(session, bank_account)
        booked_to = postings.other_sides
        currency = bank_account.currency
        for posting_id, amount, day, entry_id, description, _kind, source_id, _fund, _elsewhere, \
                _day, allocated in postings.of.get(self.name, ()):
            references = references_in(description)
            if source_id:
                references += (source_id,)
            what = f"{description} → {booked_to[entry_id]}" if entry_id in booked_to else description
            yield OpenItem(
                provider=self.name, key=str(posting_id), amount=amount, currency=currency,
                date=day, label=f"#{entry_id} {what}", references=references,
                kind=N_("booked entry"), url=f"/ledger/entries/{entry_id}",
                postings=((posting_id, amount),), alike=what, allocated=int(allocated))

    def accept(self, session: Session, *, bank_account: BankAccount, match: BankMatch, item: OpenItem, amount: int, booking_date: date, actor: Actor):
        return []


class Unconfirmed(NamedTuple):
    """A document's bank postings that no line has confirmed yet."""

    postings: list[tuple[int, int]]  # (posting id, amount), by id
    #: the day the document reached the bank (``ConfirmsBookedPostings.document_day``), else
    #: the booking date of its first posting
    day: date
    funds: dict[int, int]  # posting id: its fund's id
    allocated: int  # what active matches of the account allocated to the document


class ConfirmsBookedPostings(Provider):
    """A document whose movement the books already have on the bank's ledger account (a payout
    batch's execution, a Stripe payout): its items carry those postings (``OpenItem.postings``),
    accepting posts nothing and records them as confirmed by the bank, undo clears that."""

    posts_entries = False

    def accept(self, session: Session, *, bank_account: BankAccount, match: BankMatch, item: OpenItem, amount: int, booking_date: date, actor: Actor):
        return []

    def document_day(self, source_id: ColumnElement) -> ColumnElement | None:
        """The day the document that ``source_id`` (a column of ``bank_postings``' statement)
        names reached the bank, where the provider knows it (a Stripe payout's arrival), read
        with its postings (``Unconfirmed.day``); None: the booking date of its first posting."""
        return None

    def unconfirmed(self, session: Session, bank_account: BankAccount) -> dict[str, Unconfirmed]:
        """{document id: its ``Unconfirmed`` postings}: the bank postings of
        entries whose source is this provider's document (``claims_sources``) that no line has
        confirmed yet. A document one of whose postings another provider's match confirmed
        (matched as a booked posting before this provider existed) is left out. Postings that
        this provider's matches confirmed in full are left out by the database (issue 17: the
        documents of the whole history were read on every page of the queue, and all but a few
        dropped as allocated in full), and so are those confirmed elsewhere (a column of the same
        statement, not a query of their ids): ``bank_postings``."""
        rows = bank_postings(session, bank_account).of.get(self.name, ())
        documents: dict[str, Unconfirmed] = {}
        taken: set[str] = set()
        for posting_id, amount, _booked, _entry, _text, _kind, source_id, fund_id, elsewhere, day, \
                allocated in rows:
            document = documents.setdefault(source_id, Unconfirmed([], day, {}, int(allocated)))
            document.postings.append((posting_id, amount))
            document.funds[posting_id] = fund_id
            if elsewhere:
                taken.add(source_id)
        return {source_id: document._replace(postings=sorted(document.postings))
                for source_id, document in documents.items() if source_id not in taken}


BOOKED_POSTINGS = BookedPostings()


def open_item_provider(sender: object, **kwargs: Any) -> BookedPostings:
    return BOOKED_POSTINGS
