"""Balances, trial balance and fund statements, computed from the cached totals.

Sign convention everywhere: debit > 0, credit < 0. A fund's balance is the signed sum of its asset
and liability postings (what it holds minus what it owes), which equals its net assets because
every fund balances on its own.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from sqlalchemy import (
    BigInteger,
    Integer,
    Select,
    String,
    bindparam,
    case,
    cast,
    func,
    literal,
    select,
    true,
    tuple_,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session

from ..core.db import in_batches, planned_once
from . import totals
from .chart import Account, AccountType, Fund, ids_of_types
from .models import AccountTotal, FundAccountTotal, FundBalanceTotal
from .periods import FiscalYear

RETAINED_SURPLUS_ROLE = "retained_surplus"
#: Income and expenses: an earlier year's result of theirs is carried on the retained surplus.
RESULT_TYPES = tuple(kind for kind in AccountType if not kind.is_balance_sheet)
_RESULT_IDS = select(Account.id).where(Account.type.in_(RESULT_TYPES))
_RETAINED = select(Account.id).where(Account.role == RETAINED_SURPLUS_ROLE)


def _day_before(day: date) -> date | None:
    return None if day == date.min else day - timedelta(days=1)


def _account_conditions(model, account_ids) -> list:
    """The rows of ``account_ids`` (a sub-select or a collection of ids; None: every account)."""
    if account_ids is None:
        return []
    return [model.account_id.in_(
        account_ids if isinstance(account_ids, Select) else list(account_ids))]


#: ``account_ids`` given as a collection of ids: one expanding parameter of the statement.
_LISTED = "listed"


@lru_cache(maxsize=128)
def _per_account(model, shape: totals.Shape, by_fund: bool, account_ids) -> Select:
    """The statement of ``_by_account`` for spans of ``shape``, built once (a sub-select of
    account ids is part of it; the dates, ``fund_id`` and listed ids are parameters)."""
    conditions = [model.fund_id == bindparam("fund_id")] if by_fund else []
    if account_ids is _LISTED:
        conditions.append(model.account_id.in_(bindparam("account_ids", expanding=True)))
    elif account_ids is not None:
        conditions.append(model.account_id.in_(account_ids))
    rows = totals.shaped(model, shape, [model.account_id, model.currency], *conditions)
    return planned_once(select(rows.c.account_id, rows.c.currency, func.sum(rows.c.amount))
                        .group_by(rows.c.account_id, rows.c.currency))


def _by_account(session: Session, found: list[totals.Span], fund_id: int | None,
                account_ids) -> dict[tuple[int, str], int]:
    """{(account id, currency): sum} of the totals rows of the spans ``found``."""
    model = FundAccountTotal if fund_id is not None else AccountTotal
    listed = account_ids is not None and not isinstance(account_ids, Select)
    parameters = totals.span_dates(found)
    if fund_id is not None:
        parameters["fund_id"] = fund_id
    if listed:
        parameters["account_ids"] = list(account_ids)
    # On the connection, read at once: no ORM result processing (a chart's thousands of rows).
    rows = session.connection().execute(_per_account(
        model, totals.shape_of(found), fund_id is not None, _LISTED if listed else account_ids),
        parameters).all()
    return {(account_id, currency): int(amount) for account_id, currency, amount in rows if amount}


def account_balances(session: Session, as_of: date | None, *, fund_id: int | None = None,
                     account_ids=None) -> dict[tuple[int, str], int]:
    """{(account id, currency): balance} of everything posted up to and including ``as_of``."""
    if as_of is None:
        return {}
    return _by_account(session, totals.spans(date.min, as_of), fund_id, account_ids)


def account_movements(session: Session, start: date, end: date, *, fund_id: int | None = None,
                      account_ids=None) -> dict[tuple[int, str], int]:
    """{(account id, currency): net movement} of postings dated from ``start`` to ``end``."""
    if end < start:
        return {}
    return _by_account(session, totals.spans(start, end), fund_id, account_ids)


def chart_movements_of(session: Session, ranges: Sequence[tuple[date, date]],
                       types: tuple[str, ...]) -> list[tuple]:
    """The movements of each of ``ranges`` (start, end) of the accounts of ``types``
    (``AccountType`` values) with their chart, in one statement: a row (account id, code, name,
    type, currency, then the movement of each range, an int) per account and currency with
    totals rows in some range (their movements may net to nothing), in code order.

    The ranges are cut where one starts or ends and the totals of each piece are read once, a
    range's movements the sum of its pieces (a statement of ten years beside the ten years before
    reads their nine years in common once; two days' balances, from ``date.min``, read the
    earlier day's once). A statement of a chart of thousands reads the accounts it shows with
    their figures, not every account's figures and then the chart of those that moved (issue
    17)."""
    read = _pieces_of(ranges)
    if read is None:
        return []
    shapes, parts, parameters = read
    return session.connection().execute(_per_piece(shapes, parts, types), parameters).all()


def _pieces_of(ranges: Sequence[tuple[date, date]]):
    """The pieces ``ranges`` are cut into: their shapes of spans, the pieces of each range, and
    the statement's parameters (piece ``i``'s dates prefixed ``p<i>_``); None when no range
    holds a day."""
    wanted = [(start, end) for start, end in ranges if start <= end]
    if not wanted:
        return None
    if any(end == date.max for _, end in wanted):  # no day after it to cut at: a piece a range
        pieces = wanted
        parts = tuple((wanted.index((start, end)),) if start <= end else ()
                      for start, end in ranges)
    else:
        cuts = sorted({day for start, end in wanted for day in (start, end + timedelta(days=1))})
        pieces = [(low, high - timedelta(days=1)) for low, high in zip(cuts, cuts[1:])
                  if any(start <= low and high <= end + timedelta(days=1) for start, end in wanted)]
        # For each range, the pieces it is made of; summed per range in the database.
        parts = tuple(tuple(piece for piece, (low, high) in enumerate(pieces)
                            if start <= low and high <= end) for start, end in ranges)
    parameters: dict = {}
    spans = [totals.spans(low, high) for low, high in pieces]
    for index, piece_spans in enumerate(spans):
        parameters.update(totals.span_dates(piece_spans, prefix=f"p{index}_"))
    return tuple(totals.shape_of(piece_spans) for piece_spans in spans), parts, parameters


@lru_cache(maxsize=128)
def _per_piece(shapes: tuple[totals.Shape, ...], parts: tuple[tuple[int, ...], ...],
               types: tuple[str, ...]) -> Select:
    """The statement of ``chart_movements_of`` for pieces of ``shapes`` (piece ``i``'s dates
    are the parameters prefixed ``p<i>_``), a column per range summing its ``parts``, built
    once.

    Which order is cheaper depends on the share of the rows read that are of ``types`` (issue
    17). A balance sheet's assets and liabilities are a few accounts among the income and
    expenses: the chart is joined to the totals rows first and only their rows are summed
    (summing every account's rows and joining the chart to the sums took a third longer). The
    income and expenses of a statement of activities hold most of the rows: they are summed
    per account first and the chart joined to the sums (0.5 ms less of 4 on PostgreSQL)."""
    model = AccountTotal
    selects = [totals.shaped(model, shape, [literal(index).label("piece"), model.account_id,
                                            model.currency], prefix=f"p{index}_")
               for index, shape in enumerate(shapes)]
    rows = union_all(*(select(part) for part in selects)).subquery()
    # As integers: PostgreSQL's sum of bigints is a numeric, read as a Decimal each.
    sums = [cast(func.sum(case((rows.c.piece.in_(part), rows.c.amount), else_=0)), BigInteger)
            if part else literal(0, BigInteger) for part in parts]
    chart = (Account.id, Account.code, Account.name, type_coerce(Account.type, String))
    of_types = Account.type.in_([AccountType(kind) for kind in types])
    if any(AccountType(kind) in RESULT_TYPES for kind in types):
        ranges = [f"range_{index}" for index in range(len(sums))]
        summed = (select(rows.c.account_id, rows.c.currency,
                         *(total.label(name) for name, total in zip(ranges, sums)))
                  .group_by(rows.c.account_id, rows.c.currency).subquery())
        statement = (select(*chart, summed.c.currency, *(summed.c[name] for name in ranges))
                     .join_from(summed, Account, Account.id == summed.c.account_id)
                     .where(of_types).order_by(Account.code, summed.c.currency))
    else:
        statement = (select(*chart, rows.c.currency, *sums)
                     .join_from(rows, Account, Account.id == rows.c.account_id)
                     .where(of_types).group_by(Account.id, rows.c.currency)
                     .order_by(Account.code, rows.c.currency))
    return planned_once(statement)


#: Bounded: several days' shapes combine into more statements than one day's (a few dozen).
@lru_cache(maxsize=128)
def _per_fund_on(shapes: tuple[totals.Shape | None, ...], one_fund: bool) -> Select:
    """The statement of ``fund_balances_on`` for days whose spans have ``shapes`` (None: no
    day), built once: the dates (day ``i``'s prefixed ``d<i>_``) and ``fund_id`` are parameters."""
    model = FundBalanceTotal
    conditions = [model.fund_id == bindparam("fund_id")] if one_fund else []
    parts = [totals.shaped(model, shape, [literal(index).label("day"), model.fund_id,
                                          model.currency], *conditions, prefix=f"d{index}_")
             for index, shape in enumerate(shapes) if shape is not None]
    rows = union_all(*(select(part) for part in parts)).subquery()
    return planned_once(
        select(rows.c.day, rows.c.fund_id, rows.c.currency, func.sum(rows.c.amount))
        .group_by(rows.c.day, rows.c.fund_id, rows.c.currency))


def fund_balances(session: Session, as_of: date | None, *, fund_id: int | None = None) -> dict[tuple[int, str], int]:
    """{(fund id, currency): balance} for every fund that has one (or just ``fund_id``)."""
    return fund_balances_on(session, [as_of], fund_id=fund_id)[0]


def fund_balances_on(session: Session, days: Sequence[date | None], *,
                     fund_id: int | None = None) -> list[dict[tuple[int, str], int]]:
    """``fund_balances`` on each of ``days`` (None: before the beginning, no balances), in one
    statement: a report's opening and closing balances cost one round trip, not four."""
    found: list[dict[tuple[int, str], int]] = [{} for _ in days]
    spans = [None if day is None else totals.spans(date.min, day) for day in days]
    if all(day is None for day in days):
        return found
    parameters = {} if fund_id is None else {"fund_id": fund_id}
    for index, day_spans in enumerate(spans):
        parameters.update(totals.span_dates(day_spans or [], prefix=f"d{index}_"))
    statement = _per_fund_on(tuple(None if day_spans is None else totals.shape_of(day_spans)
                                   for day_spans in spans), fund_id is not None)
    for index, fund, currency, amount in session.connection().execute(statement, parameters):
        if amount:
            found[index][(fund, currency)] = int(amount)
    return found


def account_by_fund(session: Session, account_id: int, as_of: date | None = date.max, *,
                    currency: str | None = None) -> dict[tuple[int, str], int]:
    """{(fund id, currency): balance} of one account in every fund where it has one, counting
    everything posted up to ``as_of`` (by default everything, future dates too)."""
    if as_of is None:
        return {}
    model = FundAccountTotal
    conditions = [model.account_id == account_id]
    if currency is not None:
        conditions.append(model.currency == currency)
    rows = totals.covering(model, as_of, [model.fund_id, model.currency], *conditions)
    result = session.execute(select(rows.c.fund_id, rows.c.currency, func.sum(rows.c.amount))
                             .group_by(rows.c.fund_id, rows.c.currency))
    return {(fund, cur): int(amount) for fund, cur, amount in result if amount}


def fund_account_balances(session: Session, as_of: date | None, *,
                          account_ids=None) -> dict[tuple[int, int, str], int]:
    """{(fund id, account id, currency): balance} of every fund and account at once, counting
    everything posted up to and including ``as_of`` (the columns of the reports)."""
    if as_of is None:
        return {}
    model = FundAccountTotal
    conditions = _account_conditions(model, account_ids)
    rows = totals.covering(model, as_of, [model.fund_id, model.account_id, model.currency], *conditions)
    result = session.execute(
        select(rows.c.fund_id, rows.c.account_id, rows.c.currency, func.sum(rows.c.amount))
        .group_by(rows.c.fund_id, rows.c.account_id, rows.c.currency))
    return {(fund, account, currency): int(amount)
            for fund, account, currency, amount in result if amount}


def fund_account_movements(session: Session, start: date, end: date, *, account_ids=None,
                           fund_ids=None) -> dict[tuple[int, int, str], int]:
    """{(fund id, account id, currency): net movement} of postings dated ``start`` to ``end``
    (of ``fund_ids`` only, if given), read from the totals rows that cover exactly that range
    (``totals.within``)."""
    if end < start:
        return {}
    model = FundAccountTotal
    conditions = _account_conditions(model, account_ids)
    if fund_ids is not None:
        conditions.append(model.fund_id.in_(list(fund_ids)))
    rows = totals.within(model, start, end, [model.fund_id, model.account_id, model.currency],
                         *conditions)
    result = session.execute(
        select(rows.c.fund_id, rows.c.account_id, rows.c.currency, func.sum(rows.c.amount))
        .group_by(rows.c.fund_id, rows.c.account_id, rows.c.currency))
    return {(fund, account, currency): int(amount)
            for fund, account, currency, amount in result if amount}


def fund_set_movements(session: Session, start: date, end: date, fund_sets, *,
                       account_ids=None, every_fund: Collection[int] | None = None,
                       types: tuple[str, ...] | None = None) -> dict[tuple[int, int, str], int]:
    """{(index of the fund set, account id, currency): net movement} of postings dated ``start``
    to ``end`` in each of ``fund_sets`` (disjoint collections of fund ids, e.g. a report's
    columns), summed in the database. When the sets hold every fund, the largest set is the
    per-account totals less the others: its funds' rows are never read. ``every_fund``: the ids
    of all funds, when the caller holds them (else they are read); ``types``: of the accounts
    of these types (``AccountType`` values) only, with no ``account_ids``."""
    sets = [tuple(ids) for ids in fund_sets]
    if end < start or not any(sets):
        return {}
    wanted = {fund for ids in sets for fund in ids}
    largest = max(range(len(sets)), key=lambda index: len(sets[index]))
    if every_fund is None:
        every_fund = session.scalars(select(Fund.id)).all()
    if wanted != set(every_fund):
        return _fund_set_sums(session, start, end, sets, account_ids, types)
    rest = [ids if index != largest else () for index, ids in enumerate(sets)]
    result = _fund_set_sums(session, start, end, rest, account_ids, types) if any(rest) else {}
    whole = account_movements(session, start, end, account_ids=account_ids if types is None
                              else ids_of_types(types))
    for (_index, account, currency), amount in result.items():
        whole[(account, currency)] = whole.get((account, currency), 0) - amount
    result.update(((largest, account, currency), amount)
                  for (account, currency), amount in whole.items() if amount)
    return result


def _fund_set_sums(session: Session, start: date, end: date, sets: list[tuple[int, ...]],
                   account_ids, types: tuple[str, ...] | None) -> dict[tuple[int, int, str], int]:
    found = totals.spans(start, end)
    per_fund = all(len(ids) <= 1 for ids in sets)  # a set per fund: group by fund, name it here
    if account_ids is None:
        statement = _per_fund_set(totals.shape_of(found), tuple(sets), per_fund, types)
    else:
        statement = _fund_set_statement(totals.shape_of(found), sets, per_fund, account_ids)
    rows = session.connection().execute(statement, totals.span_dates(found)).all()
    if per_fund:
        index_of = {ids[0]: index for index, ids in enumerate(sets) if ids}
        return {(index_of[key], account, currency): int(amount)
                for key, account, currency, amount in rows if amount}
    return {(key, account, currency): int(amount) for key, account, currency, amount in rows
            if amount}


@lru_cache(maxsize=64)
def _per_fund_set(shape: totals.Shape, sets: tuple[tuple[int, ...], ...], per_fund: bool,
                  types: tuple[str, ...] | None) -> Select:
    """``_fund_set_statement`` of every account (or of those of ``types``), built once for each
    shape of spans and sets (the dates are parameters)."""
    statement = _fund_set_statement(shape, sets, per_fund, None)
    return planned_once(statement if types is None else _of_types(statement, types))


def _of_types(statement: Select, types: tuple[str, ...]) -> Select:
    """``statement``'s rows (with an ``account_id``) of the accounts of ``types`` only: the chart
    joined to its grouped rows, an account looked up a row. A filter on the totals rows,
    ``account_id IN (SELECT id FROM accounts WHERE type ...)``, made SQLite list every account
    of the types in each part of the union (1-5 ms for no row, issue 17)."""
    rows = statement.subquery()
    return (select(*rows.c).join(Account, Account.id == rows.c.account_id)
            .where(Account.type.in_([AccountType(kind) for kind in types])))


def _fund_set_statement(shape: totals.Shape, sets, per_fund: bool, account_ids) -> Select:
    model = FundAccountTotal
    conditions = [model.fund_id.in_(sorted({fund for ids in sets for fund in ids}))]
    conditions += _account_conditions(model, account_ids)
    rows = totals.shaped(model, shape, [model.fund_id, model.account_id, model.currency],
                         *conditions)
    column = rows.c.fund_id if per_fund else case(
        *[(rows.c.fund_id.in_(ids), index) for index, ids in enumerate(sets) if ids])
    return select(column, rows.c.account_id, rows.c.currency, func.sum(rows.c.amount)).group_by(
        column, rows.c.account_id, rows.c.currency)


def accounts_moved_in_some_fund(session: Session, start: date, end: date, *, fund_ids=None,
                                account_ids=None, types: tuple[str, ...] | None = None,
                                ) -> set[tuple[int, str]]:
    """{(account id, currency)} of the accounts whose postings dated ``start`` to ``end`` net to
    something in at least one fund (of ``fund_ids``, every fund when None), even where they net
    to nothing over all funds (a transfer between funds): the lines a statement with a column
    per fund shows, known without reading each fund's figures. One query; one row per account.
    ``types``: of the accounts of these types (``AccountType`` values) only."""
    if end < start:
        return set()
    model = FundAccountTotal
    conditions = _account_conditions(model, account_ids)
    if fund_ids is not None:
        conditions.append(model.fund_id.in_(list(fund_ids)))
    rows = totals.within(model, start, end, [model.fund_id, model.account_id, model.currency],
                         *conditions)
    per_fund = (select(rows.c.account_id, rows.c.currency)
                .group_by(rows.c.fund_id, rows.c.account_id, rows.c.currency)
                .having(func.sum(rows.c.amount) != 0).subquery())
    moved = select(per_fund.c.account_id, per_fund.c.currency).distinct()
    if types is not None:
        moved = moved.join(Account, Account.id == per_fund.c.account_id).where(
            Account.type.in_([AccountType(kind) for kind in types]))
    return {(account, currency) for account, currency in session.execute(moved)}


def monthly_movements(session: Session, first_month: date, months: int, *,
                      account_ids=None) -> dict[tuple[date, int, str], int]:
    """{(first day of the month, account id, currency): net movement} for ``months`` whole
    months from ``first_month`` on (the cached month rows, one per account and month)."""
    first = date(first_month.year, first_month.month, 1)
    last_index = first.month - 1 + months
    after = date(first.year + last_index // 12, last_index % 12 + 1, 1)
    conditions = [AccountTotal.grain == totals.Grain.MONTH.value,
                  AccountTotal.period_start >= first, AccountTotal.period_start < after]
    if account_ids is not None:
        conditions.append(AccountTotal.account_id.in_(list(account_ids)))
    result = session.execute(select(AccountTotal.period_start, AccountTotal.account_id,
                                    AccountTotal.currency, AccountTotal.amount).where(*conditions))
    return {(month, account, currency): int(amount)
            for month, account, currency, amount in result if amount}


def by_fund(balances: dict[tuple[int, str], int]) -> dict[int, dict[str, int]]:
    """{(fund id, currency): amount} regrouped as {fund id: {currency: amount}}."""
    grouped: dict[int, dict[str, int]] = defaultdict(dict)
    for (fund_id, currency), amount in balances.items():
        grouped[fund_id][currency] = amount
    return grouped


def currency_totals(amounts_by_currency) -> dict[str, int]:
    """Add up several {currency: amount} dicts."""
    result: dict[str, int] = defaultdict(int)
    for amounts in amounts_by_currency:
        for currency, amount in amounts.items():
            result[currency] += amount
    return dict(result)


def fund_balance(session: Session, fund_id: int, as_of: date | None) -> dict[str, int]:
    """{currency: balance} of one fund."""
    return {currency: amount
            for (_, currency), amount in fund_balances(session, as_of, fund_id=fund_id).items()}


# --- trial balance -------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ChartEntry:
    """An account as a trial balance row shows it (plain values, not the ORM object)."""

    id: int
    code: str
    name: str
    type: AccountType


@dataclass(frozen=True)
class TrialBalanceRow:
    account: ChartEntry
    currency: str
    balance: int  # debit > 0

    @property
    def debit(self) -> int:
        return max(self.balance, 0)

    @property
    def credit(self) -> int:
        return max(-self.balance, 0)


@dataclass
class TrialBalance:
    as_of: date
    fiscal_year_start: date
    fund: Fund | None
    rows: list[TrialBalanceRow]
    #: {currency: (total debits, total credits)}; the two are equal in a sound ledger.
    totals: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: more rows follow the last one shown (``trial_balance``'s ``limit``)
    more: bool = False

    @property
    def balanced(self) -> bool:
        return all(debit == credit for debit, credit in self.totals.values())


def year_balances(session: Session, as_of: date, *, year_start: date, fund_id: int | None = None,
                  account_ids=None) -> dict[tuple[int, str], int]:
    """{(account id, currency): balance} as the trial balance shows it: balance-sheet accounts
    since the beginning, income and expenses since ``year_start``, earlier years' result on the
    retained-surplus account. ``account_ids`` (a collection of ids) limits the accounts returned."""
    balances = defaultdict(int, account_balances(session, as_of, fund_id=fund_id,
                                                 account_ids=account_ids))
    # Earlier years' income and expenses, chosen in the database (a sub-select, not a list of
    # thousands of ids: issue 17).
    result_ids = _RESULT_IDS
    retained = session.scalar(_RETAINED)
    wanted = None if account_ids is None else set(account_ids)
    if wanted is not None and retained not in wanted:  # the surplus needs every earlier result
        result_ids = result_ids.where(Account.id.in_(list(wanted)))
    earlier = account_balances(session, _day_before(year_start), fund_id=fund_id,
                               account_ids=result_ids)
    for (account_id, currency), amount in earlier.items():
        balances[(account_id, currency)] -= amount
        if retained is not None:
            balances[(retained, currency)] += amount
    return {(account_id, currency): value for (account_id, currency), value in balances.items()
            if value and (wanted is None or account_id in wanted)}


def _year_balance_parameters(as_of: date, year_start: date, fund_id: int | None,
                             ) -> tuple[tuple, dict]:
    """The shape of ``_year_balance_rows``'s statement and its parameters: the totals rows up to
    ``as_of`` (``now_``) and, unless the earlier years are whole calendar years (then
    ``last_year``, the start of the last of them, whose cumulative row both read), the earlier
    income and expenses' (``early_``)."""
    parameters: dict = {} if fund_id is None else {"fund_id": fund_id}
    before = _day_before(year_start)
    earlier = totals.spans(date.min, before) if before is not None else None
    if earlier and len(earlier) == 1 and earlier[0][0] is totals.Grain.CUMULATIVE:
        # Up to the day: the earlier years' cumulative row and this year's rows up to it.
        now = earlier + totals.spans(year_start, as_of)
        parameters.update(totals.span_dates(now, prefix="now_"))
        parameters["last_year"] = earlier[0][2]
        return (totals.shape_of(now), "calendar", fund_id is not None), parameters
    now = totals.spans(date.min, as_of)
    parameters.update(totals.span_dates(now, prefix="now_"))
    if earlier is not None:
        parameters.update(totals.span_dates(earlier, prefix="early_"))
    return (totals.shape_of(now), None if earlier is None else totals.shape_of(earlier),
            fund_id is not None), parameters


def _year_balance_rows(now_shape: totals.Shape, earlier: totals.Shape | str | None,
                       by_fund: bool):
    """A select of (account_id, currency, code, name, type, balance), one row per account and
    currency with a balance, as ``year_balances`` computes them, summed in the database: the
    totals rows up to a day (spans of ``now_shape``), less the income and expense accounts' rows
    before the year (``earlier``'s), which go to the retained-surplus account instead. The dates
    and the fund are parameters (``_year_balance_parameters``).

    Each account's total and earlier part are summed once and the chart joined once: the
    earlier part of income and expenses is taken from the account and, summed per currency,
    added to the retained surplus (a row of its own if it has none)."""
    model = FundAccountTotal if by_fund else AccountTotal
    conditions = [model.fund_id == bindparam("fund_id")] if by_fund else []
    if earlier == "calendar":
        # The earlier years are whole calendar years up to the one starting ``last_year``:
        # their cumulative row (and the year rows after the horizon up to ``last_year``) are
        # among the rows read up to the day, counted in an "early" column too.
        early = case(((model.grain == totals.Grain.CUMULATIVE.value)
                      | ((model.grain == totals.Grain.YEAR.value)
                         & (model.period_start <= bindparam("last_year"))), model.amount),
                     else_=0)
        rows = totals.shaped(model, now_shape, [model.account_id, model.currency,
                                                early.label("early")], *conditions, prefix="now_")
    else:
        now = totals.shaped(model, now_shape, [model.account_id, model.currency], *conditions,
                            prefix="now_")
        parts = [select(now.c.account_id, now.c.currency, literal(0, BigInteger).label("early"),
                        now.c.amount)]
        if earlier is not None:
            before = totals.shaped(model, earlier, [model.account_id, model.currency],
                                   *conditions, prefix="early_")
            parts.append(select(before.c.account_id, before.c.currency, before.c.amount,
                                literal(0, BigInteger)))
        rows = union_all(*parts).subquery()
    per_account = (select(rows.c.account_id, rows.c.currency,
                          func.sum(rows.c.amount).label("total"),
                          func.sum(rows.c.early).label("early"))
                   .group_by(rows.c.account_id, rows.c.currency).subquery())
    carried = case((Account.type.in_(RESULT_TYPES), per_account.c.early), else_=0)
    joined = (select(per_account.c.account_id, per_account.c.currency, Account.code,
                     Account.name, type_coerce(Account.type, String).label("type"), Account.role,
                     (per_account.c.total - carried).label("own"), carried.label("carried"))
              .join(Account, Account.id == per_account.c.account_id).cte("joined"))
    is_retained = joined.c.role == RETAINED_SURPLUS_ROLE
    to_carry = (select(joined.c.currency, func.sum(joined.c.carried).label("amount"),
                       func.max(case((is_retained, 1), else_=0)).label("has_row"))
                .group_by(joined.c.currency).cte("to_carry"))
    balances = union_all(
        select(joined.c.account_id, joined.c.currency, joined.c.code, joined.c.name,
               joined.c.type, (joined.c.own + case((is_retained, to_carry.c.amount), else_=0))
               .label("balance"))
        .join(to_carry, to_carry.c.currency == joined.c.currency),
        select(Account.id, to_carry.c.currency, Account.code, Account.name,
               type_coerce(Account.type, String), to_carry.c.amount)
        .join(to_carry, true())  # in each currency where the retained surplus has no row
        .where(Account.role == RETAINED_SURPLUS_ROLE, to_carry.c.has_row == 0)).subquery()
    return select(balances).where(balances.c.balance != 0)


@lru_cache(maxsize=64)
def _trial_balance_statement(shape: tuple, after: bool, limit: int | None):
    """The statement of ``trial_balance`` for a shape of ``_year_balance_parameters``, built
    once: the balances read once, the page's rows (kind 0: after the parameters
    ``after_currency``, ``after_code`` when ``after``) and a row of totals per currency (kind 1:
    debits, credits)."""
    balances = _year_balance_rows(*shape).cte("balances")
    page = (select(balances.c.currency, balances.c.code, balances.c.account_id, balances.c.name,
                   balances.c.type, balances.c.balance.label("first"),
                   literal(0, BigInteger).label("second"))
            .order_by(balances.c.currency, balances.c.code))
    if after:
        page = page.where(tuple_(balances.c.currency, balances.c.code)
                          > tuple_(bindparam("after_currency", type_=String),
                                   bindparam("after_code", type_=String)))
    if limit is not None:
        page = page.limit(limit + 1)
    page = page.subquery()
    debits = func.sum(case((balances.c.balance > 0, balances.c.balance), else_=0))
    credits = func.sum(case((balances.c.balance < 0, -balances.c.balance), else_=0))
    none = literal(None, String)
    return planned_once(union_all(
        select(literal(0).label("kind"), *page.c),
        select(literal(1), balances.c.currency, none, literal(None, Integer), none, none,
               debits, credits).group_by(balances.c.currency)),
        keep={"after_currency", "after_code"})


def trial_balance(session: Session, as_of: date, *, fiscal_year: FiscalYear,
                  fund: Fund | None = None, after: tuple[str, str] | None = None,
                  limit: int | None = None) -> TrialBalance:
    """Balance-sheet accounts since the beginning; income and expense accounts for the fiscal
    year to date, with the result of earlier years carried on the retained-surplus account.

    The totals count every account; ``rows`` are the first ``limit`` after ``after`` (currency,
    account code), so a chart of thousands of accounts is shown a page at a time (issue 17).
    Both are summed in the database (one statement over the cached totals, built once for each
    shape of dates): what Python sees is the page's rows and a pair of totals per currency,
    however large the chart."""
    year_start = fiscal_year.start(as_of)
    shape, parameters = _year_balance_parameters(as_of, year_start, fund.id if fund else None)
    if after is not None:
        parameters["after_currency"], parameters["after_code"] = after
    statement = _trial_balance_statement(shape, after is not None, limit)
    rows, report_totals = [], {}
    for kind, currency, code, id_, name, type_, first, second in session.connection().execute(
            statement, parameters).all():
        if kind:
            report_totals[currency] = (int(first), int(second))
        else:
            rows.append(TrialBalanceRow(ChartEntry(id_, code, name, AccountType(type_)),
                                        currency, int(first)))
    rows.sort(key=lambda row: (row.currency, row.account.code))
    more = limit is not None and len(rows) > limit
    return TrialBalance(as_of, year_start, fund, rows[:limit], dict(sorted(report_totals.items())),
                        more=more)


# --- fund statement ------------------------------------------------------------------------

@dataclass
class FundStatement:
    """What happened to one fund's money in one currency between two dates (inclusive).

    Amounts are positive when they add to the fund: income and transfers in are positive,
    expenses are positive numbers that are subtracted.
    """

    fund: Fund
    currency: str
    start: date
    end: date
    opening: int
    income: list[tuple[Account, int]]
    expenses: list[tuple[Account, int]]
    transfers: list[tuple[Account, int]]  # net-asset movements (fund transfers, opening balances)
    closing: int

    @property
    def total_income(self) -> int:
        return sum(amount for _, amount in self.income)

    @property
    def total_expenses(self) -> int:
        return sum(amount for _, amount in self.expenses)

    @property
    def total_transfers(self) -> int:
        return sum(amount for _, amount in self.transfers)

    @property
    def reconciles(self) -> bool:
        return (self.opening + self.total_income - self.total_expenses + self.total_transfers
                == self.closing)


def fund_statements(session: Session, fund: Fund, start: date, end: date) -> list[FundStatement]:
    """One statement per currency the fund has seen up to ``end``."""
    opening = fund_balance(session, fund.id, _day_before(start))
    closing = fund_balance(session, fund.id, end)
    moved = account_movements(session, start, end, fund_id=fund.id)
    # The accounts that moved only, not the chart (issue 17: thousands of accounts).
    ids = sorted({account_id for account_id, _ in moved})
    accounts = {a.id: a for batch in in_batches(ids) for a in session.scalars(
        select(Account).where(Account.id.in_(batch)))}
    currencies = sorted(set(opening) | set(closing) | {c for _, c in moved})
    statements = []
    for currency in currencies:
        sections: dict[str, list[tuple[Account, int]]] = defaultdict(list)
        for (account_id, cur), amount in moved.items():
            account = accounts[account_id]
            if cur != currency or account.type.is_fund_resource:
                continue
            if account.type is AccountType.EXPENSE:
                sections["expenses"].append((account, amount))
            elif account.type is AccountType.INCOME:
                sections["income"].append((account, -amount))
            else:
                sections["transfers"].append((account, -amount))
        for lines in sections.values():
            lines.sort(key=lambda item: item[0].code)
        statements.append(FundStatement(
            fund, currency, start, end, opening.get(currency, 0), sections["income"],
            sections["expenses"], sections["transfers"], closing.get(currency, 0)))
    return statements
