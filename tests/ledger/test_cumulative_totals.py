"""The cumulative totals (grain C): kept up to the horizon by every posting dated before it,
carried forward by ``advance`` (also while others post), rebuilt and verified like the rest."""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import func, select, text

from backoffice.core.db import transaction
from backoffice.ledger import services, totals
from backoffice.ledger.balances import account_balances, account_movements, fund_balances
from backoffice.ledger.chart import Account, Fund
from backoffice.ledger.models import AccountTotal, Grain, Posting
from backoffice.ledger.services import Line

from ..concurrency import at_once
from .conftest import eur


def _sums(session, start: date, end: date) -> dict[tuple[int, str], int]:
    found: dict[tuple[int, str], int] = defaultdict(int)
    for posting in session.scalars(select(Posting).where(Posting.booking_date >= start,
                                                         Posting.booking_date <= end)):
        found[(posting.account_id, posting.currency)] += posting.amount
    return {key: amount for key, amount in found.items() if amount}


def _cumulative_years(session) -> list[int]:
    return sorted(day.year for day in session.scalars(
        select(AccountTotal.period_start).where(AccountTotal.grain == Grain.CUMULATIVE.value)
        .distinct()))


def test_postings_before_the_horizon_keep_its_rows_and_advance_carries_them(books, session):
    horizon = totals.horizon(session)
    assert horizon is not None  # the migration set it: the year before the migration's
    for year in (horizon - 3, horizon, horizon + 1, horizon + 3):
        books.post(date(year, 6, 30), ("6100", books.general, "10.00"),
                   ("1200", books.general, "-10.00"))
    assert _cumulative_years(session) == list(range(horizon - 3, horizon + 1))
    assert totals.differences(session) == []
    ends = [date(horizon - 2, 3, 1), date(horizon + 2, 12, 31), date(horizon + 5, 1, 1)]
    before = [account_balances(session, end) for end in ends]
    for end, found in zip(ends, before):
        assert found == _sums(session, date.min, end)

    with transaction(session):
        assert totals.advance(session, horizon + 3) == horizon + 3
    assert totals.horizon(session) == horizon + 3
    assert _cumulative_years(session) == list(range(horizon - 3, horizon + 4))
    assert [account_balances(session, end) for end in ends] == before
    assert totals.differences(session) == []
    # A long range as two cumulative rows, across the old horizon.
    assert account_movements(session, date(horizon - 3, 1, 1), date(horizon + 2, 12, 31)) == \
        _sums(session, date(horizon - 3, 1, 1), date(horizon + 2, 12, 31))

    # Never back; a posting before the new horizon adds to every year's row up to it.
    with transaction(session):
        assert totals.advance(session, horizon) == horizon + 3
    books.post(date(horizon - 5, 1, 1), ("6100", books.general, "1.00"),
               ("1200", books.general, "-1.00"))
    assert _cumulative_years(session)[0] == horizon - 5
    assert totals.differences(session) == []
    assert fund_balances(session, date(horizon + 9, 1, 1))[(books.general.id, "EUR")] == -4100


def test_rebuild_makes_the_same_cumulative_rows_and_verify_finds_one_changed(books, session):
    horizon = totals.horizon(session)
    books.post(date(horizon - 1, 2, 1), ("6100", books.berlin, "7.00"),
               ("1200", books.berlin, "-7.00"))
    books.post(date(horizon, 2, 1), ("6100", books.munich, "3.00"),
               ("1200", books.munich, "-3.00"))
    rows = sorted(session.execute(select(AccountTotal.period_start, AccountTotal.account_id,
                                         AccountTotal.amount)
                                  .where(AccountTotal.grain == Grain.CUMULATIVE.value)).all())
    with transaction(session):
        totals.rebuild(session)
    assert sorted(session.execute(select(AccountTotal.period_start, AccountTotal.account_id,
                                         AccountTotal.amount)
                                  .where(AccountTotal.grain == Grain.CUMULATIVE.value)).all()) \
        == rows
    assert totals.differences(session) == []
    with transaction(session):
        session.execute(text("UPDATE ledger_fund_totals SET amount = amount + 1 "
                             "WHERE grain = 'C'"))
    found = totals.differences(session)
    assert found and all("ledger_fund_totals" in problem and "'grain': 'C'" in problem
                         for problem in found)


def test_advance_while_others_post_before_the_horizon_misses_nothing(app, books, session):
    """Treasurers post into earlier years while the horizon moves on: whichever comes first,
    the carried rows hold every posting (PostgreSQL: the horizon's shared and exclusive row
    locks; SQLite: one writer at a time)."""
    horizon = totals.horizon(session)
    books.post(date(horizon - 1, 1, 1), ("6100", books.general, "1.00"),
               ("1200", books.general, "-1.00"))
    accounts = {code: books[code].id for code in ("6100", "1200")}
    fund = books.general.id
    session.close()

    def post(session, year):
        for day in range(1, 6):
            with transaction(session):
                general = session.get(Fund, fund)
                services.post_entry(session, booking_date=date(year, 3, day), description="race",
                                    actor=None, lines=[
                                        Line(session.get(Account, accounts["6100"]), general,
                                             eur("2.00")),
                                        Line(session.get(Account, accounts["1200"]), general,
                                             eur("-2.00"))])
        return "posted"

    def carry(session):
        with transaction(session):
            return totals.advance(session, horizon + 2)

    outcome = at_once(app, [lambda s: post(s, horizon - 1), carry,
                            lambda s: post(s, horizon)])
    assert outcome == ["posted", horizon + 2, "posted"], outcome
    assert totals.differences(session) == []
    assert session.scalar(select(func.count()).select_from(Posting)) == 2 + 20
    assert account_balances(session, date(horizon + 2, 12, 31))[(accounts["6100"], "EUR")] \
        == 100 + 10 * 200
