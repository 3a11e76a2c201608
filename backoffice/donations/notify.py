"""What donors are told by mail (``templates/donations/emails``), through the outbox."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..core.db import transaction
from ..core.mail import queue_mail
from ..core.queue import job
from ..core.settings import Settings
from ..core.templates import render_email
from ..core.urls import absolute_url
from ..extensions import db
from ..extensions import settings as app_settings
from . import plans
from .models import Donor, RecurringFailure, RecurringPlan


def plan_link(settings: Settings, plan: RecurringPlan) -> str:
    """The donor's signed link to their plan (to see it and cancel it)."""
    return absolute_url(settings, "donations.my_plan",
                        token=plans.link_token(settings.secret_key, plan))


def _tell(session: Session, donor: Donor, template: str, **values: object) -> None:
    if donor.email:
        queue_mail(session, donor.email, *render_email(
            f"donations/emails/{template}.txt", donor=donor, **values))


def payment_failed(session: Session, failure: RecurringFailure, settings: Settings) -> None:
    plan = failure.plan
    _tell(session, plan.donor, "payment_failed", plan=plan, failure=failure,
          link=plan_link(settings, plan), organisation=settings.organisation.name)


def plan_cancelled(session: Session, plan: RecurringPlan, settings: Settings) -> None:
    _tell(session, plan.donor, "plan_cancelled", plan=plan,
          organisation=settings.organisation.name)


@job("donations.tell_payment_failed")
def tell_payment_failed(failure_id: int) -> None:
    """The donor hears of a failed recurring payment (once: the failure is marked told)."""
    with Session(db.engine) as session, transaction(session):
        failure = session.get(RecurringFailure, failure_id)
        if failure is None or failure.told:
            return
        payment_failed(session, failure, app_settings())
        failure.told = True
