"""A fiscal year for the tax auditor: GoBD data access ("Datenüberlassung", Z3) as CSV files
described by an ``index.xml`` in the "Beschreibungsstandard" that the auditors' software
(IDEA, AIS TaxAudit) reads, with its DTD (``gdpdu-01-08-2002.dtd``) beside it, all in one zip.

Five tables: the journal (one row per posting, debit and credit columns), the chart of accounts,
the funds, the source documents the year's entries name (with an invoice's number, gross amount
and the SHA-256 of its PDF) and the bank lines. Each CSV is UTF-8, ``;`` between columns, CR LF
between records, text in double quotes; numbers have a decimal comma and money columns declare
two decimal places (``Accuracy`` 2); dates are ``DD.MM.YYYY``. The index names every column with
its type, the primary keys and the foreign keys from the journal to the accounts and funds.
"""
from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO
from xml.sax.saxutils import escape

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..banking.models import BankAccount, BankLine
from ..core.i18n import N_
from ..core.money import exponent
from ..invoicing.models import Invoice
from ..ledger.periods import FiscalYear
from ..ledger.queries import JournalFilter
from ..ledger.reads import chart_accounts, chart_funds, journal_lines

DTD_NAME = "gdpdu-01-08-2002.dtd"
DTD_PATH = Path(__file__).with_name(DTD_NAME)
DATE_FORMAT = "DD.MM.YYYY"
ALPHA, NUMERIC, MONEY, DATE = "alpha", "numeric", "money", "date"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = ALPHA
    description: str = ""


@dataclass(frozen=True)
class AuditTable:
    file: str
    name: str
    description: str  # English in index.xml; the page shows it translated (marked with N_)
    columns: tuple[Column, ...]
    keys: tuple[str, ...]                            # primary key columns (first in the file)
    foreign: tuple[tuple[str, str], ...] = ()        # (column, referenced table's file)


def _number(value: int | Decimal, places: int = 0) -> str:
    return f"{Decimal(value):.{places}f}".replace(".", ",")


def _money(minor: int, currency: str) -> str:
    """Major units with the two decimal places the index declares (exact for EUR and every
    currency with cents; a currency with three would be rounded, and has none of our books)."""
    return _number(Decimal(minor).scaleb(-exponent(currency)), 2)


def _day(value: date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else ""


JOURNAL = AuditTable(
    "journal.csv", "Journal", N_("Every posting of the fiscal year: one row per line of an entry"),
    (Column("Entry", NUMERIC, "Journal entry number"), Column("Line", NUMERIC),
     Column("BookingDate", DATE), Column("Description"), Column("Account", ALPHA, "Account code"),
     Column("Fund", ALPHA, "Fund code"), Column("Debit", MONEY), Column("Credit", MONEY),
     Column("Currency"), Column("Memo"), Column("SourceKind"), Column("SourceId"),
     Column("Document", ALPHA, "Document number (invoice number)"),
     Column("Reverses", NUMERIC, "Entry this entry reverses"), Column("PostedAt")),
    keys=("Entry", "Line"), foreign=(("Account", "accounts.csv"), ("Fund", "funds.csv")))
ACCOUNTS = AuditTable(
    "accounts.csv", "Accounts", N_("The chart of accounts"),
    (Column("Account"), Column("Name"), Column("Type"), Column("Role"), Column("Active")),
    keys=("Account",))
FUNDS = AuditTable(
    "funds.csv", "Funds", N_("Funds (unrestricted and restricted money)"),
    (Column("Fund"), Column("Name"), Column("Restricted"), Column("Active")), keys=("Fund",))
DOCUMENTS = AuditTable(
    "documents.csv", "Documents", N_("Source documents of the year's entries"),
    (Column("Kind"), Column("SourceId"), Column("Number"), Column("FirstBooking", DATE),
     Column("Entries", NUMERIC), Column("Gross", MONEY), Column("Currency"),
     Column("SHA256", ALPHA, "SHA-256 of the stored document")),
    keys=("Kind", "SourceId"))
BANK_LINES = AuditTable(
    "bank_lines.csv", "BankLines", N_("Bank statement lines booked in the fiscal year"),
    (Column("Line", NUMERIC), Column("BankAccount"), Column("IBAN"), Column("BookingDate", DATE),
     Column("ValueDate", DATE), Column("Amount", MONEY), Column("Currency"),
     Column("Counterparty"), Column("CounterpartyIBAN"), Column("Remittance"),
     Column("BankReference"), Column("Status")),
    keys=("Line",))
TABLES = (JOURNAL, ACCOUNTS, FUNDS, DOCUMENTS, BANK_LINES)


def _journal(session: Session, start: date, end: date, invoices: dict[str, str],
             documents: dict) -> Iterator[list]:
    accounts = {a.id: a.code for a in chart_accounts(session)}
    funds = {f.id: f.code for f in chart_funds(session)}
    for line in journal_lines(session, JournalFilter(start=start, end=end)):
        number = invoices.get(line.source_id or "", "") if line.source_kind == "invoice" else ""
        if line.source_kind and line.line_no == 1:
            key = (line.source_kind, line.source_id or "")
            seen = documents.setdefault(key, [line.booking_date, 0])
            seen[1] += 1
        yield [line.entry_id, line.line_no, _day(line.booking_date), line.description,
               accounts[line.account_id], funds[line.fund_id],
               _money(max(line.amount, 0), line.currency),
               _money(max(-line.amount, 0), line.currency), line.currency, line.memo or "",
               line.source_kind or "", line.source_id or "", number, line.reverses_id or "",
               line.posted_at.isoformat(timespec="seconds")]


def _documents(documents: dict, invoices: dict[str, Invoice]) -> Iterator[list]:
    for (kind, source_id), (first, count) in sorted(documents.items()):
        invoice = invoices.get(source_id) if kind == "invoice" else None
        yield [kind, source_id, invoice.number if invoice else "", _day(first), count,
               _money(invoice.gross_total, invoice.currency) if invoice else "",
               invoice.currency if invoice else "", invoice.pdf_sha256 or "" if invoice else ""]


def _bank_lines(session: Session, start: date, end: date) -> Iterator[list]:
    accounts = {a.id: a for a in session.scalars(select(BankAccount))}
    statement = (select(BankLine).where(BankLine.booking_date >= start,
                                        BankLine.booking_date <= end)
                 .order_by(BankLine.booking_date, BankLine.id))
    for line in session.scalars(statement, execution_options={"yield_per": 2000}):
        account = accounts[line.bank_account_id]
        yield [line.id, account.name, account.iban, _day(line.booking_date),
               _day(line.value_date), _money(line.amount, line.currency), line.currency,
               line.counterparty_name, line.counterparty_iban, line.remittance,
               line.bank_reference, line.status]


def _csv(table: AuditTable, rows: Iterable[list], sink: IO[bytes]) -> int:
    """Records without a header row (the index describes the columns): text in double quotes
    (a quote inside doubled), numbers and dates bare."""
    quoted = [column.kind == ALPHA for column in columns_in_file_order(table)]
    count = 0
    buffer: list[str] = []
    for row in rows:
        buffer.append(";".join(
            '"' + str(value).replace('"', '""') + '"' if text else str(value)
            for text, value in zip(quoted, row)) + "\r\n")
        count += 1
        if len(buffer) >= 1000:
            sink.write("".join(buffer).encode("utf-8"))
            buffer.clear()
    sink.write("".join(buffer).encode("utf-8"))
    return count


def index_xml(*, organisation: str, start: date, end: date, created: datetime) -> str:
    """The description of the tables (``index.xml``), valid against the shipped DTD."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<!DOCTYPE DataSet SYSTEM "{DTD_NAME}">',
           "<DataSet>", "  <Version>1.0</Version>",
           "  <DataSupplier>", f"    <Name>{escape(organisation)}</Name>",
           "    <Location>Back office</Location>",
           f"    <Comment>Fiscal year {_day(start)} to {_day(end)}, written "
           f"{created:%d.%m.%Y %H:%M} UTC</Comment>",
           "  </DataSupplier>", "  <Media>", f"    <Name>Fiscal year {start:%Y}</Name>"]
    for table in TABLES:
        out += ["    <Table>", f"      <URL>{table.file}</URL>", f"      <Name>{table.name}</Name>",
                f"      <Description>{escape(table.description)}</Description>",
                "      <Validity>", "        <Range>", f"          <From>{_day(start)}</From>",
                f"          <To>{_day(end)}</To>", "        </Range>",
                f"        <Format>{DATE_FORMAT}</Format>",
                "      </Validity>", "      <UTF8/>",
                "      <DecimalSymbol>,</DecimalSymbol>",
                "      <DigitGroupingSymbol>.</DigitGroupingSymbol>",
                "      <VariableLength>", "        <ColumnDelimiter>;</ColumnDelimiter>",
                "        <RecordDelimiter>&#13;&#10;</RecordDelimiter>",
                "        <TextEncapsulator>\"</TextEncapsulator>"]
        for column in table.columns:
            element = "VariablePrimaryKey" if column.name in table.keys else "VariableColumn"
            out += [f"        <{element}>", f"          <Name>{column.name}</Name>"]
            if column.description:
                out.append(f"          <Description>{escape(column.description)}</Description>")
            if column.kind == MONEY:
                out.append("          <Numeric><Accuracy>2</Accuracy></Numeric>")
            elif column.kind == NUMERIC:
                out.append("          <Numeric/>")
            elif column.kind == DATE:
                out.append(f"          <Date><Format>{DATE_FORMAT}</Format></Date>")
            else:
                out.append("          <AlphaNumeric/>")
            out.append(f"        </{element}>")
        for column, references in table.foreign:
            target = next(t for t in TABLES if t.file == references)
            out += ["        <ForeignKey>", f"          <Name>{column}</Name>",
                    f"          <References>{target.name}</References>", "        </ForeignKey>"]
        out += ["      </VariableLength>", "    </Table>"]
    out += ["  </Media>", "</DataSet>", ""]
    return "\n".join(out)


def _ordered(table: AuditTable, rows: Iterable[list]) -> Iterator[list]:
    """Rows with the primary-key columns first, as the DTD orders them in the index."""
    names = [c.name for c in table.columns]
    order = [names.index(k) for k in table.keys] + [i for i, n in enumerate(names)
                                                    if n not in table.keys]
    for row in rows:
        yield [row[i] for i in order]


def columns_in_file_order(table: AuditTable) -> list[Column]:
    keys = [c for c in table.columns if c.name in table.keys]
    keys.sort(key=lambda c: table.keys.index(c.name))
    return keys + [c for c in table.columns if c.name not in table.keys]


def write_zip(session: Session, sink: IO[bytes], *, start: date, fiscal_year: FiscalYear,
              organisation: str, created: datetime) -> dict[str, int]:
    """The fiscal year beginning at ``start`` as a zip written to ``sink``; {file: rows}."""
    start = fiscal_year.start(start)
    end = date(start.year + 1, start.month, 1) - timedelta(days=1)
    invoices = {str(i.id): i for i in session.scalars(
        select(Invoice).where(Invoice.number.is_not(None)))}
    numbers = {key: invoice.number for key, invoice in invoices.items()}
    documents: dict = {}
    counts: dict[str, int] = {}
    accounts = ([a.code, a.name, a.type, a.role or "", "yes" if a.active else "no"]
                for a in chart_accounts(session))
    funds = ([f.code, f.name, "yes" if f.restricted else "no", "yes" if f.active else "no"]
             for f in chart_funds(session))
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        sources = ((JOURNAL, lambda: _journal(session, start, end, numbers, documents)),
                   (ACCOUNTS, lambda: accounts), (FUNDS, lambda: funds),
                   (DOCUMENTS, lambda: _documents(documents, invoices)),
                   (BANK_LINES, lambda: _bank_lines(session, start, end)))
        for table, rows in sources:  # the journal first: it gathers the documents
            with archive.open(table.file, "w", force_zip64=True) as member:
                counts[table.file] = _csv(table, _ordered(table, rows()), member)
        archive.writestr("index.xml", index_xml(organisation=organisation, start=start,
                                                end=end, created=created))
        archive.write(DTD_PATH, DTD_NAME)
    return counts
