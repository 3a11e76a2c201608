"""Member groups, their organisers, their status history and the contacts of an application."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Date, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.db import UTCDateTime, string_enum, utcnow
from ..core.i18n import _l
from ..core.states import StateMachine, rows
from ..extensions import db

group_organisers = Table(
    "group_organisers",
    db.metadata,
    Column("group_id", ForeignKey("member_groups.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class GroupKind(StrEnum):
    MEETUP = "meetup"
    CONFERENCE = "conference"
    USER_GROUP = "user_group"
    PROJECT = "project"

    @property
    def label(self) -> str:
        return str(_KIND_LABELS[self])


class GroupStatus(StrEnum):
    """applicant → active ⇄ dormant → dissolved; an application may also be declined."""

    APPLICANT = "applicant"
    ACTIVE = "active"
    DORMANT = "dormant"
    DISSOLVED = "dissolved"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return str(_STATUS_LABELS[self])


_KIND_LABELS = {GroupKind.MEETUP: _l("Meetup"), GroupKind.CONFERENCE: _l("Conference"),
                GroupKind.USER_GROUP: _l("User group"), GroupKind.PROJECT: _l("Project")}
_STATUS_LABELS = {GroupStatus.APPLICANT: _l("Applicant"), GroupStatus.ACTIVE: _l("Active"),
                  GroupStatus.DORMANT: _l("Dormant"), GroupStatus.DISSOLVED: _l("Dissolved"),
                  GroupStatus.DECLINED: _l("Declined")}
_G = GroupStatus
_REFUSED = {
    "approve": "{name} is {state}, not an applicant.",
    "decline": "{name} is {state}, not an applicant.",
    "add_organiser": "{name} is {state}: organisers are added to active or dormant groups.",
}
#: A group's life. ``change_status`` names the action by the state it asks for (``dormant``,
#: ``active``, ``dissolved``); approving and declining an application have their own services.
GROUP_STATES: StateMachine[GroupStatus] = StateMachine(rows(
    ([_G.APPLICANT], "approve", _G.ACTIVE),
    ([_G.APPLICANT], "decline", _G.DECLINED),
    ([_G.ACTIVE], "dormant", _G.DORMANT),
    ([_G.DORMANT], "active", _G.ACTIVE),
    ([_G.ACTIVE, _G.DORMANT], "dissolved", _G.DISSOLVED),
    *(([state], "add_organiser", state) for state in (_G.ACTIVE, _G.DORMANT)),
), refused=lambda group, action: _REFUSED.get(
    action, "{name} is {state}; it cannot become {action}.").format(
        name=group.name, state=group.status.value, action=action))


class MemberGroup(db.Model):
    """A volunteer-run group hosted by the association; its money lives in its own fund."""

    __tablename__ = "member_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[GroupKind] = mapped_column(string_enum(GroupKind, "group_kind"), default=GroupKind.MEETUP,
                                            server_default=GroupKind.MEETUP.value)
    status: Mapped[GroupStatus] = mapped_column(string_enum(GroupStatus, "group_status"),
                                                default=GroupStatus.APPLICANT, index=True)
    status_since: Mapped[date | None] = mapped_column(Date)
    fund_id: Mapped[int | None] = mapped_column(ForeignKey("funds.id"), unique=True)
    city: Mapped[str] = mapped_column(String(100), default="", server_default="")
    country: Mapped[str] = mapped_column(String(2), default="", server_default="")  # ISO 3166
    website: Mapped[str] = mapped_column(String(300), default="", server_default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    needs: Mapped[str] = mapped_column(Text, default="", server_default="")  # from the application
    founded_on: Mapped[date | None] = mapped_column(Date)
    # The fiscal sponsorship agreement between the group and the association.
    agreement_version: Mapped[str] = mapped_column(String(20), default="", server_default="")
    agreement_signed_on: Mapped[date | None] = mapped_column(Date)
    agreement_signed_by: Mapped[str] = mapped_column(String(200), default="", server_default="")
    coc_contact: Mapped[str] = mapped_column(String(254), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    fund = relationship("Fund")
    organisers = relationship("User", secondary=group_organisers,
                              back_populates="organised_groups", order_by="User.email")
    status_changes: Mapped[list[GroupStatusChange]] = relationship(
        back_populates="group", order_by="GroupStatusChange.id", cascade="all, delete-orphan")
    applicants: Mapped[list[GroupApplicant]] = relationship(
        back_populates="group", order_by="GroupApplicant.id", cascade="all, delete-orphan")

    __table_args__ = (Index("ix_member_groups_country", "country"),)

    @property
    def has_open_books(self) -> bool:
        """Active and dormant groups keep a fund that can receive and spend money."""
        return self.status in (GroupStatus.ACTIVE, GroupStatus.DORMANT)

    def __repr__(self) -> str:
        return f"<MemberGroup {self.slug}>"


class GroupStatusChange(db.Model):
    """One step of a group's life: when, why and by whom its status changed."""

    __tablename__ = "group_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("member_groups.id", ondelete="CASCADE"),
                                          index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    effective_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    group: Mapped[MemberGroup] = relationship(back_populates="status_changes")
    changed_by = relationship("User")


class GroupApplicant(db.Model):
    """A person named in a group's application; invited as an organiser when it is approved."""

    __tablename__ = "group_applicants"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("member_groups.id", ondelete="CASCADE"),
                                          index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))

    group: Mapped[MemberGroup] = relationship(back_populates="applicants")
