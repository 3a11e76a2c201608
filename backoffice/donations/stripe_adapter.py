"""The thin layer between donations and Stripe's shapes: what a Checkout Session for a gift
looks like, and how a subscription's invoice names its subscription and payment (Stripe's API
version 2025-03-31 moved both: ``parent.subscription_details.subscription`` and
``payments.data[].payment.payment_intent`` instead of ``subscription`` and ``payment_intent``;
both shapes are read). The calls go through ``payments.stripe_api``."""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from ..core import clock
from ..core.money import Money
from ..payments import settlement, stripe_api

if TYPE_CHECKING:
    from ..core.settings import Stripe
    from .models import DonationCheckout

METADATA_KEY = "donation_checkout"


def checkout_params(row: DonationCheckout, *, fund_name: str, success_url: str,
                    cancel_url: str) -> dict:
    """A Checkout Session for a one-time gift (``mode=payment``) or a recurring one
    (``mode=subscription`` with an inline recurring price): card, and SEPA Direct Debit for EUR."""
    metadata = {METADATA_KEY: row.token or "", "fund": fund_name[:400]}
    price = {"currency": row.currency.lower(), "unit_amount": row.amount,
             "product_data": {"name": f"Donation to {fund_name}"[:250]}}
    params = {
        "payment_method_types": ["card", "sepa_debit"] if row.currency == "EUR" else ["card"],
        "client_reference_id": f"donation-{row.id}",
        "customer_email": row.email,
        "metadata": metadata,
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    if row.interval is None:
        params.update(mode="payment", submit_type="donate",
                      line_items=[{"quantity": 1, "price_data": price}],
                      payment_intent_data={"metadata": metadata,
                                           "description": f"Donation to {fund_name}"[:500]})
    else:
        price["recurring"] = {"interval": row.interval.value}
        params.update(mode="subscription", line_items=[{"quantity": 1, "price_data": price}],
                      subscription_data={"metadata": metadata,
                                         "description": f"Donation to {fund_name}"[:500]})
    return params




def object_id(value: object) -> str | None:
    """An expandable field: its id whether Stripe sent the id or the object."""
    if isinstance(value, dict):
        return value.get("id")
    return value or None


def invoice_subscription(invoice: dict) -> str | None:
    found = object_id(invoice.get("subscription"))
    if found:
        return found
    details = ((invoice.get("parent") or {}).get("subscription_details") or {})
    return object_id(details.get("subscription"))


def invoice_payment_intent(invoice: dict) -> str | None:
    found = object_id(invoice.get("payment_intent"))
    if found:
        return found
    for payment in ((invoice.get("payments") or {}).get("data") or []):
        pi = object_id((payment.get("payment") or {}).get("payment_intent"))
        if pi and payment.get("status", "paid") == "paid":
            return pi
    return None


def checkout_token_of(obj: dict) -> str | None:
    """The donation checkout's token in a session's or subscription's metadata."""
    value = str((obj.get("metadata") or {}).get(METADATA_KEY) or "")
    return value[:64] or None


def paid_intent(config: Stripe, pi_id: str) -> tuple[dict, settlement.Movement, str | None, date]:
    """A payment intent with what its charge moved: (intent, movement, charge id, day). A charge
    whose balance transaction Stripe has not created yet is booked in its own currency."""
    pi = stripe_api.retrieve_payment_intent(config, pi_id)
    charge = pi.get("latest_charge")
    if isinstance(charge, str):
        charge = stripe_api.retrieve_charge(config, charge)
    txn = (charge or {}).get("balance_transaction")
    if isinstance(txn, str):
        txn = stripe_api.retrieve_balance_transaction(config, txn)
    amount = Money(int(pi.get("amount_received") or pi["amount"]), str(pi["currency"]).upper())
    movement = settlement.Movement.from_stripe(txn) if txn \
        else settlement.Movement.unconverted(None, amount)
    return pi, movement, (charge or {}).get("id"), clock.day_of_timestamp((charge or pi).get("created"))


def total_movement(txns: list[dict | str], config: Stripe, label: str) -> settlement.Movement:
    """Several balance transactions (a refund's, a dispute's withdrawal and fee) as one
    movement (all in the account's settlement currency)."""
    rows = [stripe_api.retrieve_balance_transaction(config, t) if isinstance(t, str) else t
            for t in txns if t]
    moves = [settlement.Movement.from_stripe(t) for t in rows]
    currency = moves[0].amount.currency
    amount = sum((m.amount.amount for m in moves), 0)
    fee = sum((m.fee.amount for m in moves), 0)
    rate = next((m.rate for m in moves if m.rate is not None), None)
    return settlement.Movement(label, Money(amount, currency), Money(fee, currency), rate)
