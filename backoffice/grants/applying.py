"""Applying for a grant: drafts, the public form's checks and limits, submitting, answering the
committee's questions, withdrawing."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..auth.services import normalise_email
from ..core import audit, clock
from ..core.actors import Actor
from ..core.db import utcnow
from ..core.errors import ValidationError
from ..core.i18n import _, ngettext
from ..core.iban import normalise_iban
from ..core.money import Money
from ..core.public_forms import check_rate
from ..core.settings import Grants, Settings
from ..core.uploads import store_upload
from ..groups.models import MemberGroup
from . import access, notify
from .lifecycle import S, check, locked, record_event, required_text, transition
from .models import Application, Attachment, BudgetLine, Programme, Question, QuestionKind, Round

if TYPE_CHECKING:
    from collections.abc import Iterable


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
        super().__init__(_("Some answers are missing or need a second look; see the marked fields."))
        self.errors = errors


def open_round(session: Session, programme: Programme, today: date) -> Round | None:
    return session.scalar(select(Round).where(
        Round.programme_id == programme.id, Round.opens_on <= today, Round.deadline >= today)
        .order_by(Round.deadline).limit(1))


def check_accepting(session: Session, programme: Programme, today: date) -> Round | None:
    """The round an application made today belongs to; ``ValidationError`` when closed."""
    if not programme.accepting:
        raise ValidationError(_("“%(programme)s” is not taking applications at the moment.",
                                programme=programme.name))
    if not programme.uses_rounds:
        return None
    current = open_round(session, programme, today)
    if current is None:
        upcoming = session.scalar(select(Round).where(
            Round.programme_id == programme.id, Round.opens_on > today).order_by(Round.opens_on)
            .limit(1))
        if upcoming is not None:
            raise ValidationError(_("No round of “%(programme)s” is open for applications now. "
                                    "The next round, %(round)s, opens on %(date)s.",
                                    programme=programme.name, round=upcoming.name,
                                    date=upcoming.opens_on.isoformat()))
        raise ValidationError(_("No round of “%(programme)s” is open for applications now.",
                                programme=programme.name))
    return current


def _check_rate(session: Session, kind: str, address: str, email: str, grants: Grants) -> None:
    hour, day = timedelta(hours=1), timedelta(days=1)
    if kind == "application":
        limits = [("address", hour, grants.applications_per_address_per_hour),
                  ("email", day, grants.applications_per_email_per_day)]
    else:
        limits = [("email", hour, grants.links_per_email_per_hour),
                  ("address", hour, 3 * grants.links_per_email_per_hour)]
    check_rate(session, kind, address=address, email=email, limits=limits)


def store_files(session: Session, application: Application, uploads: Iterable[Upload], purpose: str, actor: Actor,
                settings: Settings, allowed: frozenset[str] = frozenset({"pdf"}),
                field_name: str = "attachments") -> None:
    """Store the files of an application, an answer or a report (at most
    ``Settings.grants.max_files`` of each, of ``max_file_bytes`` each)."""
    already = sum(1 for a in application.attachments if a.purpose == purpose)
    if already + len(uploads) > settings.grants.max_files:
        raise ValidationError(_("Attach at most %(count)s files.", count=settings.grants.max_files),
                              field=field_name)
    for upload in uploads:
        try:
            stored = store_upload(session, folder=settings.paths.uploads,
                                  filename=upload.filename, data=upload.data,
                                  allowed=set(allowed), max_bytes=settings.grants.max_file_bytes,
                                  actor=actor if getattr(actor, "id", None) else None)
        except ValidationError as error:
            raise ValidationError(str(error), field=field_name) from None
        application.attachments.append(Attachment(file_id=stored.id, purpose=purpose))


def _apply_input(session: Session, application: Application, data: ApplicationInput) -> None:
    """Copy what was typed onto the application (shape errors raise with their field)."""
    try:
        email = normalise_email(data.contact_email)
    except ValidationError as error:
        raise ValidationError(str(error), field="contact_email") from None
    if data.group_id is not None:
        group = session.get(MemberGroup, data.group_id)
        if group is None or group.status != "active":
            raise ValidationError(_("Choose one of the member groups listed."), field="group_id")
    currency = application.programme.currency
    for _line, amount in data.budget_lines:
        if amount.currency != currency:
            raise ValidationError(_("Budget amounts are in %(currency)s.", currency=currency), field="budget_lines")
    if data.amount_requested is not None and data.amount_requested.currency != currency:
        raise ValidationError(_("The amount is in %(currency)s.", currency=currency), field="amount_requested")
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
    required = {"applicant_name": _("Name the group or project that applies."),
                "contact_name": _("Give the name of the contact person."),
                "title": _("Name the event or purpose."),
                "description": _("Describe what the money is for."),
                "account_holder": _("Give the account holder's name."),
                "iban": _("Give the IBAN the grant should be paid to.")}
    for name, message in required.items():
        if not getattr(a, name):
            errors[name] = message
    if a.event_start is None:
        errors["event_start"] = _("Give the date of the event (or when the work starts).")
    elif a.event_end is not None and a.event_end < a.event_start:
        errors["event_end"] = _("The end date is before the start date.")
    elif p.min_lead_days and (a.event_start - today).days < p.min_lead_days:
        errors["event_start"] = ngettext(
            "Applications to “%(programme)s” must arrive at least %(num)s day before the event "
            "(that is by %(date)s).",
            "Applications to “%(programme)s” must arrive at least %(num)s days before the event "
            "(that is by %(date)s).", p.min_lead_days, programme=p.name,
            date=(a.event_start - timedelta(days=p.min_lead_days)).isoformat())
    if a.expected_attendance is None:
        errors["expected_attendance"] = _("Estimate how many people will take part.")
    if not a.budget_lines:
        errors["budget_lines"] = _("Add at least one budget line with what the money pays for.")
    most = Money(p.max_per_grant, a.currency)
    if a.amount_requested is None:
        errors["amount_requested"] = _("Give the amount you ask for.")
    elif a.amount_requested > p.max_per_grant:
        errors["amount_requested"] = _("A grant from “%(programme)s” is at most %(amount)s.",
                                       programme=p.name, amount=most)
    elif a.budget_lines and a.amount_requested > a.budget_total:
        errors["amount_requested"] = _("The amount asked for is more than the budget's total "
                                       "(%(total)s).",
                                       total=Money(a.budget_total, a.currency))
    for question in p.questions:
        if not question.active:
            continue
        value = (a.answers or {}).get(question.key)
        if value in (None, "") and question.required:
            errors[question.key] = _("Please answer this question.")
        elif value not in (None, "") and (problem := answer_problem(question, value)):
            errors[question.key] = problem
    if a.round is not None and a.round.deadline < today:
        errors["_form"] = _("The deadline of %(round)s was %(date)s; the application can no "
                            "longer be submitted in it.", round=a.round.name,
                            date=a.round.deadline.isoformat())
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
    for name, message in completeness_errors(draft, today or clock.today()).items():
        problems.setdefault(name, message)
    return problems


def answer_problem(question: Question, value: str) -> str | None:
    if question.kind is QuestionKind.NUMBER:
        try:
            float(str(value).replace(",", "."))
        except ValueError:
            return _("Enter a number.")
    elif question.kind is QuestionKind.CHOICE and value not in question.choice_list:
        return _("Choose one of the options.")
    elif question.kind is QuestionKind.YES_NO and value not in ("yes", "no"):
        return _("Answer yes or no.")
    return None


def save_application(session: Session, *, data: ApplicationInput, uploads: Iterable[Upload] = (), remove_files: Iterable[int] = (),
                     submit: bool = False, programme: Programme | None = None,
                     application: Application | None = None, user: Actor | None = None,
                     address: str = "unknown", today: date | None = None,
                     settings: Settings) -> Application:
    """Create a draft (``programme``) or update one (``application``), then submit it if asked.

    Refused input raises with nothing stored. A new draft counts against the per-address and
    per-email limits and emails the applicant their secret link.
    """
    today = today or clock.today()
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
        application = locked(session, application)
        check(application, "edit")
    _apply_input(session, application, data)
    if new:
        _check_rate(session, "application", address, application.contact_email, settings.grants)
        session.add(application)
        session.flush()
    actor = user or access.Applicant(application.contact_email)
    for attachment in list(application.attachments):
        if attachment.id in set(remove_files) and attachment.purpose == "application":
            application.attachments.remove(attachment)
    store_files(session, application, list(uploads), "application", actor, settings)
    session.flush()
    if new:
        record_event(session, application, "created", actor)
        audit.record(session, actor, "grant.created", "grant_application", application.id,
                     summary=f"{application.reference} draft to {application.programme.name}")
    if submit:
        submit_application(session, application, actor=actor, today=today, settings=settings)
    elif new:
        notify.applicant_mail(session, application, "created", settings=settings)
    return application


def submit_application(session: Session, application: Application, *, actor: Actor,
                       today: date | None = None, settings: Settings) -> Application:
    """Submit a complete draft (``IncompleteApplication`` lists everything still missing)."""
    today = today or clock.today()
    check(application, "submit")
    errors = completeness_errors(application, today)
    if errors:
        raise IncompleteApplication(errors)
    application.submitted_at = utcnow()
    transition(session, application, "submit", actor, settings=settings)
    return application


def withdraw(session: Session, application: Application, *, actor: Actor, reason: str = "",
             settings: Settings) -> Application:
    application = locked(session, application)
    transition(session, application, "withdraw", actor, reason=(reason or "").strip()[:2000],
               settings=settings)
    return application


def answer_information(session: Session, application: Application, *, answer: str, uploads: Iterable[Upload] = (),
                       actor: Actor, settings: Settings) -> Application:
    application = locked(session, application)
    check(application, "answer")
    answer = required_text(answer, "answer", _("Please write your answer."), 10000)
    store_files(session, application, list(uploads), "answer", actor, settings,
                field_name="files")
    transition(session, application, "answer", actor, reason=answer, settings=settings)
    return application


def send_links(session: Session, email: str, *, address: str, settings: Settings) -> int:
    """Email the applicant the links to their applications; silent when there are none."""
    try:
        email = normalise_email(email)
    except ValidationError as error:
        raise ValidationError(str(error), field="email") from None
    _check_rate(session, "link", address, email, settings.grants)
    applications = session.scalars(select(Application).where(Application.contact_email == email)
                                   .order_by(Application.id.desc()).limit(20)).all()
    if applications:
        notify.links(session, email, applications, settings=settings)
    return len(applications)
