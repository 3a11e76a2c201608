"""Cached per-period totals that make balance queries independent of the number of postings.

Every posting adds its amount to three rows of each totals table: its calendar year, its month and
its day (grain Y, M, D). There are three tables: per account (trial balance, account ledgers), per
fund and account (fund statements, one fund's trial balance) and per fund for asset and liability
postings only (the balances of all funds at once). The balance as of a date D is then the sum of the complete years before D,
the complete months of D's year before D's month, and the days of D's month up to D: at most
(years + 11 + 31) rows per account, however many postings there are.

The rows are written in the same transaction as the postings (``add_postings``) and can be
recomputed from the postings at any time (``rebuild``, ``differences``).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, literal, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .chart import Account, AccountType
from .models import AccountTotal, FundAccountTotal, FundBalanceTotal, Grain, Posting

if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from sqlalchemy import ColumnElement, Table

    TotalModel = AccountTotal | FundAccountTotal | FundBalanceTotal

MODELS = (AccountTotal, FundAccountTotal, FundBalanceTotal)
RESOURCE_TYPES = (AccountType.ASSET, AccountType.LIABILITY)

_PERIOD_STARTS = {
    Grain.YEAR: lambda d: date(d.year, 1, 1),
    Grain.MONTH: lambda d: date(d.year, d.month, 1),
    Grain.DAY: lambda d: d,
}


@cache
def _upsert_statement(dialect: str, table: Table):
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table)
    keys = [column.name for column in table.primary_key.columns]
    return statement.on_conflict_do_update(
        index_elements=keys, set_={"amount": table.c.amount + statement.excluded.amount})


def _upsert(session: Session, model: type[TotalModel], rows: list[dict]) -> None:
    """Add ``rows`` to the stored totals (one cached statement, executed for many rows)."""
    if rows:
        connection = session.connection()
        connection.execute(_upsert_statement(connection.dialect.name, model.__table__), rows)


def add_postings(session: Session, postings: Iterable[Posting]) -> None:
    """Add new postings to the totals (call in the transaction that inserts them)."""
    account_ids = {p.account_id for p in postings}
    resources = set(session.scalars(select(Account.id).where(
        Account.id.in_(account_ids), Account.type.in_(RESOURCE_TYPES))))
    by_account: dict[tuple, int] = defaultdict(int)
    by_fund: dict[tuple, int] = defaultdict(int)
    by_fund_balance: dict[tuple, int] = defaultdict(int)
    for p in postings:
        for grain, start_of in _PERIOD_STARTS.items():
            start = start_of(p.booking_date)
            by_account[(grain.value, start, p.account_id, p.currency)] += p.amount
            by_fund[(p.fund_id, grain.value, start, p.account_id, p.currency)] += p.amount
            if p.account_id in resources:
                by_fund_balance[(grain.value, start, p.fund_id, p.currency)] += p.amount
    # Sorted keys: concurrent transactions lock rows in the same order, so they cannot deadlock.
    _upsert(session, AccountTotal, [
        dict(grain=g, period_start=s, account_id=a, currency=c, amount=v)
        for (g, s, a, c), v in sorted(by_account.items())])
    _upsert(session, FundAccountTotal, [
        dict(fund_id=f, grain=g, period_start=s, account_id=a, currency=c, amount=v)
        for (f, g, s, a, c), v in sorted(by_fund.items())])
    _upsert(session, FundBalanceTotal, [
        dict(grain=g, period_start=s, fund_id=f, currency=c, amount=v)
        for (g, s, f, c), v in sorted(by_fund_balance.items())])


def covering(model: type[TotalModel], day: date, columns: list[ColumnElement[Any]], *conditions: ColumnElement[bool]):
    """A subquery of the totals rows that together cover every posting dated up to ``day``.

    A UNION ALL of three index range scans, one per grain.
    """
    year_start = date(day.year, 1, 1)
    month_start = date(day.year, day.month, 1)
    ranges = [(Grain.DAY, month_start, day)]
    if month_start > year_start:
        ranges.append((Grain.MONTH, year_start, month_start - timedelta(days=1)))
    if year_start > date.min:
        ranges.append((Grain.YEAR, date.min, year_start - timedelta(days=1)))
    parts = [
        select(*columns).where(model.grain == grain.value, model.period_start >= low,
                               model.period_start <= high, *conditions)
        for grain, low, high in ranges
    ]
    return union_all(*parts).subquery()


def within(model: type[TotalModel], start: date, end: date, columns: list[ColumnElement[Any]],
           *conditions: ColumnElement[bool]):
    """A subquery of the totals rows that together cover exactly the postings dated ``start``
    to ``end``: whole calendar years inside the range as year rows, whole months as month rows,
    the days at either edge as day rows (a calendar year is one row per key, a fiscal year
    beginning in another month at most 12)."""
    ranges: list[tuple[Grain, date, date]] = []
    day = start
    while day <= end:
        year_end = date(day.year, 12, 31)
        month_end = year_end if day.month == 12 else (date(day.year, day.month + 1, 1)
                                                      - timedelta(days=1))
        if day.month == 1 and day.day == 1 and year_end <= end:
            ranges.append((Grain.YEAR, day, day))
            last = year_end
        elif day.day == 1 and month_end <= end:
            ranges.append((Grain.MONTH, day, day))
            last = month_end
        else:
            last = min(month_end, end)
            ranges.append((Grain.DAY, day, last))
        if last == date.max:
            break
        day = last + timedelta(days=1)
    merged: dict[Grain, list[tuple[date, date]]] = defaultdict(list)
    for grain, low, high in ranges:
        spans = merged[grain]
        if spans and grain is not Grain.DAY and _next_start(grain, spans[-1][1]) == low:
            spans[-1] = (spans[-1][0], high)
        elif spans and grain is Grain.DAY and spans[-1][1] + timedelta(days=1) == low:
            spans[-1] = (spans[-1][0], high)
        else:
            spans.append((low, high))
    parts = [select(*columns).where(model.grain == grain.value, model.period_start >= low,
                                    model.period_start <= high, *conditions)
             for grain, spans in merged.items() for low, high in spans]
    if not parts:  # an empty range: no rows
        parts = [select(*columns).where(model.grain == Grain.YEAR.value, model.period_start
                                        == date.min, *conditions)]
    return union_all(*parts).subquery()


def _next_start(grain: Grain, start: date) -> date:
    if grain is Grain.YEAR:
        return date(start.year + 1, 1, 1)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


# --- recomputation -------------------------------------------------------------------------

def _truncated(session: Session, grain: Grain, column: ColumnElement[date]):
    if grain is Grain.DAY:
        return column
    if session.get_bind().dialect.name == "postgresql":
        unit = "year" if grain is Grain.YEAR else "month"
        return func.cast(func.date_trunc(unit, column), Posting.booking_date.type)
    modifier = "start of year" if grain is Grain.YEAR else "start of month"
    return func.date(column, modifier)


def computed_rows(session: Session, model: type[TotalModel]):
    """A select of what ``model``'s rows should be (in its column order), from the postings."""
    parts = []
    for grain in Grain:
        start = _truncated(session, grain, Posting.booking_date)
        keys = {"grain": literal(grain.value).label("grain"), "period_start": start.label("period_start"),
                "account_id": Posting.account_id, "fund_id": Posting.fund_id,
                "currency": Posting.currency}
        ordered = [keys[c.name] for c in model.__table__.columns if c.name != "amount"]
        part = select(*ordered, func.sum(Posting.amount).label("amount")).group_by(*ordered)
        if model is FundBalanceTotal:
            part = part.join(Account, Account.id == Posting.account_id).where(
                Account.type.in_(RESOURCE_TYPES))
        parts.append(part)
    return union_all(*parts)


def rebuild(session: Session) -> None:
    """Throw the totals away and compute them again from the postings."""
    for model in MODELS:
        session.execute(delete(model))
        columns = [c.name for c in model.__table__.columns]
        session.execute(model.__table__.insert().from_select(columns, computed_rows(session, model)))


def differences(session: Session, limit: int = 20) -> list[str]:
    """Descriptions of stored totals that disagree with the postings (empty when all agree)."""
    problems: list[str] = []
    for model in MODELS:
        key_names = [c.name for c in model.__table__.primary_key.columns]
        expected = {tuple(row[:-1]): row[-1] for row in session.execute(
            select(computed_rows(session, model).subquery()))}
        expected = {_normal_key(k, key_names): v for k, v in expected.items() if v}
        stored = {_normal_key(tuple(getattr(row, n) for n in key_names), key_names): row.amount
                  for row in session.scalars(select(model)) if row.amount}
        for key in sorted(set(expected) | set(stored), key=str):
            if expected.get(key, 0) != stored.get(key, 0):
                problems.append(f"{model.__tablename__} {dict(zip(key_names, key))}: "
                                f"stored {stored.get(key, 0)}, postings say {expected.get(key, 0)}")
                if len(problems) >= limit:
                    return problems
    return problems


def _normal_key(key: tuple, names: list[str]) -> tuple:
    """Dates come back as strings from some SQLite expressions; compare them as dates."""
    return tuple(date.fromisoformat(v) if n == "period_start" and isinstance(v, str) else v
                 for v, n in zip(key, names))
