"""Gap-free invoice numbers: one counter row per series, taken inside the issuing transaction.

The counter is incremented with ``UPDATE ... RETURNING`` in the same transaction that issues the
invoice, so the number is given back if that transaction rolls back (no gap), and a second
issuer waits until the first commits (no duplicate):

- PostgreSQL: the UPDATE locks the counter row until commit; a concurrent UPDATE waits for it
  and then sees the committed value (READ COMMITTED re-reads the updated row).
- SQLite: the first statement is a write (the INSERT that makes sure the row exists), so the
  transaction holds SQLite's write lock *before* it reads the counter; other writers wait
  (``busy_timeout``). Reads earlier in the request ran outside any transaction, so no stale
  snapshot has to be upgraded to a write.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .models import InvoiceNumberCounter
from .settings import number_prefix


def series_for(day: date) -> str:
    """Default: one series per calendar year, with the configured prefix."""
    return f"{number_prefix()}{day.year}"


def format_number(series: str, sequence: int) -> str:
    return f"{series}-{sequence:05d}"


def next_number(session: Session, series: str) -> int:
    """The number ``take_number`` would give now. Only a guess: another issuer may take it first
    (``services.issue_now`` renders a PDF for it and checks when it takes the number)."""
    last = session.scalar(select(InvoiceNumberCounter.last_number)
                          .where(InvoiceNumberCounter.series == series))
    return (last or 0) + 1


def take_number(session: Session, series: str) -> int:
    """The next number of ``series``; call inside the transaction that uses it."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(InvoiceNumberCounter).values(series=series, last_number=0)
                    .on_conflict_do_nothing(index_elements=["series"]))
    return session.execute(
        update(InvoiceNumberCounter).where(InvoiceNumberCounter.series == series)
        .values(last_number=InvoiceNumberCounter.last_number + 1)
        .returning(InvoiceNumberCounter.last_number)
        .execution_options(synchronize_session=False)).scalar_one()
