"""Login sessions kept in the database, so that logging out really ends them.

The login cookie carries a random secret; only its SHA-256 is stored (``UserSession``). Every
request looks the session up (Flask-Login's user loader), so ending a session — logout, "end" on
the sessions page, a password change, a role change, deactivation — works at once, for every
copy of the cookie and in every worker process. A session also ends after
``PERMANENT_SESSION_LIFETIME`` and after ``SESSION_IDLE_MINUTES`` without a request.
No HTTP in here: the views hand in the user agent and the address.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Select, bindparam, delete, select, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from ..core.db import utcnow
from ..core.settings import Security
from ..extensions import db
from .models import User, UserSession

#: ``last_seen_at`` is written at most this often per session (not on every request).
TOUCH_EVERY = timedelta(minutes=1)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start(session: Session, user: User, *, user_agent: str, address: str, security: Security,
          now: datetime | None = None) -> str:
    """A new session for ``user``; returns the secret for the cookie. The user's sessions that
    have run out are deleted on the way."""
    now = now or utcnow()
    session.execute(delete(UserSession).where(
        UserSession.user_id == user.id,
        (UserSession.created_at <= now - security.session_lifetime)
        | (UserSession.last_seen_at <= now - security.session_idle)))
    secret = secrets.token_urlsafe(32)
    session.add(UserSession(user_id=user.id, token_hash=_digest(secret), created_at=now,
                            last_seen_at=now, user_agent=(user_agent or "")[:300],
                            address=(address or "")[:64]))
    session.flush()
    return secret


def _expired(record: UserSession, now: datetime, security: Security) -> bool:
    return (record.created_at + security.session_lifetime <= now
            or record.last_seen_at + security.session_idle <= now)


@cache
def _by_token() -> Select:
    """One query for every request: the session, its user, the user's roles and organised groups
    (which every page's access check and menu read) joined in (issue 17: three queries before).
    Built once, on first use (the groups' model is mapped by then): building the statement and
    its loader options took a quarter of a page's login check."""
    user = joinedload(UserSession.user)
    return (select(UserSession)
            .options(user.joinedload(User.role_rows), user.joinedload(User.organised_groups))
            .where(UserSession.token_hash == bindparam("token_hash")))


def find(session: Session, secret: str | None, security: Security,
         now: datetime | None = None) -> UserSession | None:
    """The live session the cookie's secret names (its user active), or None."""
    if not secret:
        return None
    now = now or utcnow()
    record = session.execute(_by_token(), {"token_hash": _digest(secret)}
                             ).unique().scalar_one_or_none()
    if record is None or _expired(record, now, security) or not record.user.active:
        return None
    if now - record.last_seen_at >= TOUCH_EVERY:
        _touch(record.id, now)
        # Written already (_touch): the loaded row learns the value without becoming a change
        # of this request's unit of work (refuse_unsaved_changes would name it otherwise).
        set_committed_value(record, "last_seen_at", now)
    return record


def _touch(session_id: int, now: datetime) -> None:
    """Write ``last_seen_at`` in a transaction of its own: a page that only reads commits
    nothing, and the request's unit of work must not carry this write."""
    with db.engine.begin() as connection:
        connection.execute(update(UserSession).where(UserSession.id == session_id)
                           .values(last_seen_at=now))


def of_user(session: Session, user: User, security: Security,
            now: datetime | None = None) -> list[UserSession]:
    """The user's live sessions, most recently used first."""
    now = now or utcnow()
    records = session.scalars(select(UserSession).where(UserSession.user_id == user.id)
                              .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc()))
    return [record for record in records if not _expired(record, now, security)]


def end(session: Session, user: User, session_id: int) -> bool:
    """End one of the user's own sessions; False when there is no such session of theirs."""
    result = session.execute(delete(UserSession).where(UserSession.id == session_id,
                                                       UserSession.user_id == user.id))
    return result.rowcount == 1


def end_all(session: Session, user: User, *, keep: UserSession | None = None) -> int:
    """End every session of the user (except ``keep``); returns how many were ended."""
    statement = delete(UserSession).where(UserSession.user_id == user.id)
    if keep is not None:
        statement = statement.where(UserSession.id != keep.id)
    return session.execute(statement).rowcount
