"""Paged lists of the ledger: the journal and an account's ledger with running balance.

Both page by key (date, id) instead of by offset, so that a page deep in the history costs the
same as the first one.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import (
    Integer,
    Select,
    Subquery,
    bindparam,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
)
from sqlalchemy.orm import Session, joinedload

from ..core.bounds import FIRST_DATE, LAST_DATE, MAX_ID, as_id
from .balances import account_balances
from .chart import Account, Fund
from .models import JournalEntry, Posting

if TYPE_CHECKING:
    from typing import Any

    from sqlalchemy import ColumnElement

Cursor = tuple[date, int]


def parse_cursor(text: str | None) -> Cursor | None:
    """'2026-03-01.1234' -> (date(2026, 3, 1), 1234); None for nothing; ValueError otherwise."""
    if not text:
        return None
    day, _, key = text.partition(".")
    try:
        when, number = date.fromisoformat(day), int(key)
    except ValueError:
        raise ValueError("It is not a position in the list.") from None
    if not (FIRST_DATE <= when <= LAST_DATE and 0 <= number <= MAX_ID):
        raise ValueError("It is not a position in the list.")
    return when, number


def format_cursor(cursor: Cursor | None) -> str | None:
    return f"{cursor[0].isoformat()}.{cursor[1]}" if cursor else None


def _after(date_column: ColumnElement[date], id_column: ColumnElement[int], cursor: Cursor):
    # A row-value comparison, so that both databases walk the (date, id) index from the cursor.
    return tuple_(date_column, id_column) > tuple_(literal(cursor[0]), literal(cursor[1]))


def _before(date_column: ColumnElement[date], id_column: ColumnElement[int], cursor: Cursor):
    return tuple_(date_column, id_column) < tuple_(literal(cursor[0]), literal(cursor[1]))


# --- the journal ---------------------------------------------------------------------------

@dataclass(frozen=True)
class JournalFilter:
    start: date | None = None
    end: date | None = None
    fund_id: int | None = None
    account_id: int | None = None
    text: str = ""

    def conditions(self):
        conditions = []
        if self.start:
            conditions.append(JournalEntry.booking_date >= self.start)
        if self.end:
            conditions.append(JournalEntry.booking_date <= self.end)
        if self.fund_id or self.account_id:
            conditions.append(JournalEntry.id.in_(select(Posting.entry_id).where(
                *self.posting_conditions())))
        return conditions + self.text_conditions()

    def posting_conditions(self):
        """What a posting of a selected entry matches (its fund, its account, its date)."""
        conditions = []
        if self.fund_id:
            conditions.append(Posting.fund_id == self.fund_id)
        if self.account_id:
            conditions.append(Posting.account_id == self.account_id)
        if self.start:
            conditions.append(Posting.booking_date >= self.start)
        if self.end:
            conditions.append(Posting.booking_date <= self.end)
        return conditions

    def text_conditions(self):
        text = self.text.strip()
        if not text:
            return []
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        matches = [JournalEntry.description.ilike(pattern, escape="\\"),
                   JournalEntry.source_id == text]
        if (entry_id := as_id(text.lstrip("#"))) is not None:
            matches.append(JournalEntry.id == entry_id)
        return [or_(*matches)]


@dataclass(frozen=True, slots=True)
class ShownPosting:
    """A posting as the journal shows it: plain values, its account and fund named."""

    account_id: int
    account_code: str
    account_name: str
    fund_id: int
    fund_code: str
    amount: int  # minor units, debit > 0
    currency: str

    @property
    def account_label(self) -> str:
        return f"{self.account_code} {self.account_name}"


@dataclass(frozen=True, slots=True)
class ShownEntry:
    """An entry as the journal shows it, with its postings in line order (plain values: a page
    of ORM entries cost more to load and to render than the rest of the page)."""

    id: int
    booking_date: date
    description: str
    reverses_id: int | None
    postings: tuple[ShownPosting, ...] = ()

    @property
    def ref(self) -> str:
        return f"#{self.id}"


_ENTRY = (JournalEntry.id, JournalEntry.booking_date, JournalEntry.description,
          JournalEntry.reverses_id)


_POSTING = (Posting.account_id, Account.code, Account.name, Posting.fund_id, Fund.code,
            Posting.amount, Posting.currency)


def _with_postings(page: Subquery) -> Select:
    """The entries ``page`` names (its column ``entry_id``) with their postings as the journal
    shows them, an entry's rows together newest first, its postings in line order (issue 17:
    one statement where the page's entries and their postings were two)."""
    return (select(*_ENTRY, *_POSTING).select_from(page)
            .join(JournalEntry, JournalEntry.id == page.c.entry_id)
            .outerjoin(Posting, Posting.entry_id == JournalEntry.id)
            .outerjoin(Account, Account.id == Posting.account_id)
            .outerjoin(Fund, Fund.id == Posting.fund_id)
            .order_by(JournalEntry.booking_date.desc(), JournalEntry.id.desc(), Posting.line_no))


def _in_order(statement: Select, key: tuple, direction: str | None, cursor) -> Select:
    """``statement`` (of a page's keys) ordered in the direction of travel: newest first from
    the start or ``before`` the row-value ``cursor``, oldest first ``after`` it (a row-value
    comparison, so that both databases walk the (date, id) index from the cursor)."""
    if direction == "after":
        return statement.where(tuple_(*key) > cursor).order_by(*key)
    if direction == "before":
        statement = statement.where(tuple_(*key) < cursor)
    return statement.order_by(key[0].desc(), key[1].desc())


@cache
def _whole_journal(direction: str | None, rows: int) -> Select:
    """A page of ``rows`` entries of the whole journal with their postings (``_in_order``; the
    cursor bound as ``day`` and ``key``), built once: building it and its cache key cost ~0.35
    ms a request (issue 17)."""
    key = (JournalEntry.booking_date, JournalEntry.id)
    cursor = tuple_(bindparam("day", type_=JournalEntry.booking_date.type),
                    bindparam("key", type_=JournalEntry.id.type))
    statement = _in_order(select(JournalEntry.id.label("entry_id"), JournalEntry.booking_date),
                          key, direction, cursor)
    return _with_postings(statement.limit(_count(rows)).subquery())


def _count(rows: int):
    """``rows`` written into the statement, not bound: a page's statements are prepared on
    PostgreSQL, and a generic plan that does not know the LIMIT of the page's keys expects a
    tenth of the journal from them and joins every posting (47 ms for the first page on the
    37-household ledger against 1 ms)."""
    return literal_column(str(int(rows)), Integer)


def _shown(rows) -> list[ShownEntry]:
    """Rows of ``_with_postings`` as entries with their postings, in the rows' order."""
    entries: list[ShownEntry] = []
    entry, postings = None, []
    for row in rows:
        if entry is None or row[0] != entry[0]:
            if entry is not None:
                entries.append(ShownEntry(*entry, postings=tuple(postings)))
            entry, postings = row[:4], []
        if row[4] is not None:
            postings.append(ShownPosting(*row[4:]))
    if entry is not None:
        entries.append(ShownEntry(*entry, postings=tuple(postings)))
    return entries


@dataclass
class JournalPage:
    entries: list[ShownEntry]
    newer: Cursor | None  # pass as ``after`` to see the newer page
    older: Cursor | None  # pass as ``before`` to see the older page


def journal_page(session: Session, filters: JournalFilter, *, before: Cursor | None = None,
                 after: Cursor | None = None, limit: int = 50) -> JournalPage:
    """Entries newest first, ``limit`` at a time.

    One row more than shown is read in the direction of travel to know whether a further page
    exists; the other direction has one when the page was reached from a cursor (that row is
    there). No "is there anything beyond" query: on PostgreSQL its generic prepared plan could
    scan the whole journal to find nothing."""
    direction = "after" if after is not None else "before" if before is not None else None
    cursor = after if after is not None else before
    statement = None
    if filters.account_id:
        # The account's postings in journal order from their index (account, date, entry): a
        # page of entries costs the same however many postings the account has (issue 17).
        key = (Posting.booking_date, Posting.entry_id)
        statement = select(*key).where(*filters.posting_conditions()).distinct()
        if text := filters.text_conditions():
            statement = statement.join(JournalEntry, JournalEntry.id == Posting.entry_id).where(
                *text)
    elif conditions := filters.conditions():
        key = (JournalEntry.booking_date, JournalEntry.id)
        statement = select(JournalEntry.id.label("entry_id"), JournalEntry.booking_date).where(
            *conditions)
    # One entry more than shown, in the direction of travel, says whether a further page exists.
    if statement is None:  # the whole journal, the page most asked for
        found = session.execute(_whole_journal(direction, limit + 1), {
            "day": cursor and cursor[0], "key": cursor and cursor[1]})
    else:
        bound = tuple_(literal(cursor[0]), literal(cursor[1])) if cursor else None
        found = session.execute(_with_postings(
            _in_order(statement, key, direction, bound).limit(_count(limit + 1)).subquery()))
    rows = _shown(found)
    if after is not None:
        more_newer, more_older = len(rows) > limit, True
        rows = rows[-limit:] if limit else []
    else:
        more_newer, more_older = before is not None, len(rows) > limit
        rows = rows[:limit]
    if not rows:
        return JournalPage(entries=[], newer=None, older=None)
    newest, oldest = (rows[0].booking_date, rows[0].id), (rows[-1].booking_date, rows[-1].id)
    return JournalPage(entries=rows, newer=newest if more_newer else None,
                       older=oldest if more_older else None)


def _any(session: Session, model: type[Any], conditions: list[ColumnElement[bool]], *more: ColumnElement[bool]) -> bool:
    return session.scalar(select(exists().where(*conditions, *more).select_from(model)))


# --- an account's ledger -------------------------------------------------------------------

@dataclass
class LedgerRow:
    posting: Posting
    running: int  # balance in the posting's currency after this posting


@dataclass
class AccountLedgerPage:
    rows: list[LedgerRow]
    opening: dict[str, int] = field(default_factory=dict)  # before the first row shown
    earlier: Cursor | None = None  # pass as ``before`` for the page before
    later: Cursor | None = None    # pass as ``after`` for the page after


def balance_before(session: Session, account_id: int, fund_id: int | None, cursor: Cursor) -> dict[str, int]:
    """{currency: balance} of the account from everything before posting ``cursor``."""
    day, posting_id = cursor
    result: dict[str, int] = defaultdict(int)
    earlier_days = account_balances(session, day - timedelta(days=1) if day > date.min else None,
                                    fund_id=fund_id, account_ids=[account_id])
    for (_, currency), amount in earlier_days.items():
        result[currency] += amount
    same_day = select(Posting.currency, func.sum(Posting.amount)).where(
        Posting.account_id == account_id, Posting.booking_date == day, Posting.id < posting_id)
    if fund_id is not None:
        same_day = same_day.where(Posting.fund_id == fund_id)
    for currency, amount in session.execute(same_day.group_by(Posting.currency)):
        result[currency] += int(amount)
    return dict(result)


def account_ledger(session: Session, account_id: int, *, fund_id: int | None = None,
                   before: Cursor | None = None, after: Cursor | None = None,
                   start: date | None = None, limit: int = 50) -> AccountLedgerPage:
    """Postings of one account in date order with the running balance.

    Without a position it shows the latest ``limit`` postings; ``start`` shows the first ones on
    or after a date; ``before``/``after`` continue from a row of a page already shown.
    """
    conditions = [Posting.account_id == account_id]
    if fund_id is not None:
        conditions.append(Posting.fund_id == fund_id)
    key = (Posting.booking_date, Posting.id)
    page = select(Posting.id).where(*conditions)
    forward = after is not None or start is not None
    if after is not None:
        page = page.where(_after(*key, after))
    elif start is not None:
        page = page.where(Posting.booking_date >= start)
    elif before is not None:
        page = page.where(_before(*key, before))
    order = key if forward else (key[0].desc(), key[1].desc())
    # The page's postings are chosen first (the account's index, in order) and their entries
    # joined to those alone: joined to the whole query, a plan kept for any date (PostgreSQL's
    # generic plan of a prepared statement) merged the postings with every entry from the
    # first on, 30-60 ms deep in a long history (issue 17).
    page = page.order_by(*order).limit(limit + 1).subquery()
    statement = (select(Posting).join(page, page.c.id == Posting.id)
                 .options(joinedload(Posting.entry)).order_by(*order))
    postings = list(session.scalars(statement).unique())
    beyond, postings = len(postings) > limit, postings[:limit]  # a page further this way?
    if not forward:
        postings.reverse()
    if not postings:
        return AccountLedgerPage(rows=[])
    first = (postings[0].booking_date, postings[0].id)
    last = (postings[-1].booking_date, postings[-1].id)
    if forward or before is not None:
        opening = balance_before(session, account_id, fund_id, first)
    else:  # the latest page: before it is everything less the page (one read of the totals)
        everything = account_balances(session, date.max, fund_id=fund_id, account_ids=[account_id])
        opening = defaultdict(int, {currency: amount for (_, currency), amount in everything.items()})
        for posting in postings:
            opening[posting.currency] -= posting.amount
        opening = {currency: amount for currency, amount in opening.items() if amount}
    running = defaultdict(int, opening)
    rows = []
    for posting in postings:
        running[posting.currency] += posting.amount
        rows.append(LedgerRow(posting, running[posting.currency]))
    if forward:  # reached from ``after`` (that row is earlier) or from a date (look)
        has_earlier = after is not None or _any(session, Posting, conditions,
                                                 _before(*key, first))
        has_later = beyond
    else:        # the latest page, or reached from ``before`` (that row is later)
        has_earlier, has_later = beyond, before is not None
    return AccountLedgerPage(rows=rows, opening=opening,
                             earlier=first if has_earlier else None,
                             later=last if has_later else None)
