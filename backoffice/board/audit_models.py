"""The auditors' checklist for a fiscal year: the sampled journal entries, each with a note and
checked or queried, ending in the auditors' report (a PDF in the document register, stored once
with its SHA-256), which the assembly's discharge resolution refers to."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.db import BigIntKey, UTCDateTime, string_enum, utcnow
from ..core.i18n import _, _l
from ..core.states import StateMachine, rows
from ..extensions import db


class AuditStatus(StrEnum):
    OPEN = "open"          # sampling and checking
    REPORTED = "reported"  # the report is written and stored: nothing changes any more

    @property
    def label(self) -> str:
        return {AuditStatus.OPEN: _l("In progress"), AuditStatus.REPORTED: _l("Reported")}[self]


AUDIT_STATES = StateMachine(rows(
    ([AuditStatus.OPEN], "sample", AuditStatus.OPEN),
    ([AuditStatus.OPEN], "check", AuditStatus.OPEN),
    ([AuditStatus.OPEN], "report", AuditStatus.REPORTED),
), refused=lambda audit, action: _("The audit of %(year)s is reported: it changes no more.",
                                   year=audit.year),
   already=lambda audit, action: _("The report on %(year)s is written already.", year=audit.year))


class ItemState(StrEnum):
    OPEN = "open"
    CHECKED = "checked"  # the entry, its documents and bank lines agree
    QUERIED = "queried"  # a question for the treasurer (the note says which)

    @property
    def label(self) -> str:
        return {ItemState.OPEN: _l("Open"), ItemState.CHECKED: _l("Checked"),
                ItemState.QUERIED: _l("Queried")}[self]


_ITEM_ALREADY = {ItemState.OPEN: _l("The item is open already."),
                 ItemState.CHECKED: _l("The item is checked already."),
                 ItemState.QUERIED: _l("The item is queried already.")}


ITEM_STATES = StateMachine(rows(
    ([ItemState.OPEN, ItemState.QUERIED], "check", ItemState.CHECKED),
    ([ItemState.OPEN, ItemState.CHECKED], "query", ItemState.QUERIED),
), refused=lambda item, action: str(_ITEM_ALREADY[item.status]),
   already=lambda item, action: str(_ITEM_ALREADY[item.status]))


class Audit(db.Model):
    __tablename__ = "board_audits"
    __table_args__ = (UniqueConstraint("auditors_id", "year", name="uq_board_audit_year"),
                      CheckConstraint("ends_on >= starts_on", name="audit_dates"))

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The auditors' body and the fiscal year (named by the year it begins in).
    auditors_id: Mapped[int] = mapped_column(ForeignKey("board_bodies.id"))
    year: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[AuditStatus] = mapped_column(string_enum(AuditStatus, "board_audit_status"),
                                                default=AuditStatus.OPEN)
    #: The seed of the random sample (recorded, so anybody can draw the same sample again).
    seed: Mapped[int | None] = mapped_column(BigInteger)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the report, written once
    report_text: Mapped[str | None] = mapped_column(Text)
    findings: Mapped[str | None] = mapped_column(Text)
    recommend_discharge: Mapped[bool | None] = mapped_column(Boolean)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("board_documents.id"),
                                                    unique=True)

    auditors = relationship("Body", foreign_keys=[auditors_id])
    document = relationship("Document", foreign_keys=[document_id])
    items: Mapped[list[AuditItem]] = relationship(back_populates="audit",
                                                  order_by="AuditItem.id")


class AuditItem(db.Model):
    """A sampled journal entry: drawn at random (``random``) or picked by an auditor."""

    __tablename__ = "board_audit_items"
    __table_args__ = (UniqueConstraint("audit_id", "entry_id", name="uq_board_audit_entry"),
                      CheckConstraint("origin IN ('random', 'picked')", name="audit_item_origin"))

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("board_audits.id"), index=True)
    entry_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("journal_entries.id"))
    origin: Mapped[str] = mapped_column(String(10))
    status: Mapped[ItemState] = mapped_column(string_enum(ItemState, "board_audit_item_state"),
                                              default=ItemState.OPEN)
    note: Mapped[str] = mapped_column(Text, default="")
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    audit: Mapped[Audit] = relationship(back_populates="items")
