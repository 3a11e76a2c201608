"""Refunds of a recurring gift's payment (a plan's subscription invoice), through signed webhooks
against the Stripe stand-in: booked when told after the invoice; told before it (before the
checkout too, or after it), the refund waits (kept as failed, 500 so that Stripe retries) and is
booked once the invoice's payment is; a refund of another product's subscription is no
donation's. SQLite and PostgreSQL (``TEST_DATABASE_URL``)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from backoffice.donations import totals
from backoffice.donations.models import Donation, DonationRefund, PlanInterval
from backoffice.extensions import db
from backoffice.payments.models import StripeEvent

from .. import stripe_standin as sis
from ..soundness import assert_money_sound
from .test_webhooks import balance, count, give, post


def monthly(page, stripe):
    _, completed = give(page, stripe, amount=2000, interval=PlanInterval.MONTH)
    return completed


def refund_told(stripe, pi_id: str, amount: int) -> dict:
    """Stripe refunds ``amount`` of the payment intent's charge: the charge.refunded event."""
    pi = stripe.payment_intent(pi_id)
    charge = pi["latest_charge"] if isinstance(pi["latest_charge"], str) \
        else pi["latest_charge"]["id"]
    stripe.refund(charge, amount)
    return sis.event("charge.refunded", stripe.api("GET", f"/v1/charges/{charge}"))


def pi_of(invoice: dict) -> str:
    return invoice["payments"]["data"][0]["payment"]["payment_intent"]


def test_a_refund_of_a_plan_payment_told_after_its_invoice_is_booked(client, stripe, page, fund):
    completed = monthly(page, stripe)
    post(client, sis.event("checkout.session.completed", completed))
    invoice = stripe.pay_invoice(completed["subscription"])
    post(client, sis.event("invoice.paid", invoice))
    assert post(client, refund_told(stripe, pi_of(invoice), 500)).json["status"] == "processed"
    db.session.expire_all()
    donation = db.session.scalar(select(Donation))
    assert donation.net == 1500 and count(DonationRefund) == 1
    assert balance("donation_income", fund) == -1500
    assert_money_sound(db.session)


@pytest.mark.parametrize("checkout_first", [True, False], ids=["after-checkout", "before-all"])
def test_a_refund_of_a_plan_payment_told_before_its_invoice_waits_and_books_after_it(
        client, stripe, page, fund, checkout_first):
    completed = monthly(page, stripe)
    if checkout_first:
        post(client, sis.event("checkout.session.completed", completed))
    invoice = stripe.pay_invoice(completed["subscription"])
    early = refund_told(stripe, pi_of(invoice), 500)
    assert post(client, early).status_code == 500  # kept as failed: Stripe retries
    stored = db.session.get(StripeEvent, early["id"])
    assert stored.status == "failed" and "NotBookedYet" in stored.note
    assert count(DonationRefund) == 0

    post(client, sis.event("invoice.paid", invoice))  # books the payment (and the plan)
    assert post(client, early).json["status"] == "processed"  # Stripe's retry
    assert post(client, early).json["status"] == "duplicate"
    if not checkout_first:
        post(client, sis.event("checkout.session.completed", completed))
    db.session.expire_all()
    donation = db.session.scalar(select(Donation))
    assert donation.stripe_invoice == invoice["id"] and donation.net == 1500
    assert count(Donation) == 1 and count(DonationRefund) == 1
    assert balance("donation_income", fund) == -1500
    assert totals.differences(db.session) == {}
    assert_money_sound(db.session)


@pytest.mark.parametrize("invoice_payments", [True, False], ids=["api", "older-api"])
def test_a_refund_of_another_products_subscription_is_no_donations(client, stripe, page, fund,
                                                                    invoice_payments):
    """Also where Stripe answers that invoice payments are an invalid request (an account on an
    older API version): the refund is not held up."""
    stripe.no_invoice_payments = not invoice_payments
    invoice = stripe.pay_invoice(stripe.subscription_not_ours())
    response = post(client, refund_told(stripe, pi_of(invoice), 500))
    assert response.status_code == 200 and response.json["status"] == "processed"
    assert count(Donation) == 0 and count(DonationRefund) == 0
