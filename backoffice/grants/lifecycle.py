"""A grant application's life, from the draft to the closed grant. No HTTP in here.

States (``models.Status``) and the only ways between them:

    draft -> submitted <-> information requested
    submitted -> in review -> approved | rejected          (withdrawn from any state before)
    approved -> paid (when payments reach the award) -> report due -> report overdue
    paid | report due | report overdue -> report received -> closed
    approved -> cancelled (nothing paid yet)

Every transition is a function in the module of its phase (``applying``, ``reviewing``,
``deciding``, ``paying``, ``reporting``): it checks the state, records who, when and why (an
``Event`` and the audit log, through ``transition`` here), posts to the ledger where money moves
and emails the applicant.

Ledger: approval commits the grant in the programme's fund (Dr grants expense / Cr grants
payable), so the fund's available balance drops at once. A payment (through a payout batch) is
Dr grants payable / Cr bank. A reduced or cancelled grant reverses its commitment entry and, if
anything remains awarded, commits the new amount again. Unused money returned after the report is
Dr bank / Cr grants expense.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core import audit
from ..core.actors import Actor
from ..core.db import utcnow
from ..core.errors import NotFound, ValidationError
from ..core.i18n import _, source
from ..core.settings import Settings
from .models import APPLICATION_STATES, Application, Event, Status
from .notify import applicant_mail

S = Status
GRANTS_EXPENSE_ROLE = "grants_expense"
GRANTS_PAYABLE_ROLE = "grants_payable"
BANK_ROLE = "bank"

#: Which email each transition sends (the action's own name unless listed).
MAIL_FOR = {"submit": "submitted", "request_information": "information_requested",
            "start_review": "review_started", "approve": "approved", "reject": "rejected",
            "withdraw": "withdrawn", "cancel": "cancelled", "report": "report_received",
            "answer": "answered", "close": "closed"}


def can_do(application: Application, action: str) -> bool:
    return APPLICATION_STATES.can(application, action)


def check(application: Application, action: str) -> None:
    """Refuse ``action`` unless the application's state allows it (``APPLICATION_STATES``)."""
    APPLICATION_STATES.check(application, action)


def _actor_label(actor: Actor | None) -> str:
    return getattr(actor, "email", None) or "system"


def record_event(session: Session, application: Application, action: str, actor: Actor | None, *,
                 reason: str = "", public: bool = True, before: Status | None = None) -> Event:
    event = Event(application=application, actor_id=getattr(actor, "id", None),
                  actor_label=_actor_label(actor), action=action,
                  from_status=before.value if before else None,
                  to_status=application.status.value if before else None,
                  reason=reason, public=public)
    session.add(event)
    return event


def transition(session: Session, application: Application, action: str, actor: Actor | None, *,
               settings: Settings, reason: str = "", mail: bool = True) -> None:
    """Move the application along ``action``: event, audit record and the applicant's email
    (``settings`` for the email: the organisation, the applicant's link)."""
    before = APPLICATION_STATES.apply(application, action)
    application.updated_at = utcnow()
    session.flush()
    record_event(session, application, action, actor, reason=reason, before=before)
    audit.record(session, actor, f"grant.{action}", "grant_application", application.id,
                 summary=f"{application.reference}: {source(before.label)} → "
                         f"{source(application.status.label)}"
                         + (f" ({reason[:200]})" if reason else ""),
                 before={"status": before}, after={"status": application.status})
    if mail:
        applicant_mail(session, application, MAIL_FOR.get(action, action), reason=reason,
                       settings=settings)


def locked(session: Session, application: Application) -> Application:
    """Re-read the application under a row lock (a double click, two reviewers at once)."""
    return session.scalars(select(Application).where(Application.id == application.id)
                           .with_for_update(of=Application)
                           .execution_options(populate_existing=True)).one()


def required_text(value: str, field_name: str, missing: str, limit: int = 2000) -> str:
    """``value`` stripped; ``missing`` (a whole sentence) when it is empty."""
    value = (value or "").strip()
    if not value:
        raise ValidationError(missing, field=field_name)
    if len(value) > limit:
        raise ValidationError(_("Please keep it under %(limit)s characters.", limit=limit),
                              field=field_name)
    return value


def get_application(session: Session, application_id: int) -> Application:
    application = session.get(Application, application_id)
    if application is None:
        raise NotFound(_("There is no such application."))
    return application
