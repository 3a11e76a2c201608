"""The ledger and report pages ask the database the same number of questions on a chart of
2,000 accounts as on the default chart (issue 17): no query per account, no list of every id; and
the ledger's pages stay under 100 KB of HTML there (long lists come a page at a time).
Counts and sizes, not times (speed is measured in bench/fava.py)."""
import re
from datetime import date

from sqlalchemy import event

from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.core.money import Money
from backoffice.extensions import db
from backoffice.ledger import services, views
from backoffice.ledger.chart import AccountType
from backoffice.ledger.checks import Line

from ..helpers import counted_get, login

EXTRA_ACCOUNTS = 2000
MAX_BYTES = 100 * 1024
#: The balance sheet shows every asset and liability account with a balance: its weight is the
#: reports' own work (issue 17), not guarded here yet. The statement of activities shows a page
#: of its accounts and fund columns (tests/reports/test_activity_pages.py).
UNPAGED = ("/reports/balance-sheet",)
YEAR = clock.today().year


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
        "/ledger/accounts",
        "/ledger/accounts?q=Bank",
        "/ledger/accounts?after=1000",
    ]


#: The most queries a page may send beyond every page's own (issue 17: a page of rows and its
#: totals, summed in the database; never a query per account or per row). The journal: the
#: funds of its filter and a page of entries with their postings (by account: and the account
#: chosen).
OWN_QUERIES = {"journal": 2, "journal by account": 3, "trial balance": 2, "account": 6,
               "fund": 5, "accounts": 4, "balance sheet": 3, "activities": 4}


def _kind(url: str) -> str:
    path = url.split("?")[0]
    if path == "/ledger/journal":
        return "journal by account" if "account=" in url else "journal"
    if path.startswith("/ledger/accounts/") and path.rsplit("/", 1)[1].isdigit():
        return "account"
    return {"/ledger/trial-balance": "trial balance", "/ledger/accounts": "accounts",
            "/reports/balance-sheet": "balance sheet", "/reports/activities": "activities"}.get(
        path, "fund" if path.startswith("/ledger/funds/") else path)


def _queries(client, url: str, sizes: dict | None = None) -> int:
    response, count = counted_get(client, url)
    assert response.status_code == 200, url
    if sizes is not None:
        sizes[url] = len(response.data)
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
    _post(books, created[::5], day)  # 400 more accounts with balances, in both funds
    sizes: dict[str, int] = {}
    large = {url: _queries(client, url, sizes) for url in _pages(books, income)}
    assert large == small, {url: (small[url], large[url]) for url in small if small[url] != large[url]}
    assert max(large.values()) <= 30, large
    # What each ledger page and the balance sheet ask beyond what every page asks (the session,
    # the user, the settings: the search of accounts asks one question more than that).
    baseline = large["/ledger/accounts/search?account_label=Bench"] - 1
    own = {_kind(url): large[url] - baseline for url in large}
    assert {kind: count for kind, count in own.items() if count > OWN_QUERIES.get(kind, 30)} \
        == {}, own
    heavy = {url: size for url, size in sizes.items()
             if size > MAX_BYTES and not url.startswith(UNPAGED)}
    assert not heavy, heavy


def test_long_lists_come_a_page_at_a_time(client, books, session):
    """The chart and the trial balance show a page and link to the next; htmx fetches the
    chart's next rows alone; the trial balance's totals count every account on every page."""
    day = date(YEAR, 1, 15)
    with transaction(session):
        created = [services.create_account(session, code=f"B{n:04d}", name=f"Bench account {n}",
                                           type=AccountType.EXPENSE, actor=books.actor)
                   for n in range(250)]
    _post(books, created, day)
    login(client, "treasurer")
    first = client.get("/ledger/accounts").get_data(as_text=True)
    codes = re.findall(r'<td class="code">([^<]+)</td>', first)
    assert len(codes) == views.ACCOUNTS_PAGE and codes == sorted(codes)
    assert f"after={codes[-1]}" in first
    rest = client.get(f"/ledger/accounts?after={codes[-1]}", headers={"HX-Request": "true"})
    more = re.findall(r'<td class="code">([^<]+)</td>', rest.get_data(as_text=True))
    assert more[0] > codes[-1] and "<html" not in rest.get_data(as_text=True)
    assert "B0249" in client.get("/ledger/accounts?q=Bench account 249").get_data(as_text=True)
    found = client.get("/ledger/accounts?q=0249", headers={"HX-Request": "true"}).get_data(
        as_text=True)
    assert re.findall(r'<td class="code">([^<]+)</td>', found) == []  # codes start with B
    assert "No account matches" in found

    url = f"/ledger/trial-balance?as_of={YEAR}-12-31"
    page, seen = client.get(url).get_data(as_text=True), []
    totals = re.search(r"Total EUR.*?</tr>", page, re.S).group(0)
    while True:
        seen += re.findall(r'<td class="code">([^<]+)</td>', page)
        assert re.search(r"Total EUR.*?</tr>", page, re.S).group(0) == totals
        following = re.search(r'href="([^"]*after=[^"]*)"[^>]*>Next accounts', page)
        if not following:
            break
        page = client.get(following.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert len(seen) == len(set(seen)) and seen == sorted(seen)
    assert {f"B{n:04d}" for n in range(250)} <= set(seen) and len(seen) > views.TRIAL_BALANCE_PAGE
    assert client.get(f"{url}&after=nonsense").status_code == 400


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


def test_the_stored_settings_are_read_once_a_request(client, books):
    """Every amount on a page asks for the locale; the settings come from the database once."""
    _post(books, [books.accounts["4400"], books.accounts["5000"]], date(YEAR, 1, 15))
    login(client, "treasurer")
    page, statements = _sent(client, f"/ledger/trial-balance?as_of={YEAR}-12-31")
    assert page.status_code == 200 and page.data.count(b"\xe2\x82\xac") > 4  # many amounts
    assert sum("stored_settings" in statement for statement in statements) == 1


def test_the_journal_writes_its_page_size_into_its_statement(client, books, app):
    """PostgreSQL prepares a page's statement and may keep a generic plan for it: one that
    does not know how many entries the page takes expects a tenth of the journal and joins every
    posting to them (issue 17: 47 ms for the first page of the 37-household ledger, against
    1 ms). The journal's statement names its LIMIT, every way it is reached."""
    _post(books, [books.accounts["4400"], books.accounts["5000"]], date(YEAR, 1, 15))
    app.config["PAGE_SIZE"] = 7
    login(client, "treasurer")
    for query in ("", "?before=2100-01-01.1", "?after=1900-01-01.1", "?q=Bench",
                  f"?account={books.accounts['4400'].id}"):
        response, statements = _sent(client, f"/ledger/journal{query}")
        page = [s for s in statements if "journal_entries.description" in s]
        assert response.status_code == 200 and len(page) == 1, query
        assert re.search(r"LIMIT 8\b", page[0]), (query, page)


def _sent(client, url: str):
    """GET ``url``: (the response, the statements it sent)."""
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        return client.get(url), statements
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
