"""Grant programmes, applications, reviews, disbursements and reports back.

Money columns hold integer minor units in the programme's currency (``currency``).
"""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.db import BigIntKey, UTCDateTime, string_enum, utcnow
from ..core.i18n import N_, gettext, lazy_gettext, lazy_pgettext
from ..core.states import StateMachine, rows
from ..extensions import db


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    INFO_REQUESTED = "info_requested"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"
    PAID = "paid"
    REPORT_DUE = "report_due"
    REPORT_OVERDUE = "report_overdue"
    REPORT_RECEIVED = "report_received"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


#: An application's state as pages and mails name it (the context "grant" keeps these words
#: apart from the same English words of other documents).
STATUS_LABELS = {
    Status.DRAFT: lazy_pgettext("grant", "Draft"),
    Status.SUBMITTED: lazy_pgettext("grant", "Submitted"),
    Status.INFO_REQUESTED: lazy_pgettext("grant", "Information requested"),
    Status.IN_REVIEW: lazy_pgettext("grant", "In review"),
    Status.APPROVED: lazy_pgettext("grant", "Approved"),
    Status.REJECTED: lazy_pgettext("grant", "Not funded"),
    Status.WITHDRAWN: lazy_pgettext("grant", "Withdrawn"),
    Status.CANCELLED: lazy_pgettext("grant", "Cancelled"),
    Status.PAID: lazy_pgettext("grant", "Paid"),
    Status.REPORT_DUE: lazy_pgettext("grant", "Report due"),
    Status.REPORT_OVERDUE: lazy_pgettext("grant", "Report overdue"),
    Status.REPORT_RECEIVED: lazy_pgettext("grant", "Report received"),
    Status.CLOSED: lazy_pgettext("grant", "Closed"),
}

#: States in which the reviewers' queue shows an application.
REVIEW_STATES = (Status.SUBMITTED, Status.INFO_REQUESTED, Status.IN_REVIEW)
#: States of a grant that was awarded (money committed at some point).
AWARDED_STATES = (Status.APPROVED, Status.PAID, Status.REPORT_DUE, Status.REPORT_OVERDUE,
                  Status.REPORT_RECEIVED, Status.CLOSED)


class QuestionKind(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    CHOICE = "choice"
    YES_NO = "yes_no"

    @property
    def label(self) -> str:
        return QUESTION_KINDS[self]


QUESTION_KINDS = {QuestionKind.TEXT: lazy_pgettext("question kind", "Text"),
                  QuestionKind.NUMBER: lazy_pgettext("question kind", "Number"),
                  QuestionKind.CHOICE: lazy_pgettext("question kind", "Choice"),
                  QuestionKind.YES_NO: lazy_pgettext("question kind", "Yes / no")}


class Vote(StrEnum):
    YES = "yes"
    NO = "no"
    ABSTAIN = "abstain"

    @property
    def label(self) -> str:
        return VOTE_LABELS[self]


VOTE_LABELS = {Vote.YES: lazy_pgettext("vote", "Yes"), Vote.NO: lazy_pgettext("vote", "No"),
               Vote.ABSTAIN: lazy_pgettext("vote", "Abstain")}


class DisbursementStatus(StrEnum):
    READY = "ready"          # a payable waiting for a payout batch
    PAID = "paid"            # the batch was executed: Dr grants payable / Cr bank posted
    CANCELLED = "cancelled"  # withdrawn before it was paid

    @property
    def label(self) -> str:
        return DISBURSEMENT_LABELS[self]


DISBURSEMENT_LABELS = {
    DisbursementStatus.READY: lazy_pgettext("grant payment", "waiting for payout"),
    DisbursementStatus.PAID: lazy_pgettext("grant payment", "paid"),
    DisbursementStatus.CANCELLED: lazy_pgettext("grant payment", "cancelled"),
}


def state_word(status: Status) -> str:
    """The state inside a sentence: lower-case in English ("is in review"), the label as it is
    in a language whose labels are nouns ("hat den Status „In Prüfung“")."""
    label = status.label
    text = str(label)
    return text.lower() if text == getattr(label, "source", text) else text


def _refused(application: Application, action: str) -> str:
    return gettext(_REFUSED[action], reference=application.reference,
                   state=state_word(application.status))


#: How a refusal of each action reads, a whole sentence each (the state is ``state_word``).
_REFUSED = {
    "submit": N_("Application %(reference)s is %(state)s and cannot be submitted now."),
    "request_information": N_("Application %(reference)s is %(state)s and cannot be asked for "
                              "more information now."),
    "answer": N_("Application %(reference)s is %(state)s and cannot be answered now."),
    "start_review": N_("Application %(reference)s is %(state)s and cannot be put in review now."),
    "approve": N_("Application %(reference)s is %(state)s and cannot be approved now."),
    "reject": N_("Application %(reference)s is %(state)s and cannot be rejected now."),
    "withdraw": N_("Application %(reference)s is %(state)s and cannot be withdrawn now."),
    "cancel": N_("Application %(reference)s is %(state)s and cannot be cancelled now."),
    "paid": N_("Application %(reference)s is %(state)s and cannot be marked paid now."),
    "report_due": N_("Application %(reference)s is %(state)s and cannot be marked as waiting "
                     "for its report now."),
    "report_overdue": N_("Application %(reference)s is %(state)s and cannot be marked overdue "
                         "now."),
    "report": N_("Application %(reference)s is %(state)s and cannot be reported on now."),
    "close": N_("Application %(reference)s is %(state)s and cannot be closed now."),
    "payment_returned": N_("Application %(reference)s is %(state)s and cannot be given back a "
                           "returned payment now."),
    # Operations (actions that keep the state):
    "edit": N_("Application %(reference)s is already %(state)s; it can no longer be edited."),
    "review": N_("Application %(reference)s is %(state)s: reviews are closed."),
    "vote": N_("Votes are cast while an application is in review; %(reference)s is %(state)s."),
    "reduce": N_("Only an approved grant that is not fully paid can be reduced; %(reference)s "
                 "is %(state)s."),
    "pay": N_("Application %(reference)s is %(state)s: there is nothing to pay."),
}
_S = Status
#: An application's life; the services (``grants.lifecycle.transition``) move it along this.
APPLICATION_STATES: StateMachine[Status] = StateMachine(rows(
    ([_S.DRAFT], "submit", _S.SUBMITTED),
    ([_S.SUBMITTED], "request_information", _S.INFO_REQUESTED),
    ([_S.INFO_REQUESTED], "answer", _S.SUBMITTED),
    ([_S.SUBMITTED], "start_review", _S.IN_REVIEW),
    ([_S.IN_REVIEW], "approve", _S.APPROVED),
    ([_S.IN_REVIEW], "reject", _S.REJECTED),
    ([_S.DRAFT, *REVIEW_STATES], "withdraw", _S.WITHDRAWN),
    ([_S.APPROVED], "cancel", _S.CANCELLED),
    ([_S.APPROVED], "paid", _S.PAID),
    ([_S.PAID], "report_due", _S.REPORT_DUE),
    ([_S.REPORT_DUE], "report_overdue", _S.REPORT_OVERDUE),
    ([_S.PAID, _S.REPORT_DUE, _S.REPORT_OVERDUE], "report", _S.REPORT_RECEIVED),
    ([_S.REPORT_RECEIVED], "close", _S.CLOSED),
    # The bank sent a payment of a fully paid grant back: the grant waits for payment again.
    ([_S.PAID, _S.REPORT_DUE, _S.REPORT_OVERDUE], "payment_returned", _S.APPROVED),
    # Operations that keep the state:
    ([_S.DRAFT], "edit", _S.DRAFT),
    *(([state], "review", state) for state in REVIEW_STATES),
    ([_S.IN_REVIEW], "vote", _S.IN_REVIEW),
    ([_S.APPROVED], "reduce", _S.APPROVED),
    ([_S.APPROVED], "pay", _S.APPROVED),
), refused=_refused, already=lambda application, action: gettext(
    "Application %(reference)s is already %(state)s; nothing was changed.",
    reference=application.reference, state=state_word(application.status)))

_D = DisbursementStatus
_PAYMENT_REFUSED = {
    "cancel": N_("Only a payment that waits for its payout can be cancelled."),
    "correct_payee": N_("Only a payment that waits for its payout can be changed."),
    "record_payment": N_("Payment %(ref)s is %(state)s, not waiting for payout."),
    "record_return": N_("Payment %(ref)s is %(state)s, not paid."),
}
#: A payment's life: it waits for a payout batch, is paid, may come back, or is cancelled.
DISBURSEMENT_STATES: StateMachine[DisbursementStatus] = StateMachine(rows(
    ([_D.READY], "record_payment", _D.PAID),
    ([_D.PAID], "record_return", _D.READY),
    ([_D.READY], "cancel", _D.CANCELLED),
    ([_D.READY], "correct_payee", _D.READY),
), refused=lambda payment, action: gettext(
    _PAYMENT_REFUSED[action], ref=payment.end_to_end_id, state=payment.status.value))


class Programme(db.Model):
    __tablename__ = "grant_programmes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    summary: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    max_per_grant: Mapped[int] = mapped_column(BigInteger)
    #: Applications must reach us this many days before the event starts (0: no rule).
    min_lead_days: Mapped[int] = mapped_column(Integer, default=0)
    rules: Mapped[str] = mapped_column(Text, default="")
    conditions: Mapped[str] = mapped_column(Text, default="")  # printed in the award letter
    #: Awards above this amount need a board resolution (None: never).
    board_threshold: Mapped[int | None] = mapped_column(BigInteger)
    #: Votes (yes, no or abstain, conflicted members excluded) needed before a decision.
    quorum: Mapped[int] = mapped_column(Integer, default=3)
    #: The report back is due this many days after the event ends.
    report_days: Mapped[int] = mapped_column(Integer, default=60)
    uses_rounds: Mapped[bool] = mapped_column(Boolean, default=False)
    accepting: Mapped[bool] = mapped_column(Boolean, default=True)
    public_list: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    fund = relationship("Fund", lazy="joined")
    questions: Mapped[list[Question]] = relationship(
        back_populates="programme", order_by="Question.position, Question.id",
        cascade="all, delete-orphan")
    rounds: Mapped[list[Round]] = relationship(
        back_populates="programme", order_by="Round.deadline", cascade="all, delete-orphan")
    budgets: Mapped[list[Budget]] = relationship(
        back_populates="programme", order_by="Budget.year", cascade="all, delete-orphan")

    __table_args__ = (
        CheckConstraint("max_per_grant > 0", name="max_positive"),
        CheckConstraint("quorum >= 1", name="quorum_positive"),
        CheckConstraint("min_lead_days >= 0 AND report_days >= 0", name="days_not_negative"),
    )


class Budget(db.Model):
    """What a programme may award in one calendar year."""

    __tablename__ = "grant_budgets"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("grant_programmes.id"))
    year: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(BigInteger)

    programme: Mapped[Programme] = relationship(back_populates="budgets")

    __table_args__ = (
        UniqueConstraint("programme_id", "year", name="uq_grant_budgets_programme_year"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
    )


class Round(db.Model):
    """An application window of a programme that works in rounds."""

    __tablename__ = "grant_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("grant_programmes.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    opens_on: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)

    programme: Mapped[Programme] = relationship(back_populates="rounds")

    __table_args__ = (CheckConstraint("deadline >= opens_on", name="deadline_after_opening"),)


class Question(db.Model):
    """A question of the programme's own, asked on its application form."""

    __tablename__ = "grant_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("grant_programmes.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    label: Mapped[str] = mapped_column(String(300))
    help_text: Mapped[str] = mapped_column(String(500), default="")
    kind: Mapped[QuestionKind] = mapped_column(string_enum(QuestionKind, "grant_question_kind"))
    choices: Mapped[str] = mapped_column(Text, default="")  # one per line, for CHOICE
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    programme: Mapped[Programme] = relationship(back_populates="questions")

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]

    @property
    def key(self) -> str:
        return f"q{self.id}"


class Application(db.Model):
    __tablename__ = "grant_applications"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("grant_programmes.id"))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("grant_rounds.id"))
    status: Mapped[Status] = mapped_column(string_enum(Status, "grant_status"), default=Status.DRAFT)
    # Who applies: a member group, or somebody who is not (yet) a member.
    group_id: Mapped[int | None] = mapped_column(ForeignKey("member_groups.id"))
    applicant_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    applicant_name: Mapped[str] = mapped_column(String(200), default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(254))
    # What for.
    title: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    event_start: Mapped[date | None] = mapped_column(Date)
    event_end: Mapped[date | None] = mapped_column(Date)
    expected_attendance: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    amount_requested: Mapped[int | None] = mapped_column(BigInteger)
    other_funding: Mapped[str] = mapped_column(Text, default="")
    answers: Mapped[dict] = mapped_column(JSON, default=dict)  # {"q<id>": value as typed}
    # Where the money goes.
    account_holder: Mapped[str] = mapped_column(String(70), default="")
    iban: Mapped[str] = mapped_column(String(34), default="")
    # The secret link: HMAC(SECRET_KEY, id and this nonce); a new nonce revokes old links.
    access_nonce: Mapped[str] = mapped_column(String(32))
    # Decision.
    amount_awarded: Mapped[int | None] = mapped_column(BigInteger)
    amount_paid: Mapped[int] = mapped_column(BigInteger, default=0)
    budget_year: Mapped[int | None] = mapped_column(Integer)
    conditions: Mapped[str] = mapped_column(Text, default="")
    #: The board's resolution for awards above the programme's threshold. A reference for now;
    #: the board-records package will link it to its resolution.
    board_resolution_ref: Mapped[str | None] = mapped_column(String(100))
    #: The board's resolution the award rests on (above the programme's board threshold).
    board_resolution_id: Mapped[int | None] = mapped_column(ForeignKey("board_resolutions.id"))
    commitment_entry_id: Mapped[int | None] = mapped_column(
        BigIntKey, ForeignKey("journal_entries.id"))
    report_due_on: Mapped[date | None] = mapped_column(Date)
    last_reminder_on: Mapped[date | None] = mapped_column(Date)
    # Timestamps.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    programme: Mapped[Programme] = relationship(lazy="joined")
    round: Mapped[Round | None] = relationship()
    group = relationship("MemberGroup")
    applicant_user = relationship("User")
    budget_lines: Mapped[list[BudgetLine]] = relationship(
        back_populates="application", order_by="BudgetLine.position",
        cascade="all, delete-orphan")
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="application", order_by="Attachment.id", cascade="all, delete-orphan")
    events: Mapped[list[Event]] = relationship(
        back_populates="application", order_by="Event.id", cascade="all, delete-orphan")
    reviews: Mapped[list[Review]] = relationship(
        back_populates="application", order_by="Review.id", cascade="all, delete-orphan")
    disbursements: Mapped[list[Disbursement]] = relationship(
        back_populates="application", order_by="Disbursement.id")
    report: Mapped[Report | None] = relationship(back_populates="application", uselist=False)
    board_confirmations: Mapped[list[BoardConfirmation]] = relationship(
        back_populates="application", order_by="BoardConfirmation.id",
        cascade="all, delete-orphan")

    __table_args__ = (
        Index("ix_grant_applications_status_submitted", "status", "submitted_at", "id"),
        Index("ix_grant_applications_year_programme", "budget_year", "programme_id"),
        Index("ix_grant_applications_group_status", "group_id", "status"),
        Index("ix_grant_applications_email_status", "contact_email", "status"),
        CheckConstraint("amount_requested IS NULL OR amount_requested > 0",
                        name="requested_positive"),
        CheckConstraint("amount_awarded IS NULL OR amount_awarded >= 0", name="awarded_positive"),
        CheckConstraint("amount_paid >= 0", name="paid_not_negative"),
    )

    @property
    def reference(self) -> str:
        return f"G-{self.id:05d}"

    @property
    def outstanding(self) -> int:
        """Awarded but not yet paid (what is still committed)."""
        return (self.amount_awarded or 0) - self.amount_paid

    @property
    def budget_total(self) -> int:
        return sum(line.amount for line in self.budget_lines)


class BudgetLine(db.Model):
    __tablename__ = "grant_budget_lines"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        BigIntKey, ForeignKey("grant_applications.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int] = mapped_column(BigInteger)

    application: Mapped[Application] = relationship(back_populates="budget_lines")

    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)


class Attachment(db.Model):
    """A file sent with the application, an answer or the report back."""

    __tablename__ = "grant_attachments"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        BigIntKey, ForeignKey("grant_applications.id", ondelete="CASCADE"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"))
    purpose: Mapped[str] = mapped_column(String(20), default="application")  # |answer|report
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    application: Mapped[Application] = relationship(back_populates="attachments")
    file = relationship("StoredFile", lazy="joined")


class Event(db.Model):
    """One step in an application's life: who, when, from which state to which, and why.

    Information requests and the applicant's answers are events too (``reason`` holds the text).
    """

    __tablename__ = "grant_events"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        BigIntKey, ForeignKey("grant_applications.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    #: Shown on the applicant's status page (internal notes are not).
    public: Mapped[bool] = mapped_column(Boolean, default=True)

    application: Mapped[Application] = relationship(back_populates="events")

    @property
    def label(self) -> str:
        """What happened, as the committee's history names it."""
        return str(EVENT_LABELS.get(self.action, self.action.replace("_", " ").capitalize()))

    @property
    def from_label(self) -> str:
        return _status_label(self.from_status)

    @property
    def to_label(self) -> str:
        return _status_label(self.to_status)


def _status_label(value: str | None) -> str:
    try:
        return str(Status(value).label)
    except ValueError:
        return value or ""


#: The steps of an application's history (``Event.action``), as the committee's page names them.
EVENT_LABELS = {
    "created": lazy_gettext("Draft created"), "submit": lazy_gettext("Submitted"),
    "request_information": lazy_gettext("Information requested"),
    "answer": lazy_gettext("Answered"), "start_review": lazy_gettext("Review started"),
    "approve": lazy_gettext("Approved"), "reject": lazy_gettext("Declined"),
    "withdraw": lazy_gettext("Withdrawn"), "cancel": lazy_gettext("Grant cancelled"),
    "paid": lazy_gettext("Paid in full"), "report_due": lazy_gettext("Report due"),
    "report_overdue": lazy_gettext("Report overdue"), "report": lazy_gettext("Report received"),
    "close": lazy_gettext("Closed"), "payment_returned": lazy_gettext("Payment returned"),
    "payment": lazy_gettext("Payment"), "reduced": lazy_gettext("Grant changed"),
    "reviewer_assigned": lazy_gettext("Reviewer assigned"),
    "reviewer_volunteered": lazy_gettext("Reviewer volunteered"),
    "conflict_declared": lazy_gettext("Conflict of interest declared"),
    "account_corrected": lazy_gettext("Account corrected"),
}


class Review(db.Model):
    """One committee member's part in one application: assignment, conflict, score, vote."""

    __tablename__ = "grant_reviews"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        BigIntKey, ForeignKey("grant_applications.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: volunteered
    conflict: Mapped[bool] = mapped_column(Boolean, default=False)
    conflict_note: Mapped[str] = mapped_column(String(500), default="")
    score: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    vote: Mapped[str | None] = mapped_column(String(10))
    voted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    application: Mapped[Application] = relationship(back_populates="reviews")
    reviewer = relationship("User", foreign_keys=[reviewer_id], lazy="joined")

    @property
    def vote_label(self) -> str:
        return str(Vote(self.vote).label) if self.vote else ""

    __table_args__ = (
        UniqueConstraint("application_id", "reviewer_id", name="uq_grant_reviews_member"),
        CheckConstraint("score IS NULL OR (score >= 1 AND score <= 5)", name="score_range"),
        CheckConstraint("vote IS NULL OR vote IN ('yes', 'no', 'abstain')", name="vote_value"),
        CheckConstraint("NOT conflict OR (score IS NULL AND vote IS NULL)",
                        name="conflict_excludes"),
    )


class BoardConfirmation(db.Model):
    """A board member's confirmation, given in the app before board records existed, that the
    board resolved ``reference`` to award this application up to ``amount``. Kept as history:
    migration 0024 turned the confirmed references into resolutions of the board records, and
    nothing confirms or reads them any more (``grants/resolutions.py`` decides)."""

    __tablename__ = "grant_board_confirmations"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        BigIntKey, ForeignKey("grant_applications.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reference: Mapped[str] = mapped_column(String(100))
    amount: Mapped[int] = mapped_column(BigInteger)
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    application: Mapped[Application] = relationship(back_populates="board_confirmations")
    member = relationship("User", lazy="joined")

    __table_args__ = (
        UniqueConstraint("application_id", "member_id", "reference",
                         name="uq_grant_board_confirmations_member"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )


class Disbursement(db.Model):
    """A payment of (part of) a grant: a payable ready for a payout batch.

    It carries what a payout batch needs (payee, IBAN, amount, fund, the liability account's role,
    remittance text, end-to-end id); the executed batch marks it paid (``services.record_payment``).
    """

    __tablename__ = "grant_disbursements"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        BigIntKey, ForeignKey("grant_applications.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"))
    payee_name: Mapped[str] = mapped_column(String(70))
    iban: Mapped[str] = mapped_column(String(34))
    remittance: Mapped[str] = mapped_column(String(140))
    end_to_end_id: Mapped[str] = mapped_column(String(35), unique=True)
    status: Mapped[DisbursementStatus] = mapped_column(
        string_enum(DisbursementStatus, "grant_disbursement_status"), default=DisbursementStatus.READY)
    batch_ref: Mapped[str | None] = mapped_column(String(64))
    paid_on: Mapped[date | None] = mapped_column(Date)
    entry_id: Mapped[int | None] = mapped_column(BigIntKey, ForeignKey("journal_entries.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    application: Mapped[Application] = relationship(back_populates="disbursements")
    fund = relationship("Fund")

    __table_args__ = (
        Index("ix_grant_disbursements_status", "status"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )


class Report(db.Model):
    """The report back after the event."""

    __tablename__ = "grant_reports"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        BigIntKey, ForeignKey("grant_applications.id", ondelete="CASCADE"), unique=True)
    narrative: Mapped[str] = mapped_column(Text)
    attendance: Mapped[int | None] = mapped_column(Integer)
    amount_spent: Mapped[int] = mapped_column(BigInteger)
    unused_amount: Mapped[int] = mapped_column(BigInteger, default=0)  # to be returned
    returned_entry_id: Mapped[int | None] = mapped_column(
        BigIntKey, ForeignKey("journal_entries.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    application: Mapped[Application] = relationship(back_populates="report")

    __table_args__ = (
        CheckConstraint("amount_spent >= 0 AND unused_amount >= 0", name="amounts_not_negative"),
    )
