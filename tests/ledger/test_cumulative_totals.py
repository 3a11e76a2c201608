"""The cumulative totals (grain C): kept up to the horizon by every posting dated before it,
carried forward by ``advance`` (also while others post), rebuilt and verified like the rest."""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import delete, func, select, text

from backoffice.core.db import transaction
from backoffice.ledger import services, totals
from backoffice.ledger.balances import account_balances, account_movements, fund_balances
from backoffice.ledger.bulk import EntryDraft, post_entries
from backoffice.ledger.chart import Account, Fund
from backoffice.ledger.models import AccountTotal, Grain, Posting, TotalsHorizon
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


def test_without_a_horizon_only_calendar_rows_are_kept_and_advance_starts_one(books, session):
    """Books with no horizon yet keep no cumulative rows: balances and ranges read the year,
    month and day rows, and a rebuild makes none. The first ``advance`` carries from the first
    year anything was posted in up to the year asked for, and writes the horizon."""
    with transaction(session):
        session.execute(delete(TotalsHorizon))
    assert totals.horizon(session) is None
    for year in (2019, 2021, 2022):
        books.post(date(year, 6, 30), ("6100", books.general, "10.00"),
                   ("1200", books.general, "-10.00"))
    assert _cumulative_years(session) == []
    assert totals.differences(session) == []
    ends = [date(2019, 6, 29), date(2019, 6, 30), date(2020, 12, 31), date(2021, 7, 1),
            date(2030, 1, 1)]
    before = [account_balances(session, end) for end in ends]
    assert before == [_sums(session, date.min, end) for end in ends]
    assert account_movements(session, date(2019, 7, 1), date(2022, 6, 30)) == \
        _sums(session, date(2019, 7, 1), date(2022, 6, 30))
    with transaction(session):
        totals.rebuild(session)
    assert _cumulative_years(session) == []
    assert totals.differences(session) == []

    with transaction(session):
        assert totals.advance(session, 2021) == 2021
    assert totals.horizon(session) == 2021
    assert _cumulative_years(session) == [2019, 2020, 2021]
    assert totals.differences(session) == []
    assert [account_balances(session, end) for end in ends] == before
    assert fund_balances(session, date(2021, 12, 31)) == {(books.general.id, "EUR"): -2000}


def test_a_horizon_set_on_books_with_nothing_posted_carries_nothing(books, session):
    """The first ``advance`` on empty books writes the horizon and no row; what is posted
    after it before the horizon gets its cumulative rows as usual."""
    with transaction(session):
        session.execute(delete(TotalsHorizon))
        assert totals.advance(session, 2020) == 2020
    assert totals.horizon(session) == 2020
    assert _cumulative_years(session) == []
    books.post(date(2019, 5, 1), ("6100", books.general, "1.00"),
               ("1200", books.general, "-1.00"))
    assert _cumulative_years(session) == [2019, 2020]
    assert totals.differences(session) == []


def test_differences_name_each_wrong_row_up_to_the_limit(books, session):
    """``differences`` names every stored row that disagrees with the postings, the calendar's
    and the cumulative rows alike, but no more than ``limit`` of them."""
    horizon = totals.horizon(session)
    books.post(date(horizon, 6, 30), ("6100", books.general, "10.00"),
               ("1200", books.general, "-10.00"))
    with transaction(session):
        session.execute(text("UPDATE ledger_account_totals SET amount = amount + 1 "
                             "WHERE account_id = :account"), {"account": books["6100"].id})
    found = totals.differences(session)
    # The posting's year, month and day rows and its year's cumulative row.
    assert len(found) == 4
    assert all(problem.startswith("ledger_account_totals ") and "stored 1001, postings say 1000"
               in problem for problem in found)
    assert sorted(problem.split("'grain': ")[1][1] for problem in found) == ["C", "D", "M", "Y"]
    assert totals.differences(session, limit=3) == found[:3]
    assert totals.differences(session, limit=4) == found


def test_entries_brought_in_at_once_keep_the_totals_as_posting_does(books, session):
    """``bulk.post_entries`` adds its postings to the totals in one upsert, reading which of
    their accounts are assets or liabilities itself: every table, the cumulative rows too,
    agrees with the postings, and only the bank account counts in the funds' balances."""
    horizon = totals.horizon(session)
    general, berlin = books.general, books.berlin
    drafts = [EntryDraft(date(horizon - 1, 3, 1), "Donation", [
                  Line(books["1200"], berlin, eur("25.00")),
                  Line(books["4000"], berlin, eur("-25.00"))]),
              EntryDraft(date(horizon + 1, 4, 2), "Venue", [
                  Line(books["6100"], general, eur("7.50")),
                  Line(books["1200"], general, eur("-7.50"))])]
    with transaction(session):
        assert post_entries(session, drafts, actor=books.actor, source_kind="test",
                            summary="two entries") == 2
    assert totals.differences(session) == []
    assert fund_balances(session, date(horizon + 1, 12, 31)) == {
        (berlin.id, "EUR"): 2500, (general.id, "EUR"): -750}


def test_lines_of_one_entry_on_the_same_account_and_fund_add_up_in_every_row(books, session):
    """Two lines of an entry on one account and fund (two donations paid in at once) both
    count, in the calendar's rows, the cumulative ones and the fund's balance."""
    horizon = totals.horizon(session)
    books.post(date(horizon, 9, 1), ("1200", books.berlin, "30.00"),
               ("1200", books.berlin, "12.00"), ("4000", books.berlin, "-42.00"))
    assert totals.differences(session) == []
    assert account_balances(session, date(horizon, 9, 1), fund_id=books.berlin.id) == {
        (books["1200"].id, "EUR"): 4200, (books["4000"].id, "EUR"): -4200}
    assert fund_balances(session, date(horizon + 1, 1, 1)) == {(books.berlin.id, "EUR"): 4200}


def test_a_posting_in_the_calendar_s_first_year_is_carried_like_any_other(books, session):
    """A booking date in year 1 (a slip of the keyboard the checks let through) has no year
    before it to carry from: advance and rebuild carry it into years 2 and 3 as any other."""
    with transaction(session):
        session.execute(delete(TotalsHorizon))
    books.post(date(1, 6, 30), ("6100", books.general, "5.00"), ("1200", books.general, "-5.00"))
    books.post(date(3, 1, 2), ("6100", books.general, "1.00"), ("1200", books.general, "-1.00"))
    with transaction(session):
        assert totals.advance(session, 3) == 3
    assert _cumulative_years(session) == [1, 2, 3]
    assert totals.differences(session) == []
    with transaction(session):
        totals.rebuild(session)
    assert totals.differences(session) == []
    assert account_balances(session, date(2, 12, 31)) == _sums(session, date.min, date(2, 12, 31))
    assert account_balances(session, date(3, 1, 2))[(books["6100"].id, "EUR")] == 600


def test_differences_name_a_row_missing_and_a_row_too_many_twenty_at_most(books, session):
    """A row the postings make that is not stored, and a stored row they do not make, are
    both named, however small (a cent); without a limit, the first twenty problems are."""
    horizon = totals.horizon(session)
    books.post(date(horizon, 6, 30), ("6100", books.general, "0.01"),
               ("1200", books.general, "-0.01"))
    with transaction(session):
        session.execute(text("DELETE FROM ledger_account_totals WHERE account_id = :account "
                             "AND grain = 'D'"), {"account": books["6100"].id})
        session.execute(text("INSERT INTO ledger_account_totals (grain, period_start, account_id, "
                             "currency, amount) VALUES ('M', :day, :account, 'EUR', 1)"),
                        {"day": date(horizon, 2, 1), "account": books["4000"].id})
    found = totals.differences(session)
    assert len(found) == 2
    assert any("'grain': 'D'" in problem and problem.endswith(": stored 0, postings say 1")
               for problem in found)
    assert any(f"'account_id': {books['4000'].id}" in problem
               and problem.endswith(": stored 1, postings say 0") for problem in found)

    for month in range(1, 13):
        books.post(date(horizon - 1, month, 3), ("6100", books.general, "1.00"),
                   ("1200", books.general, "-1.00"))
    with transaction(session):
        session.execute(text("UPDATE ledger_account_totals SET amount = amount + 1"))
    assert len(totals.differences(session)) == 20
