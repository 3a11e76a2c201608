"""The tax auditor's data (GoBD Z3): index.xml valid against the shipped DTD, each CSV as the
index describes it, money with two decimal places, the year's journal complete."""
from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, datetime
from decimal import Decimal

from lxml import etree

from backoffice.banking import imports
from backoffice.banking import services as banking
from backoffice.banking.parsers import CsvMapping
from backoffice.core.db import transaction
from backoffice.core.money import Money
from backoffice.extensions import settings as app_settings
from backoffice.invoicing import services as invoicing
from backoffice.ledger import services as ledger
from backoffice.ledger.periods import FiscalYear
from backoffice.reports import audit_export

from ..invoicing.factories import issued, sponsor
from .books import small_ledger

IBAN = "DE89370400440532013000"
#: A Sparkasse CSV statement: two lines in 2026, one on 2025-12-30 (not the fiscal year's).
STATEMENT = f"""Auftragskonto;Buchungstag;Valutadatum;Buchungstext;Verwendungszweck;\
Beguenstigter/Zahlungspflichtiger;Kontonummer/IBAN;BIC (SWIFT-Code);Betrag;Waehrung;Info
{IBAN};30.12.25;30.12.25;GUTSCHR. UEBERW.;Spende Dezember;Max Muster;DE02120300000000202051;\
BYLADEM1001;5,00;EUR;Umsatz gebucht
{IBAN};15.01.26;16.01.26;GUTSCHR. UEBERW.;Spende PyBerlin;Erika Mustermann;\
DE02120300000000202051;BYLADEM1001;300,00;EUR;Umsatz gebucht
{IBAN};31.01.26;31.01.26;LASTSCHRIFT;Hosting "conference" website;Hosting GmbH;\
DE12500105170648489890;INGDDEFFXXX;-1.107,50;EUR;Umsatz gebucht
"""


def documents_and_bank_lines(session, actor) -> dict:
    """Beside ``small_ledger``: an invoice issued 2026-01-10 (1,000.00 + 190.00 VAT = 1,190.00)
    and paid in part (500.00) on 2026-01-28: one document in two entries; an entry naming a
    manual source; a bank account with the statement above imported."""
    invoice = issued(sponsor("DE"), [("Gold sponsorship", 1000, 100000, "standard")],
                     issue_date=date(2026, 1, 10))
    with transaction():
        invoicing.record_payment(session, invoice, amount=Money(50000, "EUR"), reference="p1",
                                 received_on=date(2026, 1, 28), method="bank", debit_role="bank")
        general = ledger.general_fund(session)
        ledger.post_entry(session, booking_date=date(2026, 1, 29), description="Cash counted",
                          actor=actor, source=("manual", "cashbook-7"),
                          lines=[ledger.Line(ledger.account_by_role(session, "cash"), general,
                                             Money(1250, "EUR")),
                                 ledger.Line(ledger.account_by_code(session, "4900"), general,
                                             Money(-1250, "EUR"))])
        account = banking.create_bank_account(
            session, name="Current account", iban=IBAN, bic="COBADEFFXXX", currency="EUR",
            ledger_account=ledger.account_by_role(session, "bank"), actor=actor)
        banking.save_csv_mapping(session, account, CsvMapping(
            delimiter=";", encoding="cp1252", date="Buchungstag", date_format="%d.%m.%y",
            value_date="Valutadatum", amount="Betrag", text="Verwendungszweck",
            counterparty="Beguenstigter/Zahlungspflichtiger", iban="Kontonummer/IBAN"),
            actor=actor)
    with transaction():
        imports.import_statement(session, account, filename="statement.csv",
                                 data=STATEMENT.encode("cp1252"), actor=actor,
                                 settings=app_settings())
    return {"invoice": invoice, "account": account}


def _zip(session, year=2026) -> zipfile.ZipFile:
    sink = io.BytesIO()
    audit_export.write_zip(session, sink, start=date(year, 1, 1), fiscal_year=FiscalYear(1),
                           organisation="Test association & friends",
                           created=datetime(2027, 2, 1, 9, 0))
    sink.seek(0)
    return zipfile.ZipFile(sink)


def _rows(archive: zipfile.ZipFile, name: str) -> list[list[str]]:
    text = archive.read(name).decode("utf-8")
    assert text == "" or text.endswith("\r\n")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";", quotechar='"'))


def test_the_index_is_valid_against_the_dtd_shipped_beside_it(session, users):
    small_ledger(session, users["treasurer"])
    archive = _zip(session)
    assert set(archive.namelist()) == {"index.xml", "gdpdu-01-08-2002.dtd", "journal.csv",
                                       "accounts.csv", "funds.csv", "documents.csv",
                                       "bank_lines.csv"}
    dtd = etree.DTD(io.BytesIO(archive.read("gdpdu-01-08-2002.dtd")))
    index = etree.fromstring(archive.read("index.xml"))
    assert dtd.validate(index), dtd.error_log.filter_from_errors()
    assert index.find("DataSupplier/Name").text == "Test association & friends"
    assert index.find("Media/Table/Validity/Range/From").text == "01.01.2026"
    assert index.find("Media/Table/Validity/Range/To").text == "31.12.2026"


def test_every_file_has_the_columns_its_index_names_and_money_has_two_places(session, users):
    small_ledger(session, users["treasurer"])
    documents_and_bank_lines(session, users["treasurer"])
    archive = _zip(session)
    checked = set()
    index = etree.fromstring(archive.read("index.xml"))
    for table in index.iter("Table"):
        columns = [c for c in table.find("VariableLength")
                   if c.tag in ("VariablePrimaryKey", "VariableColumn")]
        assert [c.tag for c in columns] == sorted(
            (c.tag for c in columns), key=lambda tag: tag != "VariablePrimaryKey")
        rows = _rows(archive, table.find("URL").text)
        assert rows, table.find("URL").text  # every file has rows to check
        for row in rows:
            assert len(row) == len(columns), (table.find("URL").text, row)
            for column, value in zip(columns, row):
                numeric = column.find("Numeric")
                if numeric is not None and numeric.find("Accuracy") is not None and value:
                    assert numeric.find("Accuracy").text == "2"
                    assert re.fullmatch(r"-?\d+,\d{2}", value), value
                    checked.add((table.find("URL").text, "money"))
                if column.find("Date") is not None and value:
                    datetime.strptime(value, "%d.%m.%Y")
                    checked.add((table.find("URL").text, "date"))
    # The documents' gross and the bank lines' amounts and dates were among them.
    assert {("documents.csv", "money"), ("documents.csv", "date"), ("bank_lines.csv", "money"),
            ("bank_lines.csv", "date")} <= checked


def test_the_documents_and_bank_lines_are_the_years(session, users):
    small_ledger(session, users["treasurer"])
    made = documents_and_bank_lines(session, users["treasurer"])
    invoice = made["invoice"]
    archive = _zip(session)
    documents = _rows(archive, "documents.csv")
    assert len(invoice.pdf_sha256) == 64
    assert documents == [
        ["fund_transfer", "", "", "31.01.2026", "1", "", "", ""],  # small_ledger's transfer
        ["invoice", str(invoice.id), invoice.number, "10.01.2026", "2", "1190,00", "EUR",
         invoice.pdf_sha256],
        ["manual", "cashbook-7", "", "29.01.2026", "1", "", "", ""]]
    # Text in quotes, numbers and dates bare, in the raw file too.
    raw = archive.read("documents.csv").decode("utf-8").splitlines()
    assert raw[1].startswith(f'"invoice";"{invoice.id}";"{invoice.number}";10.01.2026;2;1190,00;')
    lines = _rows(archive, "bank_lines.csv")
    assert [row[1:10] for row in lines] == [
        ["Current account", IBAN, "15.01.2026", "16.01.2026", "300,00", "EUR", "Erika Mustermann",
         "DE02120300000000202051", "Spende PyBerlin"],
        ["Current account", IBAN, "31.01.2026", "31.01.2026", "-1107,50", "EUR", "Hosting GmbH",
         "DE12500105170648489890", 'Hosting "conference" website']]
    assert all(row[0].isdigit() and row[11] for row in lines)
    assert '"Hosting ""conference"" website"' in archive.read("bank_lines.csv").decode("utf-8")
    # The year before holds the December line, and no document of this year.
    before = _zip(session, 2025)
    assert [row[3] for row in _rows(before, "bank_lines.csv")] == ["30.12.2025"]
    assert _rows(before, "documents.csv") == []


def test_the_journal_is_the_years_postings_and_balances(session, users):
    small_ledger(session, users["treasurer"])
    archive = _zip(session)
    journal = _rows(archive, "journal.csv")
    # 5 entries: 3 + (2 lines and 2 interfund) + 3 + 2 + (2 lines and 2 interfund) postings
    assert len(journal) == 3 + 4 + 3 + 2 + 4
    debit = sum(Decimal(row[6].replace(",", ".")) for row in journal)
    credit = sum(Decimal(row[7].replace(",", ".")) for row in journal)
    assert debit == credit == Decimal("1190.00") + Decimal("50.00") * 2 + Decimal("107.00") \
        + Decimal("300.00") + Decimal("20.00") * 2
    accounts = {row[0] for row in _rows(archive, "accounts.csv")}
    funds = {row[0] for row in _rows(archive, "funds.csv")}
    assert {row[4] for row in journal} <= accounts and {row[5] for row in journal} <= funds
    assert funds == {"GEN", "BER"}
    assert _rows(_zip(session, 2025), "journal.csv") == []  # another year: nothing
