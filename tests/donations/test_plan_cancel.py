"""The treasurer (and the donor's link) end a recurring plan without calling Stripe inside a
unit of work: the request is committed first, Stripe is asked outside any transaction, then the
plan is recorded cancelled. Stripe failing or the process dying between the steps leaves the
plan running with the request on it, and asking again, the hourly job or Stripe's
``customer.subscription.deleted`` finishes it once, with the words of who asked."""
from __future__ import annotations

from sqlalchemy import select

from backoffice.core.audit import AuditEvent
from backoffice.core.permissions import Role
from backoffice.donations import plans
from backoffice.donations.models import PlanInterval, PlanStatus, RecurringPlan
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.payments import stripe_api

from .. import stripe_standin as sis
from ..helpers import form_tokens, login
from .test_webhooks import give, post


def monthly_plan(client, stripe, page) -> RecurringPlan:
    _, completed = give(page, stripe, amount=1500, interval=PlanInterval.MONTH)
    post(client, sis.event("checkout.session.completed", completed))
    return db.session.scalar(select(RecurringPlan))


def cancel_from_the_page(client, plan, reason="the donor asked by phone"):
    token = form_tokens(client, "/donations/plans")["csrf_token"]
    return client.post(f"/donations/plans/{plan.id}/cancel",
                       data={"csrf_token": token, "reason": reason, "submit": "1"})


def test_stripe_is_called_outside_any_unit_of_work(client, stripe, page, users, monkeypatch):
    plan = monthly_plan(client, stripe, page)
    seen = []
    real = stripe_api.cancel_subscription

    def watching(config, subscription_id, idempotency_key):
        seen.append((db.session().in_transaction(), idempotency_key))
        return real(config, subscription_id, idempotency_key=idempotency_key)

    monkeypatch.setattr(stripe_api, "cancel_subscription", watching)
    login(client, Role.TREASURER)
    assert cancel_from_the_page(client, plan).status_code == 302
    assert seen == [(False, f"cancel-{plan.stripe_subscription}")]
    db.session.expire_all()
    assert plan.status is PlanStatus.CANCELLED and plan.cancel_reason == "the donor asked by phone"
    assert stripe.subscriptions[plan.stripe_subscription]["status"] == "canceled"


def test_stripe_down_leaves_the_plan_running_with_the_request_and_the_job_ends_it(
        app, client, stripe, page, users):
    plan = monthly_plan(client, stripe, page)
    subscription = plan.stripe_subscription
    login(client, Role.TREASURER)
    app.config["STRIPE_API_BASE"] = f"http://127.0.0.1:{sis.free_port()}"  # nobody answers
    response = cancel_from_the_page(client, plan)
    assert response.status_code == 302
    page_after = client.get("/donations/plans").get_data(as_text=True)
    assert "Stripe did not end the subscription" in page_after
    assert "cancellation not confirmed by Stripe" in page_after
    db.session.expire_all()
    assert plan.status is PlanStatus.ACTIVE and plans.cancel_requested(plan)
    assert stripe.subscriptions[subscription]["status"] == "active"
    app.config["STRIPE_API_BASE"] = stripe.url
    assert app.test_cli_runner().invoke(args=["jobs", "run-scheduled", "donation-plans"]).exit_code == 0
    db.session.expire_all()
    assert plan.status is PlanStatus.CANCELLED and plan.cancel_reason == "the donor asked by phone"
    assert plan.cancelled_by_id is not None
    assert stripe.subscriptions[subscription]["status"] == "canceled"
    # Again: nothing more to do; Stripe's event afterwards changes nothing.
    assert plans.finish_requested(db.session, app_settings().stripe) == 0
    post(client, sis.event("customer.subscription.deleted", stripe.subscriptions[subscription]))
    db.session.expire_all()
    assert db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.action == "donation.plan_cancelled")).all() == ["donation.plan_cancelled"]


def test_a_crash_after_stripe_ended_it_is_finished_by_stripes_event_with_the_reason(
        client, stripe, page, users, monkeypatch):
    plan = monthly_plan(client, stripe, page)
    subscription = plan.stripe_subscription

    def crash(*args, **kwargs):
        raise RuntimeError("the process died after Stripe answered")

    monkeypatch.setattr(plans, "mark_cancelled", crash)
    try:
        plans.cancel(db.session, plan, actor=None, reason="moved abroad",
                     config=app_settings().stripe)
    except RuntimeError:
        pass
    monkeypatch.undo()
    db.session.rollback()
    db.session.expire_all()
    assert plan.status is PlanStatus.ACTIVE and plan.cancel_reason == "moved abroad"
    assert stripe.subscriptions[subscription]["status"] == "canceled"
    post(client, sis.event("customer.subscription.deleted", stripe.subscriptions[subscription]))
    db.session.expire_all()
    assert plan.status is PlanStatus.CANCELLED and plan.cancel_reason == "moved abroad"


def test_asking_again_after_a_failure_is_idempotent_at_stripe(client, stripe, page, monkeypatch):
    plan = monthly_plan(client, stripe, page)
    calls = []
    real = stripe_api.cancel_subscription

    def once_lost(config, subscription_id, idempotency_key):
        answer = real(config, subscription_id, idempotency_key=idempotency_key)
        calls.append(idempotency_key)
        if len(calls) == 1:
            raise stripe_api.stripe.APIConnectionError("the answer was lost")
        return answer

    monkeypatch.setattr(stripe_api, "cancel_subscription", once_lost)
    plans.cancel(db.session, plan, actor=None, reason="first words", config=app_settings().stripe)
    # Stripe had ended it: the lost answer is recovered by reading the subscription.
    db.session.expire_all()
    assert plan.status is PlanStatus.CANCELLED and plan.cancel_reason == "first words"
    assert len(calls) == 1
