"""The append-only audit log: who did what, when, with the values before and after.

Rows are never updated or deleted (database triggers refuse it, see ``core.protection``), and
each is a link of the hash chain (``core.chain``), so a change made past the triggers shows.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from ..extensions import db
from . import chain
from .actors import Actor
from .db import BigIntKey, UTCDateTime, utcnow

JSONValue = JSON().with_variant(JSONB(), "postgresql")


class AuditEvent(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(String(500), default="")
    before: Mapped[dict | None] = mapped_column(JSONValue)
    after: Mapped[dict | None] = mapped_column(JSONValue)

    actor = relationship("User", lazy="joined")

    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id"),)


chain.register(chain.Chained(AuditEvent, (
    "id", "at", "actor_id", "actor_label", "action", "object_type", "object_id", "summary",
    "before", "after")))


def _plain(value: Any) -> Any:
    """JSON-safe copy of a value (dates as ISO strings, Decimals as strings, enums by value)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def record(session: Session, actor: Actor, action: str, obj_type: str, obj_id: int | str | None = None, *, summary: str = "",
           before: dict | None = None, after: dict | None = None) -> AuditEvent:
    """Add an audit event to the current transaction (it commits or rolls back with the change).

    ``actor`` is a user, or ``None`` for the system (CLI scripts, scheduled jobs).
    """
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        actor_label=getattr(actor, "email", None) or "system",
        action=action,
        object_type=obj_type,
        object_id=None if obj_id is None else str(obj_id),
        summary=summary[:500],
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
    )
    session.add(event)
    return event


def changes(obj: object, fields: list[str], new_values: dict) -> tuple[dict, dict]:
    """The (before, after) dicts of the fields whose value would change."""
    before, after = {}, {}
    for name in fields:
        if name in new_values and getattr(obj, name) != new_values[name]:
            before[name] = getattr(obj, name)
            after[name] = new_values[name]
    return before, after
