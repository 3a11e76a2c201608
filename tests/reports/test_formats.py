"""Every statement as a page, a PDF, a CSV and an XLSX, with the same figures in each."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from ..helpers import login

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
