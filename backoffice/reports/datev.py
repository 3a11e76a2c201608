"""The journal of a period as a DATEV "Buchungsstapel" (DATEV-Format, EXTF, header version 700,
format category 21, format version 13): the file a tax adviser imports into DATEV
Rechnungswesen without rework.

The format, as DATEV's format description has it:

- line 1 is the header (31 fields: "EXTF", 700, 21, "Buchungsstapel", 13, created at, ...,
  adviser and client number, start of the fiscal year, the length of ledger account numbers,
  the period, a label, ..., the chart of accounts); line 2 names the 125 columns; then one
  booking a line;
- Windows-1252 without a byte-order mark (a € is byte 0x80), CR LF line ends, ``;`` between
  fields, text fields in double quotes (a quote inside doubled), numbers bare;
- an amount is never signed: it is written with a decimal comma and the S/H flag says whether
  the account in "Konto" is debited (S, Soll) or credited (H, Haben); "Gegenkonto" takes the
  other side;
- "Belegdatum" is DDMM; the year is the header's, so every booking lies in the header's period,
  and the period lies in one fiscal year;
- "Buchungstext" is at most 60 characters, "Belegfeld 1" (the document number) at most 36 of
  ``A-Z a-z 0-9 $ & % * + - /``; account numbers are written with the length the header
  declares ("Sachkontenlänge"), a shorter number with zeros in front (940 -> 0940).

A journal entry has any number of lines, each in a fund; a DATEV booking has two accounts. So
each entry's lines are netted per DATEV account and fund (the interfund lines, which only make
every fund balance on its own, net to nothing and are left out), and debits are paired with
credits, first within a fund, then across funds: one booking per pair, the fund's code as cost
centre (KOST1). VAT: an output-VAT line that is 19 % or 7 % of an income line in the same fund
joins it as one gross booking with DATEV's tax key (3 = 19 %, 2 = 7 %; input VAT on an expense:
9 and 8), so DATEV books the tax itself on its automatic accounts; VAT that matches no line is
booked to its mapped account without a key and named in the notes.
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.errors import ValidationError
from ..core.i18n import _, ngettext
from ..core.money import exponent
from ..core.settings import Datev
from ..core.tables import spooled
from ..invoicing.models import Invoice
from ..ledger.periods import FiscalYear
from ..ledger.queries import JournalFilter
from ..ledger.reads import JournalLine, by_entry, chart_funds, journal_lines
from .datev_map import MappedAccount, mapping

ENCODING = "cp1252"
NEWLINE = "\r\n"
HEADER_FORMAT = ("EXTF", 700, 21, "Buchungsstapel", 13)
MAX_TEXT = 60
MAX_DOCUMENT = 36
MAX_COST_CENTRE = 36
MAX_LABEL = 30
MAX_AMOUNT_DIGITS = 10  # before the decimal comma
DOCUMENT_CHARACTERS = re.compile(r"[^A-Za-z0-9$&%*+\-/]")

#: The header's fields (1-based positions), as the format description names them.
HEADER_FIELDS = (
    "Kennzeichen", "Versionsnummer", "Formatkategorie", "Formatname", "Formatversion",
    "Erzeugt am", "Importiert", "Herkunft", "Exportiert von", "Importiert von", "Beraternummer",
    "Mandantennummer", "WJ-Beginn", "Sachkontenlänge", "Datum vom", "Datum bis", "Bezeichnung",
    "Diktatkürzel", "Buchungstyp", "Rechnungslegungszweck", "Festschreibung", "WKZ",
    "reserviert", "Derivatskennzeichen", "reserviert", "reserviert", "Sachkontenrahmen",
    "ID der Branchenlösung", "reserviert", "reserviert", "Anwendungsinformation",
)
HEADER_TEXT = frozenset({1, 4, 8, 9, 10, 17, 18, 22, 24, 27, 30, 31})

#: The 125 columns of a booking, in order (format version 13).
COLUMNS: tuple[str, ...] = (
    "Umsatz (ohne Soll/Haben-Kz)", "Soll/Haben-Kennzeichen", "WKZ Umsatz", "Kurs",
    "Basis-Umsatz", "WKZ Basis-Umsatz", "Konto", "Gegenkonto (ohne BU-Schlüssel)",
    "BU-Schlüssel", "Belegdatum", "Belegfeld 1", "Belegfeld 2", "Skonto", "Buchungstext",
    "Postensperre", "Diverse Adressnummer", "Geschäftspartnerbank", "Sachverhalt", "Zinssperre",
    "Beleglink",
    *(name for i in range(1, 9) for name in (f"Beleginfo - Art {i}", f"Beleginfo - Inhalt {i}")),
    "KOST1 - Kostenstelle", "KOST2 - Kostenstelle", "Kost-Menge",
    "EU-Land u. UStID (Bestimmung)", "EU-Steuersatz (Bestimmung)", "Abw. Versteuerungsart",
    "Sachverhalt L+L", "Funktionsergänzung L+L", "BU 49 Hauptfunktionstyp",
    "BU 49 Hauptfunktionsnummer", "BU 49 Funktionsergänzung",
    *(name for i in range(1, 21)
      for name in (f"Zusatzinformation - Art {i}", f"Zusatzinformation - Inhalt {i}")),
    "Stück", "Gewicht", "Zahlweise", "Forderungsart", "Veranlagungsjahr",
    "Zugeordnete Fälligkeit", "Skontotyp", "Auftragsnummer", "Buchungstyp",
    "USt-Schlüssel (Anzahlungen)", "EU-Mitgliedstaat (Anzahlungen)",
    "Sachverhalt L+L (Anzahlungen)", "EU-Steuersatz (Anzahlungen)", "Erlöskonto (Anzahlungen)",
    "Herkunft-Kz", "Buchungs GUID", "KOST-Datum", "SEPA-Mandatsreferenz", "Skontosperre",
    "Gesellschaftername", "Beteiligtennummer", "Identifikationsnummer", "Zeichnernummer",
    "Postensperre bis", "Bezeichnung SoBil-Sachverhalt", "Kennzeichen SoBil-Buchung",
    "Festschreibung", "Leistungsdatum", "Datum Zuord. Steuerperiode", "Fälligkeit",
    "Generalumkehr (GU)", "Steuersatz", "Land", "Abrechnungsreferenz", "BVV-Position",
    "EU-Land u. UStID (Ursprung)", "EU-Steuersatz (Ursprung)", "Abw. Skontokonto",
)
#: Text columns (1-based): written in double quotes, even when empty.
TEXT = frozenset({2, 3, 6, 9, 11, 12, 14, 16, 20, 37, 38, 40, 42, 91, 95, 96, 98, 102, 103,
                  105, 107, 109, 110, 112, 118, 120, 121, 123}
                 | set(range(21, 37)) | set(range(48, 88)))
COLUMN = {name: position for position, name in enumerate(COLUMNS, 1)}

#: DATEV tax keys (BU-Schlüssel) by (kind of VAT, rate in percent).
TAX_KEYS = {("output", 19): "3", ("output", 7): "2", ("input", 19): "9", ("input", 7): "8"}
VAT_ROLES = {"vat_payable": "output", "input_vat": "input"}
RATE_TOLERANCE = 2  # minor units: per-line rounding on an invoice of a few lines


# --- the file ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Header:
    adviser_number: int
    client_number: int
    fiscal_year_start: date
    account_length: int
    start: date
    end: date
    label: str
    chart: str
    exported_by: str
    created_at: datetime
    currency: str = "EUR"
    origin: str = "BO"  # Herkunft: two letters naming the program that wrote the file


@dataclass(frozen=True)
class Booking:
    amount: int          # minor units, > 0
    currency: str
    debit: str           # Konto (debited: S)
    credit: str          # Gegenkonto
    tax_key: str
    day: date
    document: str        # Belegfeld 1
    text: str            # Buchungstext
    cost_centre: str     # KOST1: the fund's code
    entry_id: int
    fund_code: str


def clean_text(value: str, limit: int) -> str:
    """One line of text that Windows-1252 can carry, cut at ``limit`` characters (a character
    it cannot carry becomes ``?``; a € stays a €)."""
    value = " ".join((value or "").split())
    value = value.encode(ENCODING, errors="replace").decode(ENCODING)
    return value[:limit]


def document_number(value: str) -> str:
    return DOCUMENT_CHARACTERS.sub("", value or "")[:MAX_DOCUMENT]


def format_amount(amount: int, currency: str) -> str:
    places = exponent(currency)
    value = Decimal(abs(amount)).scaleb(-places)
    text = f"{value:.{places}f}".replace(".", ",")
    if len(text.split(",")[0]) > MAX_AMOUNT_DIGITS:
        raise ValidationError(_("%(amount)s %(currency)s is beyond what a DATEV booking can "
                                "carry.", amount=text, currency=currency))
    return text


def account_number(number: str, length: int) -> str:
    """An account number as long as the header declares (zeros in front: 940 -> 0940)."""
    return number.rjust(length, "0")


def encode_line(values: Sequence[object], text_positions: frozenset[int]) -> bytes:
    parts = []
    for position, value in enumerate(values, 1):
        item = "" if value is None else str(value)
        if position in text_positions:
            item = '"' + item.replace('"', '""') + '"'
        parts.append(item)
    return (";".join(parts) + NEWLINE).encode(ENCODING)


def header_values(header: Header) -> list[object]:
    values: list[object] = [None] * len(HEADER_FIELDS)
    values[0:5] = HEADER_FORMAT
    values[5] = header.created_at.strftime("%Y%m%d%H%M%S") + f"{header.created_at.microsecond // 1000:03d}"
    values[6] = None
    values[7] = header.origin
    values[8] = clean_text(header.exported_by, 25)
    values[9] = ""
    values[10] = header.adviser_number
    values[11] = header.client_number
    values[12] = header.fiscal_year_start.strftime("%Y%m%d")
    values[13] = header.account_length
    values[14] = header.start.strftime("%Y%m%d")
    values[15] = header.end.strftime("%Y%m%d")
    values[16] = clean_text(header.label, MAX_LABEL)
    values[17] = ""
    values[18] = 1          # Buchungstyp: Finanzbuchführung
    values[19] = 0          # Rechnungslegungszweck: independent of it
    values[20] = 0          # Festschreibung: the adviser decides
    values[21] = header.currency
    values[23] = ""
    values[26] = header.chart
    values[29] = ""
    values[30] = ""
    return values


def booking_values(booking: Booking, length: int) -> list[object]:
    values: list[object] = [None] * len(COLUMNS)

    def put(name: str, value: object) -> None:
        values[COLUMN[name] - 1] = value

    put("Umsatz (ohne Soll/Haben-Kz)", format_amount(booking.amount, booking.currency))
    put("Soll/Haben-Kennzeichen", "S")
    put("WKZ Umsatz", booking.currency)
    put("Konto", account_number(booking.debit, length))
    put("Gegenkonto (ohne BU-Schlüssel)", account_number(booking.credit, length))
    put("BU-Schlüssel", booking.tax_key)
    put("Belegdatum", booking.day.strftime("%d%m"))
    put("Belegfeld 1", document_number(booking.document))
    put("Buchungstext", clean_text(booking.text, MAX_TEXT))
    put("KOST1 - Kostenstelle", clean_text(booking.cost_centre, MAX_COST_CENTRE))
    put("Zusatzinformation - Art 1", "Journal")
    put("Zusatzinformation - Inhalt 1", str(booking.entry_id))
    put("Zusatzinformation - Art 2", "Fonds")
    put("Zusatzinformation - Inhalt 2", clean_text(booking.fund_code, 210))
    put("Festschreibung", 0)
    for position in TEXT:  # text fields are written quoted, empty ones too
        if values[position - 1] is None:
            values[position - 1] = ""
    return values


def file_lines(header: Header, bookings: Iterable[Booking]) -> Iterator[bytes]:
    """The file, line by line, as Windows-1252 bytes."""
    yield encode_line(header_values(header), HEADER_TEXT)
    yield encode_line(COLUMNS, frozenset())
    for booking in bookings:
        if not header.start <= booking.day <= header.end:
            raise ValidationError(_("Entry #%(entry)s of %(day)s lies outside the file's "
                                    "period.", entry=booking.entry_id, day=booking.day))
        yield encode_line(booking_values(booking, header.account_length), TEXT)


# --- from journal entries to bookings ----------------------------------------------------------

@dataclass
class Notes:
    """What the export could not say the way the adviser would want it, by kind."""

    unmapped: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    untaxed_vat: list[int] = field(default_factory=list)
    same_account: list[int] = field(default_factory=list)
    foreign_currency: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def sentences(self) -> list[str]:
        """What the export notes, in the reader's language."""
        lines = [ngettext("Account %(label)s has no DATEV account: %(num)s line left out "
                          "(map it).",
                          "Account %(label)s has no DATEV account: %(num)s lines left out "
                          "(map it).", count, label=label)
                 for label, count in sorted(self.unmapped.items())]
        if self.untaxed_vat:
            lines.append(ngettext(
                "VAT that matched no 19 %% or 7 %% line was booked without a tax key in "
                "%(num)s entry, #%(entry)s.",
                "VAT that matched no 19 %% or 7 %% line was booked without a tax key in "
                "%(num)s entries, e.g. #%(entry)s.", len(self.untaxed_vat),
                entry=self.untaxed_vat[0]))
        if self.same_account:
            lines.append(ngettext(
                "%(num)s movement between funds on one DATEV account left out (#%(entry)s): "
                "DATEV books no account against itself.",
                "%(num)s movements between funds on one DATEV account left out (e.g. "
                "#%(entry)s): DATEV books no account against itself.", len(self.same_account),
                entry=self.same_account[0]))
        lines += [ngettext("%(num)s booking in %(currency)s: DATEV needs its exchange rate.",
                           "%(num)s bookings in %(currency)s: DATEV needs their exchange rate.",
                           count, currency=currency)
                  for currency, count in sorted(self.foreign_currency.items())]
        return lines


def _rate_matches(tax: int, base: int, rate: int) -> bool:
    expected = int((Decimal(base) * rate / 100).to_integral_value(ROUND_HALF_UP))
    return abs(expected - tax) <= RATE_TOLERANCE


def entry_bookings(lines: Sequence[JournalLine], accounts: dict[int, MappedAccount],
                   fund_codes: dict[int, str], *, document: str, home_currency: str,
                   notes: Notes) -> list[Booking]:
    """The DATEV bookings of one journal entry (its lines in ``lines``)."""
    first = lines[0]
    result: list[Booking] = []
    for currency in sorted({line.currency for line in lines}):
        # {(fund id, DATEV account): [net amount, kind of account, VAT kind]}
        nets: dict[tuple[int, str], list] = {}
        for line in lines:
            if line.currency != currency:
                continue
            mapped = accounts[line.account_id]
            if mapped.datev is None:
                if mapped.account.role != "interfund":
                    notes.unmapped[mapped.account.label] += 1
                continue
            key = (line.fund_id, mapped.datev)
            if key not in nets:
                nets[key] = [0, mapped.account.type, VAT_ROLES.get(mapped.account.role or "")]
            nets[key][0] += line.amount
        # {key: tax key} for income and expense lines that absorb a VAT line
        keys: dict[tuple[int, str], str] = {}
        for key, (amount, _fund, vat) in list(nets.items()):
            if vat is None or amount == 0:
                continue
            wanted = "income" if vat == "output" else "expense"
            match = None
            for other, (base, kind, other_vat) in nets.items():
                if other[0] != key[0] or kind != wanted or other_vat or other in keys:
                    continue
                if (base < 0) != (amount < 0):
                    continue
                rate = next((r for r in (19, 7) if _rate_matches(abs(amount), abs(base), r)), None)
                if rate:
                    match = (other, TAX_KEYS[(vat, rate)])
                    break
            if match is None:
                notes.untaxed_vat.append(first.entry_id)
                continue
            other, tax_key = match
            nets[other][0] += amount
            keys[other] = tax_key
            nets[key][0] = 0
        debits = [[key, amount] for key, (amount, _, _) in nets.items() if amount > 0]
        credits = [[key, -amount] for key, (amount, _, _) in nets.items() if amount < 0]
        kinds = {key: kind for key, (_, kind, _) in nets.items()}
        for same_fund in (True, False):
            for debit in debits:
                for credit in credits:
                    if debit[1] == 0:
                        break
                    if credit[1] == 0 or (same_fund and debit[0][0] != credit[0][0]):
                        continue
                    amount = min(debit[1], credit[1])
                    debit[1] -= amount
                    credit[1] -= amount
                    if debit[0][1] == credit[0][1]:
                        notes.same_account.append(first.entry_id)
                        continue
                    # the cost centre is the fund of the income or expense side
                    fund_id = (credit[0][0] if kinds[credit[0]] in ("income", "expense")
                               and kinds[debit[0]] not in ("income", "expense") else debit[0][0])
                    if currency != home_currency:
                        notes.foreign_currency[currency] += 1
                    result.append(Booking(
                        amount=amount, currency=currency, debit=debit[0][1],
                        credit=credit[0][1],
                        tax_key=keys.get(debit[0]) or keys.get(credit[0]) or "",
                        day=first.booking_date, document=document, text=first.description,
                        cost_centre=fund_codes[fund_id], entry_id=first.entry_id,
                        fund_code=fund_codes[fund_id]))
    return result


# --- the export --------------------------------------------------------------------------------

@dataclass
class DatevExport:
    file: IO[bytes]   # rewound; the caller closes it
    filename: str
    bookings: int
    entries: int
    notes: list[str]


def check_period(start: date, end: date, fiscal_year: FiscalYear) -> date:
    """The start of the fiscal year the period lies in; a period across two is refused."""
    if end < start:
        raise ValidationError(_("The period ends before it starts."), field="end")
    year_start = fiscal_year.start(start)
    if fiscal_year.start(end) != year_start:
        raise ValidationError(_("A DATEV file holds one fiscal year at most: split the period "
                                "at %(day)s.", day=fiscal_year.start(end)), field="end")
    return year_start


def _documents(session: Session) -> dict[str, str]:
    """{source id: invoice number} of issued invoices (the document number of their entries)."""
    return {str(invoice_id): number for invoice_id, number in session.execute(
        select(Invoice.id, Invoice.number).where(Invoice.number.is_not(None)))}


def export(session: Session, config: Datev, *, start: date, end: date, fiscal_year: FiscalYear,
           home_currency: str, exported_by: str, now: datetime) -> DatevExport:
    """The journal from ``start`` to ``end`` as a DATEV file (spooled to disk when large)."""
    year_start = check_period(start, end, fiscal_year)
    accounts = mapping(session, config.account_length)
    too_long = sorted(m.account.label for m in accounts.values()
                      if m.datev and len(m.datev) > config.account_length + 1)
    if too_long:
        raise ValidationError(_("These accounts are mapped to numbers longer than the "
                                "declared %(digits)s digits: %(accounts)s.",
                                digits=config.account_length, accounts=", ".join(too_long)))
    fund_codes = {fund.id: fund.code for fund in chart_funds(session)}
    invoices = _documents(session)
    notes = Notes()
    counts = {"bookings": 0, "entries": 0}

    def bookings() -> Iterator[Booking]:
        for lines in by_entry(journal_lines(session, JournalFilter(start=start, end=end))):
            first = lines[0]
            if first.source_kind == "invoice" and first.source_id in invoices:
                document = invoices[first.source_id]
            else:
                document = f"BO{first.entry_id}"
            counts["entries"] += 1
            for booking in entry_bookings(lines, accounts, fund_codes, document=document,
                                          home_currency=home_currency, notes=notes):
                counts["bookings"] += 1
                yield booking

    header = Header(adviser_number=config.adviser_number, client_number=config.client_number,
                    fiscal_year_start=year_start, account_length=config.account_length,
                    start=start, end=end, label=f"Journal {start:%d.%m.%Y}-{end:%d.%m.%Y}",
                    chart=config.chart, exported_by=exported_by, created_at=now,
                    currency=home_currency)
    spool = spooled(lambda sink: sink.writelines(file_lines(header, bookings())))
    return DatevExport(spool, f"EXTF_Buchungsstapel_{start:%Y%m%d}_{end:%Y%m%d}.csv",
                       counts["bookings"], counts["entries"], notes.sentences())
