"""Each statement against a small ledger whose figures are computed by hand here.

The ledger (``conftest.hand_ledger``), in euros:
  2025-06-01 donation to Berlin 1000 (bank / donations, BER)
  2025-09-01 venue 200 paid from Berlin (BER)
  2026-01-15 membership fees 500 (general)
  2026-02-10 donation to Munich 300 (MUC)
  2026-03-05 hosting 120 owed (payables, general)
  2026-04-01 grant 100 paid from Munich (MUC)
  2026-05-01 transfer 50 from the general fund to Berlin
"""
from __future__ import annotations

from datetime import date

from backoffice.reports import statements

from ..helpers import login


def cents(euros: int) -> int:
    return euros * 100


def test_the_balance_sheet_at_the_year_end_beside_the_year_before(session, hand_ledger) -> None:
    [sheet] = statements.compute_balance_sheet(session, date(2026, 12, 31))
    assert sheet.columns == ("2026-12-31", "2025-12-31")
    # Bank: Berlin 1000 - 200, general 500, Munich 300 - 100 = 1500; a year before: 800.
    assert sheet.line("Bank: current account").values == (cents(1500), cents(800))
    assert sheet.value("Total assets") == cents(1500)
    assert sheet.line("Payables").values == (cents(120), 0)
    assert sheet.value("Total liabilities") == cents(120)
    # General: 500 - 120 - 50 transferred; Berlin 800 + 50; Munich 200.
    assert sheet.line("Unrestricted net assets").values == (cents(330), 0)
    assert sheet.line("Python Users Berlin").values == (cents(850), cents(800))
    assert sheet.line("PyMunich").values == (cents(200), 0)
    assert sheet.line("Total other restricted").values == (cents(1050), cents(800))
    assert sheet.line("Total restricted net assets").values == (cents(1050), cents(800))
    assert sheet.line("Total net assets").values == (cents(1380), cents(800))
    assert sheet.line("Total liabilities and net assets").values == (cents(1500), cents(800))
    assert not sheet.warnings
    # The interfund balances net to nothing across funds: no line.
    assert "Interfund balances" not in [line.label for line in sheet.lines]


def test_the_statement_of_activities_by_fund_group_with_the_prior_year(session, hand_ledger) -> None:
    [report] = statements.compute_activities(session, date(2026, 1, 1), date(2026, 12, 31))
    assert report.columns == ("Unrestricted", "Other restricted", "Total", "2025", "Change")
    assert report.line("Membership fees").values == (cents(500), 0, cents(500), 0, cents(500))
    assert report.line("Donations").values == (0, cents(300), cents(300), cents(1000), -cents(700))
    assert report.line("Total income").values == (cents(500), cents(300), cents(800), cents(1000),
                                                  -cents(200))
    assert report.line("Grants awarded").values == (0, cents(100), cents(100), 0, cents(100))
    assert report.line("Software and hosting").values == (cents(120), 0, cents(120), 0, cents(120))
    assert report.line("Event costs: venue").values == (0, 0, 0, cents(200), -cents(200))
    assert report.line("Total expenses").values == (cents(120), cents(100), cents(220),
                                                    cents(200), cents(20))
    assert report.line("Result (income less expenses)").values == (
        cents(380), cents(200), cents(580), cents(800), -cents(220))
    assert report.line("Transfers between funds").values[:3] == (-cents(50), cents(50), 0)
    assert report.line("Change in net assets").values[:3] == (cents(330), cents(250), cents(580))
    assert report.line("Net assets at start").values[:4] == (0, cents(800), cents(800), 0)
    assert report.line("Net assets at end").values[:4] == (cents(330), cents(1050), cents(1380),
                                                           cents(800))


def test_the_statement_of_activities_per_fund(session, hand_ledger) -> None:
    [report] = statements.compute_activities(session, date(2026, 1, 1), date(2026, 6, 30),
                                             by="fund")
    assert report.columns[:3] == ("General fund", "Python Users Berlin", "PyMunich") or \
        set(report.columns[:3]) == {"Python Users Berlin", "PyMunich", report.columns[0]}
    berlin = report.columns.index("Python Users Berlin")
    munich = report.columns.index("PyMunich")
    assert report.line("Net assets at end").values[berlin] == cents(850)
    assert report.line("Net assets at end").values[munich] == cents(200)


def test_cash_flow_by_month_reconciles_each_month(session, hand_ledger) -> None:
    [flow] = statements.compute_cash_flow(session, date(2026, 1, 1))
    assert flow.columns[0] == "Jan 2026" and flow.columns[-1] == "Year"
    assert flow.line("Cash at start").values[0] == cents(800)
    # January +500, February +300, March nothing moved cash (the hosting is owed), April -100.
    assert flow.line("Net change in cash").values[:4] == (cents(500), cents(300), 0, -cents(100))
    assert flow.line("Income booked").values[:4] == (cents(500), cents(300), 0, 0)
    assert flow.line("Expenses booked").values[:4] == (0, 0, -cents(120), -cents(100))
    assert flow.line("Receivables, payables and other movements").values[2] == cents(120)
    assert flow.line("Cash at end").values[3] == cents(1500)
    assert flow.line("Cash at end").values[-1] == cents(1500)
    assert flow.line("Net change in cash").values[-1] == cents(700)


def test_every_figure_opens_the_postings_behind_it(client, session, hand_ledger) -> None:
    login(client, "board")
    page = client.get("/reports/activities?start=2026-01-01&end=2026-12-31")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/reports/postings?account=" in html
    [report] = statements.compute_activities(session, date(2026, 1, 1), date(2026, 12, 31))
    drill = report.line("Donations").drill_at(1)
    listing = client.get("/reports/postings", query_string=drill.query())
    text = listing.get_data(as_text=True)
    assert listing.status_code == 200
    assert "Donation to Munich" in text and "Donation to Berlin" not in text
