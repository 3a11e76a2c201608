"""Bodies, terms of office, declared interests, meetings, minutes, resolutions and votes.

What may never change, and what enforces it (triggers of migration 0022, on SQLite and
PostgreSQL; ``tests/board/test_frozen.py`` tries every statement the databases offer):

- A meeting whose minutes are approved (``minutes_approved_at`` set) is frozen, with its agenda
  items (and their minutes), its attendance and its invitations: UPDATE and DELETE refused, no
  new item or attendance row, REPLACE refused on SQLite. A correction is an addendum
  (``board_addenda``, append-only), linked to the meeting and the item.
- A resolution once closed (``status`` not ``open``) is frozen with its tally, its frozen list of
  those entitled and its votes (no vote added, changed or removed).
- Documents in the register are append-only: a new version supersedes, nothing is replaced.
"""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from gettext import NullTranslations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core import clock
from ..core.db import UTCDateTime, string_enum, utcnow
from ..core.i18n import _, _l, pgettext
from ..core.states import StateMachine, rows
from ..extensions import db
from .rules import BodyRules, Choice


class BodyKind(StrEnum):
    BOARD = "board"
    ASSEMBLY = "assembly"
    COMMITTEE = "committee"
    AUDITORS = "auditors"

    @property
    def label(self) -> str:
        return _BODY_KINDS[self]


_BODY_KINDS = {BodyKind.BOARD: _l("Board"), BodyKind.ASSEMBLY: _l("General assembly"),
               BodyKind.COMMITTEE: _l("Committee"), BodyKind.AUDITORS: _l("Auditors")}


class Function(StrEnum):
    CHAIR = "chair"
    DEPUTY = "deputy"
    TREASURER = "treasurer"
    SECRETARY = "secretary"
    MEMBER = "member"

    @property
    def label(self) -> str:
        return _FUNCTIONS[self]


_FUNCTIONS = {Function.CHAIR: _l("Chair"), Function.DEPUTY: _l("Deputy"),
              Function.TREASURER: _l("Treasurer"), Function.SECRETARY: _l("Secretary"),
              Function.MEMBER: _l("Member")}


class Body(db.Model):
    __tablename__ = "board_bodies"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[BodyKind] = mapped_column(string_enum(BodyKind, "board_body_kind"))
    name: Mapped[str] = mapped_column(String(120), unique=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)  # in resolution numbers: B-2026-7
    #: The statutes' rules for this body (``rules.BodyRules`` as JSON).
    rules_json: Mapped[dict] = mapped_column("rules", JSON, default=dict)
    #: The audited body (for the auditors: the board they check).
    audits_id: Mapped[int | None] = mapped_column(ForeignKey("board_bodies.id"))
    public: Mapped[bool] = mapped_column(Boolean, default=False)  # on the opt-in public page

    terms: Mapped[list[Term]] = relationship(back_populates="body", order_by="Term.start_on",
                                             foreign_keys="Term.body_id")

    @property
    def rules(self) -> BodyRules:
        return BodyRules.of(self.rules_json)


class Term(db.Model):
    """A member's term of office on a body, with their function and vote weight."""

    __tablename__ = "board_terms"
    __table_args__ = (
        CheckConstraint("end_on IS NULL OR end_on >= start_on", name="term_dates"),
        CheckConstraint("weight >= 1", name="weight_positive"),
        Index("ix_board_terms_body_dates", "body_id", "start_on", "end_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("board_bodies.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    function: Mapped[Function] = mapped_column(string_enum(Function, "board_function"))
    legal_person: Mapped[bool] = mapped_column(Boolean, default=False)
    weight: Mapped[int] = mapped_column(Integer, default=1)
    represents: Mapped[bool] = mapped_column(Boolean, default=False)  # § 26 BGB representative
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date | None] = mapped_column(Date)
    elected_by_id: Mapped[int | None] = mapped_column(ForeignKey("board_resolutions.id"))

    body: Mapped[Body] = relationship(back_populates="terms", foreign_keys=[body_id])
    elected_by: Mapped[Resolution | None] = relationship(foreign_keys=[elected_by_id])

    def in_office(self, on: date) -> bool:
        return self.start_on <= on and (self.end_on is None or on <= self.end_on)


class InterestKind(StrEnum):
    GROUP = "group"      # organises a member group
    SPONSOR = "sponsor"  # works for a sponsor
    OTHER = "other"

    @property
    def label(self) -> str:
        return {InterestKind.GROUP: _l("Group"), InterestKind.SPONSOR: _l("Sponsor"),
                InterestKind.OTHER: _l("Other")}[self]


class Interest(db.Model):
    """A declared interest of a person (by e-mail), with the dates it held."""

    __tablename__ = "board_interests"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    kind: Mapped[InterestKind] = mapped_column(string_enum(InterestKind, "board_interest_kind"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("member_groups.id"))
    sponsor_id: Mapped[int | None] = mapped_column(ForeignKey("sponsors.id"))
    description: Mapped[str] = mapped_column(String(500))
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date | None] = mapped_column(Date)
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def held(self, on: date) -> bool:
        return self.start_on <= on and (self.end_on is None or on <= self.end_on)


class MeetingStatus(StrEnum):
    PLANNED = "planned"
    INVITED = "invited"
    OPEN = "open"          # in session
    HELD = "held"          # closed, minutes waiting for approval
    APPROVED = "approved"  # minutes approved: frozen

    @property
    def label(self) -> str:
        return _MEETING_STATES[self]


_MEETING_STATES = {MeetingStatus.PLANNED: _l("Planned"), MeetingStatus.INVITED: _l("Invited"),
                   MeetingStatus.OPEN: _l("In session"),
                   MeetingStatus.HELD: _l("Held (minutes to approve)"),
                   MeetingStatus.APPROVED: _l("Minutes approved")}
#: What each step of a meeting is called when it is refused (whole sentences below).
_MEETING_ACTIONS = {"edit_agenda": _l("changing the agenda"), "invite": _l("inviting"),
                    "open": _l("opening the meeting"), "attendance": _l("recording attendance"),
                    "minutes": _l("writing the minutes"), "vote": _l("voting"),
                    "close": _l("closing the meeting"),
                    "approve_minutes": _l("approving the minutes"),
                    "addendum": _l("adding an addendum")}


MEETING_STATES = StateMachine(rows(
    ([MeetingStatus.PLANNED], "edit_agenda", MeetingStatus.PLANNED),
    ([MeetingStatus.PLANNED, MeetingStatus.INVITED], "invite", MeetingStatus.INVITED),
    ([MeetingStatus.INVITED], "open", MeetingStatus.OPEN),
    ([MeetingStatus.OPEN], "attendance", MeetingStatus.OPEN),
    ([MeetingStatus.OPEN], "minutes", MeetingStatus.OPEN),
    ([MeetingStatus.HELD], "minutes", MeetingStatus.HELD),
    ([MeetingStatus.OPEN], "vote", MeetingStatus.OPEN),
    ([MeetingStatus.OPEN], "close", MeetingStatus.HELD),
    ([MeetingStatus.HELD], "approve_minutes", MeetingStatus.APPROVED),
    ([MeetingStatus.APPROVED], "addendum", MeetingStatus.APPROVED),
), refused=lambda meeting, action: _(
    "The meeting's state is “%(state)s”: %(action)s is not possible now.",
    state=meeting.status.label, action=_MEETING_ACTIONS.get(action, action)),
   already=lambda meeting, action: _("The meeting's state is “%(state)s” already.",
                                     state=meeting.status.label))


class Meeting(db.Model):
    __tablename__ = "board_meetings"
    __table_args__ = (Index("ix_board_meetings_body_starts", "body_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("board_bodies.id"))
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(300), default="")
    video_link: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[MeetingStatus] = mapped_column(
        string_enum(MeetingStatus, "board_meeting_status"), default=MeetingStatus.PLANNED)
    invited_on: Mapped[date | None] = mapped_column(Date)
    late_notice_days: Mapped[int] = mapped_column(Integer, default=0)
    #: The members invited (term ids), fixed when the invitation went out.
    invited: Mapped[list] = mapped_column(JSON, default=list)
    minute_taker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    minutes_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The meeting (or circular resolution) that approved these minutes.
    approved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("board_resolutions.id", use_alter=True))

    body: Mapped[Body] = relationship()
    items: Mapped[list[AgendaItem]] = relationship(back_populates="meeting",
                                                   order_by="AgendaItem.position")
    attendance: Mapped[list[Attendance]] = relationship(back_populates="meeting")
    addenda: Mapped[list[Addendum]] = relationship(back_populates="meeting",
                                                   order_by="Addendum.id")

    @property
    def day(self) -> date:
        """The meeting's day on the association's clock (who is in office, the notice, the
        numbers of its resolutions)."""
        return clock.day_of(self.starts_at)


class SubjectKind(StrEnum):
    """What an agenda item or resolution may decide (``subject_id`` names it)."""

    NONE = "none"
    GRANT_APPLICATION = "grant_application"
    ANNUAL_BUDGET = "annual_budget"          # subject_id: the fiscal year
    GROUP_ADMISSION = "group_admission"
    INVOICE_WRITE_OFF = "invoice_write_off"  # subject_id: the bank write-off's id
    PAYOUT_BATCH = "payout_batch"
    MINUTES = "minutes"                      # approving a meeting's minutes
    ELECTION = "election"
    STATUTES = "statutes"                    # needs the statute majority
    DISCHARGE = "discharge"                  # subject_id: the fiscal year audited

    @property
    def label(self) -> str:
        return _SUBJECTS[self]


_SUBJECTS = {SubjectKind.NONE: _l("None"), SubjectKind.GRANT_APPLICATION: _l("Grant application"),
             SubjectKind.ANNUAL_BUDGET: _l("Annual budget"),
             SubjectKind.GROUP_ADMISSION: _l("Group admission"),
             SubjectKind.INVOICE_WRITE_OFF: _l("Invoice write-off"),
             SubjectKind.PAYOUT_BATCH: _l("Payout batch"),
             SubjectKind.MINUTES: _l("Minutes"), SubjectKind.ELECTION: _l("Election"),
             SubjectKind.STATUTES: _l("Statutes"), SubjectKind.DISCHARGE: _l("Discharge")}


class AgendaItem(db.Model):
    __tablename__ = "board_agenda_items"
    __table_args__ = (UniqueConstraint("meeting_id", "position", name="uq_board_item_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("board_meetings.id"))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    #: In the invitation's agenda (items added later carry no resolution).
    announced: Mapped[bool] = mapped_column(Boolean, default=False)
    any_other_business: Mapped[bool] = mapped_column(Boolean, default=False)
    subject_kind: Mapped[SubjectKind] = mapped_column(
        string_enum(SubjectKind, "board_subject_kind"), default=SubjectKind.NONE)
    subject_id: Mapped[int | None] = mapped_column(Integer)
    minutes: Mapped[str] = mapped_column(Text, default="")  # Markdown, sanitised when shown
    #: Who was present for this item (term ids), noted when the item is taken.
    present: Mapped[list] = mapped_column(JSON, default=list)

    meeting: Mapped[Meeting] = relationship(back_populates="items")
    resolutions: Mapped[list[Resolution]] = relationship(back_populates="item",
                                                         order_by="Resolution.id")


class Presence(StrEnum):
    PRESENT = "present"
    EXCUSED = "excused"
    ABSENT = "absent"
    PROXY = "proxy"

    @property
    def label(self) -> str:
        return {Presence.PRESENT: _l("Present"), Presence.EXCUSED: _l("Excused"),
                Presence.ABSENT: _l("Absent"), Presence.PROXY: _l("Proxy")}[self]


class Attendance(db.Model):
    __tablename__ = "board_attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "term_id", name="uq_board_attendance"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("board_meetings.id"))
    term_id: Mapped[int] = mapped_column(ForeignKey("board_terms.id"))
    presence: Mapped[Presence] = mapped_column(string_enum(Presence, "board_presence"))
    proxy_holder_id: Mapped[int | None] = mapped_column(ForeignKey("board_terms.id"))

    meeting: Mapped[Meeting] = relationship(back_populates="attendance")
    term: Mapped[Term] = relationship(foreign_keys=[term_id])


class Addendum(db.Model):
    """A correction to approved minutes: never changes the minutes, linked to them."""

    __tablename__ = "board_addenda"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("board_meetings.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("board_agenda_items.id"))
    text: Mapped[str] = mapped_column(Text)
    written_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    written_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    meeting: Mapped[Meeting] = relationship(back_populates="addenda")


class ResolutionStatus(StrEnum):
    OPEN = "open"
    PASSED = "passed"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return {ResolutionStatus.OPEN: pgettext("vote", "Open"),
                ResolutionStatus.PASSED: pgettext("vote", "Passed"),
                ResolutionStatus.FAILED: pgettext("vote", "Failed")}[self]

    def label_in(self, translations: NullTranslations) -> str:
        """The label in a document's language (``catalogs.translations(locale)``)."""
        english = {"open": "Open", "passed": "Passed", "failed": "Failed"}[self.value]
        translate = translations.pgettext  # (the texts are marked in ``label``)
        return translate("vote", english)


class Resolution(db.Model):
    """A motion put to a vote, at a meeting (``item``) or in writing (``deadline``)."""

    __tablename__ = "board_resolutions"
    __table_args__ = (
        UniqueConstraint("body_id", "year", "sequence", name="uq_board_resolution_number"),
        CheckConstraint("(item_id IS NULL) <> (deadline IS NULL)", name="meeting_or_circular"),
        Index("ix_board_resolutions_subject", "subject_kind", "subject_id"),
        Index("ix_board_resolutions_decided", "decided_at"),
        Index("ix_board_resolutions_register", "year", "body_id", "sequence"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("board_bodies.id"))
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("board_agenda_items.id"), index=True)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)  # circular resolutions
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    subject_kind: Mapped[SubjectKind] = mapped_column(
        string_enum(SubjectKind, "board_resolution_subject"), default=SubjectKind.NONE)
    subject_id: Mapped[int | None] = mapped_column(Integer)
    #: For money: the largest amount the resolution allows (minor units) and its currency.
    amount: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str | None] = mapped_column(String(3))
    majority: Mapped[str] = mapped_column(String(20))
    status: Mapped[ResolutionStatus] = mapped_column(
        string_enum(ResolutionStatus, "board_resolution_status"), default=ResolutionStatus.OPEN)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the stored tally (weights), written once when the vote closes
    yes: Mapped[int | None] = mapped_column(Integer)
    no: Mapped[int | None] = mapped_column(Integer)
    abstain: Mapped[int | None] = mapped_column(Integer)
    invalid: Mapped[int | None] = mapped_column(Integer)
    excluded: Mapped[int | None] = mapped_column(Integer)
    basis: Mapped[str | None] = mapped_column(String(20))
    base: Mapped[int | None] = mapped_column(Integer)
    needed: Mapped[int | None] = mapped_column(Integer)
    outcome_reason: Mapped[str | None] = mapped_column(String(300))
    #: Who was entitled to vote, frozen when the vote closed: [{term, name, weight, recused,
    #: reason, present}].
    entitled: Mapped[list | None] = mapped_column(JSON)

    body: Mapped[Body] = relationship()
    item: Mapped[AgendaItem | None] = relationship(back_populates="resolutions")
    votes: Mapped[list[ResolutionVote]] = relationship(back_populates="resolution",
                                                       order_by="ResolutionVote.id")

    @property
    def day(self) -> date:
        """The day it was proposed on the association's clock (who is entitled to vote)."""
        return clock.day_of(self.created_at)

    @property
    def circular(self) -> bool:
        return self.deadline is not None


class ResolutionVote(db.Model):
    __tablename__ = "board_votes"
    __table_args__ = (UniqueConstraint("resolution_id", "term_id", name="uq_board_vote"),
                      CheckConstraint("weight >= 1", name="vote_weight_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    resolution_id: Mapped[int] = mapped_column(ForeignKey("board_resolutions.id"))
    term_id: Mapped[int] = mapped_column(ForeignKey("board_terms.id"))
    choice: Mapped[Choice] = mapped_column(string_enum(Choice, "board_choice"))
    weight: Mapped[int] = mapped_column(Integer)
    proxy_id: Mapped[int | None] = mapped_column(ForeignKey("board_terms.id"))  # cast by proxy
    via: Mapped[str] = mapped_column(String(10))  # meeting | app | link
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    resolution: Mapped[Resolution] = relationship(back_populates="votes")
    term: Mapped[Term] = relationship(foreign_keys=[term_id])


class Recusal(db.Model):
    """A member left out of a vote because of a conflict of interest (with the reason)."""

    __tablename__ = "board_recusals"
    __table_args__ = (UniqueConstraint("resolution_id", "term_id", name="uq_board_recusal"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resolution_id: Mapped[int] = mapped_column(ForeignKey("board_resolutions.id"))
    term_id: Mapped[int] = mapped_column(ForeignKey("board_terms.id"))
    reason: Mapped[str] = mapped_column(String(300))


class DocumentKind(StrEnum):
    STATUTES = "statutes"
    TAX_EXEMPTION = "tax_exemption"
    REGISTER_EXTRACT = "register_extract"
    CONTRACT = "contract"
    AUDIT_REPORT = "audit_report"

    @property
    def label(self) -> str:
        return {DocumentKind.STATUTES: _l("Statutes"),
                DocumentKind.TAX_EXEMPTION: _l("Tax-exemption notice"),
                DocumentKind.REGISTER_EXTRACT: _l("Register extract"),
                DocumentKind.CONTRACT: _l("Signed contract"),
                DocumentKind.AUDIT_REPORT: _l("Auditors' report")}[self]


class Document(db.Model):
    """A document in the register: append-only; a new version names what it supersedes."""

    __tablename__ = "board_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DocumentKind] = mapped_column(string_enum(DocumentKind, "board_document_kind"))
    title: Mapped[str] = mapped_column(String(300))
    effective_on: Mapped[date] = mapped_column(Date)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("board_documents.id"),
                                                      unique=True)
    #: Kind-specific facts (tax exemption: tax_office, number, issued_on, purposes).
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MinutesFile(db.Model):
    """The PDF of approved minutes (``addendum_id`` None) or of one addendum, rendered once when
    they were approved (or written) and kept with its SHA-256: later downloads serve these bytes,
    never a new rendering. Append-only (migration 0034)."""

    __tablename__ = "board_minutes_files"
    __table_args__ = (
        Index("uq_board_minutes_file", "meeting_id", unique=True,
              sqlite_where=text("addendum_id IS NULL"),
              postgresql_where=text("addendum_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("board_meetings.id"), index=True)
    addendum_id: Mapped[int | None] = mapped_column(ForeignKey("board_addenda.id"), unique=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
