"""Statement parsers: CAMT.053 (XML), MT940 and CSV. ``parse`` picks one by the content."""
from __future__ import annotations

import gc
import re
from contextlib import contextmanager

from ...core.i18n import _
from . import camt, csv, mt940
from .common import (
    MAX_FILE_BYTES,
    ParsedFile,
    ParsedLine,
    ParsedStatement,
    StatementFormatError,
)
from .csv import CsvMapping

FORMATS = {"camt053": "CAMT.053 (XML)", "mt940": "MT940", "csv": "CSV"}

__all__ = ["CsvMapping", "FORMATS", "ParsedFile", "ParsedLine", "ParsedStatement",
           "StatementFormatError", "detect", "parse"]


def detect(data: bytes) -> str:
    """'camt053', 'mt940' or 'csv', from the first bytes of the file."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return "camt053"
    if re.match(rb"(\{1:|:\d\d[A-Z]?:|:NS:|:940)", head) or re.search(rb"\n:(20|61|86):", head):
        return "mt940"
    return "csv"


def parse(data: bytes, *, currency: str, csv_mapping: CsvMapping | None = None,
          format: str | None = None) -> ParsedFile:
    """Parse a whole file or raise ``StatementFormatError``; never returns half a file."""
    if not data:
        raise StatementFormatError(_("the file is empty"))
    if len(data) > MAX_FILE_BYTES:
        size, limit = f"{len(data) / 1e6:.1f}", f"{MAX_FILE_BYTES / 1e6:.0f}"
        raise StatementFormatError(_("the file is %(size)s MB; statements larger than %(limit)s MB "
                                     "are refused", size=size, limit=limit))
    format = format or detect(data)
    if format == "camt053":
        with _collector_paused():
            return camt.parse(data)
    if format == "mt940":
        with _collector_paused():
            return mt940.parse(data)
    if format == "csv":
        if csv_mapping is None:
            raise StatementFormatError(
                _("this looks like a CSV file: set up its column mapping first"))
        return csv.parse(data, csv_mapping, currency)
    raise StatementFormatError(_("unknown format %(format)s", format=repr(format)))


@contextmanager
def _collector_paused():
    """Parsing a large statement allocates hundreds of thousands of small objects that live
    until the end; the cycle collector would scan them again and again (a fifth of the time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
