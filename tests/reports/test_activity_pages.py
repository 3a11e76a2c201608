"""The statement of activities page shows a page of its fund columns and of its account lines
(issue 15, issue 17: no page over 100 KB, cost flat in the number of funds); the total, prior
period and change columns, the subtotals and the results stay over every fund and account, and
the files stay whole."""
from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest

from backoffice.core.db import transaction
from backoffice.core.money import Money
from backoffice.ledger import services
from backoffice.ledger.chart import AccountType
from backoffice.ledger.checks import Line
from backoffice.reports import statements
from backoffice.reports.scope import fund_rows
from backoffice.reports.statements import Window

from ..helpers import counted_get, login

START, END = date(2026, 1, 1), date(2026, 12, 31)
URL = "/reports/activities?start=2026-01-01&end=2026-12-31"


def cents(euros: int) -> int:
    return euros * 100


def _whole_and_pages(session, size: int, by: str = "fund"):
    [whole] = statements.compute_activities(session, START, END, by=by)
    pages = []
    page = 1
    while True:
        [part] = statements.compute_activities(session, START, END, by=by,
                                               window=Window(page, columns_per_page=size))
        pages.append(part)
        if page >= part.paging.column_pages:
            return whole, pages
        page += 1


def test_each_page_of_columns_has_its_funds_and_the_totals_over_all(session, hand_ledger):
    """The hand ledger of test_statements, one fund a page: General (membership fees 500,
    hosting 120, 50 given to Berlin), Berlin (the 50), Munich (donation 300, grant 100)."""
    funds = [row.fund.name for row in fund_rows(session)]
    whole, pages = _whole_and_pages(session, 1)
    assert len(pages) == len(funds) == len(whole.columns) - 3
    berlin = pages[funds.index("Python Users Berlin")]
    munich = pages[funds.index("PyMunich")]
    general = pages[0]
    assert general.columns == ("General fund", "Total", "2025", "Change")
    assert berlin.columns == ("Python Users Berlin", "Total", "2025", "Change")
    assert general.line("Membership fees").values == (cents(500), cents(500), 0, cents(500))
    assert munich.line("Donations").values == (cents(300), cents(300), cents(1000), -cents(700))
    assert berlin.line("Donations").values == (0, cents(300), cents(1000), -cents(700))
    assert munich.line("Total income").values == (cents(300), cents(800), cents(1000),
                                                  -cents(200))
    assert munich.line("Total expenses").values == (cents(100), cents(220), cents(200),
                                                    cents(20))
    assert general.line("Result (income less expenses)").values == (
        cents(380), cents(580), cents(800), -cents(220))
    # The transfer nets to nothing over General and Berlin, which Munich's page does not show:
    # its line is still there, on every page, as in the whole statement.
    assert general.line("Transfers between funds").values[:2] == (-cents(50), 0)
    assert berlin.line("Transfers between funds").values[:2] == (cents(50), 0)
    assert munich.line("Transfers between funds").values[:2] == (0, 0)
    assert munich.line("Net assets at end").values == (cents(200), cents(1380), cents(800),
                                                       cents(580))
    assert berlin.line("Net assets at start").values[:3] == (cents(800), cents(800), 0)
    # Every page, put side by side, is the whole statement.
    for line in whole.lines:
        per_fund = [page.line(line.label).values[:1] for page in pages]
        assert tuple(v for values in per_fund for v in values) == line.values[:len(funds)], \
            line.label
        for page in pages:
            assert page.line(line.label).values[1:] == line.values[len(funds):], line.label
            assert [x.label for x in page.lines] == [x.label for x in whole.lines]
    assert munich.paging.columns == len(funds) and munich.paging.first_column == 3


def test_pages_of_account_lines_keep_the_subtotals_over_every_account(session, hand_ledger):
    [whole] = statements.compute_activities(session, START, END, by="fund")
    accounts = [line.label for line in whole.lines if line.kind == statements.LINE and line.code]
    seen = []
    for page in (1, 2, 3):
        [part] = statements.compute_activities(session, START, END, by="fund",
                                               window=Window(row_page=page, rows_per_page=2))
        assert part.paging.rows == len(accounts) and part.paging.row_pages == 3
        mine = [line.label for line in part.lines if line.kind == statements.LINE and line.code]
        assert len(mine) <= 2
        seen += mine
        for label in ("Total income", "Total expenses", "Result (income less expenses)",
                      "Net assets at end"):
            assert part.line(label).values == whole.line(label).values
    assert seen == accounts and len(accounts) == 6  # five moved in 2026, the venue in 2025


def test_a_scope_of_funds_shows_their_columns_and_their_accounts_alone(session, hand_ledger):
    """fund_ids: the statement of some funds (their figures read per fund, the chart of the
    accounts that moved in them read apart) has the whole statement's columns of those funds,
    the lines of the accounts that moved in them in code order, and totals over them alone;
    a page of its columns has the same lines."""
    b = hand_ledger
    [whole] = statements.compute_activities(session, START, END, by="fund")
    [scoped] = statements.compute_activities(session, START, END, by="fund",
                                             fund_ids=(b.munich.id, b.berlin.id))
    berlin, munich = (whole.columns.index(name) for name in ("Python Users Berlin", "PyMunich"))
    assert scoped.columns == ("Python Users Berlin", "PyMunich", "Total", "2025", "Change")
    assert [line.code for line in scoped.lines if line.code] == ["4100", "5000", "5100", "3900"]
    for line in scoped.lines:
        if line.code:
            own = whole.line(line.label).values
            assert line.values[:3] == (own[berlin], own[munich], own[berlin] + own[munich])
    assert scoped.line("Donations").values[2:] == (cents(300), cents(1000), -cents(700))
    assert scoped.line("Total expenses").values == (0, cents(100), cents(100), cents(200),
                                                    -cents(100))
    assert scoped.line("Net assets at end").values[:3] == (cents(850), cents(200), cents(1050))
    [page] = statements.compute_activities(session, START, END, by="fund",
                                           fund_ids=(b.munich.id, b.berlin.id),
                                           window=Window(columns_per_page=1))
    assert page.columns[0] == "Python Users Berlin"
    assert [line.label for line in page.lines] == [line.label for line in scoped.lines]
    assert page.line("Grants awarded").values == (0, cents(100), 0, cents(100))


@pytest.mark.parametrize("query", ["column_page=0", "column_page=-1", "column_page=x",
                                   "column_page=99", "row_page=0", "row_page=99",
                                   "row_page=1.5", "column_page=99999999999"])
def test_bad_page_parameters_answer_400(client, hand_ledger, query):
    login(client, "board")
    response = client.get(f"{URL}&by=fund&{query}")
    assert response.status_code == 400, query


def test_the_page_links_to_its_other_pages_and_the_files_stay_whole(client, session, hand_ledger):
    login(client, "board")
    html = client.get(f"{URL}&by=fund").get_data(as_text=True)
    assert 'data-testid="statement-pages"' not in html  # three funds: one page
    rows = list(csv.reader(io.StringIO(client.get(
        "/reports/activities.csv?start=2026-01-01&end=2026-12-31&by=fund&column_page=2"
    ).get_data(as_text=True))))
    header = next(row for row in rows if "Total" in row)
    assert "Python Users Berlin" in header and "PyMunich" in header and "General fund" in header


def _many_funds(session, actor, funds: int, accounts: int) -> None:
    """``funds`` funds and ``accounts`` income accounts; each fund receives 10.45 on ten of them
    in 2026, and 0.07 on one in 2025."""
    with transaction(session):
        made = [services.create_fund(session, code=f"M{n:04d}", name=f"Many fund {n}",
                                     actor=actor) for n in range(funds)]
        income = [services.create_account(session, code=f"I{n:04d}", name=f"Income line {n}",
                                          type=AccountType.INCOME, actor=actor)
                  for n in range(accounts)]
    bank = services.account_by_role(session, "bank")
    with transaction(session):
        for n, fund in enumerate(made):
            lines = [Line(income[(n + k) % accounts], fund, Money(-(100 + k), "EUR"))
                     for k in range(10)]
            lines.append(Line(bank, fund, Money(sum(100 + k for k in range(10)), "EUR")))
            services.post_entry(session, booking_date=date(2026, 3, 1 + n % 28),
                                description=f"Many {n}", lines=lines, actor=actor)
            services.post_entry(session, booking_date=date(2025, 3, 1), description=f"Old {n}",
                                lines=[Line(income[n % accounts], fund, Money(-7, "EUR")),
                                       Line(bank, fund, Money(7, "EUR"))], actor=actor)


def test_many_funds_and_accounts_a_page_stays_small_and_its_queries_flat(client, session,
                                                                        books):
    login(client, "board")
    _many_funds(session, books.actor, 12, 80)
    small = {by: counted_get(client, f"{URL}&by={by}")[1] for by in ("fund", "group")}
    _many_funds_extra(session, books.actor, 150)  # 162 funds with money, 160 income accounts
    for by in ("fund", "group"):
        response, count = counted_get(client, f"{URL}&by={by}")
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert len(response.data) < 100 * 1024, (by, len(response.data))
        assert count == small[by], (by, small[by], count)
    # By fund: ten fund columns, then Total, 2025 and Change; the total is over all 165 funds
    # (the general fund, Berlin, Munich and the 162 made here).
    response = client.get(f"{URL}&by=fund&column_page=3")
    html = response.get_data(as_text=True)
    header = re.search(r"<thead>(.*?)</thead>", html, re.S).group(1)
    assert header.count('class="num"') == statements.COLUMNS_PER_PAGE + 3
    assert "Columns 21–30 of 165" in html and "Next columns" in html and "Previous columns" in html
    [whole] = statements.compute_activities(session, START, END, by="fund")
    [part] = statements.compute_activities(session, START, END, by="fund", window=Window(3))
    # (General, Berlin, M0000-M0011, Munich, then the X funds.) Each fund received 1.00 + 1.01 + ... + 1.09 = 10.45 in 2026; the first twelve 0.07 in 2025.
    assert part.line("Total income").values[:10] == (1045,) * 10
    assert part.line("Total income").values[-3:] == (162 * 1045, 12 * 7, 162 * 1045 - 12 * 7)
    assert part.line("Total income").values[-3:] == whole.line("Total income").values[-3:]
    assert part.line("Total income").values[:10] == whole.line("Total income").values[20:30]
    # Accounts come a page at a time too (80 + 80 income accounts with money).
    assert "Accounts: page 1 of" in html and "Next accounts" in html
    last = part.paging.row_pages
    assert client.get(f"{URL}&by=fund&row_page={last}").status_code == 200
    assert client.get(f"{URL}&by=fund&row_page={last + 1}").status_code == 400


def _many_funds_extra(session, actor, funds: int) -> None:
    """``funds`` more funds and 80 more income accounts; each fund receives 10.45 in 2026."""
    with transaction(session):
        made = [services.create_fund(session, code=f"X{n:04d}", name=f"More fund {n}",
                                     actor=actor) for n in range(funds)]
        income = [services.create_account(session, code=f"J{n:04d}", name=f"More income {n}",
                                          type=AccountType.INCOME, actor=actor)
                  for n in range(80)]
    bank = services.account_by_role(session, "bank")
    with transaction(session):
        for n, fund in enumerate(made):
            lines = [Line(income[(n + k) % 80], fund, Money(-(100 + k), "EUR"))
                     for k in range(10)]
            lines.append(Line(bank, fund, Money(sum(100 + k for k in range(10)), "EUR")))
            services.post_entry(session, booking_date=date(2026, 3, 1 + n % 28),
                                description=f"More {n}", lines=lines, actor=actor)
