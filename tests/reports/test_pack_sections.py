"""The annual pack's every section has figures, and they are the pages' figures: a year with a
grant awarded and paid, a donation, an open invoice, a passed resolution, an approved budget and
income in two tax spheres (each made through the real services), read back from the pack's PDF
text and from the pages that show the same things."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from backoffice.board.models import Body, BodyKind, Resolution, ResolutionStatus, SubjectKind
from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.core.money import Money
from backoffice.core.permissions import Role
from backoffice.donations import donors, manual
from backoffice.donations.models import Channel
from backoffice.extensions import settings
from backoffice.grants.models import Status
from backoffice.ledger.chart import Account
from backoffice.ledger.periods import FiscalYear
from backoffice.reports import budgets, pack, spheres
from backoffice.reports.render import cell_text
from backoffice.reports.statements import HEADING

from ..grants.conftest import eur, grants, make_application  # noqa: F401  (the grants fixture)
from ..invoicing.factories import issued
from ..sponsorship import client_for
from .test_pack import pdf_text

YEAR = clock.today().year


@pytest.fixture
def full_year(session, users, grants):  # noqa: F811  (the fixture imported above)
    """This year: a grant of 800.00 approved and paid from the programme's fund, a donation of
    120.00 by bank transfer, a sponsorship invoice of 5,950.00 still open, the board's passed
    resolution on the budget and the budget it approves (grants 2,000.00 from the programme's
    fund), and income in the ideal sphere (donations) and the economic one (sponsorship)."""
    treasurer = users[Role.TREASURER]
    application = make_application(grants, Status.PAID, amount=eur(800))
    with transaction():
        donor = donors.find_or_create(session, donors.DonorDetails(
            name="Anna Müller", email="anna@example.org", street="Hauptstr. 1",
            postcode="10115", city="Berlin", country="DE"))
        donation = manual.record_by_hand(session, donor=donor, fund=grants.fund,
                                         amount=Money(12000, "EUR"), day=clock.today(),
                                         channel=Channel.BANK, actor=treasurer)
    invoice = issued()
    with transaction():
        body = Body(kind=BodyKind.BOARD, name="Board", code="B")
        session.add(body)
        session.flush()
        passed = Resolution(body_id=body.id, year=YEAR, sequence=1, number=f"B-{YEAR}-1",
                            deadline=datetime(YEAR, 1, 15, tzinfo=UTC), item_id=None,
                            title=f"Budget {YEAR}", text="Approved.",
                            subject_kind=SubjectKind.ANNUAL_BUDGET, subject_id=YEAR,
                            majority="simple", status=ResolutionStatus.PASSED,
                            decided_at=datetime.now(UTC))
        session.add(passed)
    with transaction():
        grants_expense = session.query(Account).filter_by(role="grants_expense").one()
        revision = budgets.revise(session, YEAR, [budgets.PlanLine(
            grants_expense.id, grants.fund.id, Money(200000, "EUR"))], note="", actor=treasurer)
        budgets.approve(session, revision, resolution_id=passed.id, actor=users[Role.BOARD])
    return dict(application=application, donation=donation, invoice=invoice, resolution=passed,
                grants=grants, treasurer=treasurer)


def figures(statement) -> list[str]:
    """Every figure of a statement as its pages and files write it (headings have none)."""
    return [cell_text(statement, column, value) for line in statement.lines
            if line.kind != HEADING for column, value in enumerate(line.values)
            if value not in (None, 0)]


def page_text(client, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, path
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", answer.get_data(as_text=True)))


def test_every_section_of_the_pack_has_the_figures_of_its_pages(app, session, full_year):
    made = pack.compute(session, YEAR, settings())
    text = pdf_text(pack.render(made)[0])[0]
    flat = re.sub(r"\s+", " ", text)
    board = client_for(app, "board@test.example")
    treasurer = client_for(app, full_year["treasurer"].email)
    grants_ = full_year["grants"]

    # Grants awarded and paid: 800.00 awarded (the grants expense in the programme's fund) and
    # 800.00 paid out; the programme's fund statement shows the expense, the application the
    # payment.
    section = made.section("grants").statements[0]
    assert section.line("Community grants programme").values == (80000, 80000)
    assert section.value("All programmes", 1) == 80000
    fund_page = page_text(board, f"/reports/funds/{grants_.fund.id}?start={YEAR}-01-01"
                                 f"&end={YEAR}-12-31")
    application_page = page_text(treasurer,
                                 f"/grants/applications/{full_year['application'].id}")
    assert "800.00" in fund_page and "800.00" in application_page
    assert "Community grants programme" in flat and "800.00" in flat

    # Donations: one of 120.00 by bank transfer, as the donations list shows it.
    section = made.section("donations").statements[0]
    assert section.value("Donations received") == 12000
    assert section.value("Donations received", 1) == 1
    assert "120.00" in page_text(treasurer, "/donations") and "120.00" in flat

    # Open receivables: the invoice, 5,950.00 open, as the aging page lists it.
    invoice = full_year["invoice"]
    section = made.section("receivables").statements[0]
    assert section.value("Open receivables", 1) == invoice.gross_total == 595000
    aging = page_text(board, "/reports/aging")
    assert invoice.number in aging and "5,950.00" in aging
    assert invoice.number in flat and "5,950.00" in flat

    # Resolutions of the year: the budget's, as the board's register lists it.
    passed = full_year["resolution"]
    section = made.section("resolutions")
    assert [row[0] for row in section.rows] == [passed.number]
    assert passed.number in page_text(board, "/board/resolutions")
    assert passed.number in flat and passed.title in flat

    # Result per tax sphere and budget against actual: every figure of the page's statement is
    # in the pack (the same statement the page shows), and on the page.
    start, end = date(YEAR, 1, 1), date(YEAR, 12, 31)
    sphere = spheres.compute(session, start, end, settings().reports, "EUR", "en_IE")
    assert made.section("spheres").statements[0].lines == sphere.lines
    assert len({line.label for line in sphere.lines if any(line.values)}) >= 3
    sphere_page = page_text(board, f"/reports/spheres?year={YEAR}")
    budget = budgets.compute(session, YEAR, FiscalYear(1), clock.today(), "EUR")
    assert budget.line(next(line.label for line in budget.lines
                            if line.label.startswith("Grants"))).values[:3] == (200000, 80000,
                                                                                 4000)
    assert made.section("budget").statements[0].lines == budget.lines
    budget_page = page_text(board, f"/reports/budget?year={YEAR}")
    for statement, page in ((sphere, sphere_page), (budget, budget_page)):
        shown = figures(statement)
        assert shown
        assert [f for f in shown if f not in page] == [], statement.key
        assert [f for f in shown if f not in flat] == [], statement.key
