"""Every statement as a page, a PDF, a CSV and an XLSX, with the same figures in each."""
from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from backoffice.core.db import transaction
from backoffice.core.money import Money
from backoffice.reports import budgets

from ..helpers import login
from ..invoicing.factories import issued, sponsor
from .aged import aged_ledger

STATEMENTS = [
    ("/reports/balance-sheet", "as_of=2026-12-31", "Total net assets", "1,380.00"),
    ("/reports/activities", "start=2026-01-01&end=2026-12-31", "Total income", "800.00"),
    ("/reports/cash-flow", "year=2026", "Net change in cash", "700.00"),
]


@pytest.mark.parametrize("path,query,label,figure", STATEMENTS)
def test_the_page_and_every_download_show_the_same_figures(client, hand_ledger, path, query,
                                                           label, figure) -> None:
    login(client, "board")
    page = client.get(f"{path}?{query}")
    assert page.status_code == 200
    assert label in page.get_data(as_text=True)
    assert figure in page.get_data(as_text=True)

    response = client.get(f"{path}.csv?{query}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    header = rows[1]
    assert header[:3] == ["Code", "Line", "Kind"]
    row = next(r for r in rows if len(r) > 1 and r[1] == label)
    assert figure.replace(",", "") in row

    response = client.get(f"{path}.xlsx?{query}")
    assert response.status_code == 200
    assert 'filename="' in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.worksheets[0]
    assert sheet.freeze_panes == "A4"
    assert [c.value for c in sheet[3]][:2] == ["Code", "Line"]
    found = next(r for r in sheet.iter_rows(min_row=4) if (r[1].value or "").strip() == label)
    numbers = [c for c in found[2:] if c.value is not None]
    assert numbers and all(isinstance(c.value, (int, float)) for c in numbers)
    assert all('"EUR"' in c.number_format for c in numbers)
    assert Decimal(figure.replace(",", "")) in [Decimal(str(c.value)).quantize(Decimal("0.01"))
                                                for c in numbers]
    assert found[1].font.bold

    response = client.get(f"{path}.pdf?{query}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert label in text and figure in text


def test_an_xlsx_adds_up(client, hand_ledger) -> None:
    """The income lines of the XLSX sum to its total income, in every column."""
    login(client, "treasurer")
    response = client.get("/reports/activities.xlsx?start=2026-01-01&end=2026-12-31")
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=4)]
    labels = [(r[1] or "").strip() for r in rows]
    income = rows[labels.index("Income") + 1:labels.index("Total income")]
    total = rows[labels.index("Total income")]
    for column in range(2, 7):
        assert round(sum(r[column] or 0 for r in income), 2) == round(total[column] or 0, 2)


def test_a_figure_that_is_no_format_is_not_found(client, users) -> None:
    login(client, "board")
    assert client.get("/reports/balance-sheet.docx").status_code == 404


@pytest.mark.parametrize("path", ["/reports/balance-sheet", "/reports/activities.csv",
                                  "/reports/postings"])
def test_organisers_and_reviewers_see_no_statement(client, users, path) -> None:
    for role in ("organiser", "reviewer"):
        login(client, role)
        assert client.get(path).status_code == 403


def test_bad_filters_are_a_clear_400(client, users) -> None:
    login(client, "board")
    assert client.get("/reports/balance-sheet?as_of=yesterday").status_code == 400
    assert client.get("/reports/activities?start=2026-05-01&end=2026-01-01").status_code == 400
    assert client.get("/reports/cash-flow?year=99999").status_code == 400
    assert client.get("/reports/postings?funds=1,x").status_code == 400


def test_a_chart_is_pygal_svg_without_script_nor_import_hook() -> None:
    import base64
    import sys

    from backoffice.reports import charts

    svg = charts.income_and_expenses(["Jan", "Feb"], [10000, 25000], [5000, 30000], "EUR")
    assert svg.startswith("<svg") and "pygal" in svg and "Income" in svg
    url = charts.data_url(svg)
    decoded = base64.b64decode(url.removeprefix("data:image/svg+xml;base64,")).decode()
    assert "<script" not in decoded and "http" not in decoded.split("-->")[-1].split("xmlns")[0]
    assert not [f for f in sys.meta_path if type(f).__name__ == "PluginImportFixer"]


# --- the other statements: spheres, VAT, aging, budget --------------------------------------------

@pytest.fixture
def sphere_ledger(hand_ledger):
    """``hand_ledger`` (2026: income 800.00, expenses 220.00, all ideell) and 250.00 of ticket
    income (Zweckbetrieb by its role): ideell 580.00, Zweckbetrieb 250.00, together 830.00."""
    b = hand_ledger
    b.post(date(2026, 6, 1), ("1200", b.general, "250"), ("4300", b.general, "-250"),
           description="Tickets")
    return b


@pytest.fixture
def vat_ledger(app, books):
    """Q2 2026: one invoice of 5,000.00 at 19 % (VAT 950.00) and 301.00 at 7 % (2 x 150.50,
    VAT 21.07): output VAT 971.07; input VAT 38.00 booked on 1420: payment due 933.07."""
    issued(sponsor("DE"), [("Gold sponsorship", 1000, 500000, "standard"),
                           ("Workshop tickets", 2000, 15050, "reduced")],
           issue_date=date(2026, 5, 4))
    b = books
    b.post(date(2026, 4, 10), ("5500", b.general, "200"), ("1420", b.general, "38"),
           ("1200", b.general, "-238"), description="Hosting")


@pytest.fixture
def aged(session, users):
    return aged_ledger(session, users)


@pytest.fixture
def budget_ledger(hand_ledger):
    """``hand_ledger`` with a 2026 budget: membership fees 600.00 (actual 500.00), hosting 240.00
    (actual 120.00), grants from Munich 400.00 (actual 100.00): expenses planned 640.00, spent
    220.00, used 220/640 = 34.375 % -> 34.4 %; result planned -40.00, actual 280.00."""
    b = hand_ledger
    lines = [budgets.PlanLine(b[code].id, fund.id, Money.parse(amount, "EUR")) for code, fund, amount
             in (("4000", b.general, "600"), ("5500", b.general, "240"), ("5000", b.munich, "400"))]
    with transaction():
        budgets.revise(b.session, 2026, lines, note="Plan 2026", actor=b.actor)
    return b


MORE_STATEMENTS = [
    ("/reports/spheres", "year=2026", "sphere_ledger",
     [("Result: Ideeller Bereich", ["800.00", "220.00", "580.00"]),
      ("Result: Zweckbetrieb", ["250.00"]), ("Result of all spheres", ["1,050.00", "830.00"])]),
    ("/reports/vat", "year=2026&period=Q2", "vat_ledger",
     [("Output VAT", ["971.07"]), ("Deductible input VAT", ["38.00"]),
      ("Advance payment due (refund if negative)", ["933.07"])]),
    ("/reports/aging", "as_of=2026-07-01", "aged",
     [("Total receivables", ["5,222.00"]), ("Total payables", ["53.49"]),
      ("61–90 days", ["800.00"])]),
    ("/reports/budget", "year=2026", "budget_ledger",
     [("Total income", ["600.00", "500.00"]), ("Total expenses", ["640.00", "220.00"]),
      ("Result", ["-40.00", "280.00"])]),
]


def _words(text: str) -> str:
    return " ".join(text.split())


def _shown(figure: str) -> tuple[str, ...]:
    """How the page and the PDF may write ``figure`` ("-40.00": "-€40.00", "−40.00", ...)."""
    if not figure.startswith("-"):
        return (figure,)
    rest = figure[1:]
    return tuple(f"{sign}{euro}{rest}" for sign in "-−" for euro in ("", "€"))


@pytest.mark.parametrize("path,query,ledger,expected", MORE_STATEMENTS)
def test_the_other_statements_show_the_same_figures_everywhere(request, client, path, query,
                                                               ledger, expected) -> None:
    request.getfixturevalue(ledger)
    login(client, "board")
    page = client.get(f"{path}?{query}")
    assert page.status_code == 200
    html = _words(page.get_data(as_text=True).replace("&nbsp;", " ").replace("\xa0", " "))
    for label, figures in expected:
        row = html.split(f">{label}<", 1)[1].split("</tr>", 1)[0]  # the label's table row
        for figure in figures:
            assert any(f"{shown}<" in row for shown in _shown(figure)), (label, figure, row)

    text = client.get(f"{path}.csv?{query}")
    assert text.status_code == 200 and text.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(text.get_data(as_text=True))))
    for label, figures in expected:
        row = next(r for r in rows if len(r) > 1 and r[1] == label)
        for figure in figures:
            assert figure.replace(",", "") in row[3:], (label, figure, row)

    response = client.get(f"{path}.xlsx?{query}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    assert sheet.freeze_panes == "A4" and [c.value for c in sheet[3]][:2] == ["Code", "Line"]
    for label, figures in expected:
        found = next(r for r in sheet.iter_rows(min_row=4) if (r[1].value or "").strip() == label)
        cells = [c for c in found[2:] if c.value is not None]
        money = [c for c in cells if '"EUR"' in c.number_format]
        assert all(isinstance(c.value, (int, float)) for c in cells)
        assert all(c.number_format in ('"EUR"', "0", "0.0%") or '"EUR"' in c.number_format
                   for c in cells)
        values = [Decimal(str(c.value)).quantize(Decimal("0.01")) for c in money]
        for figure in figures:
            assert Decimal(figure.replace(",", "")) in values, (label, figure, values)

    response = client.get(f"{path}.pdf?{query}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    pdf = _words("".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages))
    for label, figures in expected:
        assert label in pdf, label
        after = pdf.split(label, 1)[1][:120]  # the figures follow the label on its line
        for figure in figures:
            assert any(shown in after for shown in _shown(figure)), (label, figure, after)


def test_the_aging_counts_and_the_budgets_share_keep_their_types(client, aged, budget_ledger):
    """Item counts are whole numbers, shares are percentages, in the XLSX as on the page."""
    login(client, "board")
    sheet = load_workbook(io.BytesIO(client.get(
        "/reports/aging.xlsx?as_of=2026-07-01").data)).worksheets[0]
    total = next(r for r in sheet.iter_rows(min_row=4) if r[1].value == "Total receivables")
    assert (total[3].value, total[3].number_format) == (6, "0")
    assert load_workbook(io.BytesIO(client.get(
        "/reports/aging.xlsx?as_of=2026-07-01").data)).sheetnames[1].endswith("GBP")
    sheet = load_workbook(io.BytesIO(client.get("/reports/budget.xlsx?year=2026").data)).worksheets[0]
    expenses = next(r for r in sheet.iter_rows(min_row=4) if r[1].value == "Total expenses")
    assert expenses[4].value == pytest.approx(0.3438) and expenses[4].number_format == "0.0%"
    page = client.get("/reports/budget?year=2026").get_data(as_text=True)
    assert "34.4 %" in page.replace("\xa0", " ").replace("&nbsp;", " ")
