"""Every list page downloads what it shows, with its filters, as CSV and XLSX: numbers as numbers
with their currency's format, dates as dates, a frozen bold header, formulas neutralised."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from backoffice.core.permissions import Role
from backoffice.ledger import reads
from backoffice.ledger.queries import JournalFilter

from ..helpers import login
from .books import small_ledger

LISTS = ["/ledger/journal", "/invoices", "/expenses/", "/grants/queue?status=", None]


def _xlsx(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == ("application/vnd.openxmlformats-officedocument."
                                 "spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "private, no-store"
    return load_workbook(io.BytesIO(response.data)).active


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.endswith("\r\n")
    return list(csv.reader(io.StringIO(text, newline="")))


def test_the_journal_downloads_with_its_filters_as_xlsx_and_csv(app, client, session, users):
    books, made = small_ledger(session, users["treasurer"])
    books.post(date(2026, 2, 1), "=HYPERLINK(\"http://evil.example\",\"click\")",
               (books.account("bank"), made["general"], "1.00"),
               (books.code("4900"), made["general"], "-1.00"))
    login(client, Role.TREASURER)
    berlin = made["berlin"].id
    sheet = _xlsx(client.get(f"/ledger/journal?fund={berlin}&format=xlsx"))
    assert sheet.freeze_panes == "A2"
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["Date", "Entry", "Description"] and sheet["A1"].font.b
    rows = list(sheet.iter_rows(min_row=2))
    expected = list(reads.journal_lines(session, JournalFilter(fund_id=berlin)))
    assert len(rows) == len(expected) > 0  # the filter applies: Berlin's entries only
    debit = header.index("Debit")
    for row in rows:
        assert isinstance(row[0].value, datetime) and row[0].number_format == "yyyy-mm-dd"
        money = row[debit] if row[debit].value is not None else row[debit + 1]
        assert isinstance(money.value, (int, float)) and '"EUR"' in money.number_format
    total_debit = sum(Decimal(str(r[debit].value)) for r in rows if r[debit].value is not None)
    total_credit = sum(Decimal(str(r[debit + 1].value)) for r in rows
                       if r[debit + 1].value is not None)
    assert total_debit == total_credit  # every entry balances, in the file too

    rows = _csv(client.get("/ledger/journal?q=HYPERLINK&format=csv"))
    assert rows[0][:3] == ["Date", "Entry", "Description"]
    assert len(rows) == 3  # header and the entry's two lines
    assert rows[1][2].startswith("'=HYPERLINK")  # never run as a formula
    assert rows[1][6] == "1.00"


def test_a_format_the_pages_do_not_offer_is_a_400(app, client, session, users):
    login(client, Role.TREASURER)
    assert client.get("/ledger/journal?format=pdf").status_code == 400


@pytest.mark.demo_data
@pytest.mark.parametrize("path", ["/ledger/journal", "/invoices", "/expenses/?status=",
                                  "/grants/queue?status=approved", "bank", "/donations"])
def test_every_list_page_offers_and_serves_both_formats(app, client, session, users, path):
    login(client, Role.ADMIN)
    if path == "bank":
        from backoffice.banking.models import BankAccount
        account = session.query(BankAccount).first()
        path = f"/bank/accounts/{account.id}/reconcile"
    page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-format="xlsx"' in html and 'data-format="csv"' in html
    glue = "&" if "?" in path else "?"
    sheet = _xlsx(client.get(f"{path}{glue}format=xlsx"))
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.b
    if path != "/donations":  # the demo association has no donations yet
        assert sheet.max_row >= 2, path  # the demo has rows on every other list
        money_columns = [i for i, cell in enumerate(sheet[2]) if '"EUR"' in cell.number_format]
        assert money_columns, path
    rows = _csv(client.get(f"{path}{glue}format=csv"))
    assert len(rows) == sheet.max_row
