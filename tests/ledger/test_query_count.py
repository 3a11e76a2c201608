"""The ledger and report pages ask the database the same number of questions on a chart of
2,000 accounts as on the default chart (issue 17): no query per account, no list of every id.
Counts, not times (speed is measured in bench/fava.py)."""
from datetime import date

from sqlalchemy import event

from backoffice.core.db import transaction
from backoffice.core.money import Money
from backoffice.extensions import db
from backoffice.ledger import services
from backoffice.ledger.chart import AccountType
from backoffice.ledger.checks import Line

from ..helpers import login

EXTRA_ACCOUNTS = 2000
YEAR = date.today().year


def _pages(books, account) -> list[str]:
    return [
        "/ledger/journal",
        f"/ledger/journal?account={account.id}",
        f"/ledger/trial-balance?as_of={YEAR}-12-31",
        f"/ledger/accounts/{account.id}",
        f"/ledger/funds/{books.berlin.id}?start={YEAR - 1}-01-01&end={YEAR}-12-31",
        "/ledger/fund-balances",
        f"/reports/balance-sheet?as_of={YEAR}-12-31",
        f"/reports/activities?start={YEAR - 1}-01-01&end={YEAR}-12-31",
        "/ledger/accounts/search?account_label=Bench",
    ]


def _queries(client, url: str) -> int:
    count = 0

    def counted(*_):
        nonlocal count
        count += 1

    event.listen(db.engine, "before_cursor_execute", counted)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", counted)
    assert response.status_code == 200, url
    return count


def _post(books, accounts, day) -> None:
    bank = next(a for a in books.accounts.values() if a.role == "bank")
    with transaction(books.session):
        for n, account in enumerate(accounts):
            amount = Money(1000 + n, "EUR")
            sign = -1 if account.type is AccountType.INCOME else 1
            fund = books.berlin if n % 2 else books.general
            services.post_entry(books.session, booking_date=day, description=f"Bench {n}",
                                lines=[Line(account, fund, Money(sign * amount.amount, "EUR")),
                                       Line(bank, fund, Money(-sign * amount.amount, "EUR"))],
                                actor=books.actor)


def test_page_queries_do_not_grow_with_the_chart(client, books, session):
    day = date(YEAR, 1, 15)
    income = books.accounts["4400"]
    _post(books, [income, books.accounts["5000"]], day)
    login(client, "treasurer")
    small = {url: _queries(client, url) for url in _pages(books, income)}
    kinds = [AccountType.INCOME, AccountType.EXPENSE, AccountType.ASSET]
    with transaction(session):
        created = [services.create_account(session, code=f"B{n:05d}", name=f"Bench account {n}",
                                           type=kinds[n % 3], actor=books.actor)
                   for n in range(EXTRA_ACCOUNTS)]
    _post(books, created[::10], day)  # 200 more accounts with balances, in both funds
    large = {url: _queries(client, url) for url in _pages(books, income)}
    assert large == small, {url: (small[url], large[url]) for url in small if small[url] != large[url]}
    assert max(large.values()) <= 30, large


def test_the_journal_does_not_send_the_chart(client, books, session):
    """The account filter is a search field: the page's weight does not grow with the chart."""
    login(client, "treasurer")
    before = len(client.get("/ledger/journal").data)
    with transaction(session):
        for n in range(300):
            services.create_account(session, code=f"B{n:05d}", name=f"Bench account {n}",
                                    type=AccountType.EXPENSE, actor=books.actor)
    assert len(client.get("/ledger/journal").data) == before
    found = client.get("/ledger/accounts/search?account_label=Bench account 12").get_data(
        as_text=True)
    assert "Bench account 12<" in found and "Bench account 120<" in found
    assert "Bench account 13<" not in found
    assert found.count("data-account-id") == 11  # 12 and 120..129
