"""Statement parsers on files written from the format specifications, and on hostile files."""
from __future__ import annotations

import time
from datetime import date

import pytest

from backoffice.banking import writers
from backoffice.banking.parsers import (
    CsvMapping,
    ParsedLine,
    ParsedStatement,
    StatementFormatError,
    detect,
    parse,
)
from backoffice.banking.parsers.common import MAX_FILE_BYTES

from .conftest import IBAN, sample

SPARKASSE_CSV = CsvMapping(delimiter=";", encoding="cp1252", date="Buchungstag",
                           date_format="%d.%m.%y", amount="Betrag", text="Verwendungszweck",
                           counterparty="Beguenstigter/Zahlungspflichtiger",
                           iban="Kontonummer/IBAN")


def adds_up(statement) -> bool:
    return statement.opening + statement.entries_total == statement.closing


# --- CAMT.053 ----------------------------------------------------------------------------------

def test_camt053_v02_statements_balances_and_remittance():
    parsed = parse(sample("camt053-v02-two-statements.xml"), currency="EUR")
    assert parsed.format == "camt053"
    first, second = parsed.statements
    assert (first.account, first.currency, first.sequence) == (IBAN, "EUR", "41")
    assert (first.opening, first.closing) == (100000, 514250)
    assert (second.opening, second.closing) == (514250, 497785)
    assert adds_up(first) and adds_up(second)

    structured, batch, fee = first.lines
    assert structured.amount == 250000 and structured.booking_date == date(2026, 3, 2)
    assert structured.counterparty_name == "ACME Software GmbH"
    assert structured.counterparty_iban == "DE02120300000000202051"
    assert structured.counterparty_bic == "BYLADEM1001"
    assert "RF18539007547034" in structured.references  # structured creditor reference
    assert "ACME-PAY-7781" in structured.references       # end-to-end id
    assert structured.bank_reference == "2026030200001"


def test_camt053_batch_entry_is_one_line_with_its_transactions():
    batch = parse(sample("camt053-v02-two-statements.xml"), currency="EUR").statements[0].lines[1]
    assert batch.amount == 165400
    assert batch.counterparty_name == "3 payments"
    assert batch.counterparty_iban == ""  # several payers: no single account
    assert batch.details[0] == {"batch": "DD-2026-03-MEMBERS", "transactions": "3"}
    assert [d["amount"] for d in batch.details[1:]] == [6000, 9400, 150000]
    assert {"MEMBER-0001-2026", "SPONSOR-2026-00042", "DD-2026-03-MEMBERS"} <= set(batch.references)
    assert "Rechnung 2026-00042" in batch.remittance


def test_camt053_reversal_charges_and_foreign_currency():
    first, second = parse(sample("camt053-v02-two-statements.xml"), currency="EUR").statements
    fee = first.lines[2]
    assert fee.amount == -1150 and fee.charges == 1150
    assert fee.remittance == "Entgelt Kontofuehrung Februar"  # AddtlNtryInf when no details
    reversal, foreign = second.lines
    assert reversal.reversal and reversal.amount == -9400  # the booking's own direction
    assert reversal.counterparty_name == "Jonas Weber"     # the debtor of the original credit
    assert reversal.details[0]["return_reason"] == "MD06"
    assert foreign.amount == -7065 and foreign.counterparty_name == "Read the Docs Inc"
    assert foreign.details[0]["original_amount"] == 7500
    assert foreign.details[0]["original_currency"] == "USD"
    assert foreign.references == ()  # NOTPROVIDED is no reference


def test_camt053_v08_usd_charges_records_and_pending_entries():
    statement, = parse(sample("camt053-v08-usd.xml"), currency="USD").statements
    assert statement.currency == "USD"
    assert len(statement.lines) == 1  # the pending entry is not booked yet
    line, = statement.lines
    assert line.booking_date == date(2026, 3, 15)  # from a date-time
    assert line.charges == 2500
    assert line.counterparty_name == "Python Software Foundation"
    assert adds_up(statement)


def test_camt053_refuses_other_messages_and_an_unknown_root():
    notification = sample("camt053-v08-usd.xml").replace(b"camt.053.001.08", b"camt.054.001.08")
    with pytest.raises(StatementFormatError, match="camt.054"):
        parse(notification, currency="USD")
    with pytest.raises(StatementFormatError, match="not an ISO 20022 CAMT"):
        parse(b"<html><body>login</body></html>", currency="EUR")


# --- MT940 -------------------------------------------------------------------------------------

def test_mt940_german_structured_86_over_several_lines():
    parsed = parse(sample("mt940-german-two-statements.sta"), currency="EUR")
    assert parsed.format == "mt940"
    first, second = parsed.statements
    assert first.account == "37040044/0532013000"
    assert (first.opening, first.closing, second.opening, second.closing) == (
        100000, 348850, 348850, 332385)
    assert adds_up(first) and adds_up(second)
    payment, fee = first.lines
    assert payment.amount == 250000
    assert payment.counterparty_name == "ACME Software GmbH"
    assert payment.counterparty_iban == "DE02120300000000202051"
    assert payment.counterparty_bic == "BYLADEM1001"
    assert payment.remittance == "Rechnung 2026-00042 Sponsoring PyConf Regional Gold"
    assert payment.references == ("ACME-PAY-7781",)
    assert payment.bank_reference == "2026030200001"
    assert fee.amount == -1150 and fee.remittance == "Entgelt Kontofuehrung Februar 2026"
    assert fee.counterparty_name == "Commerzbank" and fee.bank_reference == ""


def test_mt940_reversal_mark_and_mandate_reference():
    second = parse(sample("mt940-german-two-statements.sta"), currency="EUR").statements[1]
    reversal, foreign = second.lines
    assert reversal.reversal and reversal.amount == -9400  # RC: reversal of a credit
    assert set(reversal.references) == {"MEMBER-0002-2026", "M-0002"}
    assert reversal.remittance == "Mitgliedsbeitrag 2026 Rueckgabe MD06"
    assert foreign.remittance == "Invoice RTD-88121 hosting March USD 75,00"


def test_mt940_round_trip_through_the_writer_in_two_currencies():
    for currency in ("EUR", "CHF"):
        statement = ParsedStatement(
            currency=currency, reference="RT", sequence="7", opening=-5000,
            opening_date=date(2026, 1, 31), closing=7345, closing_date=date(2026, 2, 3),
            lines=[ParsedLine(booking_date=date(2026, 2, 2), amount=12345, currency=currency,
                              counterparty_name="Müller & Söhne", remittance="Spende Sommerfest",
                              references=("E2E-1",), bank_reference="R1")])
        for writer in (writers.mt940, writers.camt053):
            back, = parse(writer(IBAN, [statement]), currency=currency).statements
            assert (back.opening, back.closing, back.currency) == (-5000, 7345, currency)
            line, = back.lines
            assert (line.amount, line.counterparty_name, line.remittance) == (
                12345, "Müller & Söhne", "Spende Sommerfest")


# --- CSV ---------------------------------------------------------------------------------------

def test_csv_with_a_mapping():
    parsed = parse(sample("csv-sparkasse-cp1252.csv"), currency="EUR", csv_mapping=SPARKASSE_CSV)
    lines = parsed.statements[0].lines
    assert [line.amount for line in lines] == [250000, -1150, 35000]
    assert lines[1].remittance == "Entgelt Kontoführung Februar"
    assert lines[2].booking_date == date(2026, 3, 3)
    assert lines[0].counterparty_iban == "DE02120300000000202051"
    assert parsed.statements[0].opening is None  # CSV exports carry no balances


def test_csv_debit_and_credit_columns():
    data = b"Datum,Soll,Haben,Text\n2026-03-01,12.50,,Fee\n2026-03-02,,1000.00,Grant\n"
    mapping = CsvMapping(delimiter=",", date="Datum", date_format="%Y-%m-%d", debit="Soll",
                         credit="Haben", text="Text", decimal_comma=False)
    lines = parse(data, currency="EUR", csv_mapping=mapping).statements[0].lines
    assert [line.amount for line in lines] == [-1250, 100000]


@pytest.mark.parametrize("data, mapping, message", [
    (b"Buchungstag,Betrag\n02.03.26,1\n", SPARKASSE_CSV, "single column"),
    (b"Buchungstag;Betrag;Verwendungszweck;Beguenstigter/Zahlungspflichtiger;Kontonummer/IBAN\n"
     b"02.03.26;12,345;x;y;z\n", CsvMapping(**{**SPARKASSE_CSV.as_dict(), "encoding": "utf-8"}),
     "row 2, column 'Betrag'"),
    (b"Buchungstag;Betrag;Verwendungszweck;Beguenstigter/Zahlungspflichtiger;Kontonummer/IBAN\n"
     b"2026-03-02;12,34;x;y;z\n", CsvMapping(**{**SPARKASSE_CSV.as_dict(), "encoding": "utf-8"}),
     "row 2: '2026-03-02'"),
    (sample("csv-sparkasse-cp1252.csv"), CsvMapping(**{**SPARKASSE_CSV.as_dict(), "encoding": "utf-8"}),
     "line 3: the file is not UTF-8"),
])
def test_csv_refused_with_where_and_why(data, mapping, message):
    with pytest.raises(StatementFormatError) as refused:
        parse(data, currency="EUR", csv_mapping=mapping)
    assert message in str(refused.value)


def test_csv_needs_a_mapping():
    with pytest.raises(StatementFormatError, match="column mapping"):
        parse(sample("csv-sparkasse-cp1252.csv"), currency="EUR")


# --- malformed and hostile ---------------------------------------------------------------------

def test_truncated_xml_is_refused_with_line_and_column():
    data = sample("camt053-v02-two-statements.xml")
    with pytest.raises(StatementFormatError, match=r"line \d+, column \d+: the XML is not well-formed"):
        parse(data[: len(data) // 2], currency="EUR")


def test_xml_in_the_wrong_encoding_is_refused():
    data = sample("camt053-v02-two-statements.xml").replace(b"Kontofuehrung", "Kontoführung".encode("latin-1"))
    with pytest.raises(StatementFormatError, match="not well-formed"):
        parse(data, currency="EUR")


def test_an_amount_that_does_not_parse_names_the_entry():
    data = sample("camt053-v02-two-statements.xml").replace(b">11.50</Amt><CdtDbtInd>DBIT", b">11,50</Amt><CdtDbtInd>DBIT", 1)
    with pytest.raises(StatementFormatError, match=r"statement 1, entry 3: '11,50' is not an amount"):
        parse(data, currency="EUR")
    data = sample("mt940-german-two-statements.sta").replace(b":61:2603020302DR11,50", b":61:26030203XXDR11,50")
    with pytest.raises(StatementFormatError, match=r"line 8: :61:"):
        parse(data, currency="EUR")


def test_external_entities_are_refused_unread(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    data = (f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>'
            f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
            f"<Stmt><Id>&x;</Id></Stmt></BkToCstmrStmt></Document>").encode()
    with pytest.raises(StatementFormatError) as refused:
        parse(data, currency="EUR")
    assert "document type" in str(refused.value) and "TOP-SECRET" not in str(refused.value)


def test_billion_laughs_is_refused_at_once():
    entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    data = (f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY l0 "lol">{entities}]>'
            f"<Document>&l9;</Document>").encode()
    started = time.monotonic()
    with pytest.raises(StatementFormatError, match="document type"):
        parse(data, currency="EUR")
    assert time.monotonic() - started < 1


@pytest.mark.parametrize("head", [b":20:X\n:25:1/2\n:86:", b"Datum;Betrag\n01.01.26;"])
def test_a_huge_line_is_refused_before_parsing(head):
    data = head + b"A" * 5_000_000 + b"\n"
    mapping = CsvMapping(date="Datum", amount="Betrag")
    started = time.monotonic()
    with pytest.raises(StatementFormatError, match=r"line \d: the line is 5,00\d,\d{3} characters long"):
        parse(data, currency="EUR", csv_mapping=mapping)
    assert time.monotonic() - started < 2


def test_oversized_and_empty_files_are_refused():
    with pytest.raises(StatementFormatError, match="empty"):
        parse(b"", currency="EUR")
    with pytest.raises(StatementFormatError, match="MB"):
        parse(b"<" + b" " * MAX_FILE_BYTES, currency="EUR")


def test_format_detection():
    assert detect(sample("camt053-v08-usd.xml")) == "camt053"
    assert detect(sample("mt940-german-two-statements.sta")) == "mt940"
    assert detect(b"{1:F01ABC}{2:O940}{4:\r\n:20:X") == "mt940"
    assert detect(sample("csv-sparkasse-cp1252.csv")) == "csv"
