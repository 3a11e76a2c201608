"""Grant programmes in the reports: their fund group's column of the statement of activities
and each programme's budget against what it awarded, on a ledger worked out by hand.

Funds: GEN (unrestricted), BER (a member group's), MUC (other restricted), CG and TG (the funds of
the programmes "Community grants" and "Travel grants").

2025: CG receives 400.00 of donations and awards 400.00.
2026: GEN  membership fees 500.00; transfers 100.00 to CG on 02-01
      BER  donations 1,000.00, venue 200.00
      CG   donations 3,000.00, awards 1,200.00 (03-10) and 300.00 (09-01)
      TG   donations 2,000.00, awards 800.00 (05-05)
      MUC  donations 300.00

Statement of activities 2026 by fund group (Unrestricted, Member groups, Grant programmes,
Other restricted | Total | 2025 | Change):
  Donations        0  1,000  5,000  300 | 6,300 | 400 | 5,900
  Grants awarded   0      0  2,300    0 | 2,300 | 400 | 1,900
  Result         500    800  2,700  300 | 4,300 |   0 | 4,300
  Change in net assets (the transfer)  400  800  2,800  300 | 4,300
  Net assets at end of the programmes: CG 3,000 + 100 - 1,500 = 1,600, TG 1,200: 2,800.

Programme budgets 2026: Community 2,000.00, Travel 1,000.00 (Community 2025: 500.00, not this
year's). On 2026-07-02: Community awarded 1,200.00 = 60 %, variance -800.00; Travel 800.00 =
80 %, variance -200.00. After the year (2027-02-01): Community 1,500.00 = 75 %, variance -500.00.
"""
from __future__ import annotations

from datetime import date

import pytest

from backoffice.core.db import transaction
from backoffice.core.money import Money
from backoffice.grants import programmes
from backoffice.groups.models import MemberGroup
from backoffice.ledger import services
from backoffice.ledger.periods import FiscalYear
from backoffice.reports import budgets, statements

from ..helpers import login

YEAR = (date(2026, 1, 1), date(2026, 12, 31))
COLUMNS = ["Unrestricted", "Member groups", "Grant programmes", "Other restricted"]


def eur(text: str) -> Money:
    return Money.parse(text, "EUR")


@pytest.fixture
def programme_ledger(session, books):
    b = books
    made = {}
    with transaction():
        session.add(MemberGroup(name="Python Users Berlin", slug="ber", status="active",
                                fund_id=b.berlin.id))
        for key, code, name, slug in (("cg", "CG", "Community grants", "community"),
                                      ("tg", "TG", "Travel grants", "travel")):
            fund = services.create_fund(session, code=code, name=name, actor=b.actor)
            made[key] = fund
            made[f"{key}_programme"] = programmes.create_programme(session, programmes.ProgrammeInput(
                name=name, slug=slug, fund_id=fund.id, max_per_grant=eur("2000")), actor=b.actor)
        programmes.set_budget(session, made["cg_programme"], year=2026, amount=eur("2000"),
                              actor=b.actor)
        programmes.set_budget(session, made["cg_programme"], year=2025, amount=eur("500"),
                              actor=b.actor)
        programmes.set_budget(session, made["tg_programme"], year=2026, amount=eur("1000"),
                              actor=b.actor)
    cg, tg = made["cg"], made["tg"]
    b.post(date(2025, 6, 1), ("1200", cg, "400"), ("4100", cg, "-400"), description="CG 2025 gift")
    b.post(date(2025, 7, 1), ("5000", cg, "400"), ("1200", cg, "-400"), description="CG 2025 award")
    b.post(date(2026, 1, 15), ("1200", b.general, "500"), ("4000", b.general, "-500"),
           description="Membership fees")
    b.transfer(date(2026, 2, 1), b.general, cg, "100")
    b.post(date(2026, 2, 2), ("1200", b.berlin, "1000"), ("4100", b.berlin, "-1000"),
           description="Berlin gift")
    b.post(date(2026, 2, 3), ("5100", b.berlin, "200"), ("1200", b.berlin, "-200"),
           description="Berlin venue")
    b.post(date(2026, 2, 4), ("1200", cg, "3000"), ("4100", cg, "-3000"), description="CG gift")
    b.post(date(2026, 3, 10), ("5000", cg, "1200"), ("1200", cg, "-1200"),
           description="CG award spring")
    b.post(date(2026, 9, 1), ("5000", cg, "300"), ("1200", cg, "-300"),
           description="CG award autumn")
    b.post(date(2026, 2, 5), ("1200", tg, "2000"), ("4100", tg, "-2000"), description="TG gift")
    b.post(date(2026, 5, 5), ("5000", tg, "800"), ("1200", tg, "-800"), description="TG award")
    b.post(date(2026, 2, 6), ("1200", b.munich, "300"), ("4100", b.munich, "-300"),
           description="Munich gift")
    return made


def _by_code(statement, code: str) -> tuple:
    return next(line.values for line in statement.lines if line.code == code)


def test_the_programmes_column_sums_the_programme_funds(session, books, programme_ledger):
    [statement] = statements.compute_activities(session, *YEAR, by="group")
    assert list(statement.columns) == [*COLUMNS, "Total", "2025", "Change"]
    assert _by_code(statement, "4100") == (0, 100000, 500000, 30000, 630000, 40000, 590000)
    assert _by_code(statement, "5000") == (0, 0, 230000, 0, 230000, 40000, 190000)
    assert statement.value("Result (income less expenses)", 2) == 270000
    assert statement.line("Result (income less expenses)").values == (
        50000, 80000, 270000, 30000, 430000, 0, 430000)
    assert statement.line("Change in net assets").values[:5] == (40000, 80000, 280000, 30000,
                                                                 430000)
    assert statement.line("Net assets at end").values[2] == 280000
    # The column's figures drill down by the fund group, not by a list of fund ids.
    grants = next(line for line in statement.lines if line.code == "5000")
    assert grants.drill_at(2).query() == {"account": str(books["5000"].id),
                                          "group": "programmes",
                                          "start": "2026-01-01", "end": "2026-12-31"}


def test_the_programmes_column_on_the_page_leads_to_the_programmes_postings(
        client, books, programme_ledger):
    login(client, "board")
    page = client.get("/reports/activities?start=2026-01-01&end=2026-12-31")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Grant programmes" in html and "2,300.00" in html
    link = (f"/reports/postings?account={books['5000'].id}&amp;group=programmes"
            "&amp;start=2026-01-01&amp;end=2026-12-31")
    assert link in html
    postings = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    for shown in ("CG award spring", "CG award autumn", "TG award"):
        assert shown in postings
    assert "CG 2025 award" not in postings and "Berlin venue" not in postings


def _programme_lines(statement) -> dict[str, tuple]:
    labels = [line.label for line in statement.lines]
    start = labels.index("Grant programmes (awarded against the programme's budget)")
    return {line.label: line.values for line in statement.lines[start + 1:]}


def test_each_programmes_budget_against_what_it_awarded(session, programme_ledger):
    statement = budgets.compute(session, 2026, FiscalYear(1), date(2026, 7, 2))
    assert _programme_lines(statement) == {
        "Community grants": (200000, 120000, 6000, None, -80000),
        "Travel grants": (100000, 80000, 8000, None, -20000)}
    later = budgets.compute(session, 2026, FiscalYear(1), date(2027, 2, 1))
    assert _programme_lines(later)["Community grants"] == (200000, 150000, 7500, None, -50000)
    # 2025: only Community has a budget (500.00), and it awarded 400.00 then.
    before = budgets.compute(session, 2025, FiscalYear(1), date(2026, 2, 1))
    assert _programme_lines(before) == {"Community grants": (50000, 40000, 8000, None, -10000)}
    # Drilled down to the programme fund's grants expense.
    community = next(line for line in statement.lines if line.label == "Community grants")
    assert community.drill_at(1).funds == (programme_ledger["cg"].id,)


def test_the_budget_page_shows_the_programmes(client, programme_ledger):
    login(client, "treasurer")
    html = client.get("/reports/budget?year=2026").get_data(as_text=True)
    row = html.split(">Travel grants<", 1)[1].split("</tr>", 1)[0]
    assert "€1,000.00" in row and "€800.00" in row and "-€200.00" in row.replace("−", "-")
