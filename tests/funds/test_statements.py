"""Fund statements agree with the raw postings for any period, as page, CSV and PDF."""
import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pypdf
from sqlalchemy import func, select

from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.core.permissions import Role
from backoffice.funds import fees
from backoffice.funds.models import IncomeKind
from backoffice.funds.statements import recent_movements, statements
from backoffice.ledger import services as ledger
from backoffice.ledger.chart import Account, AccountType
from backoffice.ledger.models import Posting
from backoffice.ledger.services import Line

from ..helpers import csrf_token, email_for
from ..sponsorship import active_group, approved, client_for, eur, give


def _income(session, fund, kind, role, amount, day):
    bank = ledger.account_by_role(session, "bank")
    return ledger.post_entry(
        session, booking_date=day, description=f"{kind} income", actor=None,
        lines=fees.income_lines(session, fund=fund, kind=kind, amount=amount, day=day,
                                debit_account=bank,
                                income_account=ledger.account_by_role(session, role)))


def _history(session, users):
    """A group with a year of activity: opening money, income with fees, claims, a transfer."""
    group = active_group(session, "PyNürnberg", actor=users[Role.ADMIN])
    fund, general = group.fund, ledger.general_fund(session)
    today = clock.today()
    days = [today - timedelta(days=n) for n in (300, 200, 120, 60, 30, 5)]
    with transaction():
        fees.set_policy(session, fund, rate_percent=Decimal("7"), effective_from=days[0],
                        kinds=[IncomeKind.SPONSORSHIP, IncomeKind.TICKETS], actor=None)
        give(session, fund, eur("100.00"), days[0])
        _income(session, fund, IncomeKind.SPONSORSHIP, "sponsorship_income", eur("1000.00"), days[1])
        _income(session, fund, IncomeKind.TICKETS, "ticket_income", eur("333.33"), days[2])
        _income(session, fund, IncomeKind.OTHER, "interest_income", eur("1.05"), days[3])
        ledger.transfer_between_funds(session, from_fund=general, to_fund=fund,
                                      amount=eur("250.00"), booking_date=days[4],
                                      description="Board top-up", actor=users[Role.TREASURER])
        ledger.post_entry(session, booking_date=days[5], description="Venue", actor=None,
                          lines=[Line(ledger.account_by_code(session, "5100"), fund, eur("80.00")),
                                 Line(ledger.account_by_role(session, "bank"), fund,
                                      -eur("80.00"))])
    approved(session, group.organisers[0], fund, users[Role.TREASURER], ["19.99"])
    return group, days


def _raw(session, fund_id, start, end, account_filter):
    """Straight from the postings: minus the sum over accounts that ``account_filter`` picks."""
    ids = [a.id for a in session.scalars(select(Account)) if account_filter(a)]
    total = session.scalar(select(func.coalesce(func.sum(Posting.amount), 0)).where(
        Posting.fund_id == fund_id, Posting.account_id.in_(ids),
        Posting.booking_date >= start, Posting.booking_date <= end))
    return -int(total)


def test_statement_numbers_equal_the_ledger_for_any_period(session, users):
    group, days = _history(session, users)
    fund = group.fund
    fee_role = fees.ADMIN_FEE_EXPENSE_ROLE
    resources = (AccountType.ASSET, AccountType.LIABILITY)
    for start, end in [(days[0], clock.today()), (days[1], days[3]), (days[2], days[2]),
                       (days[3] + timedelta(days=1), clock.today()), (date(2000, 1, 1), days[0])]:
        (s,) = statements(session, fund, start, end)
        assert s.reconciles
        assert s.opening == -_raw(session, fund.id, date.min, start - timedelta(days=1),
                                  lambda a: a.type in resources)
        assert s.closing == -_raw(session, fund.id, date.min, end, lambda a: a.type in resources)
        assert s.total_income == _raw(session, fund.id, start, end,
                                      lambda a: a.type is AccountType.INCOME)
        assert s.total_fees == -_raw(session, fund.id, start, end, lambda a: a.role == fee_role)
        assert s.total_expenses == -_raw(
            session, fund.id, start, end,
            lambda a: a.type is AccountType.EXPENSE and a.role != fee_role)
        assert s.total_transfers == _raw(session, fund.id, start, end,
                                         lambda a: a.type is AccountType.NET_ASSETS)

    (whole,) = statements(session, fund, days[0], clock.today())
    # 7 % of 1000.00 and of 333.33 (23.3331 -> 23.33); "other" income pays no fee.
    assert whole.total_fees == 7000 + 2333
    assert dict((a.code, v) for a, v in whole.income) == {"4200": 100000, "4300": 33333,
                                                           "4800": 105}
    assert dict((a.code, v) for a, v in whole.expenses) == {"5100": 8000, "5110": 1999}
    assert whole.closing == 10000 + 100000 + 33333 + 105 - 9333 + 25000 - 8000 - 1999
    movements = recent_movements(session, fund, 4)
    assert [m.amount.amount for m in movements] == [-1999, -8000, 25000, 105]
    assert movements[0].description.startswith("Expense claim EC")


def test_the_one_statement_is_in_reports_and_the_fund_page_keeps_its_fees(app, session, users):
    """The organiser's statement (page, CSV, PDF) is the Reports one; the fund page links there,
    shows no statement of its own, and its old file addresses lead there for the same period."""
    group, days = _history(session, users)
    fund = group.fund
    client = client_for(app, group.organisers[0].email)
    query = f"start={days[1]}&end={clock.today()}"
    (s,) = statements(session, fund, days[1], clock.today())
    closing = Decimal(s.closing) / 100
    fund_page = client.get(f"/funds/{fund.id}?{query}").get_data(as_text=True)
    assert f'href="/reports/funds/{fund.id}"' in fund_page
    assert "Closing balance" not in fund_page and "statement.csv" not in fund_page
    assert 'data-testid="fee-policies"' in fund_page
    group_page = client.get(f"/groups/{group.id}").get_data(as_text=True)
    assert f'href="/reports/funds/{fund.id}"' in group_page and f'"/funds/{fund.id}"' not in \
        group_page

    page = client.get(f"/reports/funds/{fund.id}?{query}").get_data(as_text=True)
    assert "Admin fees to the association" in page and "Sponsorship income" in page
    assert f"€{closing:,.2f}" in page

    for old, fmt in (("statement.csv", "csv"), ("statement.pdf", "pdf")):
        moved = client.get(f"/funds/{fund.id}/{old}?{query}")
        assert moved.status_code == 301
        assert moved.headers["Location"] == f"/reports/funds/{fund.id}.{fmt}?{query}"
    response = client.get(f"/reports/funds/{fund.id}.csv?{query}")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="fund-{fund.code}-{days[1]}-{clock.today()}.csv"')
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    figures = {row[1]: Decimal(row[3]) for row in rows[2:] if len(row) > 3 and row[3]}
    assert figures[f"Opening balance {days[1]}"] == Decimal(s.opening) / 100
    assert figures[f"Closing balance {clock.today()}"] == closing
    assert figures["Total admin fees to the association"] == Decimal(s.total_fees) / 100

    pdf = client.get(f"/reports/funds/{fund.id}.pdf?{query}")
    assert pdf.headers["Content-Type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.data)).pages)
    assert fund.name in text and "Closing balance" in text and f"€{closing:,.2f}" in text

    # Another group's fund: not its page, not its old addresses, not its statement.
    other = active_group(session, "PyElsewhere", actor=users[Role.ADMIN], money="10.00")
    for url in (f"/funds/{other.fund.id}", f"/funds/{other.fund.id}/statement.csv",
                f"/funds/{other.fund.id}/statement.pdf", f"/reports/funds/{other.fund.id}"):
        assert client.get(url).status_code == 404, url

    # A treasurer adds a new fee rate from tomorrow; the past keeps its rate.
    treasurer = client_for(app, email_for(Role.TREASURER))
    tomorrow = clock.today() + timedelta(days=1)

    def add(day):
        return treasurer.post(f"/funds/{fund.id}/fees", data={
            "rate": "10", "kinds": ["sponsorship"], "effective_from": day.isoformat(),
            "csrf_token": csrf_token(treasurer, f"/funds/{fund.id}")})

    refused = add(clock.today())  # approval set today's policy
    assert refused.status_code == 400 and "already has a policy" in refused.get_data(as_text=True)
    assert add(tomorrow).status_code == 302
    assert fees.policy_on(session, fund.id, tomorrow).rate_bp == 1000
    assert fees.policy_on(session, fund.id, clock.today()).rate_bp == 700
    (after,) = statements(session, fund, days[1], clock.today())
    assert after.total_fees == s.total_fees
    assert client.post(f"/funds/{fund.id}/fees", data={  # the organiser may not
        "rate": "0", "csrf_token": csrf_token(client, f"/funds/{fund.id}")}).status_code == 403
