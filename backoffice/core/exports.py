"""CSV that is safe to open in a spreadsheet: a text cell is never run as a formula.

Every CSV the application writes (pages, downloads, the command line) goes through ``csv_writer``.
A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be taken
as a formula by Excel, LibreOffice or Google Sheets (``=HYPERLINK(...)`` in an account name, a
sponsor's name or a bank line's text), so it gets a leading apostrophe, which spreadsheets show as
text. Plain numbers (``-12.50``) stay numbers.
"""
from __future__ import annotations

import csv
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any, TextIO

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def neutralise(value: object):
    """The cell as a spreadsheet will show it, never as a formula it would run."""
    if isinstance(value, str) and value.startswith(FORMULA_START) \
            and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` that neutralises every cell it writes."""

    def __init__(self, stream: TextIO, **options: Any):
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[object]):
        return self._writer.writerow([neutralise(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[object]]):
        for row in rows:
            self.writerow(row)


def csv_writer(stream: TextIO, **options: Any) -> SafeWriter:
    return SafeWriter(stream, **options)
