"""Gap-free numbers: one counter row per series, taken inside the transaction that uses it.

The counter is incremented with ``UPDATE ... RETURNING`` in the same transaction that issues the
document, so the number is given back if that transaction rolls back (no gap), and a second
issuer waits until the first commits (no duplicate):

- PostgreSQL: the UPDATE locks the counter row until commit; a concurrent UPDATE waits for it
  and then sees the committed value (READ COMMITTED re-reads the updated row).
- SQLite: the first statement is a write (the INSERT that makes sure the row exists), so the
  transaction holds SQLite's write lock *before* it reads the counter; other writers wait
  (``busy_timeout``). Reads earlier in the request ran outside any transaction, so no stale
  snapshot has to be upgraded to a write.

A counter table is a model with a ``series`` primary key and a ``last_number`` integer (invoices:
``invoicing.models.InvoiceNumberCounter``; donation receipts: ``ReceiptNumberCounter``).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


def peek(session: Session, counter: Any, series: str) -> int:
    """The number ``take`` would give now. Only a guess: another issuer may take it first."""
    last = session.scalar(select(counter.last_number).where(counter.series == series))
    return (last or 0) + 1


def take(session: Session, counter: Any, series: str) -> int:
    """The next number of ``series``; call inside the transaction that uses it."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(counter).values(series=series, last_number=0)
                    .on_conflict_do_nothing(index_elements=["series"]))
    return session.execute(
        update(counter).where(counter.series == series)
        .values(last_number=counter.last_number + 1)
        .returning(counter.last_number)
        .execution_options(synchronize_session=False)).scalar_one()
