"""Cached per-period totals that make balance queries independent of the number of postings.

Every posting adds its amount to three rows of each totals table: its calendar year, its month and
its day (grain Y, M, D). There are three tables: per account (trial balance, account ledgers), per
fund and account (fund statements, one fund's trial balance) and per fund for asset and liability
postings only (the balances of all funds at once).

Each table also holds cumulative rows (grain C): per key and calendar year, everything posted up
to that year's end, for every year from the key's first up to the horizon (``TotalsHorizon``,
normally last year). The balance as of a date D is then the cumulative row of the year before D's
(or of the horizon, plus the year rows after it), the complete months of D's year before D's month
and the days of D's month up to D; a range of years is the difference of two cumulative rows. A
few rows per key, however many postings and years the books hold (issue 17).

A posting dated up to the horizon adds to the cumulative rows of its year and every year after
it up to the horizon; one dated after it to none. ``advance`` moves the horizon on (a scheduled
job does at the turn of the year), carrying the rows forward. Posting transactions read the
horizon under a shared lock and ``advance`` takes it exclusively, so that no posting is missed by
the rows carried forward.

The rows are written in the same transaction as the postings (``add_postings``) and can be
recomputed from the postings at any time (``rebuild``, ``differences``).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import Date, bindparam, case, delete, false, func, literal, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..core.db import constant
from .chart import Account, AccountType
from .models import AccountTotal, FundAccountTotal, FundBalanceTotal, Grain, Posting, TotalsHorizon

if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from sqlalchemy import ColumnElement, Table

    TotalModel = AccountTotal | FundAccountTotal | FundBalanceTotal

@dataclass(frozen=True, slots=True)
class PostingRow:
    """What ``add_postings`` reads of a posting (postings inserted without the ORM)."""

    account_id: int
    fund_id: int
    amount: int
    currency: str
    booking_date: date


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


def add_postings(session: Session, postings: Iterable[Posting | PostingRow],
                 resources: set[int] | None = None) -> None:
    """Add new postings to the totals (call in the transaction that inserts them).
    ``resources``: which of their accounts are assets or liabilities, when the caller knows
    (it holds the accounts); else they are read."""
    if resources is None:
        account_ids = {p.account_id for p in postings}
        resources = set(session.scalars(select(Account.id).where(
            Account.id.in_(account_ids), Account.type.in_(RESOURCE_TYPES))))
    horizon = _locked_horizon(session)
    by_account: dict[tuple, int] = defaultdict(int)
    by_fund: dict[tuple, int] = defaultdict(int)
    by_fund_balance: dict[tuple, int] = defaultdict(int)
    for p in postings:
        for grain, start in _periods_of(p.booking_date, horizon):
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


def _periods_of(day: date, horizon: int | None) -> list[tuple[Grain, date]]:
    """The totals rows a posting dated ``day`` adds to: its year, month and day, and the
    cumulative rows from its year up to the ``horizon`` year (None: no cumulative rows)."""
    found = [(grain, start_of(day)) for grain, start_of in _PERIOD_STARTS.items()]
    if horizon is not None:
        found += [(Grain.CUMULATIVE, date(year, 1, 1)) for year in range(day.year, horizon + 1)]
    return found


def _locked_horizon(session: Session) -> int | None:
    """The horizon's year, read under a shared lock held to the end of the transaction:
    ``advance`` cannot carry the rows forward until this transaction's postings are in them."""
    day = session.scalar(select(TotalsHorizon.last_year).with_for_update(read=True))
    return None if day is None else day.year


#: A span of totals rows: their grain, the first and last period start, and the sign they count
#: with (-1: rows taken away from a coarser row that holds them).
Span = tuple[Grain, date, date, int]
#: What reading one period's rows costs, roughly, against a day's (a month holds about a
#: fortnight of days' rows in a busy ledger, a year a little more than a month: most keys move
#: every month).
_COST = {Grain.DAY: 1, Grain.MONTH: 6, Grain.YEAR: 8, Grain.CUMULATIVE: 8}


def _month_end(day: date) -> date:
    return (date(day.year, 12, 31) if day.month == 12
            else date(day.year, day.month + 1, 1) - timedelta(days=1))


def _cost(spans: list[Span]) -> int:
    total = 0
    for grain, low, high, _ in spans:
        periods = (1 if grain is Grain.CUMULATIVE else (high - low).days + 1 if grain is Grain.DAY else
                   (high.year - low.year) * 12 + high.month - low.month + 1
                   if grain is Grain.MONTH else high.year - low.year + 1)
        total += _COST[grain] * periods
    return total


def _negated(spans: list[Span]) -> list[Span]:
    return [(grain, low, high, -sign) for grain, low, high, sign in spans]


def _days(start: date, end: date) -> list[Span]:
    return [(Grain.DAY, start, end, 1)] if start <= end else []


def _whole_or_parts(grain: Grain, first: date, last: date, start: date, end: date,
                    parts) -> list[Span]:
    """``start``..``end`` inside the period ``first``..``last`` (one row of ``grain``):
    ``parts(start, end)``, or the period's row less the parts outside the range, whichever
    reads fewer rows."""
    if start > end:
        return []
    whole = [(grain, first, first, 1)]
    if (start, end) == (first, last):
        return whole
    outside = parts(first, start - timedelta(days=1)) if start > first else []
    if end < last:
        outside += parts(end + timedelta(days=1), last)
    return min(parts(start, end), whole + _negated(outside), key=_cost)


def _in_month(start: date, end: date) -> list[Span]:
    """Inside one month: day rows, or the month row less the days outside."""
    return _whole_or_parts(Grain.MONTH, date(start.year, start.month, 1), _month_end(start),
                           start, end, _days)


def _months_of(start: date, end: date) -> list[Span]:
    """``start``..``end`` inside one year, month by month (whole months as one span)."""
    if start > end:
        return []
    if start.year == end.year and start.month == end.month:
        return _in_month(start, end)
    spans = _in_month(start, _month_end(start))
    first_whole = _month_end(start) + timedelta(days=1)
    last_whole = date(end.year, end.month, 1) - timedelta(days=1)  # the month before end's
    if end == _month_end(end):
        last_whole = end
    if first_whole <= last_whole:
        spans.append((Grain.MONTH, first_whole, date(last_whole.year, last_whole.month, 1), 1))
    if end != _month_end(end):
        spans += _in_month(date(end.year, end.month, 1), end)
    return spans


def _in_year(start: date, end: date) -> list[Span]:
    """Inside one calendar year: month and day rows, or the year row less what lies outside."""
    return _whole_or_parts(Grain.YEAR, date(start.year, 1, 1), date(start.year, 12, 31), start,
                           end, _months_of)


def spans(start: date, end: date) -> list[Span]:
    """The totals rows that add up to exactly the postings dated ``start`` to ``end``: the
    cheaper of the calendar's rows (``_calendar``) and the difference of everything up to
    ``end`` and everything before ``start`` (``_up_to``: a cumulative row and the rows of the
    year it ends in). A balance, from ``date.min``, is always the latter; ten years are two
    cumulative rows, not ten year rows. At most a few dozen rows per key, however long the
    range."""
    if start > end:
        return []
    through_end = _up_to(end)
    if start == date.min:
        return _merged(through_end)
    return min(_calendar(start, end), _merged(through_end + _negated(
        _up_to(start - timedelta(days=1)))), key=_cost)


def _up_to(day: date) -> list[Span]:
    """Everything posted up to ``day``: the cumulative row of the year before (of ``day``'s own
    year on its last day), then ``day``'s year up to ``day``."""
    year = date(day.year, 1, 1)
    if day == date(day.year, 12, 31):
        return [(Grain.CUMULATIVE, year, year, 1)]
    before = [] if day.year == 1 else [(Grain.CUMULATIVE, date(day.year - 1, 1, 1),
                                        date(day.year - 1, 1, 1), 1)]
    return before + _in_year(year, day)


def _calendar(start: date, end: date) -> list[Span]:
    """``start``..``end`` in the calendar's rows: whole years as year rows, and inside a year the
    cheaper of its months and days or the year row less the months and days outside the range
    (the year to the end of November is the year row less December's)."""
    if start.year == end.year:
        return _merged(_in_year(start, end))
    first_whole = start.year if start == date(start.year, 1, 1) else start.year + 1
    last_whole = end.year if end == date(end.year, 12, 31) else end.year - 1
    result = [] if first_whole == start.year else _in_year(start, date(start.year, 12, 31))
    if first_whole <= last_whole:
        result.append((Grain.YEAR, date(first_whole, 1, 1), date(last_whole, 1, 1), 1))
    return _merged(result + ([] if last_whole == end.year else _in_year(date(end.year, 1, 1), end)))


def _next(grain: Grain, start: date) -> date:
    if grain is Grain.DAY:
        return start + timedelta(days=1)
    if grain is Grain.YEAR:
        return date(start.year + 1, 1, 1)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def _merged(found: list[Span]) -> list[Span]:
    """Neighbouring spans of one grain and sign as one (one index range scan each)."""
    result: list[Span] = []
    for span in found:
        if result:
            grain, low, high, sign = result[-1]
            if span[0] is grain is not Grain.CUMULATIVE and span[3] == sign \
                    and high < date.max.replace(day=1, month=1) \
                    and _next(grain, high) == span[1]:
                result[-1] = (grain, low, span[2], sign)
                continue
        result.append(span)
    return result


#: A list of spans as SQL sees it: each span's grain and sign. Its dates are parameters
#: (``span_dates``), so that a statement built for one shape (``shaped``) serves every date of
#: that shape: building a balance query cost several times what running it did (issue 17).
Shape = tuple[tuple[Grain, int], ...]


def shape_of(found: list[Span]) -> Shape:
    return tuple((grain, sign) for grain, _, _, sign in found)


def span_dates(found: list[Span], prefix: str = "") -> dict[str, date]:
    """The parameters of a ``shaped`` statement for the spans ``found``."""
    dates = {}
    for index, (_, low, high, _) in enumerate(found):
        dates[f"{prefix}low_{index}"], dates[f"{prefix}high_{index}"] = low, high
    return dates


def shaped(model: type[TotalModel], shape: Shape, keys: list[ColumnElement[Any]],
           *conditions: ColumnElement[bool], prefix: str = ""):
    """``covering`` or ``within`` for any spans of ``shape``, their dates left as parameters
    (``span_dates``, with the same ``prefix``): build it once (e.g. ``functools.cache``), run
    it for every date."""
    return _select(model, shape, keys, conditions, prefix=prefix)


def _select(model: type[TotalModel], shape: Shape, keys: list[ColumnElement[Any]],
            conditions: tuple[ColumnElement[bool], ...], dates: dict[str, date] | None = None,
            prefix: str = ""):
    # The dates and grains are written into the statement's text (``core.db.planned_once`` says why).
    def bound(name: str):
        return bindparam(name, dates[name], unique=True, type_=Date, literal_execute=True) \
            if dates else bindparam(prefix + name, type_=Date, literal_execute=True)

    def of_grain(grain: Grain):
        return model.grain == constant(grain.value)

    parts = []
    for index, (grain, sign) in enumerate(shape):
        amount = (model.amount if sign > 0 else -model.amount).label("amount")
        low, high = bound(f"low_{index}"), bound(f"high_{index}")
        if grain is Grain.CUMULATIVE:
            # Up to the end of the year ``low``: its cumulative row, or the horizon's and the
            # year rows after it.
            horizon = _horizon()
            parts.append(select(*keys, amount).where(
                of_grain(grain),
                model.period_start == case((low < horizon, low), else_=horizon), *conditions))
            parts.append(select(*keys, amount).where(
                of_grain(Grain.YEAR), model.period_start > horizon,
                model.period_start <= high, *conditions))
        else:
            parts.append(select(*keys, amount).where(
                of_grain(grain), model.period_start >= low,
                model.period_start <= high, *conditions))
    if not parts:  # an empty range: no rows
        parts = [select(*keys, model.amount.label("amount")).where(
            of_grain(Grain.YEAR), model.period_start == constant(date.min, Date), *conditions)]
    return union_all(*parts).subquery()


def _horizon():
    """The first day of the horizon's year, in SQL (no horizon: no cumulative rows)."""
    return func.coalesce(select(TotalsHorizon.last_year).scalar_subquery(),
                         constant(date.min, Date))


def covering(model: type[TotalModel], day: date, keys: list[ColumnElement[Any]],
             *conditions: ColumnElement[bool]):
    """A subquery of ``keys`` and a signed ``amount``: the totals rows that together cover every
    posting dated up to ``day`` (sum ``amount`` per key). A UNION ALL of index range scans."""
    found = spans(date.min, day)
    return _select(model, shape_of(found), keys, conditions, span_dates(found))


def within(model: type[TotalModel], start: date, end: date, keys: list[ColumnElement[Any]],
           *conditions: ColumnElement[bool]):
    """A subquery of ``keys`` and a signed ``amount``: the totals rows that together cover
    exactly the postings dated ``start`` to ``end`` (``spans``)."""
    found = spans(start, end)
    return _select(model, shape_of(found), keys, conditions, span_dates(found))


# --- recomputation -------------------------------------------------------------------------

def _truncated(session: Session, grain: Grain, column: ColumnElement[date]):
    if grain is Grain.DAY:
        return column
    if session.get_bind().dialect.name == "postgresql":
        unit = "year" if grain is Grain.YEAR else "month"
        return func.cast(func.date_trunc(unit, column), Posting.booking_date.type)
    modifier = "start of year" if grain is Grain.YEAR else "start of month"
    return func.date(column, modifier)


#: The calendar's grains (the cumulative rows are carried from the year rows: ``_carry``).
CALENDAR = (Grain.YEAR, Grain.MONTH, Grain.DAY)


def computed_rows(session: Session, model: type[TotalModel]):
    """A select of what ``model``'s calendar rows should be (in its column order), from the
    postings."""
    parts = []
    for grain in CALENDAR:
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


def _key_columns(model: type[TotalModel]) -> list:
    """``model``'s key columns besides the grain and the period."""
    return [column for column in model.__table__.primary_key.columns
            if column.name not in ("grain", "period_start")]


def _carry(session: Session, model: type[TotalModel], year: int) -> None:
    """Write ``model``'s cumulative rows of ``year``: those of the year before plus the year's
    own rows, per key."""
    table = model.__table__
    keys = _key_columns(model)
    earlier = (table.c.period_start == date(year - 1, 1, 1)) if year > 1 else false()
    rows = union_all(
        select(*keys, table.c.amount).where(table.c.grain == Grain.CUMULATIVE.value, earlier),
        select(*keys, table.c.amount).where(table.c.grain == Grain.YEAR.value,
                                            table.c.period_start == date(year, 1, 1)),
    ).subquery()
    by_key = [rows.c[column.name] for column in keys]
    session.execute(table.insert().from_select(
        [*(column.name for column in keys), "grain", "period_start", "amount"],
        select(*by_key, literal(Grain.CUMULATIVE.value), literal(date(year, 1, 1), Date),
               func.sum(rows.c.amount)).group_by(*by_key)))


def _first_year(session: Session) -> int | None:
    day = session.scalar(select(func.min(AccountTotal.period_start)).where(
        AccountTotal.grain == Grain.YEAR.value))
    return None if day is None else (date.fromisoformat(day) if isinstance(day, str) else day).year


def horizon(session: Session) -> int | None:
    """The last year that has cumulative rows (None: none has)."""
    day = session.scalar(select(TotalsHorizon.last_year))
    return None if day is None else day.year


def advance(session: Session, year: int) -> int:
    """Carry the cumulative rows forward up to ``year`` (the scheduled job: last year), under an
    exclusive lock on the horizon: the transactions posting meanwhile hold it shared, so their
    postings are in the rows carried. Never moves the horizon back. Returns the horizon."""
    row = session.scalar(select(TotalsHorizon).with_for_update())
    current = None if row is None else row.last_year.year
    if current is not None and current >= year:
        return current
    first = current + 1 if current is not None else _first_year(session)
    for carried in range(first if first is not None else year + 1, year + 1):
        for model in MODELS:
            _carry(session, model, carried)
    if row is None:
        session.add(TotalsHorizon(id=1, last_year=date(year, 1, 1)))
    else:
        row.last_year = date(year, 1, 1)
    session.flush()
    return year


def rebuild(session: Session) -> None:
    """Throw the totals away and compute them again from the postings (the cumulative rows up to
    the horizon as it stands)."""
    for model in MODELS:
        session.execute(delete(model))
        columns = [c.name for c in model.__table__.columns]
        session.execute(model.__table__.insert().from_select(columns, computed_rows(session, model)))
    last, first = horizon(session), _first_year(session)
    if last is not None and first is not None:
        for year in range(first, last + 1):
            for model in MODELS:
                _carry(session, model, year)


def _cumulative(expected: dict[tuple, int], key_names: list[str], last: int) -> dict[tuple, int]:
    """The cumulative rows up to the year ``last`` that the year rows of ``expected`` make."""
    grain, period = key_names.index("grain"), key_names.index("period_start")
    years: dict[tuple, dict[int, int]] = defaultdict(dict)
    for key, amount in expected.items():
        if key[grain] == Grain.YEAR.value:
            other = tuple(v for i, v in enumerate(key) if i not in (grain, period))
            years[other][key[period].year] = amount
    found = {}
    for other, amounts in years.items():
        running = 0
        for year in range(min(amounts), last + 1):
            running += amounts.get(year, 0)
            if running:
                rest = iter(other)
                found[tuple(Grain.CUMULATIVE.value if i == grain else date(year, 1, 1)
                            if i == period else next(rest) for i in range(len(key_names)))] \
                    = running
    return found


def differences(session: Session, limit: int = 20) -> list[str]:
    """Descriptions of stored totals that disagree with the postings (empty when all agree)."""
    problems: list[str] = []
    last = horizon(session)
    for model in MODELS:
        key_names = [c.name for c in model.__table__.primary_key.columns]
        expected = {tuple(row[:-1]): row[-1] for row in session.execute(
            select(computed_rows(session, model).subquery()))}
        expected = {_normal_key(k, key_names): v for k, v in expected.items() if v}
        if last is not None:
            expected.update(_cumulative(expected, key_names, last))
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
