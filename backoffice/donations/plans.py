"""Recurring plans: started by a subscription Checkout, kept in step with Stripe's events,
cancelled by the donor (a signed link) or the treasurer (the app asks Stripe to end the
subscription; Stripe's ``customer.subscription.deleted`` then finds it cancelled already)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..core import audit
from ..core.actors import Actor
from ..core.db import utcnow
from ..core.errors import NotFound, ValidationError
from ..payments import stripe_api
from .donors import of_checkout
from .models import PLAN_STATES, DonationCheckout, PlanStatus, RecurringPlan

if TYPE_CHECKING:
    from ..core.settings import Stripe

SALT = "donation-plan"


def link_token(secret_key: str, plan: RecurringPlan) -> str:
    """The signed token of the donor's link to their plan (in every mail about it)."""
    return URLSafeSerializer(secret_key, salt=SALT).dumps([plan.id, plan.stripe_subscription])


def plan_of_token(session: Session, secret_key: str, token: str) -> RecurringPlan:
    try:
        plan_id, subscription = URLSafeSerializer(secret_key, salt=SALT).loads(token or "")
    except (BadSignature, TypeError, ValueError):
        raise NotFound("This link is not valid.") from None
    plan = session.get(RecurringPlan, plan_id) if isinstance(plan_id, int) else None
    if plan is None or plan.stripe_subscription != subscription:
        raise NotFound("This link is not valid.")
    return plan


def by_subscription(session: Session, subscription_id: str | None) -> RecurringPlan | None:
    if not subscription_id:
        return None
    return session.scalar(select(RecurringPlan)
                          .where(RecurringPlan.stripe_subscription == subscription_id))


def ensure(session: Session, checkout: DonationCheckout, subscription_id: str,
           customer: str | None) -> RecurringPlan:
    """The plan of this subscription, created once from its checkout (whichever event comes
    first: the completed checkout or the first paid invoice)."""
    plan = by_subscription(session, subscription_id)
    if plan is not None:
        return plan
    donor = of_checkout(session, checkout)
    plan = RecurringPlan(donor_id=donor.id, fund_id=checkout.fund_id, amount=checkout.amount,
                         currency=checkout.currency, interval=checkout.interval,
                         status=PlanStatus.ACTIVE, stripe_subscription=subscription_id,
                         stripe_customer=customer, receipt_wanted=checkout.receipt_wanted,
                         public_name=checkout.public_name)
    try:
        with session.begin_nested():
            session.add(plan)
            session.flush()
    except IntegrityError:  # a concurrent event made it
        return by_subscription(session, subscription_id)
    checkout.plan_id = plan.id
    audit.record(session, None, "donation.plan_started", "recurring_plan", plan.id,
                 summary=f"{plan.ref} {plan.money} {plan.interval.label.lower()} from "
                         f"{donor.ref} ({subscription_id})")
    return plan


def mark_cancelled(session: Session, plan: RecurringPlan, *, actor: Actor, reason: str) -> bool:
    """Record the plan as cancelled (once): False if it was already."""
    if plan.status is PlanStatus.CANCELLED:
        return False
    PLAN_STATES.apply(plan, "cancel")
    plan.cancelled_at = utcnow()
    plan.cancelled_by_id = getattr(actor, "id", None)
    plan.cancel_reason = reason[:200]
    session.flush()
    audit.record(session, actor, "donation.plan_cancelled", "recurring_plan", plan.id,
                 summary=f"{plan.ref}: {reason}")
    return True


def cancel(session: Session, plan: RecurringPlan, *, actor: Actor, reason: str,
           config: Stripe) -> RecurringPlan:
    """End the plan: Stripe ends the subscription (no further payments), then it is recorded
    cancelled. Asking twice is calm (the second finds it cancelled)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why the plan ends.", field="reason")
    PLAN_STATES.check(plan, "cancel")
    if plan.stripe_subscription:
        stripe_api.cancel_subscription(config, plan.stripe_subscription,
                                       idempotency_key=f"cancel-{plan.stripe_subscription}")
    mark_cancelled(session, plan, actor=actor, reason=reason)
    return plan
