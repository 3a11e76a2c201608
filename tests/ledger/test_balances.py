"""Trial balance, fund balances and statements, account ledger and journal pages: every figure is
checked against a sum computed straight from the postings."""
from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import select

from backoffice.core.db import transaction
from backoffice.ledger import balances, services
from backoffice.ledger.balances import (
    account_balances,
    account_by_fund,
    account_movements,
    accounts_moved_in_some_fund,
    chart_movements_of,
    fund_account_balances,
    fund_account_movements,
    fund_balances,
    fund_set_movements,
    fund_statements,
    monthly_movements,
    trial_balance,
    year_balances,
)
from backoffice.ledger.chart import Account, AccountType, Fund, FundKind, ids_of_types
from backoffice.ledger.models import Posting
from backoffice.ledger.periods import FiscalYear
from backoffice.ledger.queries import JournalFilter, account_ledger, balance_before, journal_page
from backoffice.ledger.reads import chart_accounts, chart_funds

from .conftest import CALENDAR


def _history(books):
    """Two years of a small group's life, out of order, with a reversal and a transfer."""
    g, b = books.general, books.berlin
    books.post(date(2025, 1, 1), ("1200", g, "5000"), ("3000", g, "-5000"), description="Opening")
    books.post(date(2025, 3, 10), ("1200", b, "400"), ("4200", b, "-400"), description="Sponsor 2025")
    books.post(date(2025, 3, 12), ("5100", b, "150"), ("1200", b, "-150"), description="Venue 2025")
    books.post(date(2026, 2, 1), ("1200", g, "60"), ("4000", g, "-60"), description="Fees")
    books.post(date(2026, 2, 28), ("1200", b, "250.50"), ("4200", b, "-250.50"), description="Sponsor")
    books.post(date(2026, 2, 28), ("5110", b, "80.25"), ("1200", b, "-80.25"), description="Pizza")
    wrong = books.post(date(2026, 3, 3), ("5100", b, "99"), ("1200", b, "-99"), description="Oops")
    with transaction(books.session):
        services.reverse_entry(books.session, wrong, actor=books.actor, reason="duplicate")
        services.transfer_between_funds(books.session, from_fund=g, to_fund=b,
                                        amount=services.Money.parse("500", "EUR"),
                                        booking_date=date(2026, 3, 5), description="Top-up",
                                        actor=books.actor)


def _direct_sums(postings, up_to: date, fund_id=None):
    sums = defaultdict(int)
    for p in postings:
        if p.booking_date <= up_to and (fund_id is None or p.fund_id == fund_id):
            sums[(p.account_id, p.currency)] += p.amount
    return {k: v for k, v in sums.items() if v}


def test_balances_equal_the_postings_on_every_boundary(books, session):
    """Every day around each year, month and posting date: the grains meet exactly there."""
    _history(books)
    postings = session.scalars(select(Posting)).all()
    days = set()
    for p in postings:
        for d in (p.booking_date, date(p.booking_date.year, p.booking_date.month, 1),
                  date(p.booking_date.year, 1, 1)):
            days |= {d - timedelta(days=1), d, d + timedelta(days=1)}
    days |= {date(2026, 12, 31), date(2024, 12, 31), date(2025, 12, 31)}
    for day in sorted(days):
        assert account_balances(session, day) == _direct_sums(postings, day), day
        assert account_balances(session, day, fund_id=books.berlin.id) == \
            _direct_sums(postings, day, books.berlin.id), day


def test_trial_balance_carries_earlier_years_into_accumulated_surplus(books, session):
    _history(books)
    report = trial_balance(session, date(2026, 3, 31), fiscal_year=CALENDAR)
    rows = {row.account.code: row.balance for row in report.rows}
    assert report.balanced and report.fiscal_year_start == date(2026, 1, 1)
    assert report.totals["EUR"][0] == report.totals["EUR"][1]
    # 2025 result: 400 income - 150 venue = 250 surplus (a credit)
    assert rows["3100"] == -25000
    assert rows["4200"] == -25050 and rows["5110"] == 8025 and "5100" not in rows
    assert rows["1200"] == 500000 + 40000 - 15000 + 6000 + 25050 - 8025
    earlier = trial_balance(session, date(2025, 12, 31), fiscal_year=CALENDAR)
    assert {r.account.code: r.balance for r in earlier.rows}["4200"] == -40000
    assert trial_balance(session, date(2024, 12, 31), fiscal_year=CALENDAR).rows == []


def test_trial_balance_summed_in_the_database_equals_the_year_balances(books, session):
    """The trial balance's rows and totals, summed in SQL (issue 17), are the year balances read
    account by account: any fiscal year, any day, all funds or one, every page; days before
    and after the cumulative totals' horizon (last year), and years after it (read as year
    rows)."""
    _history(books)
    books.post(date(2027, 5, 1), ("5100", books.berlin, "12"), ("1200", books.berlin, "-12"))
    for fiscal_year in (CALENDAR, FiscalYear(7), FiscalYear(3)):
        for day in (date(2024, 12, 31), date(2025, 1, 1), date(2025, 6, 30), date(2025, 7, 1),
                    date(2025, 12, 31), date(2026, 2, 28), date(2026, 3, 31), date(2027, 12, 31),
                    date(2028, 1, 31)):
            for fund in (None, books.berlin):
                expected = year_balances(session, day, year_start=fiscal_year.start(day),
                                         fund_id=fund.id if fund else None)
                report = trial_balance(session, day, fiscal_year=fiscal_year, fund=fund)
                assert {(r.account.id, r.currency): r.balance for r in report.rows} == \
                    expected, (fiscal_year, day, fund)
                assert report.totals == ({"EUR": (sum(v for v in expected.values() if v > 0),
                                                  -sum(v for v in expected.values() if v < 0))}
                                         if expected else {})
                assert report.balanced
                rows, after = [], None
                while True:
                    page = trial_balance(session, day, fiscal_year=fiscal_year, fund=fund,
                                         after=after, limit=2)
                    rows += page.rows
                    assert page.totals == report.totals
                    if not page.more:
                        break
                    after = (page.rows[-1].currency, page.rows[-1].account.code)
                assert rows == report.rows


def test_a_trial_balance_page_says_more_follow_only_when_they_do(books, session):
    """A page of exactly as many rows as there are says no more follow; one row fewer says
    more do."""
    _history(books)
    whole = trial_balance(session, date(2026, 3, 31), fiscal_year=CALENDAR)
    count = len(whole.rows)
    exact = trial_balance(session, date(2026, 3, 31), fiscal_year=CALENDAR, limit=count)
    assert exact.rows == whole.rows and not exact.more
    short = trial_balance(session, date(2026, 3, 31), fiscal_year=CALENDAR, limit=count - 1)
    assert short.rows == whole.rows[:-1] and short.more


def test_a_trial_balance_counts_a_one_cent_debit_and_credit(books, session):
    """The totals count a balance of one minor unit on either side."""
    g = books.general
    books.post(date(2026, 1, 5), ("5100", g, "0.01"), ("4000", g, "-0.01"), description="Cent")
    report = trial_balance(session, date(2026, 1, 31), fiscal_year=CALENDAR)
    assert {row.account.code: (row.debit, row.credit) for row in report.rows} == {
        "5100": (1, 0), "4000": (0, 1)}
    assert report.totals == {"EUR": (1, 1)} and report.balanced


def test_the_retained_surplus_keeps_its_own_postings_beside_the_years_carried(books, session):
    """The retained-surplus account with postings of its own (corrections booked to it) shows
    them plus the earlier years' result, on one row, as year_balances reads them."""
    _history(books)
    g = books.general
    books.post(date(2025, 6, 1), ("1200", g, "7"), ("3100", g, "-7"), description="Correction")
    books.post(date(2026, 1, 15), ("3100", g, "2"), ("1200", g, "-2"), description="Correction")
    day = date(2026, 3, 31)
    report = trial_balance(session, day, fiscal_year=CALENDAR)
    retained = [row for row in report.rows if row.account.code == "3100"]
    assert [row.balance for row in retained] == [-25000 - 700 + 200]
    assert {(row.account.id, row.currency): row.balance for row in report.rows} == \
        year_balances(session, day, year_start=date(2026, 1, 1))
    assert report.balanced


def test_trial_balance_of_one_fund(books, session):
    _history(books)
    report = trial_balance(session, date(2026, 3, 31), fiscal_year=CALENDAR, fund=books.berlin)
    assert report.balanced
    codes = {row.account.code for row in report.rows}
    assert "4000" not in codes and "1900" in codes  # fees are the general fund's; transfer via interfund


def test_fund_balances_and_statement(books, session):
    _history(books)
    balances = fund_balances(session, date(2026, 3, 31))
    assert balances[(books.berlin.id, "EUR")] == 40000 - 15000 + 25050 - 8025 + 50000
    assert balances[(books.general.id, "EUR")] == 500000 + 6000 - 50000
    assert (books.munich.id, "EUR") not in balances

    [statement] = fund_statements(session, books.berlin, date(2026, 1, 1), date(2026, 3, 31))
    assert statement.opening == 25000
    assert [(a.code, v) for a, v in statement.income] == [("4200", 25050)]
    assert [(a.code, v) for a, v in statement.expenses] == [("5110", 8025)]  # 5100 reversed: net 0
    assert [(a.code, v) for a, v in statement.transfers] == [("3900", 50000)]
    assert statement.closing == balances[(books.berlin.id, "EUR")]
    assert statement.reconciles


def test_account_ledger_pages_carry_the_running_balance(books, session):
    g = books.general
    for n in range(1, 13):
        books.post(date(2026, 1, n), ("1200", g, str(n)), ("4900", g, f"-{n}"), description=f"In {n}")
        books.post(date(2026, 1, n), ("6900", g, "0.50"), ("1200", g, "-0.50"), description=f"Out {n}")
    bank = books["1200"].id
    latest = account_ledger(session, bank, limit=5)
    assert [r.posting.entry.description for r in latest.rows] == ["Out 10", "In 11", "Out 11", "In 12", "Out 12"]
    assert latest.rows[-1].running == sum(range(1, 13)) * 100 - 12 * 50
    assert latest.later is None and latest.earlier is not None

    seen, page = [], account_ledger(session, bank, start=date(2026, 1, 1), limit=5)
    while True:
        seen += page.rows
        if page.later is None:
            break
        page = account_ledger(session, bank, after=page.later, limit=5)
    assert len(seen) == 24
    running = 0
    for row in seen:
        running += row.posting.amount
        assert row.running == running

    back = account_ledger(session, bank, before=latest.earlier, limit=5)
    assert back.rows[-1].posting.id < latest.rows[0].posting.id
    assert back.rows[-1].running + latest.rows[0].posting.amount == latest.rows[0].running
    mid = account_ledger(session, bank, start=date(2026, 1, 7), limit=3)
    assert mid.opening == {"EUR": sum(range(1, 7)) * 100 - 6 * 50}
    assert mid.rows[0].posting.booking_date == date(2026, 1, 7)


def test_journal_filters_and_pages_cover_every_entry_once(books, session):
    _history(books)
    everything = []
    page = journal_page(session, JournalFilter(), limit=3)
    assert page.newer is None
    while True:
        everything += page.entries
        if page.older is None:
            break
        page = journal_page(session, JournalFilter(), before=page.older, limit=3)
    assert len(everything) == len({e.id for e in everything}) == 9
    assert everything == sorted(everything, key=lambda e: (e.booking_date, e.id), reverse=True)
    newer = journal_page(session, JournalFilter(), after=(everything[3].booking_date, everything[3].id), limit=3)
    assert newer.entries == everything[:3]
    assert newer.newer is None and newer.older == (everything[2].booking_date, everything[2].id)
    middle = journal_page(session, JournalFilter(), after=(everything[6].booking_date, everything[6].id), limit=3)
    assert middle.entries == everything[3:6] and middle.newer and middle.older

    def descriptions(**kw):
        return [e.description for e in journal_page(session, JournalFilter(**kw), limit=50).entries]

    assert descriptions(text="sponsor") == ["Sponsor", "Sponsor 2025"]
    assert descriptions(text="100%") == []
    assert descriptions(account_id=books["5110"].id) == ["Pizza"]
    assert descriptions(fund_id=books.berlin.id, start=date(2026, 3, 1)) == \
        ["Top-up", f"Reversal of #{everything[1].reverses_id}: duplicate", "Oops"]
    assert descriptions(start=date(2025, 3, 11), end=date(2025, 3, 31)) == ["Venue 2025"]
    assert descriptions(text=f"#{everything[-1].id}") == ["Opening"]


def test_the_journal_of_one_account_pages_through_its_entries_once(books, session):
    """Filtered by an account, the journal reads that account's postings in journal order
    (issue 17): every entry with a posting there comes once, even with two such postings,
    newest first, a page at a time both ways, and the other filters still apply."""
    _history(books)
    b = books.berlin
    books.post(date(2026, 3, 5), ("1200", b, "30"), ("1200", b, "20"), ("4200", b, "-50"),
               description="Sponsor, two transfers")
    bank = books["1200"].id
    expected = [e for e in journal_page(session, JournalFilter(), limit=100).entries
                if any(p.account_id == bank for p in e.postings)]
    assert len(expected) == 9

    def walk(filters: JournalFilter) -> list:
        seen, page = [], journal_page(session, filters, limit=3)
        assert page.newer is None
        while True:
            seen += page.entries
            if page.older is None:
                return seen
            page = journal_page(session, filters, before=page.older, limit=3)

    assert walk(JournalFilter(account_id=bank)) == expected
    back = journal_page(session, JournalFilter(account_id=bank), limit=3,
                        after=(expected[5].booking_date, expected[5].id))
    assert back.entries == expected[2:5] and back.newer and back.older
    assert [e.description for e in walk(JournalFilter(account_id=bank, text="sponsor"))] == \
        ["Sponsor, two transfers", "Sponsor", "Sponsor 2025"]
    assert walk(JournalFilter(account_id=bank, fund_id=b.id, start=date(2026, 1, 1))) == [
        e for e in expected if e.booking_date >= date(2026, 1, 1)
        and any(p.account_id == bank and p.fund_id == b.id for p in e.postings)]
    assert walk(JournalFilter(account_id=books["5110"].id, end=date(2025, 12, 31))) == []


def test_the_latest_page_of_an_account_opens_with_what_came_before_it(books, session):
    """The latest page's opening balance is the account's whole balance less the page (one read
    of the totals), the same as summing what lies before its first row."""
    _history(books)
    bank = books["1200"].id
    postings = session.scalars(select(Posting).where(Posting.account_id == bank)).all()
    for fund_id in (None, books.berlin.id, books.munich.id):
        mine = [p for p in postings if fund_id is None or p.fund_id == fund_id]
        for limit in (1, 2, 5, 50):
            page = account_ledger(session, bank, fund_id=fund_id, limit=limit)
            if not mine:
                assert page.rows == [] and page.opening == {}
                continue
            first = page.rows[0].posting
            before = balance_before(session, bank, fund_id, (first.booking_date, first.id))
            assert page.opening == {c: v for c, v in before.items() if v}, (fund_id, limit)
            assert page.rows[-1].running == sum(p.amount for p in mine)


def test_one_accounts_balances_by_fund_in_one_currency_are_that_currencys(books, session):
    """``account_by_fund`` of an account held in two currencies, asked for one of them: that
    currency's balances only (credit notes and refunds ask it so)."""
    books.post(date(2026, 2, 1), ("1200", books.general, "60"), ("4000", books.general, "-60"))
    with transaction(session):
        services.post_entry(session, booking_date=date(2026, 2, 2), description="Dollars",
                            actor=books.actor, lines=[
                                services.Line(books["1200"], books.berlin,
                                              services.Money.parse("25", "USD")),
                                services.Line(books["4200"], books.berlin,
                                              services.Money.parse("-25", "USD"))])
    bank = books["1200"].id
    assert account_by_fund(session, bank) == {(books.general.id, "EUR"): 6000,
                                              (books.berlin.id, "USD"): 2500}
    assert account_by_fund(session, bank, currency="USD") == {(books.berlin.id, "USD"): 2500}
    assert account_by_fund(session, bank, currency="EUR") == {(books.general.id, "EUR"): 6000}
    assert account_by_fund(session, bank, currency="CHF") == {}


def test_balances_of_no_account_asked_for_are_none(books, session):
    """An empty list of accounts asks for none: not every account, nor the one whose id the
    statement's stand-in for an empty list might name (the first account, id 1, has a balance
    here)."""
    first = session.get(Account, 1)
    other = books["1200"] if first.code != "1200" else books["4000"]
    books.post(date(2026, 2, 1), (first.code, books.general, "7"),
               (other.code, books.general, "-7"), description="First")
    day = date(2026, 12, 31)
    assert fund_account_balances(session, day)[(books.general.id, 1, "EUR")] == 700
    assert account_balances(session, day)[(1, "EUR")] == 700
    assert fund_account_balances(session, day, account_ids=[]) == {}
    assert account_balances(session, day, account_ids=[]) == {}
    assert account_balances(session, day, fund_id=books.general.id, account_ids=[]) == {}
    # Movements too, and of no fund asked for (the general fund is the first, id 1).
    start = date(2026, 1, 1)
    assert books.general.id == 1
    assert fund_account_movements(session, start, day)[(1, 1, "EUR")] == 700
    assert fund_account_movements(session, start, day, account_ids=[]) == {}
    assert fund_account_movements(session, start, day, fund_ids=[]) == {}
    assert accounts_moved_in_some_fund(session, start, day, account_ids=[]) == set()
    assert accounts_moved_in_some_fund(session, start, day, fund_ids=[]) == set()
    assert monthly_movements(session, start, 12)[(date(2026, 2, 1), 1, "EUR")] == 700
    assert monthly_movements(session, start, 12, account_ids=[]) == {}
    # And the accounts and funds asked for, when some are.
    assert fund_account_balances(session, day, account_ids=[1]) == {(1, 1, "EUR"): 700}
    assert fund_account_movements(session, start, day, fund_ids=[1]) == {
        (1, 1, "EUR"): 700, (1, other.id, "EUR"): -700}
    assert fund_account_movements(session, start, day, fund_ids=[books.berlin.id]) == {}


def test_fund_sets_movements_of_one_day_are_that_days(books, session):
    """``fund_set_movements`` of a range of one day (a statement of activities for a day), with
    sets over every fund and over some; none for a range that ends before it starts."""
    books.post(date(2026, 3, 2), ("5100", books.berlin, "12"), ("1200", books.berlin, "-12"))
    books.post(date(2026, 3, 3), ("5100", books.munich, "5"), ("1200", books.munich, "-5"))
    day, fees, bank = date(2026, 3, 2), books["5100"].id, books["1200"].id
    every = [(books.berlin.id,), (books.munich.id, books.general.id)]
    assert fund_set_movements(session, day, day, every) == {(0, fees, "EUR"): 1200,
                                                            (0, bank, "EUR"): -1200}
    assert fund_set_movements(session, day, day, [(books.munich.id,), (books.berlin.id,)]) == {
        (1, fees, "EUR"): 1200, (1, bank, "EUR"): -1200}
    assert fund_set_movements(session, day, day - timedelta(days=1), every) == {}
    # Of some accounts only; the accounts that moved in some fund that day.
    assert fund_set_movements(session, day, day, every, account_ids=[fees]) == {
        (0, fees, "EUR"): 1200}
    assert accounts_moved_in_some_fund(session, day, day) == {(fees, "EUR"), (bank, "EUR")}
    # Income moved from one fund to another: nothing over every fund, each fund's share in its
    # set (the largest set's share is the whole less the others').
    moved = date(2026, 3, 4)
    books.post(moved, ("4200", books.berlin, "-30"), ("4200", books.munich, "30"))
    sponsors = books["4200"].id
    shares = fund_set_movements(session, moved, moved, every)
    assert shares[(0, sponsors, "EUR")] == -3000 and shares[(1, sponsors, "EUR")] == 3000
    assert (sponsors, "EUR") in accounts_moved_in_some_fund(session, moved, moved,
                                                             fund_ids=[books.berlin.id])
    assert accounts_moved_in_some_fund(session, moved, moved, fund_ids=[books.general.id]) == set()


def test_balances_regrouped_by_fund_and_added_up_by_currency():
    """``by_fund`` and ``currency_totals``, which the start page and the groups' pages use."""
    grouped = balances.by_fund({(1, "EUR"): 500, (1, "USD"): 700, (2, "EUR"): -300})
    assert grouped == {1: {"EUR": 500, "USD": 700}, 2: {"EUR": -300}}
    assert balances.currency_totals(grouped.values()) == {"EUR": 200, "USD": 700}
    assert balances.currency_totals([]) == {}


def test_a_trial_balance_whose_debits_and_credits_differ_in_a_currency_says_so():
    """``TrialBalance.balanced`` (the page warns when it is not): every currency's debits equal
    its credits."""
    day = date(2026, 12, 31)
    assert balances.TrialBalance(day, day, None, [], {"EUR": (100, 100)}).balanced is True
    assert balances.TrialBalance(day, day, None, [], {"EUR": (100, 100),
                                                      "USD": (5, 4)}).balanced is False


def test_monthly_movements_are_those_of_the_whole_months_asked_for(books, session):
    """``monthly_movements`` from the month a day lies in, for that many months."""
    books.post(date(2026, 2, 20), ("5100", books.berlin, "12"), ("1200", books.berlin, "-12"))
    books.post(date(2026, 4, 1), ("5100", books.berlin, "3"), ("1200", books.berlin, "-3"))
    fees = books["5100"].id
    assert monthly_movements(session, date(2026, 2, 1), 1, account_ids=[fees]) == {
        (date(2026, 2, 1), fees, "EUR"): 1200}
    assert monthly_movements(session, date(2026, 2, 25), 3, account_ids=[fees]) == {
        (date(2026, 2, 1), fees, "EUR"): 1200, (date(2026, 4, 1), fees, "EUR"): 300}
    assert monthly_movements(session, date(2026, 1, 1), 1, account_ids=[fees]) == {}
    assert monthly_movements(session, date(2026, 3, 1), 1, account_ids=[fees]) == {}


def test_the_chart_of_some_accounts_is_theirs_alone_in_code_order(books, session):
    """reads.chart_accounts with ids: one parameter on either database (an array's text on
    PostgreSQL, a JSON list on SQLite), the accounts in code order, none for no ids."""
    every = chart_accounts(session)
    assert [a.code for a in every] == sorted(a.code for a in every)
    some = {every[-1].id, every[0].id, every[len(every) // 2].id}
    assert [a.id for a in chart_accounts(session, ids=some)] == [
        a.id for a in every if a.id in some]
    assert [a.id for a in chart_accounts(session, ("income", "expense"), ids=some)] == [
        a.id for a in every if a.id in some and a.type in ("income", "expense")]
    assert chart_accounts(session, ids=set()) == []


def test_the_chart_of_funds_lists_the_general_fund_first_then_the_databases_order(books, session):
    """reads.chart_funds: the general fund, then the restricted funds in the order the database
    sorts their codes (its collation, as every other list of funds), whatever the order they
    were made in."""
    for code in ("ZED", "ABC9", "ABC10", "Q1"):
        with transaction(session):
            services.create_fund(session, code=code, name=f"Fund {code}", actor=books.actor)
    restricted = session.scalars(select(Fund.code).where(Fund.kind != FundKind.GENERAL)
                                 .order_by(Fund.code)).all()
    assert [fund.code for fund in chart_funds(session)] == [books.general.code, *restricted]
    assert [fund.restricted for fund in chart_funds(session)] == [False] + [True] * 6


def test_movements_of_several_ranges_are_each_ranges_own(books, session):
    """chart_movements_of reads ranges that share days in one statement, the days in common
    once: each range's movements are what account_movements gives it alone, whether the
    ranges overlap, nest, meet, lie apart, are the same or are empty."""
    _history(books)
    d = date
    cases = [
        [(d(2025, 1, 1), d(2026, 12, 31)), (d(2024, 1, 1), d(2025, 12, 31))],  # ten years' kind
        [(d(2026, 1, 1), d(2026, 3, 4)), (d(2025, 1, 1), d(2025, 3, 4))],  # apart
        [(d(2025, 3, 11), d(2026, 2, 28)), (d(2025, 3, 10), d(2025, 3, 11))],  # meeting on a day
        [(d(2025, 1, 1), d(2026, 12, 31)), (d(2026, 2, 1), d(2026, 2, 28))],  # nested
        [(d(2026, 2, 28), d(2026, 2, 28))] * 2,  # the same
        [(d(2026, 3, 1), d(2026, 2, 1)), (d(2025, 2, 1), d(2026, 3, 3))],  # one empty
        [(d(2025, 1, 1), d(2025, 12, 31)), (d(2025, 6, 1), d(2026, 6, 30)),
         (d(2026, 3, 5), d(2026, 3, 5))],
    ]
    every_type = tuple(kind.value for kind in AccountType)
    for ranges in cases:
        assert _per_range(chart_movements_of(session, ranges, every_type), len(ranges)) == [
            account_movements(session, start, end) for start, end in ranges], ranges
    # Two days' balances of some accounts (the balance sheet's): the earlier day's totals once.
    kinds = ("asset", "liability")
    for now, then in [(d(2026, 3, 31), d(2025, 3, 31)), (d(2026, 12, 31), d(2025, 12, 31)),
                      (d(2025, 3, 11), d(2025, 3, 10))]:
        rows = chart_movements_of(session, [(date.min, now), (date.min, then)], kinds)
        assert _per_range(rows, 2) == [account_balances(
            session, day, account_ids=ids_of_types(kinds)) for day in (now, then)]


def _per_range(rows, ranges: int) -> list[dict[tuple[int, str], int]]:
    """chart_movements_of's rows as account_movements gives each range: {(account, currency):
    movement}, without noughts."""
    return [{(row[0], row[4]): row[5 + index] for row in rows if row[5 + index]}
            for index in range(ranges)]


def test_movements_with_the_chart_are_those_of_the_accounts_of_the_types(books, session):
    """chart_movements_of: the movements of the accounts of some types with their code,
    name and type, in code order, in one statement; an account whose postings net to nothing
    in both ranges is still there (its figures nought), the others' accounts are not, and a
    range to the last day there is (no day after it to cut at) is read too."""
    _history(books)
    d = date
    types = ("income", "expense", "net_assets")
    chart = {a.id: a for a in chart_accounts(session, types)}
    for ranges in [[(d(2026, 1, 1), d(2026, 12, 31)), (d(2025, 1, 1), d(2025, 12, 31))],
                   [(d(2026, 3, 1), d(2026, 3, 31)), (d(2026, 3, 1), d(2026, 2, 1))],
                   [(d(2025, 3, 12), date.max), (d(2024, 3, 12), d(2025, 3, 11))]]:
        rows = chart_movements_of(session, ranges, types)
        expected = [account_movements(session, start, end, account_ids=ids_of_types(types))
                    for start, end in ranges]
        assert _per_range(rows, len(ranges)) == expected, ranges
        assert [row[0] for row in rows] == sorted(
            (row[0] for row in rows), key=lambda account: chart[account].code)
        assert all((code, name, kind) == (chart[account].code, chart[account].name,
                                          chart[account].type)
                   for account, code, name, kind, *_ in rows)
        assert all(type(amount) is int for row in rows for amount in row[5:])
    # March 2026: the Oops expense and its reversal net to nothing, its line is there.
    oops = next(a for a in chart.values() if a.code == "5100")
    [row] = [row for row in chart_movements_of(session, [(d(2026, 3, 3), d(2026, 3, 3))], types)
             if row[0] == oops.id]
    assert row[4:] == ("EUR", 0)
    assert chart_movements_of(session, [(d(2026, 3, 1), d(2026, 2, 1))], types) == []


def test_movements_of_ranges_read_no_day_outside_them_and_reach_the_last_day(books, session):
    """chart_movements_of: an account that moved only on the day between two ranges (read as
    day rows) has no row; a range to the last day there is, alone or beside a single day, is
    read whole."""
    _history(books)
    d = date
    every_type = tuple(kind.value for kind in AccountType)
    venue = books["5100"].id  # 2025-03-12 and 2026-03-03 only
    rows = chart_movements_of(session, [(d(2025, 3, 8), d(2025, 3, 11)),
                                        (d(2025, 3, 13), d(2025, 3, 16))], every_type)
    assert rows and venue not in {row[0] for row in rows}
    for ranges in [[(d(2025, 3, 12), date.max)],
                   [(d(2026, 2, 28), d(2026, 2, 28)), (d(2026, 3, 1), date.max)]]:
        assert _per_range(chart_movements_of(session, ranges, every_type), len(ranges)) == [
            account_movements(session, start, end) for start, end in ranges], ranges


def test_a_calendar_year_s_trial_balance_reads_the_earlier_years_once():
    """When the fiscal year is the calendar's, the earlier years' result is the cumulative row
    that the balances up to the day read already (one reading, a column of it: issue 17); a
    fiscal year from July reads the earlier part of the year on its own."""
    calendar, _ = balances._year_balance_parameters(date(2026, 3, 31), date(2026, 1, 1), None)
    assert calendar[1] == "calendar"
    july, _ = balances._year_balance_parameters(date(2026, 3, 31), date(2025, 7, 1), None)
    assert july[1] not in (None, "calendar")
