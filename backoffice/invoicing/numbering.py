"""Invoice numbers: one gap-free series per year (``core.numbering`` says how they stay gap-free
and unique when several issuers take numbers at once)."""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from ..core import numbering
from .models import InvoiceNumberCounter


def series_for(day: date, prefix: str) -> str:
    """One series per calendar year, with the configured prefix (``Invoicing.number_prefix``)."""
    return f"{prefix}{day.year}"


def format_number(series: str, sequence: int) -> str:
    return f"{series}-{sequence:05d}"


def next_number(session: Session, series: str) -> int:
    """The number ``take_number`` would give now. Only a guess: another issuer may take it first
    (``services.issue_now`` renders a PDF for it and checks when it takes the number)."""
    return numbering.peek(session, InvoiceNumberCounter, series)


def take_number(session: Session, series: str) -> int:
    """The next number of ``series``; call inside the transaction that uses it."""
    return numbering.take(session, InvoiceNumberCounter, series)
