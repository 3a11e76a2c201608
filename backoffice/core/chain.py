"""The hash chain: any change to the books shows, even one made past the database triggers.

Every journal entry (with its postings) and every audit record gets a link in ``integrity_chain``
when its transaction commits: the SHA-256 of its canonical content (``content_hash``) and the
SHA-256 of the previous link's ``chain_hash`` followed by that content hash (``chain_hash``).
Links are numbered without gaps (``position``). Changing, removing or adding a stored row, or a
link, breaks the chain from there on; ``verify`` recomputes it and names the first broken link.

A link is written in the same transaction as its row, just before the commit, under a lock that
serialises the chain's head (PostgreSQL: a transaction-level advisory lock; SQLite: the write
lock the transaction already holds), so that two entries committed at the same moment never
fork the chain; the primary key on ``position`` would refuse a fork anyway. Taking the lock last,
just before the commit, keeps it short and never before a lock the transaction still waits for.

The link also seals an entry: a database trigger refuses postings for an entry that has a link
(migration 0016), so nobody adds a balanced pair to an entry posted earlier.

Which tables are chained, with which fields, is registered by their packages (``register``):
``core`` knows no domain package. The fields hashed are fixed per table; a new column that
matters needs a new version of the chain, not a silent change of these lists.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import (
    BigInteger,
    Select,
    String,
    UniqueConstraint,
    event,
    exists,
    inspect,
    select,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..extensions import db
from .db import IN_LIST_SIZE, BigIntKey, in_batches

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import SessionTransaction, UOWTransaction

GENESIS = "0" * 64
#: Key of the PostgreSQL advisory lock that serialises the chain's head ("bo-chain").
LOCK_KEY = 0x626F2D636861696E
_PENDING = "backoffice.chain.pending"
#: Links read a page of the walk (their rows' ids, one IN list).
_BATCH = IN_LIST_SIZE


class ChainLink(db.Model):
    """One link of the chain (append-only: database triggers, ``core.protection``)."""

    __tablename__ = "integrity_chain"

    position: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=False)
    table_name: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[int] = mapped_column(BigInteger)
    content_hash: Mapped[str] = mapped_column(String(64))
    chain_hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (UniqueConstraint("table_name", "row_id", name="uq_integrity_chain_row"),)


@dataclass(frozen=True)
class Chained:
    """A table whose rows are chained: the fields hashed and, optionally, the rows of a child
    table that belong to the content (an entry's postings), ordered by their first field."""

    model: type
    fields: tuple[str, ...]
    children: str | None = None          # the relationship holding the child rows
    child_key: str | None = None         # the child table's column naming the parent's id
    child_fields: tuple[str, ...] = ()

    @property
    def table(self) -> str:
        return self.model.__tablename__


_REGISTRY: dict[str, Chained] = {}


def register(chained: Chained) -> None:
    _REGISTRY[chained.table] = chained


def registered() -> list[Chained]:
    return list(_REGISTRY.values())


# --- hashing ---------------------------------------------------------------------------------

_PLAIN = frozenset((int, str, bool, float, type(None)))


def _canonical(value: object):
    kind = type(value)
    if kind in _PLAIN:  # most of a row: returned as they are, without the checks below
        return value
    if kind is list:
        return [_canonical(v) for v in value]
    if isinstance(value, datetime):
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def content_hash(table: str, values: Sequence) -> str:
    """SHA-256 of a row's content: stable JSON (keys sorted, UTC timestamps, ISO dates)."""
    payload = json.dumps([table, _canonical(list(values))], sort_keys=True,
                         separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def chain_hash(previous: str, content: str) -> str:
    return hashlib.sha256(f"{previous}{content}".encode()).hexdigest()


def _object_values(chained: Chained, obj: object) -> list:
    values = [getattr(obj, name) for name in chained.fields]
    if chained.children:
        children = [[getattr(child, name) for name in chained.child_fields]
                    for child in getattr(obj, chained.children)]
        values.append(sorted(children, key=lambda row: row[0]))
    return values


def stored_values(connection: Connection, chained: Chained, ids: Iterable[int]) -> dict[int, list]:
    """The hashed content of stored rows, read with plain SQL (no ORM identity map): id -> values."""
    ids = list(ids)
    table = chained.model.__table__
    rows = connection.execute(select(*(table.c[name] for name in chained.fields))
                              .where(table.c.id.in_(ids)))
    found = {row.id: list(row) for row in rows}
    if chained.children:
        child = getattr(chained.model, chained.children).property.mapper.local_table
        key = child.c[chained.child_key]
        children: dict[int, list] = {row_id: [] for row_id in found}
        for row in connection.execute(
                select(key, *(child.c[name] for name in chained.child_fields))
                .where(key.in_(ids)).order_by(key, child.c[chained.child_fields[0]])):
            children.setdefault(row[0], []).append(list(row[1:]))
        for row_id, values in found.items():
            values.append(children[row_id])
    return found


# --- writing links ---------------------------------------------------------------------------

@cache
def _head_statement() -> Select:
    """The head's query, built once (every commit that posts or audits asks)."""
    links = ChainLink.__table__
    return (select(links.c.position, links.c.chain_hash)
            .order_by(links.c.position.desc()).limit(1))


def _head(session_or_connection: Session | Connection) -> tuple[int, str]:
    head = session_or_connection.execute(_head_statement()).first()
    return (head.position, head.chain_hash) if head else (0, GENESIS)


def lock_head(session_or_connection: Session | Connection) -> None:
    """Serialise the chain's head until the transaction ends (PostgreSQL; on SQLite a writing
    transaction holds the database's write lock already)."""
    dialect = getattr(session_or_connection, "dialect", None) or \
        session_or_connection.get_bind().dialect
    if dialect.name == "postgresql":
        session_or_connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})


def append(session_or_connection: Session | Connection, rows: Iterable[tuple[str, int, list]]) -> int:
    """Link ``(table, id, content values)`` rows at the head of the chain, in the order given.
    The caller holds the head's lock (``lock_head``). Returns the number of links written."""
    position, previous = _head(session_or_connection)
    links = []
    for table, row_id, values in rows:
        content = content_hash(table, values)
        position, previous = position + 1, chain_hash(previous, content)
        links.append({"position": position, "table_name": table, "row_id": row_id,
                      "content_hash": content, "chain_hash": previous})
    if links:
        session_or_connection.execute(ChainLink.__table__.insert(), links)
    return len(links)


def _unlinked(chained: Chained):
    """The ids of the table's rows that have no link, in id order."""
    table = chained.model.__table__
    return (select(table.c.id).where(~exists().where(
        ChainLink.table_name == chained.table, ChainLink.row_id == table.c.id))
        .order_by(table.c.id))


def link_unchained(connection: Connection) -> int:
    """Link every registered row that has no link yet, table by table in id order (the migration
    that introduced the chain; rows written before it)."""
    lock_head(connection)
    written = 0
    for chained in registered():
        ids = list(connection.execute(_unlinked(chained)).scalars())
        for batch in in_batches(ids):
            values = stored_values(connection, chained, batch)
            written += append(connection, [(chained.table, i, values[i]) for i in batch])
    return written


@event.listens_for(Session, "after_flush")
def _collect(session: Session, flush_context: UOWTransaction):
    new = [obj for obj in session.new if getattr(obj, "__tablename__", None) in _REGISTRY]
    if new:
        session.info.setdefault(_PENDING, []).extend(new)


@event.listens_for(Session, "before_commit")
def _link_on_commit(session: Session):
    if session.in_nested_transaction():
        return  # a savepoint's rows are linked when the real transaction commits
    if not session.info.get(_PENDING) and not any(
            getattr(obj, "__tablename__", None) in _REGISTRY for obj in session.new):
        return
    session.flush()  # what is still unflushed joins the pending rows (``_collect``)
    pending = [obj for obj in session.info.pop(_PENDING, []) if inspect(obj).persistent]
    if not pending:
        return
    order = {table: n for n, table in enumerate(_REGISTRY)}
    pending.sort(key=lambda obj: (order[obj.__tablename__], obj.id))
    lock_head(session)
    append(session, [(obj.__tablename__, obj.id, _object_values(_REGISTRY[obj.__tablename__], obj))
                     for obj in pending])


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction):
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


# --- verifying -------------------------------------------------------------------------------

def _label(table: str, row_id: int) -> str:
    names = {"journal_entries": "journal entry", "audit_log": "audit record"}
    return f"{names.get(table, table)} #{row_id}"


def first_broken_link(connection: Connection | Session) -> str | None:
    """Walk the chain from its start; describe the first link that does not hold, or None."""
    expected_position, previous = 1, GENESIS
    while True:
        links = connection.execute(
            select(ChainLink.__table__).where(ChainLink.position >= expected_position)
            .order_by(ChainLink.position).limit(_BATCH)).all()
        if not links:
            return None
        contents: dict[tuple[str, int], list] = {}
        for table in {link.table_name for link in links}:
            chained = _REGISTRY.get(table)
            if chained is None:
                continue
            ids = [link.row_id for link in links if link.table_name == table]
            contents.update({(table, row_id): values
                             for row_id, values in stored_values(connection, chained, ids).items()})
        for link in links:
            where = f"the hash chain breaks at link {link.position}"
            if link.position != expected_position:
                return f"{where}: link {expected_position} is missing"
            if link.table_name not in _REGISTRY:
                return f"{where}: it names an unknown table {link.table_name!r}"
            what = _label(link.table_name, link.row_id)
            values = contents.get((link.table_name, link.row_id))
            if values is None:
                return f"{where}: {what} has been removed"
            if content_hash(link.table_name, values) != link.content_hash:
                return f"{where}: {what} has been changed since it was written"
            if chain_hash(previous, link.content_hash) != link.chain_hash:
                return (f"{where} ({what}): its link does not follow from the link before it "
                        f"(a link was changed or removed)")
            expected_position, previous = expected_position + 1, link.chain_hash


def unchained_rows(connection: Connection | Session, limit: int = 20, pending: frozenset = frozenset()) -> list[str]:
    """Rows of the chained tables that have no link: written past the application (``pending``:
    (table, id) of rows the caller's own transaction has written and will link at its commit)."""
    found = []
    for chained in registered():
        ids = connection.execute(_unlinked(chained).limit(limit + len(pending))).scalars()
        found += [f"{_label(chained.table, row_id)} is not in the hash chain (written past the "
                  f"application)" for row_id in ids if (chained.table, row_id) not in pending]
    return found[:limit]


def problems(session: Session, limit: int = 20) -> list[str]:
    """Everything wrong with the chain: its first broken link and rows without a link (but for
    those the session itself has written and not committed yet)."""
    session.flush()
    pending = frozenset((obj.__tablename__, obj.id) for obj in session.info.get(_PENDING, ()))
    connection = session.connection()
    broken = first_broken_link(connection)
    return ([broken] if broken else []) + unchained_rows(connection, limit, pending)


def differs_from_noted(connection: Connection | Session, position: int, noted: str) -> list[str]:
    """A head noted earlier (``position``, its ``chain_hash``) that the chain no longer passes
    through: the chain was rewritten from there or before (empty when it still holds)."""
    stored = connection.execute(select(ChainLink.chain_hash)
                                .where(ChainLink.position == position)).scalar()
    if stored == noted:
        return []
    return [f"the hash chain no longer passes through the head noted at link {position} "
            f"({noted[:16]}...): it was rewritten from there or before"]


def head(connection: Connection | Session) -> tuple[int, str]:
    """(number of links, hash of the last link): write it down to compare later."""
    return _head(connection)
