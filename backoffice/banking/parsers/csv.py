"""CSV exports of online banking, read through a column mapping saved per bank account.

A mapping names the delimiter, the encoding, the header columns that hold the booking date (and
its format), the amount (one signed column, or separate debit and credit columns), the
counterparty, its IBAN, the purpose text and a reference, and whether amounts use a decimal comma.
The whole file is checked before anything is written: a wrong delimiter, a missing column, a date
or an amount that does not parse refuse it with the row and column named.
"""
from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime

from ...core.i18n import _
from .common import (
    ParsedFile,
    ParsedLine,
    ParsedStatement,
    StatementFormatError,
    check_lines,
    clean,
    minor_units,
)

ENCODINGS = {"utf-8": "UTF-8", "cp1252": "Windows-1252 (ISO-8859-1)", "utf-16": "UTF-16"}
DATE_FORMATS = {"%d.%m.%Y": "31.12.2026", "%d.%m.%y": "31.12.26", "%Y-%m-%d": "2026-12-31",
                "%d/%m/%Y": "31/12/2026", "%m/%d/%Y": "12/31/2026"}


@dataclass
class CsvMapping:
    delimiter: str = ";"
    encoding: str = "utf-8"
    skip_rows: int = 0            # lines before the header (some banks print the account first)
    date: str = ""
    date_format: str = "%d.%m.%Y"
    value_date: str = ""
    amount: str = ""              # one signed column, or ...
    debit: str = ""               # ... a debit column (positive numbers paid out)
    credit: str = ""              # ... and a credit column
    decimal_comma: bool = True
    counterparty: str = ""
    iban: str = ""
    text: str = ""
    reference: str = ""

    @classmethod
    def from_dict(cls, data: dict | None) -> CsvMapping | None:
        if not data:
            return None
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def as_dict(self) -> dict:
        return asdict(self)

    def columns(self) -> list[str]:
        return [c for c in (self.date, self.value_date, self.amount, self.debit, self.credit,
                            self.counterparty, self.iban, self.text, self.reference) if c]


def decode(data: bytes, encoding: str) -> str:
    try:
        text = data.decode("utf-8-sig" if encoding == "utf-8" else encoding)
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        byte = f"{error.object[error.start]:#04x}"
        raise StatementFormatError(
            _("the file is not %(encoding)s (byte %(byte)s cannot be read); choose the right "
              "encoding in the column mapping", encoding=ENCODINGS.get(encoding, encoding),
              byte=byte),
            _("line %(number)s", number=line)) from None
    except LookupError:
        raise StatementFormatError(_("unknown encoding %(encoding)s", encoding=repr(encoding))) from None
    return text


def header(data: bytes, mapping: CsvMapping) -> list[str]:
    """The header row, for offering its columns in the mapping form."""
    text = decode(data, mapping.encoding)
    check_lines(text)
    rows = csv.reader(io.StringIO(text), delimiter=mapping.delimiter or ";")
    for index, row in enumerate(rows):
        if index == mapping.skip_rows:
            return [clean(cell) for cell in row]
    return []


def preview(data: bytes, mapping: CsvMapping, rows: int = 5) -> list[list[str]]:
    """The first ``rows`` rows after the header, as the file has them (for the mapping form)."""
    text = decode(data, mapping.encoding)
    reader = csv.reader(io.StringIO(text), delimiter=mapping.delimiter or ";")
    found: list[list[str]] = []
    try:
        for index, row in enumerate(reader):
            if index > mapping.skip_rows and any(cell.strip() for cell in row):
                found.append([clean(cell)[:80] for cell in row])
                if len(found) == rows:
                    break
    except csv.Error:
        pass  # the mapping form says what is wrong when the file is read in earnest
    return found


#: Column names German and English banks give their CSV exports, for a first guess of the
#: mapping (compared without case, spaces and punctuation). The first name found wins.
HEADER_NAMES = {
    "date": ("Buchungstag", "Buchungsdatum", "Buchung", "Datum", "Booking date", "Date",
             "Transaction date"),
    "value_date": ("Valutadatum", "Valuta", "Wertstellung", "Wertstellungsdatum", "Value date"),
    "amount": ("Betrag", "Betrag (EUR)", "Betrag in EUR", "Umsatz", "Umsatz in EUR", "Amount",
               "Amount (EUR)"),
    "debit": ("Soll", "Ausgang", "Debit", "Paid out", "Money out"),
    "credit": ("Haben", "Eingang", "Credit", "Paid in", "Money in"),
    "counterparty": ("Beguenstigter/Zahlungspflichtiger", "Begünstigter/Zahlungspflichtiger",
                     "Name Zahlungsbeteiligter", "Zahlungsempfänger", "Auftraggeber/Empfänger",
                     "Empfänger/Auftraggeber", "Auftraggeber / Begünstigter", "Empfänger",
                     "Zahlungspflichtiger", "Name", "Counterparty", "Payee", "Payer"),
    "iban": ("IBAN Zahlungsbeteiligter", "Kontonummer/IBAN", "IBAN", "Gegenkonto",
             "Counterparty IBAN", "Account"),
    "text": ("Verwendungszweck", "Vorgang/Verwendungszweck", "Buchungstext", "Description",
             "Purpose", "Reference text", "Details"),
    "reference": ("Kundenreferenz", "Kundenreferenz (End-to-End)", "End-to-End-Referenz",
                  "Mandatsreferenz", "Reference", "End-to-end reference"),
}


def _plain(name: str) -> str:
    return "".join(ch for ch in name.casefold() if ch.isalnum())


def guess_mapping(columns: list[str]) -> dict[str, str]:
    """{mapping field: column} for the columns whose names a bank commonly uses; a column is
    used once, a signed amount column is preferred to debit and credit."""
    by_plain = {_plain(column): column for column in columns}
    guessed: dict[str, str] = {}
    for field, names in HEADER_NAMES.items():
        for name in names:
            column = by_plain.get(_plain(name))
            if column and column not in guessed.values():
                guessed[field] = column
                break
    if "amount" in guessed:
        guessed.pop("debit", None)
        guessed.pop("credit", None)
    return guessed


def parse(data: bytes, mapping: CsvMapping, currency: str) -> ParsedFile:
    text = decode(data, mapping.encoding)
    check_lines(text)
    if not (mapping.date and (mapping.amount or (mapping.debit and mapping.credit))):
        raise StatementFormatError(_("the column mapping names no date or amount column"))
    reader = csv.reader(io.StringIO(text), delimiter=mapping.delimiter or ";")
    statement = ParsedStatement(currency=currency, where="the file")
    columns: dict[str, int] | None = None
    try:
        for number, row in enumerate(reader, 1):
            if number <= mapping.skip_rows or not any(cell.strip() for cell in row):
                continue
            if columns is None:
                columns = _columns(row, mapping, number)
                continue
            statement.lines.append(_row(row, columns, mapping, currency, number))
    except csv.Error as error:
        raise StatementFormatError(_("the CSV is malformed (%(error)s)", error=error),
                                   _("row %(number)s", number=reader.line_num)) \
            from None
    if columns is None:
        raise StatementFormatError(_("the file has no header row"))
    if not statement.lines:
        raise StatementFormatError(_("the file has a header but no rows"))
    return ParsedFile("csv", [statement])


def _columns(row: list[str], mapping: CsvMapping, number: int) -> dict[str, int]:
    names = [clean(cell) for cell in row]
    if len(names) == 1:
        raise StatementFormatError(
            _("the header has a single column (%(column)s): is the delimiter %(delimiter)s right?",
              column=repr(names[0][:60]), delimiter=repr(mapping.delimiter)),
            _("row %(number)s", number=number))
    missing = [c for c in mapping.columns() if c not in names]
    if missing:
        raise StatementFormatError(
            _("the header has no column %(missing)s (it has %(names)s)",
              missing=", ".join(repr(m) for m in missing),
              names=", ".join(repr(n) for n in names[:12])),
            _("row %(number)s", number=number))
    return {name: index for index, name in enumerate(names)}


def _column(where: str, name: str) -> str:
    return _("%(where)s, column %(name)s", where=where, name=repr(name))


def _row(row: list[str], columns: dict[str, int], mapping: CsvMapping, currency: str, number: int) -> ParsedLine:
    def cell(name: str) -> str:
        if not name:
            return ""
        index = columns[name]
        if index >= len(row):
            raise StatementFormatError(_("the row has %(cells)s cells; column %(name)s is missing",
                                         cells=len(row), name=repr(name)),
                                       _("row %(number)s", number=number))
        return row[index].strip()

    def day(name: str) -> date | None:
        value = cell(name)
        if not value and name == mapping.value_date:
            return None
        try:
            return datetime.strptime(value, mapping.date_format).date()
        except ValueError:
            raise StatementFormatError(
                _("%(value)s in column %(name)s is not a date like %(example)s",
                  value=repr(value), name=repr(name),
                  example=DATE_FORMATS.get(mapping.date_format, mapping.date_format)),
                _("row %(number)s", number=number)) from None

    where = _("row %(number)s", number=number)
    if mapping.amount:
        amount = _amount(cell(mapping.amount), currency, mapping, _column(where, mapping.amount))
    else:
        debit, credit = cell(mapping.debit), cell(mapping.credit)
        amount = (_amount(credit, currency, mapping, _column(where, mapping.credit))
                  if credit else 0) - (
            abs(_amount(debit, currency, mapping, _column(where, mapping.debit)))
            if debit else 0)
    if amount == 0:
        raise StatementFormatError(_("the amount is zero or empty"), where)
    reference = cell(mapping.reference)
    return ParsedLine(
        booking_date=day(mapping.date), value_date=day(mapping.value_date) if mapping.value_date
        else None, amount=amount, currency=currency,
        counterparty_name=clean(cell(mapping.counterparty)),
        counterparty_iban=cell(mapping.iban).replace(" ", "").upper(),
        remittance=clean(cell(mapping.text)), references=(reference,) if reference else (),
        where=where)


def _amount(text: str, currency: str, mapping: CsvMapping, where: str) -> int:
    text = text.replace("\u00a0", "").replace(" ", "").replace("'", "")
    if text.endswith("-"):            # "12,50-" (some German banks)
        text = "-" + text[:-1]
    if not mapping.decimal_comma:
        text = text.replace(",", "")
    return minor_units(text, currency, where, decimal_comma=mapping.decimal_comma)
