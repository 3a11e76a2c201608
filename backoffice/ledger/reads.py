"""What other packages read of the ledger's postings and entries: the only door to those tables
from outside ``ledger/`` (balances come from ``balances``, which reads the cached totals).

Plain functions for plain reads; for a query that joins the postings to a package's own tables
(bank matches, invoices), ``postings_view`` is a read-only select of the postings with their
entry's description and source.
"""
from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import (
    ARRAY,
    Integer,
    String,
    any_,
    bindparam,
    cast,
    func,
    literal_column,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from ..core.db import in_batches
from ..core.money import Money
from ..core.tables import DATE, INTEGER, MONEY, Column, Table
from .chart import Account, AccountType, Fund, FundKind
from .models import JournalEntry, Posting
from .queries import JournalFilter

if TYPE_CHECKING:
    from sqlalchemy import BindParameter, Select


def entry(session: Session, entry_id: int | None) -> JournalEntry | None:
    return None if entry_id is None else session.get(JournalEntry, entry_id)


def entry_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(JournalEntry))


def entry_ids_between(session: Session, first: date, last: date) -> list[int]:
    """The ids of the entries booked from ``first`` to ``last``, in id order (an audit's sample
    is drawn from this list, so the same seed draws the same entries)."""
    return list(session.scalars(select(JournalEntry.id).where(
        JournalEntry.booking_date.between(first, last)).order_by(JournalEntry.id)))


def entries(session: Session, ids: Iterable[int]) -> dict[int, JournalEntry]:
    """Entries by id, with their postings (one query each)."""
    wanted = list(ids)
    if not wanted:
        return {}
    return {e.id: e for e in session.scalars(select(JournalEntry).where(
        JournalEntry.id.in_(wanted)))}


def postings_view():
    """The postings with their entry: id, entry_id, account_id, fund_id, amount, currency,
    booking_date, description, source_kind, source_id, reverses_id (a subquery to join)."""
    return (select(Posting.id, Posting.entry_id, Posting.account_id, Posting.fund_id,
                   Posting.amount, Posting.currency, Posting.booking_date,
                   JournalEntry.description, JournalEntry.source_kind, JournalEntry.source_id,
                   JournalEntry.reverses_id)
            .join(JournalEntry, JournalEntry.id == Posting.entry_id)
            .subquery("ledger_postings"))


def entries_view():
    """The entries: id, description, source_kind, source_id, reverses_id (a subquery to join,
    for a package's table that keeps a posting's own columns and needs its entry's)."""
    return (select(JournalEntry.id, JournalEntry.description, JournalEntry.source_kind,
                   JournalEntry.source_id, JournalEntry.reverses_id)
            .subquery("ledger_entries"))


def other_sides(session: Session, entry_ids: Iterable[int], account_id: int) -> dict[int, str]:
    """What each entry booked against ``account_id``: its other postings' accounts and funds,
    "4000 Membership fees (GEN)", joined by ", " (names, codes sorted, each once)."""
    ids = sorted(set(entry_ids))
    rows = []
    for batch in in_batches(ids):
        rows += session.execute(other_sides_of(batch, account_id).order_by(
            Posting.entry_id, Account.code, Fund.code)).all()
    return side_texts(rows)


def other_sides_of(entry_ids: Collection[int] | Select, account_id: int | BindParameter) -> Select:
    """``other_sides``' rows, unordered: (entry id, account code, account name, fund code) of
    the entries ``entry_ids`` (ids, or a select of them to read them in the same statement),
    each once."""
    return (select(Posting.entry_id, Account.code, Account.name, Fund.code.label("fund_code"))
            .join(Account, Account.id == Posting.account_id).join(Fund, Fund.id == Posting.fund_id)
            .where(Posting.entry_id.in_(entry_ids), Posting.account_id != account_id).distinct())


def side_texts(rows: Iterable[tuple[int, str, str, str]]) -> dict[int, str]:
    """{entry id: "4000 Membership fees (GEN), ..."} of ``other_sides_of``'s rows ordered by
    entry, account code and fund code."""
    sides: dict[int, list[str]] = {}
    for entry_id, code, name, fund in rows:
        sides.setdefault(entry_id, []).append(f"{code} {name} ({fund})")
    return {entry_id: ", ".join(parts) for entry_id, parts in sides.items()}


def reversed_entry_ids():
    """A select of the ids of entries that were reversed."""
    return select(JournalEntry.reverses_id).where(JournalEntry.reverses_id.is_not(None))


def postings_by_id(session: Session, ids: Iterable[int]) -> dict[int, Posting]:
    ids = list(ids)
    found: dict[int, Posting] = {}
    for batch in in_batches(ids):
        found.update((p.id, p) for p in session.scalars(
            select(Posting).where(Posting.id.in_(batch))))
    return found


def postings_with_entries(session: Session, account_id: int, since: date) -> list[tuple[Posting, JournalEntry]]:
    """The postings on an account from ``since`` on, each with its entry, in date order."""
    return [tuple(row) for row in session.execute(
        select(Posting, JournalEntry).join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .where(Posting.account_id == account_id, Posting.booking_date >= since)
        .order_by(Posting.booking_date, Posting.id))]


@dataclass(frozen=True)
class Movement:
    day: date
    entry_id: int
    description: str
    account: Account
    amount: Money  # the effect on the fund: income positive, expenses and fees negative


def recent_movements(session: Session, fund_id: int, limit: int = 10) -> list[Movement]:
    """The latest income, expenses and transfers of a fund (not the bank side of them), one row
    per entry and account."""
    resources = select(Account.id).where(Account.type.in_([AccountType.ASSET,
                                                          AccountType.LIABILITY]))
    # The latest postings first (an index range scan), then one row per entry and account.
    latest = (select(Posting.id)
              .where(Posting.fund_id == fund_id, Posting.account_id.not_in(resources))
              .order_by(Posting.booking_date.desc(), Posting.id.desc()).limit(limit * 4))
    amount = func.sum(Posting.amount)
    rows = session.execute(
        select(Posting.booking_date, Posting.entry_id, JournalEntry.description,
               Posting.account_id, Posting.currency, amount)
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .where(Posting.id.in_(latest.scalar_subquery()))
        .group_by(Posting.booking_date, Posting.entry_id, JournalEntry.description,
                  Posting.account_id, Posting.currency)
        .having(amount != 0)
        .order_by(Posting.booking_date.desc(), Posting.entry_id.desc(), Posting.account_id)
        .limit(limit))
    return [Movement(day, entry_id, description, session.get(Account, account_id),
                     Money(-int(total), currency))
            for day, entry_id, description, account_id, currency, total in rows]


# --- the chart as plain values (reports and exports read it without the ledger's models) ------

class ChartAccount(NamedTuple):
    """An account as plain values (a named tuple: a report reads thousands of them)."""

    id: int
    code: str
    name: str
    type: str  # asset, liability, net_assets, income, expense (``AccountType`` values)
    role: str | None
    active: bool

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_balance_sheet(self) -> bool:
        return AccountType(self.type).is_balance_sheet


@dataclass(frozen=True)
class ChartFund:
    id: int
    code: str
    name: str
    restricted: bool  # False for the one general (unrestricted) fund
    active: bool

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}"


def chart_accounts(session: Session, types: Iterable[str] | None = None, *,
                   ids: Collection[int] | None = None) -> list[ChartAccount]:
    """Every account (of ``types`` only, when given: ``AccountType`` values; of ``ids`` only,
    when given), in code order. The rows are plain tuples read at once (no ORM or Enum result
    processing, issue 17). ``ids`` are one parameter (an array's text on PostgreSQL, a JSON list
    on SQLite): the accounts that moved are a third of a chart of thousands, and reading the rest
    cost more than the list; a list of a thousand parameters cost more than both."""
    kinds = None if types is None else tuple(types)
    connection = session.connection()
    if ids is None:
        return list(map(ChartAccount._make, connection.execute(_chart(kinds, None)).all()))
    dialect = connection.dialect.name
    # As text either way: psycopg checks each element of a list it sends as an array.
    wanted = (f"{{{','.join(map(str, sorted(ids)))}}}" if dialect == "postgresql"
              else json.dumps(sorted(ids)))
    return list(map(ChartAccount._make, connection.execute(_chart(kinds, dialect),
                                                           {"ids": wanted}).all()))


@lru_cache(maxsize=32)
def _chart(types: tuple[str, ...] | None, listed: str | None):
    """The statement of ``chart_accounts``, built once for each set of types; ``listed``: of the
    ids of the parameter ``ids``, in the way of that dialect (None: every account)."""
    statement = select(Account.id, Account.code, Account.name, type_coerce(Account.type, String),
                       Account.role, Account.active).order_by(Account.code)
    if types is not None:
        statement = statement.where(Account.type.in_([AccountType(kind) for kind in types]))
    if listed == "postgresql":
        statement = statement.where(Account.id == any_(cast(bindparam("ids", type_=String),
                                                            ARRAY(Integer))))
    elif listed is not None:
        statement = statement.where(Account.id.in_(
            select(literal_column("value")).select_from(func.json_each(bindparam("ids", type_=String)))))
    return statement


def chart_funds(session: Session) -> list[ChartFund]:
    """Every fund, the general fund first, then by code in the database's collation (the sort
    by kind is stable: a sort by code in Python would order codes by code point, which differs
    from the database's order under a language's collation, as the other fund lists use it)."""
    funds = [ChartFund(id_, code, name, kind != FundKind.GENERAL, active)
             for id_, code, name, kind, active in session.execute(
                 select(Fund.id, Fund.code, Fund.name, Fund.kind, Fund.active).order_by(Fund.code))]
    return sorted(funds, key=lambda fund: fund.restricted)


# --- the journal line by line (exports) ------------------------------------------------------

@dataclass(frozen=True, slots=True)
class JournalLine:
    """One posting with its entry, as plain values (no ORM objects: a year is millions)."""

    entry_id: int
    booking_date: date
    description: str
    source_kind: str | None
    source_id: str | None
    reverses_id: int | None
    posted_at: datetime
    line_no: int
    account_id: int
    fund_id: int
    amount: int  # minor units, debit > 0
    currency: str
    memo: str | None


def journal_lines(session: Session, filters: JournalFilter | None = None, *,
                  batch: int = 5000) -> Iterator[JournalLine]:
    """Every posting of the entries ``filters`` selects (the journal page's filters), in journal
    order (date, entry, line), read ``batch`` rows at a time: a server-side cursor on PostgreSQL,
    so memory stays that of one batch however long the period."""
    statement = (select(JournalEntry.id, JournalEntry.booking_date, JournalEntry.description,
                        JournalEntry.source_kind, JournalEntry.source_id,
                        JournalEntry.reverses_id, JournalEntry.posted_at, Posting.line_no,
                        Posting.account_id, Posting.fund_id, Posting.amount, Posting.currency,
                        Posting.memo)
                 .join(Posting, Posting.entry_id == JournalEntry.id)
                 .where(*(filters.conditions() if filters else ()))
                 .order_by(JournalEntry.booking_date, JournalEntry.id, Posting.line_no))
    result = session.execute(statement, execution_options={"yield_per": batch})
    for row in result:
        yield JournalLine(*row)


@dataclass(frozen=True, slots=True)
class Usage:
    account_id: int
    fund_id: int
    currency: str
    first: date  # the first posting's date


def account_usage(session: Session) -> list[Usage]:
    """Every (account, fund, currency) that has postings, with the date of its first posting."""
    return [Usage(*row) for row in session.execute(
        select(Posting.account_id, Posting.fund_id, Posting.currency,
               func.min(Posting.booking_date))
        .group_by(Posting.account_id, Posting.fund_id, Posting.currency))]


def by_entry(lines: Iterable[JournalLine]) -> Iterator[list[JournalLine]]:
    """``journal_lines`` gathered per entry (they come in entry order)."""
    batch: list[JournalLine] = []
    for line in lines:
        if batch and line.entry_id != batch[0].entry_id:
            yield batch
            batch = []
        batch.append(line)
    if batch:
        yield batch


def journal_table(session: Session, filters: JournalFilter | None = None) -> Table:
    """The journal page's rows (every posting of the entries its filters select) as a table to
    download (``core.tables``): one row per posting, debit and credit as money."""
    accounts = {a.id: a for a in chart_accounts(session)}
    funds = {f.id: f.code for f in chart_funds(session)}

    def rows() -> Iterator[tuple]:
        for line in journal_lines(session, filters):
            account = accounts[line.account_id]
            yield (line.booking_date, line.entry_id, line.description, account.code, account.name,
                   funds[line.fund_id],
                   Money(line.amount, line.currency) if line.amount > 0 else None,
                   Money(-line.amount, line.currency) if line.amount < 0 else None,
                   line.memo or "", f"{line.source_kind}:{line.source_id or ''}"
                   if line.source_kind else "")

    return Table("journal", (
        Column("Date", DATE), Column("Entry", INTEGER), Column("Description", width=40),
        Column("Account", width=8), Column("Account name"), Column("Fund", width=10),
        Column("Debit", MONEY), Column("Credit", MONEY), Column("Memo"),
        Column("Source", width=18)), rows())
