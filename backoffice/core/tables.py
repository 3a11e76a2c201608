"""A list as a file: the one writer behind every CSV and XLSX download of a list page.

A :class:`Table` names its columns and their kinds; its rows are any iterable of tuples (a
database cursor read in batches), written as they come, so a year's journal takes the memory
of one batch whatever its length.

- **CSV** (UTF-8, CR LF, header row): through ``core.exports.csv_writer``, so a text cell that
  starts with ``=``, ``+``, ``-``, ``@`` is never run as a formula; money as a plain decimal with
  a point and the currency's places (``-12.50``), dates ISO (``2026-03-01``).
- **XLSX** (openpyxl in write-only mode, which streams each row to the sheet's XML): numbers are
  numbers with a currency format (``#,##0.00 "EUR"``: the code is written in the format, so a sum
  of a column stays a number), dates are dates (``yyyy-mm-dd``), the header row is frozen and
  bold, and text cells are neutralised like the CSV's (a spreadsheet would run them too).

Money cells take a :class:`~backoffice.core.money.Money`; the amount written is exact (a
``Decimal`` of the minor units), never a float computed from them.
"""
from __future__ import annotations

import io
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .exports import csv_writer, neutralise
from .money import Money, exponent

TEXT, MONEY, DATE, DATETIME, INTEGER, NUMBER = "text", "money", "date", "datetime", "int", "number"
KINDS = (TEXT, MONEY, DATE, DATETIME, INTEGER, NUMBER)
FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


@dataclass(frozen=True)
class Column:
    title: str
    kind: str = TEXT
    width: int | None = None  # characters, for the XLSX sheet

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"Unknown column kind {self.kind!r}")


@dataclass(frozen=True)
class Table:
    """What a list page shows, as columns; ``name`` becomes the file name and the sheet title."""

    name: str
    columns: tuple[Column, ...]
    rows: Iterable[Sequence[object]]

    def filename(self, fmt: str) -> str:
        return f"{self.name}.{fmt}"


def money_decimal(value: Money) -> Decimal:
    """The exact amount in major units with the currency's places (-12.50, 1000, 0.125)."""
    return value.to_decimal().quantize(Decimal(1).scaleb(-exponent(value.currency)))


def _csv_cell(kind: str, value: object) -> object:
    if value is None:
        return ""
    if kind == MONEY and isinstance(value, Money):
        return f"{money_decimal(value)}"
    if kind == DATETIME and isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def csv_chunks(table: Table, *, batch: int = 500) -> Iterator[str]:
    """The CSV text in chunks of ``batch`` rows (a streamed response sends them as they come)."""
    buffer = io.StringIO()
    writer = csv_writer(buffer, lineterminator="\r\n")
    kinds = [column.kind for column in table.columns]
    writer.writerow([column.title for column in table.columns])
    count = 0
    for row in table.rows:
        writer.writerow([_csv_cell(kind, value) for kind, value in zip(kinds, row)])
        count += 1
        if count % batch == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_csv(table: Table, stream: IO[str]) -> None:
    for chunk in csv_chunks(table):
        stream.write(chunk)


def money_format(currency: str) -> str:
    places = exponent(currency)
    number = "#,##0" + ("." + "0" * places if places else "")
    return f'{number} "{currency}";-{number} "{currency}"'


class _Cells:
    """One styled write-only cell per column (and per currency for money), reused row after row:
    a write-only sheet serialises a row when it is appended, so the cell objects are free again,
    and styling a cell (the slow part of openpyxl) happens once per column, not once per cell."""

    def __init__(self, sheet, columns: Sequence[Column]):
        self._make = lambda: WriteOnlyCell(sheet)
        self._columns = columns
        self._plain = [self._styled(column, None) for column in columns]
        self._money: dict[tuple[int, str], object] = {}

    def _styled(self, column: Column, currency: str | None):
        cell = self._make()
        if column.kind == DATE:
            cell.number_format = DATE_FORMAT
        elif column.kind == DATETIME:
            cell.number_format = DATETIME_FORMAT
        elif column.kind == MONEY and currency:
            cell.number_format = money_format(currency)
        elif column.kind == INTEGER:
            cell.number_format = "0"
        return cell

    def row(self, values: Sequence[object]) -> list:
        cells = []
        for index, (column, value) in enumerate(zip(self._columns, values)):
            if column.kind == MONEY and isinstance(value, Money):
                key = (index, value.currency)
                cell = self._money.get(key)
                if cell is None:
                    cell = self._money[key] = self._styled(column, value.currency)
                cell.value = money_decimal(value)
            else:
                cell = self._plain[index]
                if isinstance(value, datetime) and value.tzinfo is not None:
                    value = value.replace(tzinfo=None)  # Excel has no time zones; stored UTC
                elif isinstance(value, str):
                    value = neutralise(value)
                cell.value = value
            cells.append(cell)
        return cells


def write_xlsx(table: Table, target: str | IO[bytes]) -> None:
    """The table as an XLSX workbook written to a path or a binary file object."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=table.name[:31] or "Sheet")
    sheet.freeze_panes = "A2"
    for index, column in enumerate(table.columns):
        width = column.width or {TEXT: 30, MONEY: 16, DATE: 12, DATETIME: 17}.get(column.kind, 10)
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    bold = Font(bold=True)
    header = []
    for column in table.columns:
        cell = WriteOnlyCell(sheet, value=column.title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    cells = _Cells(sheet, table.columns)
    for row in table.rows:
        sheet.append(cells.row(row))
    workbook.save(target)


def spooled(write: Callable[[IO[bytes]], object]) -> IO[bytes]:
    """A temporary file (in memory up to 8 MB, then on disk) that ``write`` fills, rewound for
    reading; closed again if ``write`` fails."""
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    try:
        write(spool)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def xlsx_file(table: Table) -> IO[bytes]:
    """The workbook in a temporary file, rewound for reading."""
    return spooled(lambda spool: write_xlsx(table, spool))
