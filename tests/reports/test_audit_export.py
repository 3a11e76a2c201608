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

from backoffice.ledger.periods import FiscalYear
from backoffice.reports import audit_export

from .books import small_ledger


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
    archive = _zip(session)
    index = etree.fromstring(archive.read("index.xml"))
    for table in index.iter("Table"):
        columns = [c for c in table.find("VariableLength")
                   if c.tag in ("VariablePrimaryKey", "VariableColumn")]
        assert [c.tag for c in columns] == sorted(
            (c.tag for c in columns), key=lambda tag: tag != "VariablePrimaryKey")
        rows = _rows(archive, table.find("URL").text)
        for row in rows:
            assert len(row) == len(columns), (table.find("URL").text, row)
            for column, value in zip(columns, row):
                numeric = column.find("Numeric")
                if numeric is not None and numeric.find("Accuracy") is not None and value:
                    assert numeric.find("Accuracy").text == "2"
                    assert re.fullmatch(r"-?\d+,\d{2}", value), value
                if column.find("Date") is not None and value:
                    datetime.strptime(value, "%d.%m.%Y")


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
