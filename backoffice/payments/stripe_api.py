"""The few calls made to Stripe's API, each with the Stripe settings (``Settings.stripe``).

``STRIPE_SECRET_KEY`` (sk_...), ``STRIPE_WEBHOOK_SECRET`` (whsec_...), and ``STRIPE_API_BASE`` to
point the library at another server (tests use a local one; never the internet).
"""
from __future__ import annotations

import http.client
import json
import ssl
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, quote_plus, urlsplit

import stripe

if TYPE_CHECKING:
    from typing import Any

    from ..core.settings import Stripe


class StripeNotConfigured(RuntimeError):
    pass


def _configure(config: Stripe) -> None:
    key = config.secret_key
    if not key:
        raise StripeNotConfigured("STRIPE_SECRET_KEY is not set: online payment is unavailable.")
    stripe.api_key = key
    stripe.api_base = config.api_base
    stripe.max_network_retries = 2


class _Kept:
    """A thread's kept connection, closed also when the thread ends (its locals are dropped)."""

    def __init__(self, address: tuple[str, str], connection: http.client.HTTPConnection):
        self.address, self.connection = address, connection

    def __del__(self) -> None:
        self.connection.close()


class KeptAlive(stripe.HTTPClient):
    """The library's HTTP client for reads, over one kept-alive connection per thread
    (``http.client``): the library's ``requests`` client costs about 1 ms more CPU per call and
    waits about 1 ms longer for the answer (a paid donation's webhook reads once). The library still builds the request,
    retries and raises its errors; a kept connection that the server closed meanwhile is
    replaced at once for a GET (nothing was done), anything else is the library's to retry."""

    name = "http.client"
    TIMEOUT = 80  # seconds, as the library's default client

    def _connection(self, url: SplitResult) -> http.client.HTTPConnection:
        kept = getattr(self._thread_local, "kept", None)
        if kept is not None and kept.address == (url.scheme, url.netloc):
            return kept.connection
        self.close()  # another server's
        if url.scheme == "https":
            context = ssl.create_default_context(cafile=stripe.ca_bundle_path)
            connection = http.client.HTTPSConnection(url.hostname, url.port,
                                                     timeout=self.TIMEOUT, context=context)
        else:
            connection = http.client.HTTPConnection(url.hostname, url.port, timeout=self.TIMEOUT)
        self._thread_local.kept = _Kept((url.scheme, url.netloc), connection)
        return connection

    def request(self, method: str, url: str, headers: Any,
                post_data: Any = None) -> tuple[bytes, int, dict[str, str]]:
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        while True:
            connection = self._connection(parts)
            reused = connection.sock is not None
            try:
                connection.request(method.upper(), target, body=post_data, headers=dict(headers))
                response = connection.getresponse()
                return (response.read(), response.status,
                        {name.lower(): value for name, value in response.getheaders()})
            except (OSError, http.client.HTTPException) as error:
                self.close()
                if reused and method.lower() == "get" and not isinstance(error, ssl.SSLError):
                    continue
                raise stripe.APIConnectionError(
                    f"Unexpected error communicating with Stripe ({type(error).__name__}: "
                    f"{error})", should_retry=not isinstance(error, ssl.SSLError)) from error

    def close(self) -> None:
        """Close this thread's kept connection."""
        kept = getattr(self._thread_local, "kept", None)
        if kept is not None:
            kept.connection.close()
            self._thread_local.kept = None


#: The one kept-alive client of every ``_client``.
KEPT = KeptAlive()


@lru_cache(maxsize=4)
def _client(key: str, api_base: str) -> stripe.StripeClient:
    return stripe.StripeClient(key, base_addresses={"api": api_base}, max_network_retries=2,
                               http_client=KEPT)


def _get(config: Stripe, path: str, **params: Any) -> dict:
    """GET an API object as plain JSON data. Reads (the webhooks' hot path) skip the library's
    ``StripeObject`` wrapping and unwrapping, which costs more than the request itself; errors
    are raised as for the library's resource calls."""
    key = config.secret_key
    if not key:
        raise StripeNotConfigured("STRIPE_SECRET_KEY is not set: online payment is unavailable.")
    response = _client(key, config.api_base or stripe.DEFAULT_API_BASE).raw_request(
        "get", path, **params)
    return json.loads(response.body)


def is_configured(config: Stripe) -> bool:
    return bool(config.secret_key)


def plain(obj: Any) -> dict:
    """A Stripe object as plain JSON data (stripe 16 objects are not dicts)."""
    return obj if isinstance(obj, dict) else obj.to_dict()


def create_checkout_session(config: Stripe, params: dict, idempotency_key: str) -> dict:
    _configure(config)
    return plain(stripe.checkout.Session.create(**params, idempotency_key=idempotency_key))


def retrieve_payment_intent(config: Stripe, pi_id: str) -> dict:
    return _get(config, f"/v1/payment_intents/{quote_plus(pi_id)}",
                expand=["latest_charge", "latest_charge.balance_transaction"])


def retrieve_charge(config: Stripe, charge_id: str) -> dict:
    return _get(config, f"/v1/charges/{quote_plus(charge_id)}")


def retrieve_balance_transaction(config: Stripe, txn_id: str) -> dict:
    return _get(config, f"/v1/balance_transactions/{quote_plus(txn_id)}")


def retrieve_invoice(config: Stripe, invoice_id: str) -> dict:
    return _get(config, f"/v1/invoices/{quote_plus(invoice_id)}")


def invoice_of_payment(config: Stripe, pi_id: str) -> str | None:
    """The id of the invoice a payment intent paid, or None (since API 2025-03-31 a payment
    intent no longer names its invoice: Stripe's invoice payments do). An answer that the
    request is invalid (an account on an API version without invoice payments) is None too,
    so a refund of another kind of payment is never held up by it."""
    try:
        found = _get(config, "/v1/invoice_payments", limit=1,
                     payment={"type": "payment_intent", "payment_intent": pi_id})
    except stripe.InvalidRequestError:
        return None
    for row in found.get("data") or []:
        invoice = row.get("invoice")
        return invoice.get("id") if isinstance(invoice, dict) else invoice
    return None


def list_refunds(config: Stripe, charge_id: str) -> list[dict]:
    _configure(config)
    return [plain(r) for r in stripe.Refund.list(charge=charge_id, limit=100).auto_paging_iter()]


def verify_signature(config: Stripe, payload: str, header: str) -> None:
    """Raise ``stripe.SignatureVerificationError`` unless ``header`` signs ``payload`` with the
    endpoint secret within Stripe's default tolerance (300 s)."""
    secret = config.webhook_secret
    if not secret:
        raise stripe.SignatureVerificationError("no webhook secret configured", header, payload)
    stripe.WebhookSignature.verify_header(payload, header or "", secret,
                                          tolerance=stripe.Webhook.DEFAULT_TOLERANCE)


def retrieve_subscription(config: Stripe, subscription_id: str) -> dict:
    return _get(config, f"/v1/subscriptions/{quote_plus(subscription_id)}")


def cancel_subscription(config: Stripe, subscription_id: str, idempotency_key: str) -> dict:
    """End a subscription now (no further invoices)."""
    _configure(config)
    return plain(stripe.Subscription.cancel(subscription_id, idempotency_key=idempotency_key))
