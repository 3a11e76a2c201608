"""Recurring plans: started by a subscription Checkout, kept in step with Stripe's events,
cancelled by the donor (a signed link) or the treasurer (the app asks Stripe to end the
subscription; Stripe's ``customer.subscription.deleted`` then finds it cancelled already)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import stripe
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..core import audit
from ..core.actors import Actor
from ..core.db import transaction, utcnow
from ..core.errors import DomainError, NotFound, ValidationError
from ..core.i18n import _, source
from ..payments import stripe_api
from .donors import of_checkout
from .models import LABELS, PLAN_STATES, DonationCheckout, PlanStatus, RecurringPlan

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
        raise NotFound(_("This link is not valid.")) from None
    plan = session.get(RecurringPlan, plan_id) if isinstance(plan_id, int) else None
    if plan is None or plan.stripe_subscription != subscription:
        raise NotFound(_("This link is not valid."))
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
                 summary=f"{plan.ref} {plan.money} {source(LABELS[plan.interval]).lower()} from "
                         f"{donor.ref} ({subscription_id})")
    return plan


def mark_cancelled(session: Session, plan: RecurringPlan, *, actor: Actor, reason: str) -> bool:
    """Record the plan as cancelled (once): False if it was already. A cancellation asked for
    in the app (``cancel``) keeps who asked and why, also when Stripe's
    ``customer.subscription.deleted`` is what finishes it."""
    if plan.status is PlanStatus.CANCELLED:
        return False
    PLAN_STATES.apply(plan, "cancel")
    plan.cancelled_at = utcnow()
    if not plan.cancel_reason:
        plan.cancelled_by_id = getattr(actor, "id", None)
        plan.cancel_reason = reason[:200]
    session.flush()
    audit.record(session, actor, "donation.plan_cancelled", "recurring_plan", plan.id,
                 summary=f"{plan.ref}: {plan.cancel_reason}")
    return True


def cancel_requested(plan: RecurringPlan) -> bool:
    """Asked for in the app, not yet confirmed: Stripe may still be collecting."""
    return plan.status is not PlanStatus.CANCELLED and bool(plan.cancel_reason)


def request_cancel(session: Session, plan: RecurringPlan, *, actor: Actor, reason: str) -> None:
    """The first step of ``cancel``, in its own short unit of work: who asked and why (the
    first request's words are kept); the plan runs on until Stripe ended its subscription."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why the plan ends."), field="reason")
    PLAN_STATES.check(plan, "cancel")
    if not plan.cancel_reason:
        plan.cancel_reason = reason[:200]
        plan.cancelled_by_id = getattr(actor, "id", None)
        session.flush()
        audit.record(session, actor, "donation.plan_cancel_requested", "recurring_plan", plan.id,
                     summary=f"{plan.ref}: {plan.cancel_reason}")


class StripeRefused(DomainError):
    """Stripe did not end the subscription (it answered an error, or not at all)."""


def end_subscription(config: Stripe, subscription_id: str) -> None:
    """Ask Stripe to end the subscription, outside any unit of work: the same idempotency key
    every time, and one ended already (a retry after the key expired) counts as done."""
    try:
        stripe_api.cancel_subscription(config, subscription_id,
                                       idempotency_key=f"cancel-{subscription_id}")
    except stripe.StripeError as error:
        try:
            ended = stripe_api.retrieve_subscription(config, subscription_id).get("status")
        except stripe.StripeError:
            ended = None
        if ended != "canceled":
            said = error.user_message or type(error).__name__
            raise StripeRefused(_("Stripe did not end the subscription (%(said)s); the plan "
                                  "runs on. Try again.", said=said)) from None


def cancel(session: Session, plan: RecurringPlan, *, actor: Actor, reason: str,
           config: Stripe) -> RecurringPlan:
    """End the plan in three steps, never calling Stripe inside a unit of work: the request is
    recorded (``request_cancel``) and committed; Stripe ends the subscription
    (``end_subscription``); the plan is recorded cancelled. A failure after the first step
    leaves the plan running with the request on it (``cancel_requested``): asking again, the
    ``donations.plans.finish`` job (hourly) or Stripe's ``customer.subscription.deleted`` finishes it,
    once. Asking when it is cancelled already is calm. Call outside a unit of work (a view's
    ``run_form`` is one only in name here: each step commits)."""
    with transaction(session):
        request_cancel(session, plan, actor=actor, reason=reason)
        subscription, plan_id = plan.stripe_subscription, plan.id
    if subscription:
        end_subscription(config, subscription)
    with transaction(session):
        plan = session.get(RecurringPlan, plan_id)
        mark_cancelled(session, plan, actor=actor, reason=plan.cancel_reason)
    return plan


def finish_requested(session: Session, config: Stripe) -> int:
    """Finish the cancellations asked for whose Stripe step did not complete (a crash, Stripe
    down); how many were finished. Each in its own steps, as ``cancel``."""
    ids = list(session.scalars(select(RecurringPlan.id).where(
        RecurringPlan.status != PlanStatus.CANCELLED, RecurringPlan.cancel_reason != "")))
    session.rollback()
    done = 0
    for plan_id in ids:
        plan = session.get(RecurringPlan, plan_id)
        try:
            cancel(session, plan, actor=None, reason=plan.cancel_reason, config=config)
        except StripeRefused:
            continue
        done += 1
    return done

