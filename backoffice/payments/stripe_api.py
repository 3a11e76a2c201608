"""The few calls made to Stripe's API, configured from the app config.

``STRIPE_SECRET_KEY`` (sk_...), ``STRIPE_WEBHOOK_SECRET`` (whsec_...), and ``STRIPE_API_BASE`` to
point the library at another server (tests use a local one; never the internet).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import stripe
from flask import current_app

if TYPE_CHECKING:
    from typing import Any


class StripeNotConfigured(RuntimeError):
    pass


def _configure() -> None:
    config = current_app.config
    key = config.get("STRIPE_SECRET_KEY")
    if not key:
        raise StripeNotConfigured("STRIPE_SECRET_KEY is not set: online payment is unavailable.")
    stripe.api_key = key
    stripe.api_base = config["STRIPE_API_BASE"]
    stripe.max_network_retries = 2


def is_configured() -> bool:
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def plain(obj: Any) -> dict:
    """A Stripe object as plain JSON data (stripe 16 objects are not dicts)."""
    return obj if isinstance(obj, dict) else obj.to_dict()


def create_checkout_session(params: dict, idempotency_key: str) -> dict:
    _configure()
    return plain(stripe.checkout.Session.create(**params, idempotency_key=idempotency_key))


def retrieve_payment_intent(pi_id: str) -> dict:
    _configure()
    return plain(stripe.PaymentIntent.retrieve(
        pi_id, expand=["latest_charge", "latest_charge.balance_transaction"]))


def retrieve_charge(charge_id: str) -> dict:
    _configure()
    return plain(stripe.Charge.retrieve(charge_id))


def retrieve_balance_transaction(txn_id: str) -> dict:
    _configure()
    return plain(stripe.BalanceTransaction.retrieve(txn_id))


def list_refunds(charge_id: str) -> list[dict]:
    _configure()
    return [plain(r) for r in stripe.Refund.list(charge=charge_id, limit=100).auto_paging_iter()]


def verify_signature(payload: str, header: str) -> None:
    """Raise ``stripe.SignatureVerificationError`` unless ``header`` signs ``payload`` with the
    endpoint secret within Stripe's default tolerance (300 s)."""
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret:
        raise stripe.SignatureVerificationError("no webhook secret configured", header, payload)
    stripe.WebhookSignature.verify_header(payload, header or "", secret,
                                          tolerance=stripe.Webhook.DEFAULT_TOLERANCE)
