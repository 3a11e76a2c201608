"""Is this instance ready to serve? The checks behind ``/readyz`` and ``backoffice doctor``.

Each check answers ``ok`` or a short reason that names no URL, host or password: the answer of
``/readyz`` is public (a load balancer asks it), so a failure is told by kind only; the details go
to the log, where the operator reads them.
"""
from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app

from ..extensions import db, settings
from .storage import StorageError, storage_at

if TYPE_CHECKING:
    from sqlalchemy import Connection

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    reason: str = ""  # why it failed, without secrets
    detail: str = ""  # for the operator only (log, doctor): may name hosts


def head_revision() -> str | None:
    """The newest migration this code knows."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def database_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def is_known_revision(revision: str | None) -> bool:
    if revision is None:
        return True
    try:
        return ScriptDirectory(str(MIGRATIONS)).get_revision(revision) is not None
    except Exception:  # noqa: BLE001 (alembic raises several kinds for an unknown id)
        return False


def check_database() -> list[Check]:
    """The database answers, and its schema is the one this code expects."""
    try:
        with db.engine.connect() as connection:
            revision = database_revision(connection)
    except Exception as error:  # noqa: BLE001 (any failure to reach it)
        return [Check("database", False, "unreachable", str(error).splitlines()[0]),
                Check("migrations", False, "unknown (database unreachable)")]
    head = head_revision()
    if revision == head:
        migrations = Check("migrations", True, detail=f"at {head}")
    elif not is_known_revision(revision):
        migrations = Check("migrations", False, "database is newer than this code",
                           f"database at {revision}, code knows up to {head}")
    else:
        migrations = Check("migrations", False, "not current: run `backoffice db upgrade`",
                           f"database at {revision or 'none'}, head is {head}")
    return [Check("database", True), migrations]


def check_storage() -> Check:
    """Stored files can be written (a scratch file is written and removed)."""
    storage = storage_at(settings().paths.uploads)
    try:
        storage.probe()
    except StorageError as error:
        return Check("storage", False, "not writable", str(error))
    return Check("storage", True, detail=storage.location)


def _redis_command(*parts: str) -> bytes:
    encoded = [part.encode() for part in parts]
    return b"*%d\r\n" % len(encoded) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in encoded)


def check_redis(url: str, timeout: float = 2.0) -> Check:
    """Redis answers PING (after AUTH when the URL has a password)."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379),
                                      timeout=timeout) as connection:
            if parts.password:
                user = [unquote(parts.username)] if parts.username else []
                connection.sendall(_redis_command("AUTH", *user, unquote(parts.password)))
                if not connection.recv(256).startswith(b"+OK"):
                    return Check("redis", False, "refused the credentials")
            connection.sendall(_redis_command("PING"))
            answer = connection.recv(256)
    except OSError as error:
        return Check("redis", False, "unreachable", str(error))
    if not answer.startswith(b"+PONG"):
        return Check("redis", False, "unexpected answer", answer[:60].decode(errors="replace"))
    return Check("redis", True)


def readiness() -> list[Check]:
    checks = check_database()
    if current_app.config.get("REDIS_URL"):
        checks.append(check_redis(current_app.config["REDIS_URL"]))
    broker = current_app.config.get("QUEUE_BROKER_URL")
    if broker and broker != current_app.config.get("REDIS_URL"):
        queue = check_redis(broker)
        checks.append(Check("queue", queue.ok, queue.reason, queue.detail))
    checks.append(check_storage())
    return checks
