"""On random ledgers (Hypothesis): the balance sheet balances, and its net assets are the
opening net assets plus the statement of activities' change; a period's movements read from the
totals that cover it equal closing less opening balances."""
from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backoffice.core.db import transaction
from backoffice.core.money import Money
from backoffice.ledger import services
from backoffice.ledger.balances import fund_account_balances, fund_account_movements
from backoffice.ledger.chart import Account, Fund
from backoffice.ledger.services import Line
from backoffice.reports import statements

FIRST = date(2024, 11, 1)
DAYS = 800
CODES = ["1200", "1410", "2000", "2900", "3000", "4000", "4100", "4800", "5100", "5500", "6100"]

entries = st.lists(st.tuples(st.integers(0, DAYS), st.integers(0, 2), st.sampled_from(CODES),
                             st.sampled_from(CODES), st.integers(1, 10**7)),
                   min_size=1, max_size=25)


def post_all(session, actor, funds, accounts, drawn) -> None:
    with transaction():
        for offset, fund, debit, credit, cents in drawn:
            if debit == credit:
                continue
            services.post_entry(session, booking_date=FIRST + timedelta(days=offset),
                                description="Random", actor=actor, lines=[
                                    Line(accounts[debit], funds[fund], Money(cents, "EUR")),
                                    Line(accounts[credit], funds[fund], Money(-cents, "EUR"))])


def fresh(session, users):
    """Funds and accounts of a fresh book (Hypothesis runs several examples on one database:
    each example starts on new funds, so earlier examples do not count)."""
    actor = users["treasurer"]
    with transaction():
        number = session.query(Fund).count()
        funds = [services.general_fund(session)] + [
            services.create_fund(session, code=f"R{number}{i}", name=f"Fund {number}.{i}",
                                 actor=actor) for i in range(2)]
    accounts = {a.code: a for a in session.query(Account)}
    return actor, funds, accounts


@settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drawn=entries, cut=st.integers(0, DAYS), length=st.integers(0, 400))
def test_the_balance_sheet_balances_and_ties_to_the_activities(session, users, drawn, cut,
                                                               length) -> None:
    actor, funds, accounts = fresh(session, users)
    post_all(session, actor, funds, accounts, drawn)
    start = FIRST + timedelta(days=cut)
    end = start + timedelta(days=length)
    [sheet] = statements.compute_balance_sheet(session, end)
    for column in (0, 1):
        assert sheet.value("Total assets", column) == sheet.value(
            "Total liabilities and net assets", column)
    [report] = statements.compute_activities(session, start, end, by="fund")
    total = report.columns.index("Total")
    opening = report.value("Net assets at start", total)
    change = report.value("Change in net assets", total)
    assert opening + change == report.value("Net assets at end", total)
    assert report.value("Net assets at end", total) == sheet.value("Total net assets")
    for column in range(total):  # every fund on its own
        assert report.value("Net assets at start", column) + report.value(
            "Change in net assets", column) == report.value("Net assets at end", column)


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drawn=entries, first=st.integers(-40, DAYS + 40), length=st.integers(0, 800))
def test_movements_from_the_covering_totals_equal_closing_less_opening(session, users, drawn,
                                                                       first, length) -> None:
    actor, funds, accounts = fresh(session, users)
    post_all(session, actor, funds, accounts, drawn)
    start = FIRST + timedelta(days=first)
    end = start + timedelta(days=length)
    closing = fund_account_balances(session, end)
    opening = fund_account_balances(session, start - timedelta(days=1))
    expected = {key: closing.get(key, 0) - opening.get(key, 0)
                for key in set(closing) | set(opening)}
    assert fund_account_movements(session, start, end) == {
        key: value for key, value in expected.items() if value}
