"""Stripe events about donations (``core.signals.stripe_event``; payments stores each event once
and hands it over in the same transaction).

Every handler converges on Stripe's state whatever the order: a paid invoice that arrives before
its subscription's completed checkout creates the plan from the subscription's metadata; a
donation is recorded once per Checkout Session, subscription invoice and payment intent (the
unique columns of ``Donation``), so a duplicate or a concurrent delivery books nothing twice. A
handler returns None for objects that are not donations'.
"""
from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from ..core import clock
from ..core.db import utcnow
from ..core.money import Money
from ..core.queue import enqueue_on_commit
from ..payments import settlement, stripe_api
from . import booking, plans, refunds, stripe_adapter, stripe_money
from .donors import of_checkout as donor_of
from .models import (
    PLAN_STATES,
    Channel,
    Donation,
    DonationCheckout,
    DonationKind,
    DonationStatus,
    Donor,
    PlanStatus,
    RecurringFailure,
    RecurringPlan,
)

if TYPE_CHECKING:
    from ..core.settings import Settings, Stripe


@cache
def _with_fund() -> Select:
    """Checkouts with their fund, which the gift names (one query, not two); built once the
    mappers are configured."""
    return select(DonationCheckout).options(joinedload(DonationCheckout.fund))


def _checkout(session: Session, stripe_id: str | None = None,
              token: str | None = None) -> DonationCheckout | None:
    column = DonationCheckout.stripe_id if stripe_id else DonationCheckout.token
    value = stripe_id or token
    if not value:
        return None
    return session.scalar(_with_fund().where(column == value))


def _gift(checkout: DonationCheckout, donor: Donor, amount: Money, day, refs: dict,
          plan: RecurringPlan | None = None) -> booking.Gift:
    return booking.Gift(
        donor=donor, fund=checkout.fund, amount=amount, day=day, channel=Channel.STRIPE,
        kind=DonationKind.MONEY, receipt_wanted=checkout.receipt_wanted,
        public_name=checkout.public_name, plan_id=plan.id if plan else None, refs=refs)


def _completed(checkout: DonationCheckout, obj: dict) -> None:
    if obj.get("status") == "complete" and checkout.status != "complete":
        checkout.status, checkout.completed_at = "complete", utcnow()


def on_checkout(sender: str, *, session: Session, obj: dict, config: Stripe,
                **kwargs: Any) -> str | None:
    """checkout.session.completed / async_payment_succeeded / async_payment_failed."""
    checkout = _checkout(session, stripe_id=obj.get("id"))
    if checkout is None:
        return None
    if obj.get("mode") == "subscription":
        _completed(checkout, obj)
        subscription = stripe_adapter.object_id(obj.get("subscription"))
        if not subscription:
            return "donation checkout without a subscription yet"
        plan = plans.ensure(session, checkout, subscription,
                            stripe_adapter.object_id(obj.get("customer")))
        return f"{plan.ref} {plan.status.value}"
    pi_id = stripe_adapter.object_id(obj.get("payment_intent"))
    if not pi_id:
        _completed(checkout, obj)
        return "donation checkout without a payment"
    donor = donor_of(session, checkout)
    _completed(checkout, obj)  # after the donor: one UPDATE of the checkout with both
    refs = {"stripe_checkout_session": checkout.stripe_id, "stripe_payment_intent": pi_id}
    if sender == "checkout.session.async_payment_failed":
        found = booking.existing(session, refs)
        if found is not None and booking.fail_pending(session, found, reason="payment failed"):
            return f"{found.ref}: the direct debit failed"
        return "donation direct debit failed before anything was recorded"
    if obj.get("payment_status") != "paid":
        donation, _ = booking.record(
            session, _gift(checkout, donor, Money(checkout.amount, checkout.currency),
                           clock.day_of_timestamp(obj.get("created")), refs),
            actor=None, status=DonationStatus.PENDING)
        return f"{donation.ref} {donation.status.value}"
    pi, movement, charge, day = stripe_adapter.paid_intent(config, pi_id)
    amount = Money(int(pi.get("amount_received") or pi["amount"]), str(pi["currency"]).upper())
    found = booking.existing(session, refs)
    if found is not None:
        if found.status is DonationStatus.PENDING and booking.book_pending(
                session, found, movement=movement):
            found.stripe_charge = charge
            return f"{found.ref} booked"
        return f"{found.ref} already {found.status.value}"
    donation, created = booking.record(
        session, _gift(checkout, donor, amount, day, {**refs, "stripe_charge": charge}),
        actor=None, movement=movement, looked_up=True)
    return f"{donation.ref} {'booked' if created else 'already booked'}"


def _plan_for(session: Session, subscription_id: str | None,
              config: Stripe) -> RecurringPlan | None:
    """The plan of a subscription; created from its checkout when the subscription's first
    event arrives before the completed checkout (its metadata names the checkout)."""
    if not subscription_id:
        return None
    plan = plans.by_subscription(session, subscription_id)
    if plan is not None:
        return plan
    subscription = stripe_api.retrieve_subscription(config, subscription_id)
    checkout = _checkout(session, token=stripe_adapter.checkout_token_of(subscription))
    if checkout is None:
        return None
    return plans.ensure(session, checkout, subscription_id,
                        stripe_adapter.object_id(subscription.get("customer")))


def on_invoice_paid(sender: str, *, session: Session, obj: dict, config: Stripe,
                    **kwargs: Any) -> str | None:
    """Each paid invoice of a donation subscription is one donation, booked as its charge's
    balance transaction moved the money. What was paid is booked, also when it differs from
    the plan's amount (noted on the donation)."""
    plan = _plan_for(session, stripe_adapter.invoice_subscription(obj), config)
    if plan is None:
        return None
    paid = int(obj.get("amount_paid") or 0)
    if paid <= 0:
        return f"{plan.ref}: invoice {obj.get('id')} paid nothing"
    refs = {"stripe_invoice": obj["id"]}
    found = booking.existing(session, refs)
    if found is not None:
        return f"{found.ref} already booked"
    pi_id = stripe_adapter.invoice_payment_intent(obj)
    if pi_id:
        pi, movement, charge, day = stripe_adapter.paid_intent(config, pi_id)
        refs.update(stripe_payment_intent=pi_id, stripe_charge=charge)
    else:  # paid from the customer's credit balance: no charge of its own
        movement = None
        day = clock.day_of_timestamp((obj.get("status_transitions") or {}).get("paid_at")
                                    or obj.get("created"))
    amount = Money(paid, str(obj["currency"]).upper())
    checkout = session.scalar(_with_fund().where(DonationCheckout.plan_id == plan.id))
    donor = session.get(Donor, plan.donor_id)
    gift = _gift(checkout, donor, amount, day, refs, plan) if checkout else booking.Gift(
        donor=donor, fund=plan.fund, amount=amount, day=day, channel=Channel.STRIPE,
        receipt_wanted=plan.receipt_wanted, public_name=plan.public_name, plan_id=plan.id,
        refs=refs)
    if amount != plan.money:
        gift = booking.Gift(**{**gift.__dict__, "note": f"The plan is {plan.money}; Stripe "
                                                        f"collected {amount}."})
    donation, created = booking.record(session, gift, actor=None, movement=movement,
                                       debit=None if movement else booking_account(session),
                                       looked_up=True)
    if plan.status is PlanStatus.PAST_DUE:
        PLAN_STATES.apply(plan, "activate")
    for failure in session.scalars(select(RecurringFailure).where(
            RecurringFailure.plan_id == plan.id, RecurringFailure.resolved.is_(False))):
        failure.resolved = True
    return f"{donation.ref} {'booked' if created else 'already booked'} ({plan.ref})"


def booking_account(session: Session):
    from ..ledger.services import account_by_role  # noqa: PLC0415
    return account_by_role(session, "stripe_balance")


def on_invoice_failed(sender: str, *, session: Session, obj: dict, config: Stripe,
                      **kwargs: Any) -> str | None:
    """A recurring payment failed: recorded once per invoice, the plan past due, the donor
    told (Stripe retries; a later paid invoice brings the plan back)."""
    plan = _plan_for(session, stripe_adapter.invoice_subscription(obj), config)
    if plan is None:
        return None
    reason = ((obj.get("last_finalization_error") or {}).get("message")
              or "the bank or card refused the payment")
    failure = RecurringFailure(plan_id=plan.id, stripe_invoice=obj["id"],
                               amount=int(obj.get("amount_due") or plan.amount),
                               currency=str(obj.get("currency") or plan.currency).upper(),
                               reason=reason[:2000])
    try:
        with session.begin_nested():
            session.add(failure)
            session.flush()
    except IntegrityError:
        return f"{plan.ref}: failure of {obj['id']} recorded already"
    if plan.status is not PlanStatus.CANCELLED:
        PLAN_STATES.apply(plan, "payment_failed")
    plan.failed_payments += 1
    plan.last_failure_at = utcnow()
    session.flush()
    enqueue_on_commit(session, "donations.tell_payment_failed", failure_id=failure.id)
    return f"{plan.ref}: payment failed ({reason})"


def on_subscription_deleted(sender: str, *, session: Session, obj: dict, config: Stripe,
                            **kwargs: Any) -> str | None:
    plan = plans.by_subscription(session, obj.get("id"))
    if plan is None:
        return None
    if plans.mark_cancelled(session, plan, actor=None, reason="The subscription ended at Stripe."):
        return f"{plan.ref} cancelled"
    return f"{plan.ref} already cancelled"


def _donation_of_payment(session: Session, pi_id: str | None) -> Donation | None:
    if not pi_id:
        return None
    return session.scalar(select(Donation).where(Donation.stripe_payment_intent == pi_id))


class NotBookedYet(RuntimeError):
    """Stripe told of a refund (or dispute) of a donation's payment — a one-time gift's or a
    plan's invoice's — before the payment itself: the event is
    kept as failed and processed again by Stripe's retry (or ``backoffice payments replay``),
    by which time the payment is booked."""


def _donation_of_charge(session: Session, obj: dict, config: Stripe,
                       wait: bool = True) -> Donation | None:
    """The donation whose payment a charge, refund or dispute belongs to (None: not a
    donation's). A one-time gift's payment carries its checkout's token, a recurring gift's
    paid an invoice of one of our plans' subscriptions (``_pays_a_plan``): told of before it
    was booked, the event waits (``NotBookedYet``) unless ``wait`` is False."""
    pi_id = stripe_adapter.object_id(obj.get("payment_intent"))
    charge_id = obj["id"] if obj.get("object") == "charge" else stripe_adapter.object_id(
        obj.get("charge"))
    donation = _donation_of_payment(session, pi_id)
    if donation is None and charge_id:
        donation = session.scalar(select(Donation).where(Donation.stripe_charge == charge_id))
    if donation is None and pi_id and wait:
        pi = stripe_api.retrieve_payment_intent(config, pi_id)
        token = stripe_adapter.checkout_token_of(pi)
        if token and _checkout(session, token=token) is not None:
            raise NotBookedYet(f"{pi_id} is a donation's payment not booked yet")
        if not token and _pays_a_plan(session, pi, config):
            raise NotBookedYet(f"{pi_id} paid an invoice of a donation plan not booked yet")
    return donation


def _pays_a_plan(session: Session, pi: dict, config: Stripe) -> bool:
    """Whether a payment intent paid an invoice of a subscription that is one of our plans
    (known already, or named by a donation checkout in the subscription's metadata: its
    checkout may not have been told of yet either). Its ``invoice.paid`` books it."""
    invoice_id = stripe_adapter.object_id(pi.get("invoice")) or \
        stripe_api.invoice_of_payment(config, pi["id"])
    if not invoice_id:
        return False
    invoice = stripe_api.retrieve_invoice(config, invoice_id)
    subscription_id = stripe_adapter.invoice_subscription(invoice)
    if not subscription_id:
        return False
    if plans.by_subscription(session, subscription_id) is not None:
        return True
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    token = stripe_adapter.checkout_token_of(details) or stripe_adapter.checkout_token_of(
        stripe_api.retrieve_subscription(config, subscription_id))
    return bool(token) and _checkout(session, token=token) is not None


def _refund_state(session: Session, donation: Donation, refund: dict, config: Stripe,
                  settings: Settings) -> str:
    """Converge on one refund's state: booked while pending or succeeded, reversed once it
    failed or was cancelled."""
    amount = Money(int(refund.get("amount") or 0), str(refund.get("currency") or "").upper())
    status = refund.get("status")
    if status in refunds.FAILED:
        def returned() -> settlement.Movement | None:  # what gave the money back, if told
            txn = refund.get("failure_balance_transaction")
            if isinstance(txn, str):
                txn = stripe_api.retrieve_balance_transaction(config, txn)
            return settlement.Movement.from_stripe(txn) if txn else None
        return refunds.undo(session, donation, refund_id=refund["id"], amount=amount,
                            status=status, settings=settings, returned=returned)
    if status not in refunds.BOOKABLE:
        return ""
    txn = refund.get("balance_transaction")
    if isinstance(txn, str):
        txn = stripe_api.retrieve_balance_transaction(config, txn)
    movement = settlement.Movement.from_stripe(txn) if txn else None
    return refunds.book(session, donation, refund_id=refund["id"], amount=amount,
                        movement=movement, day=clock.day_of_timestamp(refund.get("created")),
                        settings=settings)


def on_charge_refunded(sender: str, *, session: Session, obj: dict, config: Stripe,
                       settings: Settings, **kwargs: Any) -> str | None:
    """Each refund of a donation's charge once, in whole or in part (``refunds``)."""
    donation = _donation_of_charge(session, obj, config)
    if donation is None:
        return None
    listed = obj.get("refunds") or {}
    found = listed.get("data")
    if found is None or len(found) < int(listed.get("total_count") or 0):
        found = stripe_api.list_refunds(config, obj["id"])
    notes = [_refund_state(session, donation, refund, config, settings)
             for refund in sorted(found, key=lambda r: (r.get("created") or 0, r["id"]))]
    return f"{donation.ref}: {'; '.join(n for n in notes if n) or 'no new refunds'}"


def on_refund_updated(sender: str, *, session: Session, obj: dict, config: Stripe,
                      settings: Settings, **kwargs: Any) -> str | None:
    """refund.created / refund.updated / refund.failed / charge.refund.updated: the one
    refund, as ``charge.refunded`` books it."""
    donation = _donation_of_charge(session, obj, config)
    if donation is None:
        return None
    return f"{donation.ref}: {_refund_state(session, donation, obj, config, settings) or 'nothing new'}"


def on_dispute(sender: str, *, session: Session, obj: dict, config: Stripe,
               settings: Settings, **kwargs: Any) -> str | None:
    """charge.dispute.created / funds_withdrawn / funds_reinstated / closed: each of the
    dispute's balance transactions once, a lost dispute reverses the donation
    (``stripe_money.dispute``)."""
    donation = _donation_of_charge(session, obj, config)
    if donation is None:
        return None
    return stripe_money.dispute(session, donation, obj, config=config, settings=settings)


def on_charge_updated(sender: str, *, session: Session, obj: dict, config: Stripe,
                      **kwargs: Any) -> str | None:
    """A charge's balance transaction that appeared after its donation was booked: the fee
    (and any conversion) is booked then, once (``stripe_money.book_late_fee``)."""
    txn = obj.get("balance_transaction")
    donation = _donation_of_charge(session, obj, config, wait=False)
    if donation is None:
        return None
    if not txn:
        return f"{donation.ref}: no balance transaction yet"
    return stripe_money.book_late_fee(session, donation, txn, charge=obj["id"], config=config)


RECEIVERS = {
    "checkout.session.completed": on_checkout,
    "checkout.session.async_payment_succeeded": on_checkout,
    "checkout.session.async_payment_failed": on_checkout,
    "invoice.paid": on_invoice_paid,
    "invoice.payment_failed": on_invoice_failed,
    "customer.subscription.deleted": on_subscription_deleted,
    "charge.refunded": on_charge_refunded,
    "refund.created": on_refund_updated,
    "refund.updated": on_refund_updated,
    "refund.failed": on_refund_updated,
    "charge.refund.updated": on_refund_updated,
    "charge.dispute.created": on_dispute,
    "charge.dispute.funds_withdrawn": on_dispute,
    "charge.dispute.funds_reinstated": on_dispute,
    "charge.dispute.closed": on_dispute,
    "charge.updated": on_charge_updated,
}
