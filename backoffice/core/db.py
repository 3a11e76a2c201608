"""Database helpers shared by every package: column types, time, and the unit of work."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import BigInteger, DateTime, Integer, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.types import TypeDecorator

from ..extensions import db
from .errors import Conflict
from .protection import KEY_EXISTS

#: BIGINT on PostgreSQL; plain INTEGER on SQLite, where only that autoincrements (and is 64-bit).
BigIntKey = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every database (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use backoffice.core.db.utcnow()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """Foreign keys on, WAL for concurrent readers, and wait for a busy writer."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


@event.listens_for(Engine, "savepoint")
def _sqlite_begin_before_savepoint(connection, name):
    """Python's sqlite3 driver opens a transaction only before INSERT, UPDATE or DELETE. A
    SAVEPOINT sent before any of those would start a transaction of its own, and its RELEASE
    would commit it: what a service guarded with ``begin_nested()`` would survive the rollback of
    the unit of work around it. So the real transaction is begun first."""
    dbapi = connection.connection.dbapi_connection
    if type(dbapi).__module__.startswith("sqlite3") and not dbapi.in_transaction:
        dbapi.execute("BEGIN")


def _unique_violation(error: IntegrityError) -> bool:
    sqlstate = getattr(error.orig, "sqlstate", None)  # psycopg
    if sqlstate is not None:
        return sqlstate == "23505"
    # sqlite3; the triggers that refuse REPLACE on append-only tables raise before the constraint
    message = str(error.orig)
    return message.startswith("UNIQUE constraint failed") or KEY_EXISTS in message


@contextmanager
def transaction(session=None):
    """One unit of work: commit when the block ends, roll everything back when it raises.

    Services check their rules before writing; the database's unique constraints catch what two
    people do at the same moment (a double click, two treasurers). Such a collision surfaces as
    ``Conflict``, with nothing written; any other integrity error is a bug and propagates.
    """
    session = session or db.session
    try:
        yield session
        session.commit()
    except IntegrityError as error:
        session.rollback()
        if not _unique_violation(error):
            raise
        raise Conflict("Somebody else changed the same record at the same moment; nothing was "
                       "saved. Reload the page and try again.") from error
    except BaseException:
        session.rollback()
        raise
