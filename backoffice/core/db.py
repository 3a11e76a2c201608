"""Database helpers shared by every package: column types, time, and the unit of work."""
from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, TypeVar

import psycopg
from psycopg._preparing import PrepareManager
from sqlalchemy import BigInteger, DateTime, Enum, Integer, event, literal
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session
from sqlalchemy.sql.visitors import cloned_traverse
from sqlalchemy.types import TypeDecorator

from ..extensions import db
from .errors import Busy, Conflict
from .protection import KEY_EXISTS

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator, Sequence

    from sqlalchemy import ColumnElement, Connection, Dialect, Executable
    from sqlalchemy.engine.interfaces import DBAPIConnection
    from sqlalchemy.orm import ORMExecuteState
    from sqlalchemy.pool import ConnectionPoolEntry
    from sqlalchemy.sql.elements import BindParameter

@contextmanager
def counting_statements(engine: Engine):
    """Count the statements sent on ``engine`` inside the block: ``with counting_statements(e)
    as sent: ...``, then ``sent[0]`` (the query-count tests and the benchmarks)."""
    sent = [0]

    def counted(*_: object) -> None:
        sent[0] += 1

    event.listen(engine, "before_cursor_execute", counted)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", counted)


#: BIGINT on PostgreSQL; plain INTEGER on SQLite, where only that autoincrements (and is 64-bit).
BigIntKey = BigInteger().with_variant(Integer(), "sqlite")


def string_enum(enum_cls: type[StrEnum], name: str) -> Enum:
    """A column of a StrEnum's values: a VARCHAR with a CHECK, the same on SQLite and PostgreSQL."""
    return Enum(enum_cls, name=name, native_enum=False, create_constraint=True, length=20,
                values_callable=lambda members: [m.value for m in members])


def constant(value: object, type_: object = None) -> ColumnElement:
    """``value`` written into a statement built once rather than bound as a parameter:
    PostgreSQL plans a prepared statement once for all executions only when the plan cannot
    depend on its parameters' values, and with constants bound (a status, a kind) it planned
    some afresh each time (issue 17: 0.45 of the 0.55 ms the payout batches' query of the
    reconciliation queue cost it). For values fixed in the code, never for what a user gives."""
    return literal(value, type_, literal_execute=True)


def planned_once(statement: Executable, keep: Collection[str] = ()) -> Executable:
    """``statement`` with its parameters written into its text when it runs
    (``literal_execute``), but those named in ``keep``: text a user typed.

    PostgreSQL planned some statements afresh on every run: without their parameters' values
    it judged a generic plan worse than planning anew (the totals' dates and grains, 0.3-0.8 ms
    a statement, 5 ms for the accounts page's hundred account ids; a page size given as a
    LIMIT; issue 17). Without parameters a prepared statement (psycopg prepares one after five
    runs on a connection) is planned once, knowing every value. The values written are the
    application's own: dates, constants, ids and numbers; each distinct value makes a statement
    of its own, so only for values of which there are few (an account's id, not a line's)."""
    def mark(bind: BindParameter) -> None:
        if bind.key not in keep:
            bind.literal_execute = True

    return cloned_traverse(statement, {}, {"bindparam": mark})


def utcnow() -> datetime:
    return datetime.now(UTC)


Item = TypeVar("Item")

#: The most values an IN list is given in one statement. Each is a host parameter: SQLite before
#: 3.32 allowed 999 in a statement (32,766 since), PostgreSQL 65,535; a pair ``(a, b) IN (...)``
#: takes two, and the rest of the statement a few of its own.
IN_LIST_SIZE = 400


def in_batches(items: Sequence[Item], size: int = IN_LIST_SIZE) -> Iterator[Sequence[Item]]:
    """``items`` in consecutive slices of at most ``size``, none empty: a list of ids longer
    than one IN list may hold is asked for in several statements."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every database (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use backoffice.core.db.utcnow()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: DBAPIConnection, connection_record: ConnectionPoolEntry):
    """Foreign keys on, WAL for concurrent readers. (How long to wait for a busy writer is the
    driver's ``timeout``, set from ``DATABASE_LOCK_TIMEOUT`` in ``config.engine_options``.)"""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


class _PreparedStatements(PrepareManager):
    """psycopg's per-connection record of the statements it prepared, kept across a ROLLBACK."""

    rolling_back = False

    def clear(self) -> bool:
        if self.rolling_back:
            return False
        return super().clear()


class KeptPreparedConnection(psycopg.Connection):
    """A psycopg connection whose prepared statements outlive a ROLLBACK.

    psycopg prepares a statement on the server once it has run ``prepare_threshold`` (5) times
    on a connection, so PostgreSQL neither parses nor plans it again. But it forgets them all at
    every ROLLBACK (the transaction might have dropped what they name), and every request that
    only reads ends in one (the session's close): so no statement of a page was ever prepared,
    and PostgreSQL planned each of them on every request (issue 17: 0.9-2.9 ms of PostgreSQL's
    CPU a mix page, 0.3-0.7 ms once prepared). Nothing here drops or alters tables in a
    transaction that is rolled back; a statement that names a table dropped or altered by
    another connection (a migration) is parsed again by PostgreSQL itself, as after a COMMIT,
    which psycopg never cleared for. DROP, ALTER, DISCARD ALL and DEALLOCATE ALL sent on this
    connection still clear the record, and ``prepare_threshold=None`` (``DATABASE_PREPARED_STATEMENTS
    = False``: a PgBouncer in transaction mode) prepares nothing."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._prepared = _PreparedStatements()

    def rollback(self) -> None:
        self._prepared.rolling_back = True
        try:
            super().rollback()
        finally:
            self._prepared.rolling_back = False


@event.listens_for(Engine, "do_connect")
def _psycopg_connection(dialect: Dialect, connection_record: ConnectionPoolEntry, cargs: tuple,
                        cparams: dict):
    """PostgreSQL connections through psycopg keep their prepared statements (above)."""
    if dialect.driver == "psycopg" and not dialect.is_async:
        return KeptPreparedConnection.connect(*cargs, **cparams)
    return None


@event.listens_for(Engine, "savepoint")
def _sqlite_begin_before_savepoint(connection: Connection, name: str):
    """Python's sqlite3 driver opens a transaction only before INSERT, UPDATE or DELETE. A
    SAVEPOINT sent before any of those would start a transaction of its own, and its RELEASE
    would commit it: what a service guarded with ``begin_nested()`` would survive the rollback of
    the unit of work around it. So the real transaction is begun first (as a writer: a savepoint
    guards a write). Inside ``transaction()`` it is begun already."""
    dbapi = connection.connection.dbapi_connection
    if _is_sqlite(dbapi) and not dbapi.in_transaction:
        dbapi.execute("BEGIN IMMEDIATE")


def _is_sqlite(dbapi_connection: DBAPIConnection) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


@event.listens_for(Session, "do_orm_execute")
def _sqlite_for_update(state: ORMExecuteState) -> None:
    """``SELECT ... FOR UPDATE`` means the same on SQLite as on PostgreSQL: nobody else changes
    what it read until the transaction ends.

    SQLite has no row locks (it drops ``FOR UPDATE``), and Python's sqlite3 driver begins a
    transaction only before the first INSERT, UPDATE or DELETE: two units of work could both
    read the same state or balance and both write after it (two approvals spending the same
    money). So a locking read that comes first begins the transaction as the writer,
    ``BEGIN IMMEDIATE``: a second one waits (up to the busy timeout) until the first commits,
    and then reads what the first wrote. Objects loaded before, outside the transaction, are
    expired so that they are read again under the lock (those with unsaved changes keep them).

    A transaction that has written already holds the write lock. Not SQLAlchemy's recipe of a
    BEGIN at every begin: that would hold a read snapshot from a page's first query on, and
    SQLite refuses to turn a stale snapshot into a writer (it answers "database is locked" at
    once, without waiting).
    """
    if not state.is_select or getattr(state.statement, "_for_update_arg", None) is None:
        return
    session = state.session
    dbapi = session.connection().connection.dbapi_connection
    if not _is_sqlite(dbapi) or dbapi.in_transaction:
        return
    try:
        dbapi.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:  # waited past the busy timeout
        raise OperationalError("BEGIN IMMEDIATE", None, error) from error
    changed = set(session.dirty) | set(session.deleted)
    for obj in list(session.identity_map.values()):
        if obj not in changed:
            session.expire(obj)


#: PostgreSQL's answers for "waited too long" or "gave way to another transaction": lock_timeout,
#: statement_timeout (or a cancel), a deadlock, a serialisation failure.
_BUSY_SQLSTATES = {"55P03", "57014", "40P01", "40001"}


def is_busy(error: BaseException) -> bool:
    """Whether a database error means "busy or not answering, try again" rather than a bug."""
    if isinstance(error, PoolTimeout):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    orig = error.orig
    if type(orig).__module__.startswith("psycopg"):
        sqlstate = getattr(orig, "sqlstate", None)
        if sqlstate is None:  # no answer at all: could not connect, connection lost or timed out
            return isinstance(error, OperationalError)
        return sqlstate in _BUSY_SQLSTATES or sqlstate.startswith("08")
    return str(orig).startswith(("database is locked", "database table is locked"))


BUSY_MESSAGE = ("The database is busy or not answering, so nothing was saved. Please try again "
                "in a moment.")


def _unique_violation(error: IntegrityError) -> bool:
    sqlstate = getattr(error.orig, "sqlstate", None)  # psycopg
    if sqlstate is not None:
        return sqlstate == "23505"
    # sqlite3; the triggers that refuse REPLACE on append-only tables raise before the constraint
    message = str(error.orig)
    return message.startswith("UNIQUE constraint failed") or KEY_EXISTS in message


@contextmanager
def transaction(session: Session | None = None):
    """One unit of work: commit when the block ends, roll everything back when it raises.

    Services check their rules before writing; the database's unique constraints catch what two
    people do at the same moment (a double click, two treasurers). Such a collision surfaces as
    ``Conflict``, with nothing written; any other integrity error is a bug and propagates. (On
    SQLite a locking read begins it as the writer: ``_sqlite_for_update``.) A lock waited for
    too long, a statement past its timeout or a database that does not answer surfaces as
    ``Busy`` ("try again"), with nothing written.
    """
    session = session or db.session
    try:
        yield session
        session.commit()
    except (OperationalError, PoolTimeout) as error:
        session.rollback()
        if not is_busy(error):
            raise
        raise Busy(BUSY_MESSAGE) from error
    except IntegrityError as error:
        session.rollback()
        if not _unique_violation(error):
            raise
        raise Conflict("Somebody else changed the same record at the same moment; nothing was "
                       "saved. Reload the page and try again.") from error
    except BaseException:
        session.rollback()
        raise
