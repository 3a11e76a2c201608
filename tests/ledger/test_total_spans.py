"""The cached totals read back exactly: the spans of totals rows that stand for a range of days
count every day of the range once and no other day (a pure property), and after random
bookings and reversals every balance and movement read from the totals equals the sum of the
postings themselves (Hypothesis, on the database)."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from backoffice.core.db import transaction
from backoffice.ledger import services, totals
from backoffice.ledger.balances import (
    account_balances,
    account_by_fund,
    account_movements,
    accounts_moved_in_some_fund,
    fund_account_balances,
    fund_account_movements,
    fund_balances,
    fund_balances_on,
    fund_set_movements,
)
from backoffice.ledger.chart import Account, AccountType, Fund
from backoffice.ledger.models import AccountTotal, FundAccountTotal, Grain, Posting
from backoffice.ledger.services import Line

from .conftest import eur

WINDOW = (date(2023, 1, 1), date(2028, 12, 31))
DAY = st.dates(min_value=date(2023, 1, 1), max_value=date(2028, 12, 31))


def _last_day(grain: Grain, start: date) -> date:
    if grain is Grain.DAY:
        return start
    if grain is Grain.MONTH:
        following = date(start.year + start.month // 12, start.month % 12 + 1, 1)
        return following - timedelta(days=1)
    return date(start.year, 12, 31)


def _counts(found) -> dict[date, int]:
    """How often each day of the window is counted by the spans (with their signs)."""
    counted: dict[date, int] = defaultdict(int)
    for grain, low, high, sign in found:
        if grain is Grain.CUMULATIVE:  # every day up to the end of its year, from a year before
            day = date(WINDOW[0].year - 1, 1, 1)
            while day <= date(low.year, 12, 31):
                counted[day] += sign
                day += timedelta(days=1)
            continue
        period = max(low, date(WINDOW[0].year, 1, 1)) if grain is Grain.YEAR else low
        if grain is Grain.YEAR:
            period = date(period.year, 1, 1)
        while period <= high and period <= WINDOW[1]:
            day, last = period, _last_day(grain, period)
            while day <= last:
                counted[day] += sign
                day += timedelta(days=1)
            period = last + timedelta(days=1)
    return counted


@settings(max_examples=300, deadline=None)
@given(start=DAY, end=DAY)
@example(start=date(2025, 1, 2), end=date(2026, 12, 31))  # the day after a year's first
@example(start=date(2024, 12, 31), end=date(2026, 1, 1))
def test_spans_count_every_day_of_the_range_once_and_no_other(start, end):
    counted = _counts(totals.spans(start, end))
    for day, count in counted.items():
        assert count == (1 if start <= day <= end else 0), (start, end, day)
    assert sum(counted.values()) == max(0, (end - start).days + 1)


@settings(max_examples=100, deadline=None)
@given(end=DAY)
def test_spans_from_the_beginning_cover_every_day_up_to_the_end(end):
    counted = _counts(totals.spans(date.min, end))
    for day, count in counted.items():
        assert count == (1 if day <= end else 0), (end, day)


def test_a_year_to_the_end_of_november_is_the_year_less_december():
    assert totals.spans(date(2026, 1, 1), date(2026, 11, 30)) == [
        (Grain.YEAR, date(2026, 1, 1), date(2026, 1, 1), 1),
        (Grain.MONTH, date(2026, 12, 1), date(2026, 12, 1), -1)]
    assert totals.spans(date.min, date(2025, 12, 31)) == [
        (Grain.CUMULATIVE, date(2025, 1, 1), date(2025, 1, 1), 1)]


def test_a_balance_is_a_cumulative_row_and_its_year_and_ten_years_are_two_rows():
    assert totals.spans(date.min, date(2026, 3, 31)) == [
        (Grain.CUMULATIVE, date(2025, 1, 1), date(2025, 1, 1), 1),
        (Grain.MONTH, date(2026, 1, 1), date(2026, 3, 1), 1)]
    assert totals.spans(date(2016, 1, 1), date(2025, 12, 31)) == [
        (Grain.CUMULATIVE, date(2025, 1, 1), date(2025, 1, 1), 1),
        (Grain.CUMULATIVE, date(2015, 1, 1), date(2015, 1, 1), -1)]
    # Two whole years read as two year rows: no cheaper as a difference.
    assert totals.spans(date(2024, 1, 1), date(2025, 12, 31)) == [
        (Grain.YEAR, date(2024, 1, 1), date(2025, 1, 1), 1)]


def test_neighbouring_spans_across_a_year_s_end_are_one():
    """Days or months that meet across the turn of the year are one span (one index range
    scan), the year's own rows are not."""
    d, D, M, Y = date, Grain.DAY, Grain.MONTH, Grain.YEAR
    assert totals.spans(d(2025, 12, 20), d(2026, 1, 5)) == [(D, d(2025, 12, 20), d(2026, 1, 5), 1)]
    assert totals.spans(d(2025, 11, 1), d(2026, 2, 28)) == [(M, d(2025, 11, 1), d(2026, 2, 1), 1)]
    assert totals.spans(d(2025, 12, 30), d(2027, 1, 2)) == [
        (D, d(2025, 12, 30), d(2025, 12, 31), 1), (Y, d(2026, 1, 1), d(2026, 1, 1), 1),
        (D, d(2027, 1, 1), d(2027, 1, 2), 1)]
    # A whole year and the next one less its end: the two years' rows are one span.
    assert totals.spans(d(2023, 1, 1), d(2024, 7, 17)) == [
        (Y, d(2023, 1, 1), d(2024, 1, 1), 1), (D, d(2024, 7, 18), d(2024, 7, 31), -1),
        (M, d(2024, 8, 1), d(2024, 12, 1), -1)]


def test_the_calendar_s_first_and_last_days_read_no_day_beyond_them():
    """There is no year 0 and no year 10000: a balance on the first day is its day row, one in
    year 1 its own months' rows, one in year 2 year 1's cumulative row and its own months'; a
    range to the last day there is reads no day after it."""
    d, D, M, C = date, Grain.DAY, Grain.MONTH, Grain.CUMULATIVE
    assert totals.spans(date.min, date.min) == [(D, date.min, date.min, 1)]
    assert totals.spans(d(9999, 12, 4), date.max) == [(M, d(9999, 12, 1), d(9999, 12, 1), 1),
                                                      (D, d(9999, 12, 1), d(9999, 12, 3), -1)]
    assert totals.spans(date.min, d(1, 3, 31)) == [(M, d(1, 1, 1), d(1, 3, 1), 1)]
    assert totals.spans(date.min, d(2, 3, 31)) == [(C, d(1, 1, 1), d(1, 1, 1), 1),
                                                   (M, d(2, 1, 1), d(2, 3, 1), 1)]


#: What the planner weighs one row of each grain at (``totals._COST``), against a day's.
WEIGHTS = {Grain.DAY: 1, Grain.MONTH: 6, Grain.YEAR: 8, Grain.CUMULATIVE: 8}


def _rows_read(found) -> int:
    """The weighted count of the rows the spans read, period by period (a cumulative span is
    one row, whatever its dates)."""
    total = 0
    for grain, low, high, _ in found:
        period, rows = low, 0
        while period <= high:
            rows += 1
            if grain is Grain.CUMULATIVE:
                break
            period = _last_day(grain, period) + timedelta(days=1)
        total += WEIGHTS[grain] * rows
    return total


@settings(max_examples=200, deadline=None)
@given(start=DAY, end=DAY)
def test_the_planner_weighs_each_plan_by_the_rows_it_reads(start, end):
    """The cost ``spans`` compares its plans by is the weighted number of rows a plan reads,
    for any range (its month spans may run across a year's end) and for a balance."""
    for found in (totals.spans(start, end), totals.spans(date.min, end),
                  totals._calendar(min(start, end), max(start, end))):
        assert totals._cost(found) == _rows_read(found), found


def test_the_rows_read_are_the_fewest_by_the_costs_of_the_grains():
    """Of the ways to read a range, the one that reads the fewest rows, a month's row counting
    as six days' and a year's or a cumulative row as eight: 18 days of May as day rows, 19 as
    the month less the 12 days after; two and a half years as two cumulative rows with some
    months and days (64) where the calendar's rows would cost 66."""
    d, D, M, C = date, Grain.DAY, Grain.MONTH, Grain.CUMULATIVE
    assert totals.spans(d(2026, 5, 1), d(2026, 5, 18)) == [(D, d(2026, 5, 1), d(2026, 5, 18), 1)]
    assert totals.spans(d(2026, 5, 1), d(2026, 5, 19)) == [
        (M, d(2026, 5, 1), d(2026, 5, 1), 1), (D, d(2026, 5, 20), d(2026, 5, 31), -1)]
    assert totals.spans(d(2024, 6, 18), d(2027, 1, 1)) == [
        (C, d(2026, 1, 1), d(2026, 1, 1), 1), (D, d(2027, 1, 1), d(2027, 1, 1), 1),
        (C, d(2023, 1, 1), d(2023, 1, 1), -1), (M, d(2024, 1, 1), d(2024, 5, 1), -1),
        (D, d(2024, 6, 1), d(2024, 6, 17), -1)]


def test_an_empty_range_reads_no_rows(books, session):
    """``within`` a range that ends before it starts is no rows at all (an empty UNION with
    the same columns), where the rows of its days are there."""
    books.post(date(2026, 5, 4), ("6100", books.general, "3.00"), ("1200", books.general, "-3.00"))
    for model in (AccountTotal, FundAccountTotal):
        def rows(start: date, end: date, model=model):
            found = totals.within(model, start, end, [model.account_id, model.currency])
            return session.execute(select(found.c.account_id, found.c.currency,
                                          found.c.amount)).all()
        assert rows(date(2026, 5, 5), date(2026, 5, 4)) == []
        assert rows(date(2027, 1, 1), date(2026, 1, 1)) == []
        assert sorted(rows(date(2026, 5, 4), date(2026, 5, 4))) == sorted(
            [(books["6100"].id, "EUR", 300), (books["1200"].id, "EUR", -300)])


def test_two_ranges_read_in_one_statement_keep_their_own_dates(books, session):
    """The subqueries of ``within`` and ``covering`` carry their dates as parameters of their
    own: several of them in one statement each read their own range."""
    for day in (date(2025, 3, 1), date(2026, 3, 1), date(2026, 4, 1)):
        books.post(day, ("6100", books.general, "1.00"), ("1200", books.general, "-1.00"))
    model, fees = AccountTotal, books["6100"].id
    parts = [totals.within(model, date(2026, 1, 1), date(2026, 3, 31), [model.account_id],
                           model.account_id == fees),
             totals.within(model, date(2025, 1, 1), date(2026, 12, 31), [model.account_id],
                           model.account_id == fees),
             totals.covering(model, date(2025, 12, 31), [model.account_id],
                             model.account_id == fees)]
    statement = select(*(select(func.sum(part.c.amount)).scalar_subquery() for part in parts))
    assert tuple(session.execute(statement).one()) == (100, 300, 100)


CODES = ["1200", "1410", "2000", "3000", "4000", "4200", "5100", "5110"]
bookings = st.lists(st.tuples(st.integers(0, 3 * 365), st.integers(0, 2), st.sampled_from(CODES),
                              st.sampled_from(CODES), st.integers(1, 10**6), st.booleans()),
                    min_size=1, max_size=12)
FIRST = date(2024, 10, 20)


def _direct(session, start: date, end: date):
    """Sums straight from the postings: per (fund, account, currency) and per fund's resources."""
    moved: dict[tuple, int] = defaultdict(int)
    resources: dict[tuple, int] = defaultdict(int)
    for posting in session.scalars(select(Posting).where(Posting.booking_date >= start,
                                                         Posting.booking_date <= end)):
        moved[(posting.fund_id, posting.account_id, posting.currency)] += posting.amount
        if posting.account.type in (AccountType.ASSET, AccountType.LIABILITY):
            resources[(posting.fund_id, posting.currency)] += posting.amount
    return moved, resources


def _nonzero(mapping) -> dict:
    return {key: value for key, value in mapping.items() if value}


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(drawn=bookings, first=st.integers(-30, 3 * 365), length=st.integers(0, 1200),
       grouping=st.lists(st.integers(0, 2), min_size=3, max_size=3),
       advanced=st.sampled_from([None, 2026, 2027]))
def test_cached_totals_equal_the_postings_after_random_bookings_and_reversals(
        books, session, drawn, first, length, grouping, advanced):
    """Some bookings before the horizon (the year before this one) and some after it; the
    horizon moved on half-way or not; ranges long enough to be read as cumulative rows."""
    funds = [books.general, books.berlin, books.munich]
    with transaction(session):
        for number, (offset, fund, debit, credit, cents, reverse) in enumerate(drawn):
            if advanced is not None and number == len(drawn) // 2:
                totals.advance(session, advanced)
            if debit == credit:
                continue
            entry = services.post_entry(
                session, booking_date=FIRST + timedelta(days=offset), description="Random",
                actor=books.actor, lines=[Line(books[debit], funds[fund], eur(cents)),
                                          Line(books[credit], funds[fund], eur(-cents))])
            if reverse:
                services.reverse_entry(session, entry, actor=books.actor, reason="random")
    start = FIRST + timedelta(days=first)
    end = start + timedelta(days=length)
    moved, resources = _direct(session, start, end)
    so_far, held = _direct(session, date.min, end)

    assert fund_account_movements(session, start, end) == _nonzero(moved)
    by_account: dict[tuple, int] = defaultdict(int)
    for (_, account, currency), amount in moved.items():
        by_account[(account, currency)] += amount
    assert account_movements(session, start, end) == _nonzero(by_account)
    balances: dict[tuple, int] = defaultdict(int)
    for (_, account, currency), amount in so_far.items():
        balances[(account, currency)] += amount
    assert account_balances(session, end) == _nonzero(balances)
    assert fund_balances(session, end) == _nonzero(held)
    # Per fund and account (``totals.covering``), and one account's in every fund.
    assert fund_account_balances(session, end) == _nonzero(so_far)
    bank = books["1200"].id
    assert account_by_fund(session, bank, end) == _nonzero(
        {(fund, currency): amount for (fund, account, currency), amount in so_far.items()
         if account == bank})
    # Several days in one statement: each day's balances, and none before the beginning.
    _, held_before = _direct(session, date.min, start - timedelta(days=1))
    assert fund_balances_on(session, [end, None, start - timedelta(days=1)]) == [
        _nonzero(held), {}, _nonzero(held_before)]
    # Funds in sets (every fund, or some): each set's sum per account.
    sets = [tuple(f.id for f, g in zip(funds, grouping) if g == index) for index in range(3)]
    every_fund = session.scalars(select(Fund.id)).all()  # the caller may know them
    results = set(session.scalars(select(Account.id).where(
        Account.type.in_([AccountType.INCOME, AccountType.EXPENSE]))))
    for chosen in (sets, [sets[0], (), sets[2]]):
        expected: dict[tuple, int] = defaultdict(int)
        for (fund, account, currency), amount in moved.items():
            for index, ids in enumerate(chosen):
                if fund in ids:
                    expected[(index, account, currency)] += amount
        assert fund_set_movements(session, start, end, chosen) == _nonzero(expected)
        assert fund_set_movements(session, start, end, chosen,
                                  every_fund=every_fund) == _nonzero(expected)
        # Of some types of account only (the statement of activities' income and expenses).
        assert fund_set_movements(session, start, end, chosen, types=("income", "expense")) \
            == {key: amount for key, amount in _nonzero(expected).items() if key[1] in results}
    assert accounts_moved_in_some_fund(session, start, end, types=("income", "expense")) == {
        (account, currency) for (_, account, currency), amount in moved.items()
        if amount and account in results}
    assert totals.differences(session) == []
