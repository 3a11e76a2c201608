"""A grant application's life, from the draft to the closed grant. No HTTP in here.

States (``models.Status``) and the only ways between them:

    draft -> submitted <-> information requested
    submitted -> in review -> approved | rejected          (withdrawn from any state before)
    approved -> paid (when payments reach the award) -> report due -> report overdue
    paid | report due | report overdue -> report received -> closed
    approved -> cancelled (nothing paid yet)

Every transition is a function here: it checks the state, records who, when and why (an
``Event`` and the audit log), posts to the ledger where money moves and emails the applicant.

Ledger: approval commits the grant in the programme's fund (Dr grants expense / Cr grants
payable), so the fund's available balance drops at once. A payment (through a payout batch) is
Dr grants payable / Cr bank. A reduced or cancelled grant reverses its commitment entry and, if
anything remains awarded, commits the new amount again. Unused money returned after the report is
Dr bank / Cr grants expense.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import func, select

from ..auth.services import normalise_email
from ..core import audit
from ..core.db import utcnow
from ..core.errors import (
    AlreadyDone,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from ..core.iban import normalise_iban
from ..core.mail import queue_mail
from ..core.money import Money
from ..core.permissions import Permission
from ..core.public_forms import check_rate
from ..core.uploads import store_upload
from ..core.urls import absolute_url
from ..groups.models import MemberGroup
from ..ledger import services as ledger
from ..ledger import spending as ledger_spending
from ..ledger.balances import fund_balance
from . import access, board, conflicts, payouts
from .models import (
    Application,
    Attachment,
    Budget,
    BudgetLine,
    Disbursement,
    DisbursementStatus,
    Event,
    Programme,
    Question,
    QuestionKind,
    Report,
    Review,
    Round,
    Status,
    Vote,
)
from .notify import applicant_mail

S = Status
GRANTS_EXPENSE_ROLE = "grants_expense"
GRANTS_PAYABLE_ROLE = "grants_payable"
BANK_ROLE = "bank"

#: Limits for uploads (bytes) and for the public form, each overridable in the configuration.
DEFAULTS = {
    "GRANTS_MAX_FILE_BYTES": 10 * 1024 * 1024,
    "GRANTS_MAX_FILES": 5,
    "GRANTS_APPLICATIONS_PER_ADDRESS_PER_HOUR": 5,
    "GRANTS_APPLICATIONS_PER_EMAIL_PER_DAY": 5,
    "GRANTS_LINKS_PER_EMAIL_PER_HOUR": 3,
    "GRANTS_REMIND_DAYS_BEFORE": 14,
    "GRANTS_REMIND_EVERY_DAYS": 14,
}


def setting(name: str):
    return current_app.config.get(name, DEFAULTS[name])


#: action: (states it may start from, state it leads to, what the refusal calls it)
TRANSITIONS: dict[str, tuple[frozenset[Status], Status, str]] = {
    "submit": (frozenset({S.DRAFT}), S.SUBMITTED, "submitted"),
    "request_information": (frozenset({S.SUBMITTED}), S.INFO_REQUESTED,
                            "asked for more information"),
    "answer": (frozenset({S.INFO_REQUESTED}), S.SUBMITTED, "answered"),
    "start_review": (frozenset({S.SUBMITTED}), S.IN_REVIEW, "put in review"),
    "approve": (frozenset({S.IN_REVIEW}), S.APPROVED, "approved"),
    "reject": (frozenset({S.IN_REVIEW}), S.REJECTED, "rejected"),
    "withdraw": (frozenset({S.DRAFT, S.SUBMITTED, S.INFO_REQUESTED, S.IN_REVIEW}), S.WITHDRAWN,
                 "withdrawn"),
    "cancel": (frozenset({S.APPROVED}), S.CANCELLED, "cancelled"),
    "paid": (frozenset({S.APPROVED}), S.PAID, "marked paid"),
    "report_due": (frozenset({S.PAID}), S.REPORT_DUE, "marked as waiting for its report"),
    "report_overdue": (frozenset({S.REPORT_DUE}), S.REPORT_OVERDUE, "marked overdue"),
    "report": (frozenset({S.PAID, S.REPORT_DUE, S.REPORT_OVERDUE}), S.REPORT_RECEIVED,
               "reported on"),
    "close": (frozenset({S.REPORT_RECEIVED}), S.CLOSED, "closed"),
    # The bank sent a payment of a fully paid grant back: the grant waits for payment again.
    "payment_returned": (frozenset({S.PAID, S.REPORT_DUE, S.REPORT_OVERDUE}), S.APPROVED,
                         "given back a returned payment"),
}
#: Which email each transition sends (the action's own name unless listed).
MAIL_FOR = {"submit": "submitted", "request_information": "information_requested",
            "start_review": "review_started", "approve": "approved", "reject": "rejected",
            "withdraw": "withdrawn", "cancel": "cancelled", "report": "report_received",
            "answer": "answered", "close": "closed"}


def can_do(application: Application, action: str) -> bool:
    return application.status in TRANSITIONS[action][0]


def _check(application: Application, action: str) -> None:
    allowed, target, verb = TRANSITIONS[action]
    if application.status is target and target not in allowed:
        raise AlreadyDone(f"Application {application.reference} is already "
                          f"{application.status.label.lower()}; nothing was changed.")
    if application.status not in allowed:
        raise InvalidTransition(
            f"Application {application.reference} is {application.status.label.lower()} and "
            f"cannot be {verb} now.")


def _actor_label(actor) -> str:
    return getattr(actor, "email", None) or "system"


def _event(session, application: Application, action: str, actor, *, reason: str = "",
           public: bool = True, before: Status | None = None) -> Event:
    event = Event(application=application, actor_id=getattr(actor, "id", None),
                  actor_label=_actor_label(actor), action=action,
                  from_status=before.value if before else None,
                  to_status=application.status.value if before else None,
                  reason=reason, public=public)
    session.add(event)
    return event


def _transition(session, application: Application, action: str, actor, *, reason: str = "",
                mail: bool = True, **mail_extra) -> None:
    """Move the application along ``action``: event, audit record and the applicant's email."""
    _check(application, action)
    before = application.status
    application.status = TRANSITIONS[action][1]
    application.updated_at = utcnow()
    session.flush()
    _event(session, application, action, actor, reason=reason, before=before)
    audit.record(session, actor, f"grant.{action}", "grant_application", application.id,
                 summary=f"{application.reference}: {before.label} → {application.status.label}"
                         + (f" ({reason[:200]})" if reason else ""),
                 before={"status": before}, after={"status": application.status})
    if mail:
        applicant_mail(session, application, MAIL_FOR.get(action, action), reason=reason,
                       **mail_extra)


def _locked(session, application: Application) -> Application:
    """Re-read the application under a row lock (a double click, two reviewers at once)."""
    return session.scalars(select(Application).where(Application.id == application.id)
                           .with_for_update(of=Application)
                           .execution_options(populate_existing=True)).one()


def _required_text(value: str, field_name: str, what: str, limit: int = 2000) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(f"Please {what}.", field=field_name)
    if len(value) > limit:
        raise ValidationError(f"Please keep it under {limit} characters.", field=field_name)
    return value


# --- applying ----------------------------------------------------------------------------------

@dataclass
class ApplicationInput:
    """What the applicant typed, already parsed to types (the form checks the shapes)."""

    contact_email: str
    group_id: int | None = None
    applicant_name: str = ""
    contact_name: str = ""
    title: str = ""
    description: str = ""
    event_start: date | None = None
    event_end: date | None = None
    expected_attendance: int | None = None
    amount_requested: Money | None = None
    other_funding: str = ""
    budget_lines: list[tuple[str, Money]] = field(default_factory=list)
    answers: dict[str, str] = field(default_factory=dict)
    account_holder: str = ""
    iban: str = ""


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


class IncompleteApplication(ValidationError):
    """Several fields are missing or wrong at once: ``errors`` maps each to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("Some answers are missing or need a second look; see the marked fields.")
        self.errors = errors


def open_round(session, programme: Programme, today: date) -> Round | None:
    return session.scalar(select(Round).where(
        Round.programme_id == programme.id, Round.opens_on <= today, Round.deadline >= today)
        .order_by(Round.deadline).limit(1))


def check_accepting(session, programme: Programme, today: date) -> Round | None:
    """The round an application made today belongs to; ``ValidationError`` when closed."""
    if not programme.accepting:
        raise ValidationError(f"The {programme.name} is not taking applications at the moment.")
    if not programme.uses_rounds:
        return None
    current = open_round(session, programme, today)
    if current is None:
        upcoming = session.scalar(select(Round).where(
            Round.programme_id == programme.id, Round.opens_on > today).order_by(Round.opens_on)
            .limit(1))
        later = (f" The next round, {upcoming.name}, opens on {upcoming.opens_on.isoformat()}."
                 if upcoming else "")
        raise ValidationError(f"The {programme.name} has no round open for applications now."
                              + later)
    return current


def _check_rate(session, kind: str, address: str, email: str) -> None:
    hour, day = timedelta(hours=1), timedelta(days=1)
    if kind == "application":
        limits = [("address", hour, setting("GRANTS_APPLICATIONS_PER_ADDRESS_PER_HOUR")),
                  ("email", day, setting("GRANTS_APPLICATIONS_PER_EMAIL_PER_DAY"))]
    else:
        limits = [("email", hour, setting("GRANTS_LINKS_PER_EMAIL_PER_HOUR")),
                  ("address", hour, 3 * setting("GRANTS_LINKS_PER_EMAIL_PER_HOUR"))]
    check_rate(session, kind, address=address, email=email, limits=limits)


def _store_files(session, application: Application, uploads, purpose: str, actor,
                 allowed=frozenset({"pdf"}), field_name: str = "attachments") -> None:
    already = sum(1 for a in application.attachments if a.purpose == purpose)
    if already + len(uploads) > setting("GRANTS_MAX_FILES"):
        raise ValidationError(f"Attach at most {setting('GRANTS_MAX_FILES')} files.",
                              field=field_name)
    for upload in uploads:
        try:
            stored = store_upload(session, filename=upload.filename, data=upload.data,
                                  allowed=set(allowed), max_bytes=setting("GRANTS_MAX_FILE_BYTES"),
                                  actor=actor if getattr(actor, "id", None) else None)
        except ValidationError as error:
            raise ValidationError(str(error), field=field_name) from None
        application.attachments.append(Attachment(file_id=stored.id, purpose=purpose))


def _apply_input(session, application: Application, data: ApplicationInput) -> None:
    """Copy what was typed onto the application (shape errors raise with their field)."""
    try:
        email = normalise_email(data.contact_email)
    except ValidationError as error:
        raise ValidationError(str(error), field="contact_email") from None
    if data.group_id is not None:
        group = session.get(MemberGroup, data.group_id)
        if group is None or group.status != "active":
            raise ValidationError("Choose one of the member groups listed.", field="group_id")
    currency = application.programme.currency
    for _, amount in data.budget_lines:
        if amount.currency != currency:
            raise ValidationError(f"Budget amounts are in {currency}.", field="budget_lines")
    if data.amount_requested is not None and data.amount_requested.currency != currency:
        raise ValidationError(f"The amount is in {currency}.", field="amount_requested")
    iban = normalise_iban(data.iban)[0] if data.iban.strip() else ""
    application.contact_email = email
    application.group_id = data.group_id
    for name in ("applicant_name", "contact_name", "title", "description", "other_funding",
                 "account_holder"):
        setattr(application, name, (getattr(data, name) or "").strip())
    application.event_start, application.event_end = data.event_start, data.event_end
    application.expected_attendance = data.expected_attendance
    application.amount_requested = data.amount_requested.amount if data.amount_requested else None
    application.iban = iban
    application.answers = {k: v for k, v in data.answers.items() if v not in (None, "")}
    application.budget_lines = [BudgetLine(position=n, description=text.strip()[:200],
                                           amount=amount.amount)
                                for n, (text, amount) in enumerate(data.budget_lines, 1)]
    application.updated_at = utcnow()


def completeness_errors(application: Application, today: date) -> dict[str, str]:
    """What must still be filled in or corrected before the application can be submitted."""
    a, p = application, application.programme
    errors: dict[str, str] = {}
    required = {"applicant_name": "Name the group or project that applies.",
                "contact_name": "Give the name of the contact person.",
                "title": "Name the event or purpose.",
                "description": "Describe what the money is for.",
                "account_holder": "Give the account holder's name.",
                "iban": "Give the IBAN the grant should be paid to."}
    for name, message in required.items():
        if not getattr(a, name):
            errors[name] = message
    if a.event_start is None:
        errors["event_start"] = "Give the date of the event (or when the work starts)."
    elif a.event_end is not None and a.event_end < a.event_start:
        errors["event_end"] = "The end date is before the start date."
    elif p.min_lead_days and (a.event_start - today).days < p.min_lead_days:
        errors["event_start"] = (f"The {p.name} needs applications at least {p.min_lead_days} days "
                                 f"before the event (that is by "
                                 f"{(a.event_start - timedelta(days=p.min_lead_days)).isoformat()}).")
    if a.expected_attendance is None:
        errors["expected_attendance"] = "Estimate how many people will take part."
    if not a.budget_lines:
        errors["budget_lines"] = "Add at least one budget line with what the money pays for."
    max_text = Money(p.max_per_grant, a.currency).format()
    if a.amount_requested is None:
        errors["amount_requested"] = "Give the amount you ask for."
    elif a.amount_requested > p.max_per_grant:
        errors["amount_requested"] = f"The {p.name} gives at most {max_text} per grant."
    elif a.budget_lines and a.amount_requested > a.budget_total:
        errors["amount_requested"] = ("The amount asked for is more than the budget's total "
                                      f"({Money(a.budget_total, a.currency).format()}).")
    for question in p.questions:
        if not question.active:
            continue
        value = (a.answers or {}).get(question.key)
        if value in (None, "") and question.required:
            errors[question.key] = "Please answer this question."
        elif value not in (None, "") and (problem := answer_problem(question, value)):
            errors[question.key] = problem
    if a.round is not None and a.round.deadline < today:
        errors["_form"] = (f"The deadline of {a.round.name} was {a.round.deadline.isoformat()}; "
                           "the application can no longer be submitted in it.")
    return errors


def submission_problems(programme: Programme, data: ApplicationInput, *,
                        round_: Round | None = None, today: date | None = None) -> dict[str, str]:
    """What would keep this input from being submitted, found without storing anything: for a
    form that is sent back anyway (a wrong amount) to name everything else at the same time."""
    draft = Application(programme=programme, round=round_, currency=programme.currency,
                        answers={k: v for k, v in data.answers.items() if v not in (None, "")})
    for name in ("applicant_name", "contact_name", "title", "description", "account_holder"):
        setattr(draft, name, (getattr(data, name) or "").strip())
    draft.event_start, draft.event_end = data.event_start, data.event_end
    draft.expected_attendance = data.expected_attendance
    draft.amount_requested = data.amount_requested.amount if data.amount_requested else None
    draft.budget_lines = [BudgetLine(position=n, description=text, amount=amount.amount)
                          for n, (text, amount) in enumerate(data.budget_lines, 1)]
    problems = {}
    draft.iban = data.iban.strip()
    if draft.iban:
        try:
            normalise_iban(draft.iban)
        except ValidationError as error:
            problems["iban"] = str(error)
    for name, message in completeness_errors(draft, today or date.today()).items():
        problems.setdefault(name, message)
    return problems


def answer_problem(question: Question, value: str) -> str | None:
    if question.kind is QuestionKind.NUMBER:
        try:
            float(str(value).replace(",", "."))
        except ValueError:
            return "Enter a number."
    elif question.kind is QuestionKind.CHOICE and value not in question.choice_list:
        return "Choose one of the options."
    elif question.kind is QuestionKind.YES_NO and value not in ("yes", "no"):
        return "Answer yes or no."
    return None


def save_application(session, *, data: ApplicationInput, uploads=(), remove_files=(),
                     submit: bool = False, programme: Programme | None = None,
                     application: Application | None = None, user=None,
                     address: str = "unknown", today: date | None = None) -> Application:
    """Create a draft (``programme``) or update one (``application``), then submit it if asked.

    Refused input raises with nothing stored. A new draft counts against the per-address and
    per-email limits and emails the applicant their secret link.
    """
    today = today or date.today()
    new = application is None
    if new:
        if programme is None:
            raise ValueError("give the programme or the application")
        round_ = check_accepting(session, programme, today)
        application = Application(programme=programme, round=round_, currency=programme.currency,
                                  access_nonce=access.new_nonce(), status=S.DRAFT,
                                  contact_email="", answers={},
                                  applicant_user_id=getattr(user, "id", None))
    else:
        application = _locked(session, application)
        if application.status is not S.DRAFT:
            raise InvalidTransition(f"Application {application.reference} is already "
                                    f"{application.status.label.lower()}; it can no longer be "
                                    "edited.")
    _apply_input(session, application, data)
    if new:
        _check_rate(session, "application", address, application.contact_email)
        session.add(application)
        session.flush()
    actor = user or access.Applicant(application.contact_email)
    for attachment in list(application.attachments):
        if attachment.id in set(remove_files) and attachment.purpose == "application":
            application.attachments.remove(attachment)
    _store_files(session, application, list(uploads), "application", actor)
    session.flush()
    if new:
        _event(session, application, "created", actor)
        audit.record(session, actor, "grant.created", "grant_application", application.id,
                     summary=f"{application.reference} draft to {application.programme.name}")
    if submit:
        submit_application(session, application, actor=actor, today=today)
    elif new:
        applicant_mail(session, application, "created")
    return application


def submit_application(session, application: Application, *, actor,
                       today: date | None = None) -> Application:
    """Submit a complete draft (``IncompleteApplication`` lists everything still missing)."""
    today = today or date.today()
    _check(application, "submit")
    errors = completeness_errors(application, today)
    if errors:
        raise IncompleteApplication(errors)
    application.submitted_at = utcnow()
    _transition(session, application, "submit", actor)
    return application


def withdraw(session, application: Application, *, actor, reason: str = "") -> Application:
    application = _locked(session, application)
    _transition(session, application, "withdraw", actor, reason=(reason or "").strip()[:2000])
    return application


def answer_information(session, application: Application, *, answer: str, uploads=(),
                       actor) -> Application:
    application = _locked(session, application)
    _check(application, "answer")
    answer = _required_text(answer, "answer", "write your answer", 10000)
    _store_files(session, application, list(uploads), "answer", actor, field_name="files")
    _transition(session, application, "answer", actor, reason=answer)
    return application


def send_links(session, email: str, *, address: str) -> int:
    """Email the applicant the links to their applications; silent when there are none."""
    try:
        email = normalise_email(email)
    except ValidationError as error:
        raise ValidationError(str(error), field="email") from None
    _check_rate(session, "link", address, email)
    applications = session.scalars(select(Application).where(Application.contact_email == email)
                                   .order_by(Application.id.desc()).limit(20)).all()
    if applications:
        lines = "\n".join(f"- {a.reference} {a.title or a.programme.name} "
                          f"({a.status.label}): {access.status_url(a)}" for a in applications)
        queue_mail(session, email, "Your grant applications",
                   f"Hello,\n\nhere are the links to your grant applications:\n\n{lines}\n\n"
                   "If you did not ask for this email, you can ignore it.\n")
    return len(applications)


# --- reviewing -----------------------------------------------------------------------------------

def review_of(application: Application, user) -> Review | None:
    return next((r for r in application.reviews if r.reviewer_id == user.id), None)


def is_conflicted(application: Application, user) -> bool:
    """Declared a conflict, is the applicant (by account or contact e-mail), or organises the
    group that applies: ``conflicts.conflict_of``."""
    return conflicts.conflict_of(application, user) is not None


def _review_row(session, application: Application, user, *, assigned_by=None) -> Review:
    review = review_of(application, user)
    if review is None:
        review = Review(application=application, reviewer_id=user.id,
                        assigned_by_id=getattr(assigned_by, "id", None))
        session.add(review)
        session.flush()
    return review


def _check_reviewer(user) -> None:
    if not user.can(Permission.GRANTS_REVIEW):
        raise PermissionDenied(f"{user.display_name} is not a member of the grants committee.")


def _check_open_for_review(application: Application) -> None:
    if application.status not in (S.SUBMITTED, S.INFO_REQUESTED, S.IN_REVIEW):
        raise InvalidTransition(f"Application {application.reference} is "
                                f"{application.status.label.lower()}: reviews are closed.")


def assign_reviewer(session, application: Application, reviewer, *, actor) -> Review:
    _check_open_for_review(application)
    conflicts.refuse(application, actor, "assign")
    _check_reviewer(reviewer)
    if is_conflicted(application, reviewer):
        raise ValidationError(f"{reviewer.display_name} has a conflict of interest with this "
                              "application.", field="reviewer")
    if review_of(application, reviewer) is not None:
        raise ValidationError(f"{reviewer.display_name} already reviews this application.",
                              field="reviewer")
    review = _review_row(session, application, reviewer, assigned_by=actor)
    _event(session, application, "reviewer_assigned", actor, public=False,
           reason=f"{reviewer.display_name} assigned")
    audit.record(session, actor, "grant.reviewer_assigned", "grant_application", application.id,
                 summary=f"{application.reference}: {reviewer.email} assigned")
    queue_mail(session, reviewer.email, f"Please review grant application {application.reference}",
               f"Hello {reviewer.display_name},\n\n{getattr(actor, 'display_name', 'The committee')}"
               f" asks you to review {application.reference} “{application.title}” by "
               f"{application.applicant_name} ({application.programme.name}):\n\n"
               f"{absolute_url('grants.application', application_id=application.id)}\n\n"
               "If you have a conflict of interest, declare it there.\n")
    return review


def volunteer(session, application: Application, *, actor) -> Review:
    _check_open_for_review(application)
    _check_reviewer(actor)
    conflicts.refuse(application, actor, "review")
    if review_of(application, actor) is not None:
        raise ValidationError("You already review this application.")
    review = _review_row(session, application, actor)
    _event(session, application, "reviewer_volunteered", actor, public=False)
    audit.record(session, actor, "grant.reviewer_volunteered", "grant_application",
                 application.id, summary=f"{application.reference}: {actor.email} volunteered")
    return review


def declare_conflict(session, application: Application, *, note: str, actor) -> Review:
    """The member takes no further part: their score and vote (if any) are removed."""
    _check_reviewer(actor)
    note = _required_text(note, "note", "say briefly what the conflict is", 500)
    review = _review_row(session, application, actor)
    before = {"score": review.score, "vote": review.vote}
    review.conflict, review.conflict_note = True, note
    review.score, review.vote, review.voted_at = None, None, None
    _event(session, application, "conflict_declared", actor, public=False, reason=note)
    audit.record(session, actor, "grant.conflict_declared", "grant_application", application.id,
                 summary=f"{application.reference}: {actor.email}: {note[:200]}", before=before)
    return review


def score(session, application: Application, *, value: int | None, comment: str,
          actor) -> Review:
    _check_open_for_review(application)
    _check_reviewer(actor)
    conflicts.refuse(application, actor, "score")
    if value is not None and not 1 <= value <= 5:
        raise ValidationError("Score from 1 (weak) to 5 (excellent).", field="score")
    comment = (comment or "").strip()
    if value is None and not comment:
        raise ValidationError("Give a score or a comment.", field="score")
    review = _review_row(session, application, actor)
    before = {"score": review.score, "comment": review.comment}
    review.score, review.comment = value, comment[:10000]
    audit.record(session, actor, "grant.scored", "grant_application", application.id,
                 summary=f"{application.reference}: score {value}", before=before,
                 after={"score": value, "comment": comment[:500]})
    return review


def cast_vote(session, application: Application, *, vote: str, actor) -> Review:
    application = _locked(session, application)
    if application.status is not S.IN_REVIEW:
        raise InvalidTransition(f"Votes are cast while an application is in review; "
                                f"{application.reference} is {application.status.label.lower()}.")
    _check_reviewer(actor)
    conflicts.refuse(application, actor, "vote")
    vote = Vote(vote)
    review = _review_row(session, application, actor)
    before = review.vote
    review.vote, review.voted_at = vote.value, utcnow()
    audit.record(session, actor, "grant.voted", "grant_application", application.id,
                 summary=f"{application.reference}: {vote.value}", before={"vote": before},
                 after={"vote": vote.value})
    return review


@dataclass(frozen=True)
class Tally:
    yes: int
    no: int
    abstain: int
    quorum: int

    @property
    def cast(self) -> int:
        return self.yes + self.no + self.abstain

    @property
    def quorate(self) -> bool:
        return self.cast >= self.quorum

    @property
    def carried(self) -> bool:
        return self.quorate and self.yes > self.no


def tally(application: Application) -> Tally:
    """Votes of members without a conflict (``conflicts.conflict_of``, also one that arose
    after the vote); abstentions count toward the quorum only."""
    votes = [r.vote for r in application.reviews
             if r.vote and conflicts.conflict_of(application, r.reviewer) is None]
    return Tally(votes.count("yes"), votes.count("no"), votes.count("abstain"),
                 application.programme.quorum)


def request_information(session, application: Application, *, question: str,
                        actor) -> Application:
    application = _locked(session, application)
    _check(application, "request_information")
    question = _required_text(question, "question", "write the question for the applicant", 5000)
    _transition(session, application, "request_information", actor, reason=question)
    return application


def start_review(session, application: Application, *, actor) -> Application:
    application = _locked(session, application)
    _transition(session, application, "start_review", actor)
    return application


# --- deciding ------------------------------------------------------------------------------------

def has_overdue_report(session, *, group_id: int | None, email: str | None,
                       exclude_id: int | None = None) -> Application | None:
    """An earlier grant of the same group (or, without a group, the same contact) whose report
    back is overdue."""
    condition = (Application.group_id == group_id) if group_id is not None else \
        (Application.contact_email == email)
    statement = select(Application).where(condition, Application.status == S.REPORT_OVERDUE)
    if exclude_id is not None:
        statement = statement.where(Application.id != exclude_id)
    return session.scalar(statement.limit(1))


def awarded_in_year(session, programme_id: int, year: int) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(Application.amount_awarded), 0))
                              .where(Application.programme_id == programme_id,
                                     Application.budget_year == year)) or 0)


def available_in_fund(session, programme: Programme) -> int:
    return fund_balance(session, programme.fund_id, date.max).get(programme.currency, 0)


def _commit(session, application: Application, amount: int, actor, day: date, what: str):
    fund = application.programme.fund
    money = Money(amount, application.currency)
    return ledger.post_entry(
        session, booking_date=day, actor=actor, source=("grant", application.id),
        description=f"Grant {application.reference} to {application.applicant_name}: {what}",
        lines=[ledger.Line(ledger.account_by_role(session, GRANTS_EXPENSE_ROLE), fund, money,
                           application.title[:200] or None),
               ledger.Line(ledger.account_by_role(session, GRANTS_PAYABLE_ROLE), fund, -money,
                           application.applicant_name[:200] or None)])


def approve(session, application: Application, *, amount: Money, actor, conditions: str = "",
            board_resolution_ref: str = "", note: str = "",
            today: date | None = None) -> Application:
    """Award ``amount`` (at most what was asked) and commit it in the programme's fund."""
    today = today or date.today()
    application = _locked(session, application)
    _check(application, "approve")
    conflicts.refuse(application, actor, "approve")
    programme = session.scalars(select(Programme).where(Programme.id == application.programme_id)
                                .with_for_update(of=Programme)).one()  # one approval at a time
    currency = application.currency
    if amount.currency != currency:
        raise ValidationError(f"Give the amount in {currency}.", field="amount")
    if amount.amount <= 0:
        raise ValidationError("The amount awarded must be positive; reject the application "
                              "instead.", field="amount")
    if application.amount_requested is not None and amount.amount > application.amount_requested:
        raise ValidationError(f"The award cannot be more than the "
                              f"{Money(application.amount_requested, currency).format()} asked for.",
                              field="amount")
    if amount.amount > programme.max_per_grant:
        raise ValidationError(f"The {programme.name} gives at most "
                              f"{Money(programme.max_per_grant, currency).format()} per grant.",
                              field="amount")
    votes = tally(application)
    if not votes.quorate:
        raise ValidationError(f"The committee has not reached its quorum: {votes.cast} of "
                              f"{votes.quorum} votes cast.")
    if not votes.carried:
        raise ValidationError(f"The committee did not vote for it ({votes.yes} yes, {votes.no} "
                              f"no, {votes.abstain} abstentions).")
    board_resolution_ref = board.require_resolution(
        session, application, reference=board_resolution_ref, amount=amount, actor=actor)
    overdue = has_overdue_report(session, group_id=application.group_id,
                                 email=application.contact_email, exclude_id=application.id)
    if overdue is not None:
        raise ValidationError(f"The report back for grant {overdue.reference} is overdue: no new "
                              "grant until it is in.")
    budget = session.scalar(select(Budget).where(Budget.programme_id == programme.id,
                                                 Budget.year == today.year))
    if budget is None:
        raise ValidationError(f"The {programme.name} has no budget for {today.year}.",
                              field="amount")
    already = awarded_in_year(session, programme.id, today.year)
    if already + amount.amount > budget.amount:
        left = Money(budget.amount - already, currency).format()
        raise ValidationError(f"This would exceed the {programme.name}'s {today.year} budget: "
                              f"{left} is left.", field="amount")
    # The fund's lock: no other award, claim or payout spends from it until this one commits.
    available = ledger_spending.locked_available(session, programme.fund, currency)
    if amount > available:
        raise ValidationError(f"Fund {programme.fund.code} has only {available.format()} "
                              "available.", field="amount")
    entry = _commit(session, application, amount.amount, actor, today, "commitment")
    application.amount_awarded = amount.amount
    application.budget_year = today.year
    application.commitment_entry_id = entry.id
    application.board_resolution_ref = board_resolution_ref or None
    application.conditions = (conditions or "").strip() or programme.conditions
    end = application.event_end or application.event_start or today
    application.report_due_on = max(end, today) + timedelta(days=programme.report_days)
    application.decided_at = utcnow()
    _transition(session, application, "approve", actor, reason=(note or "").strip())
    return application


def reject(session, application: Application, *, reason: str, actor) -> Application:
    application = _locked(session, application)
    _check(application, "reject")
    conflicts.refuse(application, actor, "reject")
    reason = _required_text(reason, "reason", "give the applicant a reason", 5000)
    votes = tally(application)
    if not votes.quorate:
        raise ValidationError(f"The committee has not reached its quorum: {votes.cast} of "
                              f"{votes.quorum} votes cast.")
    if votes.carried:
        raise ValidationError(f"The committee voted for the grant ({votes.yes} yes, {votes.no} "
                              "no): approve it, or vote again.")
    application.decided_at = utcnow()
    _transition(session, application, "reject", actor, reason=reason)
    return application


def _recommit(session, application: Application, new_amount: int, reason: str, actor,
              today: date) -> None:
    """Release the commitment (a reversal) and commit what remains, if anything."""
    old = session.get(ledger.JournalEntry, application.commitment_entry_id)
    ledger.reverse_entry(session, old, actor=actor, reason=reason[:200])
    application.commitment_entry_id = None
    if new_amount > 0:
        application.commitment_entry_id = _commit(session, application, new_amount, actor, today,
                                                   "commitment after change").id
    application.amount_awarded = new_amount


def _waiting(application: Application) -> int:
    return sum(d.amount for d in application.disbursements
               if d.status is DisbursementStatus.READY)


def reduce_grant(session, application: Application, *, amount: Money, reason: str, actor,
                 today: date | None = None) -> Application:
    """Lower the award; the difference is released from the commitment."""
    today = today or date.today()
    application = _locked(session, application)
    if application.status is not S.APPROVED:
        raise InvalidTransition(f"Only an approved grant that is not fully paid can be reduced; "
                                f"{application.reference} is {application.status.label.lower()}.")
    conflicts.refuse(application, actor, "reduce")
    reason = _required_text(reason, "reason", "say why the grant is reduced", 2000)
    if amount.currency != application.currency:
        raise ValidationError(f"Give the amount in {application.currency}.", field="amount")
    floor = application.amount_paid + _waiting(application)
    previous = application.amount_awarded
    if not floor <= amount.amount < previous:
        raise ValidationError(
            f"Give an amount below {Money(previous, application.currency).format()} and not "
            f"below what is paid or waiting to be paid "
            f"({Money(floor, application.currency).format()}).", field="amount")
    if amount.amount == 0:
        raise ValidationError("To take the whole grant back, cancel it.", field="amount")
    _recommit(session, application, amount.amount, f"grant {application.reference} reduced",
              actor, today)
    _event(session, application, "reduced", actor, reason=reason)
    audit.record(session, actor, "grant.reduced", "grant_application", application.id,
                 summary=f"{application.reference}: {reason[:200]}",
                 before={"amount_awarded": previous}, after={"amount_awarded": amount.amount})
    applicant_mail(session, application, "reduced", reason=reason, previous=previous)
    if application.amount_paid == application.amount_awarded:
        _transition(session, application, "paid", actor)
    return application


def cancel_grant(session, application: Application, *, reason: str, actor,
                 today: date | None = None) -> Application:
    """Cancel an approved grant of which nothing was paid; its commitment is reversed."""
    today = today or date.today()
    application = _locked(session, application)
    _check(application, "cancel")
    conflicts.refuse(application, actor, "cancel")
    reason = _required_text(reason, "reason", "say why the grant is cancelled", 2000)
    if application.amount_paid:
        raise ValidationError("Part of this grant is paid already: reduce it to the amount paid "
                              "instead of cancelling it.")
    for disbursement in application.disbursements:
        if disbursement.status is DisbursementStatus.READY:
            _check_not_in_batch(session, disbursement)
            disbursement.status = DisbursementStatus.CANCELLED
    _recommit(session, application, 0, f"grant {application.reference} cancelled", actor, today)
    _transition(session, application, "cancel", actor, reason=reason)
    return application


# --- paying ----------------------------------------------------------------------------------------

def create_disbursement(session, application: Application, *, amount: Money | None = None,
                        actor) -> Disbursement:
    """Make (part of) the award payable: it waits in the payout list for a payout batch."""
    application = _locked(session, application)
    if application.status is not S.APPROVED:
        raise InvalidTransition(f"Application {application.reference} is "
                                f"{application.status.label.lower()}: there is nothing to pay.")
    left = application.outstanding - _waiting(application)
    money = amount or Money(left, application.currency)
    if money.currency != application.currency:
        raise ValidationError(f"Give the amount in {application.currency}.", field="amount")
    if not 0 < money.amount <= left:
        raise ValidationError(f"Give an amount between 0 and "
                              f"{Money(left, application.currency).format()} (what is neither "
                              "paid nor waiting to be paid).", field="amount")
    if not application.iban or not application.account_holder:
        raise ValidationError("The application has no bank account to pay to.")
    number = len(application.disbursements) + 1
    organisation = current_app.config["ORGANISATION_NAME"]
    disbursement = Disbursement(
        application=application, amount=money.amount, currency=money.currency,
        fund_id=application.programme.fund_id, payee_name=application.account_holder[:70],
        iban=application.iban, created_by_id=getattr(actor, "id", None),
        end_to_end_id=f"GRANT-{application.id}-{number}",
        remittance=f"{organisation[:50]} grant {application.reference} "
                   f"{application.title}"[:140])
    session.add(disbursement)
    session.flush()
    audit.record(session, actor, "grant.disbursement_created", "grant_application",
                 application.id, summary=f"{application.reference}: {money} ready for payout",
                 after={"disbursement": disbursement.id, "amount": money.amount})
    return disbursement


def _check_not_in_batch(session, disbursement: Disbursement) -> None:
    batch = payouts.batch_of(session, disbursement)
    if batch is not None:
        raise InvalidTransition(f"Payment {disbursement.end_to_end_id} is in payout batch {batch}; "
                                "cancel the batch first.")


def cancel_disbursement(session, disbursement: Disbursement, *, actor) -> Disbursement:
    if disbursement.status is not DisbursementStatus.READY:
        raise InvalidTransition("Only a payment that waits for its payout can be cancelled.")
    _check_not_in_batch(session, disbursement)
    disbursement.status = DisbursementStatus.CANCELLED
    audit.record(session, actor, "grant.disbursement_cancelled", "grant_application",
                 disbursement.application_id, summary=f"payment {disbursement.end_to_end_id}")
    return disbursement


def _locked_payment(session, disbursement: Disbursement, status: DisbursementStatus,
                    what: str) -> tuple[Disbursement, Application]:
    """The payment and its application re-read under row locks; the payment must be ``status``."""
    disbursement = session.scalars(select(Disbursement).where(Disbursement.id == disbursement.id)
                                   .with_for_update(of=Disbursement)
                                   .execution_options(populate_existing=True)).one()
    if disbursement.status is not status:
        raise InvalidTransition(f"Payment {disbursement.end_to_end_id} is "
                                f"{disbursement.status.value}, not {what}.")
    return disbursement, _locked(session, disbursement.application)


def record_payment(session, disbursement: Disbursement, *, batch_ref: str, paid_on: date,
                   entry_id: int, actor) -> Disbursement:
    """The payout hook: this payment left the bank in the batch ``batch_ref``; ``entry_id`` is the
    batch's ledger entry (Dr grants payable / Cr bank). The grant is paid once its payments reach
    the award."""
    disbursement, application = _locked_payment(session, disbursement, DisbursementStatus.READY,
                                                "waiting for payout")
    money = Money(disbursement.amount, disbursement.currency)
    disbursement.status = DisbursementStatus.PAID
    disbursement.batch_ref, disbursement.paid_on = batch_ref, paid_on
    disbursement.entry_id = entry_id
    application.amount_paid += disbursement.amount
    _event(session, application, "payment", actor,
           reason=f"{money.format()} paid ({batch_ref})")
    audit.record(session, actor, "grant.paid_out", "grant_application", application.id,
                 summary=f"{application.reference}: {money} in {batch_ref}",
                 after={"disbursement": disbursement.id, "entry": entry_id})
    if application.amount_paid == application.amount_awarded:
        _transition(session, application, "paid", actor)
    else:
        applicant_mail(session, application, "payment", amount=disbursement.amount)
    return disbursement


def record_return(session, disbursement: Disbursement, *, reason: str, returned_on: date,
                  actor) -> Disbursement:
    """The payout hook for a transfer the bank sent back (``expenses.returns``; the books owe
    the payment again already): the payment waits for the next payout batch, the grant counts
    it as unpaid (a fully paid grant is approved again) and the applicant is asked to check the
    account. ``reason`` is what the bank said, in words."""
    disbursement, application = _locked_payment(session, disbursement, DisbursementStatus.PAID,
                                                "paid")
    money = Money(disbursement.amount, disbursement.currency)
    batch_ref = disbursement.batch_ref
    disbursement.status = DisbursementStatus.READY
    disbursement.batch_ref = disbursement.paid_on = disbursement.entry_id = None
    application.amount_paid -= disbursement.amount
    text = (f"{money.format()} ({batch_ref}) returned by the bank on {returned_on.isoformat()}: "
            f"{reason}")
    if can_do(application, "payment_returned"):
        _transition(session, application, "payment_returned", actor, reason=text, mail=False)
    else:
        _event(session, application, "payment_returned", actor, reason=text)
    audit.record(session, actor, "grant.payment_returned", "grant_application", application.id,
                 summary=f"{application.reference}: {text}"[:500],
                 after={"disbursement": disbursement.id, "status": DisbursementStatus.READY})
    applicant_mail(session, application, "payment_returned", reason=reason,
                   amount=disbursement.amount, iban=disbursement.iban)
    return disbursement


def correct_payee(session, disbursement: Disbursement, *, iban: str, payee_name: str,
                  actor) -> Disbursement:
    """The treasurer corrects where a waiting payment goes (after a return, the applicant sent
    the right account); the application keeps the new account for later payments too."""
    if disbursement.status is not DisbursementStatus.READY:
        raise InvalidTransition("Only a payment that waits for its payout can be changed.")
    _check_not_in_batch(session, disbursement)
    iban, _bic = normalise_iban(iban)
    payee_name = _required_text(payee_name, "payee_name", "give the account holder's name", 70)
    before = {"iban": disbursement.iban, "payee_name": disbursement.payee_name}
    if before == {"iban": iban, "payee_name": payee_name}:
        raise ValidationError("That is the account the payment already goes to.", field="iban")
    application = _locked(session, disbursement.application)
    disbursement.iban, disbursement.payee_name = iban, payee_name
    application.iban, application.account_holder = iban, payee_name
    session.flush()
    _event(session, application, "account_corrected", actor, public=False,
           reason=f"payment {disbursement.end_to_end_id} now goes to {iban}")
    audit.record(session, actor, "grant.payee_corrected", "grant_application", application.id,
                 summary=f"{application.reference}: payment {disbursement.end_to_end_id} to "
                         f"{iban}", before=before, after={"iban": iban, "payee_name": payee_name})
    return disbursement


# --- reporting back ----------------------------------------------------------------------------------

def submit_report(session, application: Application, *, narrative: str,
                  attendance: int | None, amount_spent: Money, unused: Money, uploads=(),
                  actor) -> Report:
    application = _locked(session, application)
    _check(application, "report")
    narrative = _required_text(narrative, "narrative", "tell us how it went", 20000)
    if attendance is None or attendance < 0:
        raise ValidationError("Give the number of people who took part.", field="attendance")
    for name, money in (("amount_spent", amount_spent), ("unused", unused)):
        if money.currency != application.currency or money.amount < 0:
            raise ValidationError(f"Give an amount in {application.currency}, zero or more.",
                                  field=name)
    if unused.amount > application.amount_paid:
        raise ValidationError("The unused amount cannot be more than the grant paid "
                              f"({Money(application.amount_paid, application.currency).format()}).",
                              field="unused")
    if not uploads:
        raise ValidationError("Attach the receipts (PDF, or photos as JPEG or PNG).",
                              field="receipts")
    _store_files(session, application, list(uploads), "report", actor,
                 allowed=frozenset({"pdf", "jpeg", "png"}), field_name="receipts")
    report = Report(application=application, narrative=narrative, attendance=attendance,
                    amount_spent=amount_spent.amount, unused_amount=unused.amount)
    session.add(report)
    _transition(session, application, "report", actor)
    return report


def close_grant(session, application: Application, *, returned: Money, note: str = "", actor,
                booking_date: date | None = None) -> Application:
    """Accept the report back; money returned to the bank goes back into the programme's fund."""
    booking_date = booking_date or date.today()
    application = _locked(session, application)
    _check(application, "close")
    conflicts.refuse(application, actor, "close")
    report = application.report
    if returned.currency != application.currency or returned.amount < 0:
        raise ValidationError(f"Give the amount returned in {application.currency}.",
                              field="returned")
    if returned.amount > application.amount_paid:
        raise ValidationError("More cannot come back than was paid.", field="returned")
    if returned.amount:
        fund = application.programme.fund
        entry = ledger.post_entry(
            session, booking_date=booking_date, actor=actor, source=("grant_return", application.id),
            description=f"Grant {application.reference}: unused amount returned by "
                        f"{application.applicant_name}",
            lines=[ledger.Line(ledger.account_by_role(session, BANK_ROLE), fund, returned),
                   ledger.Line(ledger.account_by_role(session, GRANTS_EXPENSE_ROLE), fund,
                               -returned)])
        report.returned_entry_id = entry.id
    _transition(session, application, "close", actor, reason=(note or "").strip())
    return application


def run_reminders(session, today: date | None = None) -> dict[str, int]:
    """The daily job: reports become due after the event, reminders go out before and after the
    due date, and reports not in by then become overdue. Safe to run more than once a day."""
    today = today or date.today()
    counts = {"due": 0, "reminded": 0, "overdue": 0, "overdue_reminded": 0}
    before, every = setting("GRANTS_REMIND_DAYS_BEFORE"), setting("GRANTS_REMIND_EVERY_DAYS")
    for application in session.scalars(select(Application).where(Application.status == S.PAID)):
        end = application.event_end or application.event_start
        if end is not None and end <= today:
            _transition(session, application, "report_due", None)
            application.last_reminder_on = today
            counts["due"] += 1
    for application in session.scalars(select(Application).where(
            Application.status == S.REPORT_DUE)):
        if application.report_due_on < today:
            _transition(session, application, "report_overdue", None)
            application.last_reminder_on = today
            counts["overdue"] += 1
        elif (application.report_due_on - today).days <= before and (
                application.last_reminder_on is None
                or (application.report_due_on - application.last_reminder_on).days > before):
            applicant_mail(session, application, "reminder")
            application.last_reminder_on = today
            counts["reminded"] += 1
    for application in session.scalars(select(Application).where(
            Application.status == S.REPORT_OVERDUE)):
        if application.last_reminder_on is None or \
                (today - application.last_reminder_on).days >= every:
            applicant_mail(session, application, "overdue_reminder")
            application.last_reminder_on = today
            counts["overdue_reminded"] += 1
    if any(counts.values()):
        audit.record(session, None, "grant.reminders", "grant_application", None,
                     summary=", ".join(f"{k} {v}" for k, v in counts.items()))
    return counts


def get_application(session, application_id: int) -> Application:
    application = session.get(Application, application_id)
    if application is None:
        raise NotFound("There is no such application.")
    return application
