"""The DATEV Buchungsstapel, read back field by field against the format description."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime

import pytest

from backoffice.core.db import transaction
from backoffice.core.errors import ValidationError
from backoffice.core.settings import Datev
from backoffice.ledger.periods import FiscalYear
from backoffice.ledger.reads import chart_accounts
from backoffice.reports import datev, datev_map

from .books import JANUARY, small_ledger

CONFIG = Datev(adviser_number=29098, client_number=55003, account_length=4, chart="49")
NOW = datetime(2026, 2, 3, 14, 5, 6, 789000)

# The format description's header, position by position (1-based): what each field must be.
HEADER_SPEC = {
    1: "EXTF", 2: "700", 3: "21", 4: "Buchungsstapel", 5: "13", 6: "20260203140506789",
    7: "", 11: "29098", 12: "55003", 13: "20260101", 14: "4", 15: "20260101", 16: "20260131",
    19: "1", 20: "0", 21: "0", 22: "EUR", 27: "49",
}
AMOUNT = re.compile(r"^\d{1,10},\d{2}$")


def _export(session, users, start=JANUARY[0], end=JANUARY[1]):
    return datev.export(session, CONFIG, start=start, end=end, fiscal_year=FiscalYear(1),
                        home_currency="EUR", exported_by="Test Treasurer", now=NOW)


def _fields(raw_line: bytes) -> list[str]:
    return next(csv.reader(io.StringIO(raw_line.decode("cp1252")), delimiter=";", quotechar='"'))


@pytest.fixture
def exported(session, users):
    small_ledger(session, users["treasurer"])
    result = _export(session, users)
    raw = result.file.read()
    result.file.close()
    return raw, result


def test_the_file_is_windows_1252_without_a_byte_order_mark_with_cr_lf_line_ends(exported):
    raw, _ = exported
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert raw.endswith(b"\r\n")
    assert raw.count(b"\r\n") == raw.count(b"\n")  # no bare LF anywhere
    assert b"\x80" in raw  # the euro sign of a booking text, as Windows-1252 writes it
    raw.decode("cp1252")


def test_the_header_line_says_what_the_format_description_asks(exported):
    raw, _ = exported
    header = _fields(raw.split(b"\r\n")[0])
    assert len(header) == 31
    for position, expected in HEADER_SPEC.items():
        assert header[position - 1] == expected, (position, header[position - 1])
    line = raw.split(b"\r\n")[0].decode("cp1252").split(";")
    for position in datev.HEADER_TEXT:  # text fields quoted
        assert line[position - 1].startswith('"') and line[position - 1].endswith('"'), position
    assert len(header[16]) <= 30  # Bezeichnung


def test_the_second_line_names_the_125_columns_in_their_order(exported):
    raw, _ = exported
    columns = _fields(raw.split(b"\r\n")[1])
    assert len(columns) == 125
    assert columns[:14] == ["Umsatz (ohne Soll/Haben-Kz)", "Soll/Haben-Kennzeichen", "WKZ Umsatz",
                            "Kurs", "Basis-Umsatz", "WKZ Basis-Umsatz", "Konto",
                            "Gegenkonto (ohne BU-Schlüssel)", "BU-Schlüssel", "Belegdatum",
                            "Belegfeld 1", "Belegfeld 2", "Skonto", "Buchungstext"]
    assert columns[36] == "KOST1 - Kostenstelle"
    assert columns[113] == "Festschreibung"
    assert columns[-1] == "Abw. Skontokonto"


def _bookings(raw: bytes) -> list[list[str]]:
    return [_fields(line) for line in raw.split(b"\r\n")[2:] if line]


def test_every_booking_is_valid_field_by_field(exported):
    raw, result = exported
    bookings = _bookings(raw)
    assert len(bookings) == result.bookings
    for fields in bookings:
        assert len(fields) == 125
        assert AMOUNT.match(fields[0]), fields[0]          # no sign, decimal comma
        assert fields[1] in ("S", "H")
        assert fields[2] == "EUR"
        assert re.fullmatch(r"\d{4}", fields[6]) and re.fullmatch(r"\d{4}", fields[7])
        assert fields[6] != fields[7]
        assert fields[8] in ("", "2", "3", "8", "9")
        day, month = int(fields[9][:2]), int(fields[9][2:])
        assert len(fields[9]) == 4 and JANUARY[0] <= date(2026, month, day) <= JANUARY[1]
        assert re.fullmatch(r"[A-Za-z0-9$&%*+\-/]{1,36}", fields[10])
        assert len(fields[13]) <= 60
        assert fields[36] in ("GENERAL", "BER") or fields[36]
    raw_lines = raw.split(b"\r\n")[2:-1]
    for line in raw_lines:  # every text column quoted, numbers bare
        parts = line.decode("cp1252").split(";")
        assert parts[1].startswith('"') and not parts[0].startswith('"')


def test_the_bookings_are_the_hand_checked_ones(exported, session):
    raw, result = exported
    general_code = next(iter(b[36] for b in _bookings(raw) if b[7] == "8016"))
    rows = [(b[0], b[1], b[6], b[7], b[8], b[9], b[36]) for b in _bookings(raw)]
    assert rows == [
        # the invoice: gross to the receivable, income with tax key 3 (19 %); VAT left to DATEV
        ("1190,00", "S", "0650", "8016", "3", "0501", general_code),
        # travel of Berlin paid from the general bank: one booking, Berlin's cost centre
        ("50,00", "S", "2561", "0940", "", "1201", "BER"),
        # software with 7 % input VAT: gross on the expense with tax key 8
        ("107,00", "S", "2701", "0940", "8", "2001", general_code),
        ("300,00", "S", "0940", "3220", "", "2501", "BER"),
    ]
    texts = [b[13] for b in _bookings(raw)]
    assert texts[2] == ('Hosting for the "conference" website, 12 months, 107 € incl. VAT, i')[:60]
    assert len(texts[2]) == 60
    assert result.entries == 5
    assert any("between funds" in note for note in result.notes)  # the transfer, left out


def test_a_period_across_two_fiscal_years_is_refused(session, users):
    with pytest.raises(ValidationError, match="one fiscal year"):  # nothing opened
        _export(session, users, start=date(2025, 12, 1), end=date(2026, 1, 31))


def test_the_treasurer_maps_an_account_and_the_file_follows(session, users):
    small_ledger(session, users["treasurer"])
    travel = next(a for a in chart_accounts(session) if a.code == "5200")
    with transaction(session):
        datev_map.set_account(session, travel, "2563", length=4, actor=users["treasurer"])
    result = _export(session, users)
    with result.file as file:
        bookings = _bookings(file.read())
    assert ("2563", "0940") in [(b[6], b[7]) for b in bookings]
    with pytest.raises(ValidationError):
        datev_map.check_number("12345678901", 4)


def test_an_unmapped_account_is_named_in_the_notes(session, users):
    books, _ = small_ledger(session, users["treasurer"])
    travel = next(a for a in chart_accounts(session) if a.code == "5200")
    with transaction(session):
        datev_map.set_account(session, travel, "", length=4, actor=users["treasurer"])
    result = _export(session, users)
    result.file.close()
    assert any("5200" in note for note in result.notes)


def test_vat_that_matches_no_rate_is_booked_to_its_account_without_a_key(session, users):
    books, made = small_ledger(session, users["treasurer"])
    books.post(date(2026, 1, 30), "Invoice with a 10 % tax of another country",
               (books.account("receivables"), made["general"], "110.00"),
               (books.account("sponsorship_income"), made["general"], "-100.00"),
               (books.account("vat_payable"), made["general"], "-10.00"))
    result = _export(session, users)
    with result.file as file:
        rows = [(b[0], b[6], b[7], b[8]) for b in _bookings(file.read()) if b[9] == "3001"]
    assert sorted(rows) == [("10,00", "0650", "1850", ""), ("100,00", "0650", "8016", "")]
    assert any("matched no 19 % or 7 %" in note for note in result.notes)
