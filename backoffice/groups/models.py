from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.db import UTCDateTime, utcnow
from ..extensions import db

group_organisers = Table(
    "group_organisers",
    db.metadata,
    Column("group_id", ForeignKey("member_groups.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class MemberGroup(db.Model):
    """A volunteer-run group hosted by the association; its money lives in its own fund."""

    __tablename__ = "member_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="active")
    fund_id: Mapped[int | None] = mapped_column(ForeignKey("funds.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    fund = relationship("Fund")
    organisers = relationship("User", secondary=group_organisers,
                              back_populates="organised_groups")
