"""Login throttling: progressive delays per client address and per account, counted atomically.

Every login attempt is counted *before* its password is checked, in a short transaction of its
own that locks the counters it touches (an upsert, so a PostgreSQL row lock or SQLite's write
lock) and commits at once: attempts made at the same moment see each other, and at most the
allowed number is ever checked. A refused attempt is not checked and not counted.

Nobody is locked out: the first failures are free, then each further attempt must wait twice as
long as the one before, up to a cap (``LOGIN_*`` settings). Failures are forgotten after
``LOGIN_FAILURE_MEMORY_MINUTES`` without attempts. A successful login clears its account's
failures; it never clears the address's (it only takes back its own provisional count), so one
valid account does not unlock guessing at others from the same address.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..core.settings import Security
from ..extensions import db
from .models import LoginCounter

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sqlalchemy import Connection, Row


@dataclass(frozen=True)
class Rule:
    """How one kind of counter slows attempts down."""

    free: int            # failures before any delay
    first_delay: timedelta
    longest_delay: timedelta

    def delay(self, failures: int) -> timedelta:
        if failures < self.free:
            return timedelta(0)
        return min(self.first_delay * 2 ** min(failures - self.free, 30), self.longest_delay)


def rules(security: Security) -> dict[str, Rule]:
    first = security.login_first_delay
    return {
        "address": Rule(security.login_free_failures_per_address, first,
                        security.login_longest_delay_per_address),
        "email": Rule(security.login_free_failures_per_email, first,
                      security.login_longest_delay_per_email),
    }


def _keys(email: str, address: str) -> dict[str, str]:
    return {"address": f"address:{address}"[:300], "email": f"email:{email}"[:300]}


def _lock(connection: Connection, keys: Iterable[str]) -> dict[str, LoginCounter]:
    """Create the counters that do not exist and lock all of them (in key order, so that two
    attempts never wait for each other crosswise); returns their rows."""
    table = LoginCounter.__table__
    insert = (postgresql if connection.dialect.name == "postgresql" else sqlite).insert
    for key in sorted(keys):
        connection.execute(insert(table).values(key=key, failures=0).on_conflict_do_update(
            index_elements=[table.c.key], set_={"failures": table.c.failures}))
    rows = connection.execute(select(table).where(table.c.key.in_(keys))).all()
    return {row.key: row for row in rows}


def _remembered(row: Row, now: datetime, memory: timedelta) -> int:
    last = row.last_attempt_at
    return row.failures if last is not None and now - last < memory else 0


def reserve(email: str, address: str, now: datetime, security: Security) -> timedelta | None:
    """Count an attempt for ``email`` from ``address`` and allow it (None), or refuse it with
    how long to wait (nothing counted). Commits at once, on its own connection: call it before
    the unit of work around it has written anything."""
    memory = security.login_failure_memory
    keys, limits = _keys(email, address), rules(security)
    table = LoginCounter.__table__
    with db.engine.begin() as connection:
        rows = _lock(connection, keys.values())
        waits, counts = [], {}
        for kind, key in keys.items():
            failures = _remembered(rows[key], now, memory)
            counts[key] = failures
            delay = limits[kind].delay(failures)
            if delay:
                waits.append(rows[key].last_attempt_at + delay - now)
        wait = max(waits, default=timedelta(0))
        if wait > timedelta(0):
            return wait
        for key, failures in counts.items():
            connection.execute(update(table).where(table.c.key == key).values(
                failures=failures + 1, last_attempt_at=now))
    return None


def succeeded(session: Session, email: str, address: str) -> None:
    """The attempt was right: the account's failures are cleared, and the address keeps its
    failures (only this attempt's own provisional count is taken back). In the caller's unit of
    work."""
    keys, table = _keys(email, address), LoginCounter.__table__
    # address:… before email:…, the order of _lock
    session.execute(update(table).where(table.c.key == keys["address"], table.c.failures > 0)
                    .values(failures=table.c.failures - 1))
    session.execute(update(table).where(table.c.key == keys["email"]).values(failures=0))
