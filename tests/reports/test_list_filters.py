"""The invoices, expense claims, grant applications and bank lines download exactly what their
list shows with its filters: the filtered rows and no other, numbers as numbers in their
currency's format, dates as dates, a frozen bold header, text that a spreadsheet would run as a
formula neutralised (in the CSV and in the XLSX)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from backoffice.banking import imports
from backoffice.banking import services as banking
from backoffice.banking.parsers import CsvMapping
from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.core.money import Money
from backoffice.core.permissions import Role
from backoffice.expenses import services as claims
from backoffice.extensions import settings as app_settings
from backoffice.grants.models import Status
from backoffice.invoicing import services as invoicing
from backoffice.ledger import services as ledger

from ..grants.conftest import grants, make_application  # noqa: F401 (the fixture)
from ..helpers import login
from ..invoicing.factories import draft, issued, sponsor
from ..sponsorship import active_group, approved, submit
from .test_list_exports import _csv, _xlsx

EVIL = '=HYPERLINK("http://evil.example","click")'


def _sheet_rows(sheet) -> tuple[list[str], list[dict]]:
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.b
    header = [cell.value for cell in sheet[1]]
    return header, [dict(zip(header, row)) for row in sheet.iter_rows(min_row=2)]


def _money(cell, figure: str) -> None:
    assert isinstance(cell.value, (int, float)) and '"EUR"' in cell.number_format
    assert Decimal(str(cell.value)).quantize(Decimal("0.01")) == Decimal(figure)


def _date(cell, day: date) -> None:
    assert isinstance(cell.value, datetime) and cell.value.date() == day
    assert cell.number_format == "yyyy-mm-dd"


def test_invoices_download_with_their_filters(client, session, users):
    """A (DE, 1,000.00 + 190.00) paid; B (US buyer named like a formula, 500.00 not taxable
    here) 100.00 paid; C (DE, 200.00 + 38.00) unpaid; D a draft. Open: C and B, newest first."""
    german, evil = sponsor("DE"), sponsor("US", name=EVIL)
    a = issued(german, [("Gold", 1000, 100000, "standard")], issue_date=date(2026, 3, 1),
               payment_days=30)
    b = issued(evil, [("Silver", 1000, 50000, "standard")], issue_date=date(2026, 4, 1),
               payment_days=30)
    c = issued(german, [("Bronze", 1000, 20000, "standard")], issue_date=date(2026, 5, 1),
               payment_days=30)
    draft(german, [("Later", 1000, 30000, "standard")])
    with transaction():
        invoicing.record_payment(session, a, amount=Money(119000, "EUR"), reference="a",
                                 received_on=date(2026, 3, 10), method="bank", debit_role="bank")
        invoicing.record_payment(session, b, amount=Money(10000, "EUR"), reference="b",
                                 received_on=date(2026, 4, 10), method="bank", debit_role="bank")
    login(client, Role.TREASURER)
    header, rows = _sheet_rows(_xlsx(client.get("/invoices?status=open&format=xlsx")))
    assert header == ["Number", "Kind", "Date", "Sponsor", "Due", "Status", "Net", "VAT", "Total",
                      "Paid", "Outstanding"]
    assert [r["Number"].value for r in rows] == [c.number, b.number]
    for row, day, net, vat, total, paid, open_ in (
            (rows[0], date(2026, 5, 1), "200.00", "38.00", "238.00", "0.00", "238.00"),
            (rows[1], date(2026, 4, 1), "500.00", "0.00", "500.00", "100.00", "400.00")):
        _date(row["Date"], day)
        _date(row["Due"], date.fromordinal(day.toordinal() + 30))
        for column, figure in (("Net", net), ("VAT", vat), ("Total", total), ("Paid", paid),
                               ("Outstanding", open_)):
            _money(row[column], figure)
    assert rows[1]["Sponsor"].value == "'" + EVIL and rows[1]["Sponsor"].data_type == "s"

    _header, rows = _sheet_rows(_xlsx(client.get(
        f"/invoices?status=paid&sponsor={german.id}&format=xlsx")))
    assert [r["Number"].value for r in rows] == [a.number]
    _money(rows[0]["Paid"], "1190.00")
    assert rows[0]["Outstanding"].value is None
    assert _sheet_rows(_xlsx(client.get(f"/invoices?status=paid&sponsor={evil.id}&format=xlsx"))
                       )[1] == []

    lines = _csv(client.get(f"/invoices?q={b.number}&format=csv"))
    assert lines[0] == header and len(lines) == 2
    assert lines[1][0] == b.number and lines[1][2] == "2026-04-01"
    assert lines[1][3] == "'" + EVIL  # never run as a formula
    assert lines[1][6:] == ["500.00", "0.00", "500.00", "100.00", "400.00"]


def test_expense_claims_download_with_their_filters(client, session, users):
    """Aachen: an approved claim of 40.00 titled like a formula and a submitted one of 12.00;
    Bonn: an approved claim of 7.00. Approved in Aachen: the first alone."""
    treasurer = users[Role.TREASURER]
    aachen = active_group(session, "PyAachen", actor=users[Role.ADMIN], money="500.00")
    bonn = active_group(session, "PyBonn", actor=users[Role.ADMIN], money="500.00")
    formula = submit(session, aachen.organisers[0], aachen.fund, ["40.00"], title="@SUM(A1:A9)")
    with transaction():
        claims.approve_claim(session, formula, actor=treasurer, settings=app_settings())
    submit(session, aachen.organisers[0], aachen.fund, ["12.00"])
    approved(session, bonn.organisers[0], bonn.fund, treasurer, ["7.00"])
    login(client, Role.TREASURER)
    header, rows = _sheet_rows(_xlsx(client.get(
        f"/expenses/?status=approved&group={aachen.id}&format=xlsx")))
    assert header == ["Claim", "Submitted", "Purpose", "Fund", "By", "Status", "Amount",
                      "Paid on"]
    assert [r["Claim"].value for r in rows] == [formula.ref]
    _date(rows[0]["Submitted"], clock.day_of(formula.submitted_at))
    _money(rows[0]["Amount"], "40.00")
    assert rows[0]["Purpose"].value == "'@SUM(A1:A9)" and rows[0]["Fund"].value == aachen.fund.code
    assert rows[0]["Paid on"].value is None

    _header, rows = _sheet_rows(_xlsx(client.get("/expenses/?status=approved&format=xlsx")))
    assert sorted(Decimal(str(r["Amount"].value)) for r in rows) == [Decimal("7"), Decimal("40")]
    _header, rows = _sheet_rows(_xlsx(client.get(
        f"/expenses/?status=submitted&group={bonn.id}&format=xlsx")))
    assert rows == []

    lines = _csv(client.get(f"/expenses/?status=approved&group={aachen.id}&format=csv"))
    assert lines[0] == header and len(lines) == 2
    assert lines[1][2] == "'@SUM(A1:A9)" and lines[1][6] == "40.00"


def test_grant_applications_download_with_their_filters(client, session, grants):  # noqa: F811
    """Two submitted applications (800.00 from an applicant named like a formula, 450.00) and
    one approved (500.00): the queue filtered to submitted has the first two."""
    first = make_application(grants, Status.SUBMITTED, applicant_name="+cmd|' /C calc'!A0")
    second = make_application(grants, Status.SUBMITTED, amount=Money(45000, "EUR"),
                              applicant_name="PyLadies Köln")
    make_application(grants, Status.APPROVED, amount=Money(50000, "EUR"),
                     applicant_name="PyLadies Bonn")
    login(client, Role.ADMIN)
    header, rows = _sheet_rows(_xlsx(client.get("/grants/queue?status=submitted&format=xlsx")))
    assert header[:7] == ["Reference", "Applicant", "Event or purpose", "Programme", "Submitted",
                          "Status", "Requested"]
    by_reference = {r["Reference"].value: r for r in rows}
    assert set(by_reference) == {first.reference, second.reference}
    _money(by_reference[first.reference]["Requested"], "800.00")
    _money(by_reference[second.reference]["Requested"], "450.00")
    _date(by_reference[second.reference]["Submitted"], clock.day_of(second.submitted_at))
    assert by_reference[first.reference]["Applicant"].value == "'+cmd|' /C calc'!A0"
    assert isinstance(by_reference[first.reference]["Reviews"].value, int)

    _header, rows = _sheet_rows(_xlsx(client.get("/grants/queue?status=approved&format=xlsx")))
    assert [r["Applicant"].value for r in rows] == ["PyLadies Bonn"]
    _money(rows[0]["Requested"], "500.00")

    lines = _csv(client.get("/grants/queue?status=submitted&q=K%C3%B6ln&format=csv"))
    assert len(lines) == 2 and lines[1][0] == second.reference and lines[1][6] == "450.00"
    lines = _csv(client.get("/grants/queue?status=submitted&format=csv"))
    assert {line[1] for line in lines[1:]} == {"'+cmd|' /C calc'!A0", "PyLadies Köln"}


HEADER = ("Buchungstag;Valutadatum;Verwendungszweck;Beguenstigter/Zahlungspflichtiger;"
          "Kontonummer/IBAN;Betrag\n")
MAPPING = CsvMapping(delimiter=";", encoding="utf-8", date="Buchungstag", date_format="%d.%m.%Y",
                     value_date="Valutadatum", amount="Betrag", text="Verwendungszweck",
                     counterparty="Beguenstigter/Zahlungspflichtiger", iban="Kontonummer/IBAN")


def _bank_account(session, actor, name: str, iban: str, code: str, lines: str):
    with transaction():
        account = banking.create_bank_account(
            session, name=name, iban=iban, bic="COBADEFFXXX", currency="EUR",
            ledger_account=ledger.account_by_code(session, code), actor=actor)
        banking.save_csv_mapping(session, account, MAPPING, actor=actor)
    with transaction():
        imports.import_statement(session, account, filename="statement.csv",
                                 data=(HEADER + lines).encode(), actor=actor,
                                 settings=app_settings())
    return account


def test_bank_lines_download_their_accounts_open_lines(client, session, users):
    """Current account: 300.00 in on 2026-01-15 (value 01-16), 107.50 out on 2026-01-31 with a
    remittance like a formula; savings account: 5.00 of interest. Each account's file holds its
    own lines, newest first."""
    treasurer = users[Role.TREASURER]
    current = _bank_account(session, treasurer, "Current account", "DE89370400440532013000", "1200",
                            "15.01.2026;16.01.2026;Spende PyBerlin;Erika Mustermann;"
                            "DE02120300000000202051;300,00\n"
                            "31.01.2026;31.01.2026;-2+3;Hosting GmbH;"
                            "DE12500105170648489890;-107,50\n")
    savings = _bank_account(session, treasurer, "Savings", "DE02120300000000202051", "1210",
                            "31.01.2026;31.01.2026;Zinsen;Bank;;5,00\n")
    login(client, Role.TREASURER)
    header, rows = _sheet_rows(_xlsx(client.get(
        f"/bank/accounts/{current.id}/reconcile?format=xlsx")))
    assert header == ["Line", "Booking date", "Value date", "Amount", "Counterparty",
                      "Counterparty IBAN", "Remittance", "Bank reference", "Status"]
    assert [r["Counterparty"].value for r in rows] == ["Hosting GmbH", "Erika Mustermann"]
    _date(rows[0]["Booking date"], date(2026, 1, 31))
    _date(rows[1]["Booking date"], date(2026, 1, 15))
    _date(rows[1]["Value date"], date(2026, 1, 16))
    _money(rows[0]["Amount"], "-107.50")
    _money(rows[1]["Amount"], "300.00")
    assert all(isinstance(r["Line"].value, int) for r in rows)
    assert rows[0]["Remittance"].value == "'-2+3"

    lines = _csv(client.get(f"/bank/accounts/{current.id}/reconcile?format=csv"))
    assert lines[0] == header and len(lines) == 3
    assert lines[1][1] == "2026-01-31" and lines[1][3] == "-107.50" and lines[1][6] == "'-2+3"
    _header, rows = _sheet_rows(_xlsx(client.get(
        f"/bank/accounts/{savings.id}/reconcile?format=xlsx")))
    assert [r["Remittance"].value for r in rows] == ["Zinsen"]
    _money(rows[0]["Amount"], "5.00")
