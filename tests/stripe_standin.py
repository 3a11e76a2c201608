"""A local server that speaks Stripe's API, for tests and benchmarks (never the internet).

localstripe (from PyPI, started in a subprocess bound to 127.0.0.1, from scratch) keeps
customers, payment methods, payment intents, charges, refunds and payouts. What it lacks is
served here, shaped as Stripe's API reference documents it:

- ``/v1/checkout/sessions`` (create, retrieve) — Checkout Sessions, honouring Idempotency-Key;
- ``/v1/balance_transactions/<id>`` (and a payment intent's expanded
  ``latest_charge.balance_transaction``) — localstripe's transaction with Stripe's standard EEA
  card fee filled in (localstripe records every fee as 0): 1.5 % + €0.25, as ``fee`` and
  ``fee_details``;
- an account that settles in another currency than its charges': after
  ``settle_in("eur", Decimal("0.92"))`` every new balance transaction in another currency is
  shown converted as Stripe converts (the amount times ``exchange_rate``, rounded half up to the
  settlement currency's minor unit), with the fee of a converted card payment (3.4 % + 0.25)
  in the settlement currency. A transaction keeps the rate it was first shown with.

Everything else is forwarded to localstripe unchanged. ``complete(session_id)`` plays the
sponsor paying on the Checkout page: it creates and confirms a real PaymentIntent in localstripe
and returns the completed session. ``signed_event(...)`` builds a webhook delivery exactly as
Stripe signs it.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from decimal import ROUND_HALF_UP, Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WEBHOOK_SECRET = "whsec_test_standin_secret"
API_KEY = "sk_test_standin"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unflatten(pairs: list[tuple[str, str]]) -> dict:
    """Stripe's form encoding (``a[b][0][c]=v``) back to nested data."""
    root: dict = {}
    for key, value in pairs:
        parts = [key.split("[", 1)[0]] + [p.rstrip("]") for p in key.split("[")[1:]]
        node = root
        for part, following in zip(parts, parts[1:] + [None]):
            if following is None:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _lists(root)


def _lists(node):
    if isinstance(node, dict):
        if node and all(k.isdigit() for k in node):
            return [_lists(node[k]) for k in sorted(node, key=int)]
        return {k: _lists(v) for k, v in node.items()}
    return node


def stripe_fee(amount: int) -> int:
    return round(amount * 0.015) + 25


def with_fee(txn: dict) -> dict:
    """A charge's balance transaction with Stripe's standard fee (localstripe records none)."""
    if txn.get("type") == "charge" and not txn.get("fee"):
        fee = stripe_fee(txn["amount"])
        txn.update(fee=fee, net=txn["amount"] - fee, fee_details=[{
            "amount": fee, "application": None, "currency": txn["currency"],
            "description": "Stripe processing fees", "type": "stripe_fee"}])
    return txn


def converted_fee(amount: int) -> int:
    """Stripe's fee on a card payment converted into the settlement currency (3.4 % + 0.25)."""
    return int((Decimal(amount) * Decimal("0.034")).quantize(Decimal(1), ROUND_HALF_UP)) + 25


def convert(amount: int, rate: Decimal) -> int:
    """As Stripe converts: the amount times the rate, rounded half up (away from zero)."""
    return int((Decimal(amount) * rate).quantize(Decimal(1), ROUND_HALF_UP))


class StripeStandIn:
    def __init__(self):
        self.localstripe_port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-c",
             "import logging, sys; from aiohttp import web; from localstripe.server import app; "
             "logging.disable(logging.CRITICAL); "
             "web.run_app(app, host='127.0.0.1', port=int(sys.argv[1]), print=None, "
             "access_log=None)", str(self.localstripe_port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=os.path.dirname(__file__))
        self.sessions: dict[str, dict] = {}
        self.subscriptions: dict[str, dict] = {}
        self.paid_intents: list[str] = []  # of subscription invoices (``pay_invoice``)
        self.invoices: dict[str, dict] = {}  # subscription invoices, as their events carry them
        # payment intent id -> the invoice it paid (Stripe's ``invoice_payments``)
        self.invoice_of_intent: dict[str, str] = {}
        # Set: answer invoice payments as an account on an API version without them does.
        self.no_invoice_payments = False
        self.by_key: dict[str, str] = {}
        self.expanded: dict[str, dict] = {}  # payment intent id -> as retrieved, expanded
        # When set, charges of new payments show no balance transaction yet (as Stripe does for
        # a while with some payment methods) until ``release_balance_transaction``.
        self.withhold_balance_transactions = False
        self.withheld: dict[str, str] = {}  # payment intent id -> its charge's transaction id
        self.requests: list[tuple[str, str, dict, dict]] = []
        # (currency, rate) the account settles in, see ``settle_in``; transactions as first shown.
        self.settlement: tuple[str, Decimal] | None = None
        self.shown: dict[str, dict] = {}
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self._wait_for_localstripe()

    def _wait_for_localstripe(self):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.localstripe_port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("localstripe did not start")

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.process.terminate()
        self.process.wait(timeout=10)

    def settle_in(self, currency: str | None, rate: Decimal | None = None) -> None:
        """From now on, new balance transactions in another currency are converted into
        ``currency`` at ``rate`` (None: no conversion)."""
        self.settlement = (currency.lower(), rate) if currency else None

    def as_stripe_shows(self, txn: dict) -> dict:
        """localstripe's balance transaction as Stripe's API shows it: fee filled in, converted
        into the settlement currency; the same every time it is shown."""
        with self.lock:
            if txn["id"] in self.shown:
                return dict(self.shown[txn["id"]])
        if self.settlement and txn["currency"] != self.settlement[0]:
            currency, rate = self.settlement
            amount = convert(txn["amount"], rate)
            fee = converted_fee(amount) if txn.get("type") == "charge" else 0
            txn = dict(txn, amount=amount, currency=currency, exchange_rate=float(rate),
                       fee=fee, net=amount - fee, fee_details=[{
                           "amount": fee, "application": None, "currency": currency,
                           "description": "Stripe processing fees", "type": "stripe_fee"}]
                       if fee else [])
        else:
            txn = with_fee(txn)
        with self.lock:
            self.shown[txn["id"]] = dict(txn)
        return txn

    def _with_fees(self, pi: dict) -> dict:
        charge = pi.get("latest_charge")
        if isinstance(charge, dict) and isinstance(charge.get("balance_transaction"), dict):
            charge["balance_transaction"] = self.as_stripe_shows(charge["balance_transaction"])
        return pi

    # --- talking to localstripe ------------------------------------------------------------
    def localstripe(self, method: str, path: str, data: dict | None = None, *,
                    raw: bytes | None = None) -> tuple[int, bytes]:
        body = urllib.parse.urlencode(_flatten(data)).encode() if data is not None else raw
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.localstripe_port}{path}", data=body, method=method,
            headers={"Authorization": f"Bearer {API_KEY}",
                     "Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def api(self, method: str, path: str, data: dict | None = None) -> dict:
        status, body = self.localstripe(method, path, data)
        if status >= 400:
            raise RuntimeError(f"localstripe {method} {path}: {status} {body[:300]!r}")
        return json.loads(body)

    # --- what Checkout does --------------------------------------------------------------------
    def create_session(self, params: dict) -> dict:
        session_id = "cs_test_" + secrets.token_hex(24)
        line = params["line_items"][0]
        amount = int(line["price_data"]["unit_amount"]) * int(line.get("quantity", 1))
        session = {
            "id": session_id, "object": "checkout.session", "after_expiration": None,
            "allow_promotion_codes": None, "amount_subtotal": amount, "amount_total": amount,
            "billing_address_collection": None, "cancel_url": params.get("cancel_url"),
            "client_reference_id": params.get("client_reference_id"),
            "created": int(time.time()), "currency": line["price_data"]["currency"],
            "customer": None, "customer_creation": "if_required", "customer_details": None,
            "customer_email": params.get("customer_email"),
            "expires_at": int(time.time()) + 24 * 3600, "invoice": None, "livemode": False,
            "locale": None, "metadata": params.get("metadata", {}), "mode": params["mode"],
            "payment_intent": None, "payment_method_types": params.get("payment_method_types"),
            "payment_status": "unpaid", "status": "open",
            "success_url": params.get("success_url"),
            "url": f"{self.url}/c/pay/{session_id}",
            "_payment_intent_data": params.get("payment_intent_data", {}),
            "_subscription_data": params.get("subscription_data", {}),
            "_recurring": line["price_data"].get("recurring"),
            "subscription": None,
        }
        self.sessions[session_id] = session
        return session

    def public(self, session: dict) -> dict:
        return {k: v for k, v in session.items() if not k.startswith("_")}

    def complete(self, session_id: str, *, method: str = "card") -> dict:
        """The sponsor pays: a confirmed PaymentIntent in localstripe, the session completed.
        ``method="sepa_debit"`` leaves the payment processing (payment_status "unpaid").
        A ``mode=subscription`` session starts a subscription (``subscribe``)."""
        session = self.sessions[session_id]
        if session["mode"] == "subscription":
            return self.subscribe(session_id)
        if method == "card":
            pm = self.api("POST", "/v1/payment_methods", {
                "type": "card", "card": {"number": "4242424242424242", "exp_month": "12",
                                         "exp_year": "2034", "cvc": "123"}})
        else:
            pm = self.api("POST", "/v1/payment_methods", {
                "type": "sepa_debit", "sepa_debit": {"iban": "DE89370400440532013000"},
                "billing_details": {"name": "Sponsor", "email": "ap@sponsor.example"}})
        data = session["_payment_intent_data"]
        pi = self.api("POST", "/v1/payment_intents", {
            "amount": str(session["amount_total"]), "currency": session["currency"],
            "payment_method": pm["id"], "payment_method_types": [method],
            "metadata": data.get("metadata", {}), "confirm": "true"})
        session.update(status="complete", payment_intent=pi["id"],
                       payment_status="paid" if method == "card" else "unpaid",
                       customer_details={"email": session.get("customer_email")})
        self._remember_expanded(pi["id"])
        return self.public(session)

    # --- subscriptions (localstripe has no Prices; Checkout's inline recurring price is kept
    # here, each invoice paid by a real PaymentIntent in localstripe) -------------------------
    def subscribe(self, session_id: str) -> dict:
        """The donor completes a ``mode=subscription`` Checkout: a customer in localstripe, a
        subscription here (its metadata from ``subscription_data``); its first invoice is
        ``pay_invoice``'s."""
        session = self.sessions[session_id]
        customer = self.api("POST", "/v1/customers", {"email": session.get("customer_email") or ""})
        sub_id = "sub_test_" + secrets.token_hex(12)
        recurring = session["_recurring"] or {}
        self.subscriptions[sub_id] = {
            "id": sub_id, "object": "subscription", "customer": customer["id"],
            "status": "active", "metadata": session["_subscription_data"].get("metadata", {}),
            "currency": session["currency"], "created": int(time.time()),
            "items": {"object": "list", "data": [{"price": {
                "unit_amount": session["amount_total"], "currency": session["currency"],
                "recurring": {"interval": recurring.get("interval", "month")}}}]},
            "cancel_at_period_end": False, "canceled_at": None}
        session.update(status="complete", subscription=sub_id, customer=customer["id"],
                       payment_status="paid", customer_details={"email": session.get("customer_email")})
        return self.public(session)

    def _invoice(self, sub_id: str, amount: int | None, **fields) -> dict:
        sub = self.subscriptions[sub_id]
        amount = amount if amount is not None else sub["items"]["data"][0]["price"]["unit_amount"]
        invoice = {"id": "in_test_" + secrets.token_hex(12), "object": "invoice",
                   "customer": sub["customer"], "currency": sub["currency"], "amount_due": amount,
                   "created": int(time.time()), "billing_reason": "subscription_cycle",
                   "parent": {"type": "subscription_details", "subscription_details": {
                       "subscription": sub_id, "metadata": sub["metadata"]}}, **fields}
        self.invoices[invoice["id"]] = invoice
        return invoice

    def pay_invoice(self, sub_id: str, amount: int | None = None, *, method: str = "card") -> dict:
        """A period of the subscription paid: a confirmed PaymentIntent in localstripe and the
        invoice as an ``invoice.paid`` event carries it (API 2025-09-30: the subscription under
        ``parent``, the payment under ``payments``)."""
        sub = self.subscriptions[sub_id]
        amount = amount if amount is not None else sub["items"]["data"][0]["price"]["unit_amount"]
        pm = self.api("POST", "/v1/payment_methods", {
            "type": "card", "card": {"number": "4242424242424242", "exp_month": "12",
                                     "exp_year": "2034", "cvc": "123"}})
        pi = self.api("POST", "/v1/payment_intents", {
            "amount": str(amount), "currency": sub["currency"], "payment_method": pm["id"],
            "payment_method_types": [method], "confirm": "true"})
        self._remember_expanded(pi["id"])
        self.paid_intents.append(pi["id"])
        invoice = self._invoice(sub_id, amount, status="paid", amount_paid=amount,
                                amount_remaining=0, payments={"object": "list", "data": [{
                                    "object": "invoice_payment", "status": "paid",
                                    "payment": {"type": "payment_intent",
                                                "payment_intent": pi["id"]}}]},
                                status_transitions={"paid_at": int(time.time())})
        self.invoice_of_intent[pi["id"]] = invoice["id"]
        return invoice

    def subscription_not_ours(self) -> str:
        """A subscription of another product (no donation checkout in its metadata)."""
        customer = self.api("POST", "/v1/customers", {"email": "other@example.org"})
        sub_id = "sub_test_" + secrets.token_hex(12)
        self.subscriptions[sub_id] = {
            "id": sub_id, "object": "subscription", "customer": customer["id"],
            "status": "active", "metadata": {"product": "other"}, "currency": "eur",
            "created": int(time.time()), "items": {"object": "list", "data": [{"price": {
                "unit_amount": 1200, "currency": "eur", "recurring": {"interval": "month"}}}]},
            "cancel_at_period_end": False, "canceled_at": None}
        return sub_id

    def invoice_payments(self, query: str) -> dict:
        """``GET /v1/invoice_payments?payment[type]=payment_intent&payment[payment_intent]=``:
        the invoice a payment intent paid (API 2025-03-31 on: a payment intent no longer
        names its invoice)."""
        params = dict(urllib.parse.parse_qsl(query))
        pi_id = params.get("payment[payment_intent]")
        invoice_id = self.invoice_of_intent.get(pi_id)
        data = [{"object": "invoice_payment", "id": "inpay_" + invoice_id[8:], "invoice": invoice_id,
                 "status": "paid", "payment": {"type": "payment_intent", "payment_intent": pi_id}}
                ] if invoice_id else []
        return {"object": "list", "data": data, "has_more": False,
                "url": "/v1/invoice_payments"}

    def fail_invoice(self, sub_id: str) -> dict:
        """A period's payment refused: the invoice as ``invoice.payment_failed`` carries it."""
        return self._invoice(sub_id, None, status="open", amount_paid=0, attempt_count=1,
                             last_finalization_error={"message": "Your card was declined."})

    EXPANDED = ("latest_charge", "latest_charge.balance_transaction")

    def _remember_expanded(self, pi_id: str) -> None:
        """Keep the payment intent as the app retrieves it (charge and balance transaction
        expanded, fee filled in). localstripe rebuilds every charge's refund list by scanning its
        whole store on each retrieval, which slows it down as a benchmark's data grows; the
        answer is the same, so later retrievals are served from here until anything changes."""
        query = urllib.parse.urlencode([("expand[]", e) for e in self.EXPANDED])
        status, body = self.localstripe("GET", f"/v1/payment_intents/{pi_id}?{query}")
        if status == 200:
            pi = self._with_fees(json.loads(body))
            charge = pi.get("latest_charge")
            if self.withhold_balance_transactions and isinstance(charge, dict):
                self.withheld[pi_id] = charge["balance_transaction"]["id"]
                charge["balance_transaction"] = None
            with self.lock:
                self.expanded[pi_id] = pi

    def release_balance_transaction(self, pi_id: str) -> dict:
        """The withheld balance transaction appears: returns the charge as a ``charge.updated``
        event carries it (the transaction as an id)."""
        with self.lock:
            pi = self.expanded.pop(pi_id)
        charge = dict(pi["latest_charge"], balance_transaction=self.withheld.pop(pi_id))
        return charge

    def payment_intent(self, pi_id: str) -> dict:
        return self.api("GET", f"/v1/payment_intents/{pi_id}")

    def refund(self, charge_id: str, amount: int | None = None) -> dict:
        return self.api("POST", "/v1/refunds", {"charge": charge_id,
                                                **({"amount": str(amount)} if amount else {})})

    # --- the HTTP side -------------------------------------------------------------------------
    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out at once (no 40 ms stall)

            def log_message(self, *args):
                pass

            def _send(self, status: int, body: bytes, content_type="application/json"):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Request-Id", "req_" + secrets.token_hex(8))
                self.end_headers()
                self.wfile.write(body)

            def _json(self, status: int, data: dict):
                self._send(status, json.dumps(data).encode())

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def do_GET(self):  # noqa: N802
                path = urllib.parse.urlsplit(self.path).path
                standin.requests.append(("GET", path, {}, dict(self.headers)))
                if path.startswith("/v1/checkout/sessions/"):
                    session = standin.sessions.get(path.rsplit("/", 1)[1])
                    if session is None:
                        return self._json(404, {"error": {"type": "invalid_request_error",
                                                          "message": "No such checkout.session"}})
                    return self._json(200, standin.public(session))
                for prefix, kept, name in (("/v1/subscriptions/", standin.subscriptions,
                                            "subscription"),
                                           ("/v1/invoices/", standin.invoices, "invoice")):
                    if path.startswith(prefix):
                        found = kept.get(path.rsplit("/", 1)[1])
                        if found is None:
                            return self._json(404, {"error": {"type": "invalid_request_error",
                                                              "message": f"No such {name}"}})
                        return self._json(200, found)
                if path == "/v1/invoice_payments" and standin.no_invoice_payments:
                    return self._json(400, {"error": {"type": "invalid_request_error",
                                                      "message": "Unrecognized request URL"}})
                if path == "/v1/invoice_payments":
                    return self._json(200, standin.invoice_payments(
                        urllib.parse.urlsplit(self.path).query))
                if path.startswith("/c/pay/"):
                    session = standin.sessions.get(path.rsplit("/", 1)[1], {})
                    html = (f"<!doctype html><title>Stripe Checkout (test)</title><h1>Pay "
                            f"{session.get('amount_total')} {session.get('currency')}</h1>"
                            f"<p id='session'>{session.get('id')}</p>").encode()
                    return self._send(200, html, "text/html; charset=utf-8")
                if path.startswith("/v1/payment_intents/"):
                    expand = {v for k, v in urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query)
                              if k.startswith("expand")}
                    cached = standin.expanded.get(path.rsplit("/", 1)[1])
                    if cached is not None and expand == set(standin.EXPANDED):
                        return self._json(200, cached)
                status, body = standin.localstripe("GET", self.path)
                if status == 200 and path.startswith("/v1/balance_transactions/"):
                    body = json.dumps(standin.as_stripe_shows(json.loads(body))).encode()
                elif status == 200 and path.startswith("/v1/payment_intents/"):
                    body = json.dumps(standin._with_fees(json.loads(body))).encode()
                self._send(status, body)

            def do_POST(self):  # noqa: N802
                path = urllib.parse.urlsplit(self.path).path
                raw = self._body()
                params = unflatten(urllib.parse.parse_qsl(raw.decode(), keep_blank_values=True))
                standin.requests.append(("POST", path, params, dict(self.headers)))
                if path == "/v1/checkout/sessions":
                    key = self.headers.get("Idempotency-Key")
                    with standin.lock:
                        if key and key in standin.by_key:
                            session = standin.sessions[standin.by_key[key]]
                        else:
                            session = standin.create_session(params)
                            if key:
                                standin.by_key[key] = session["id"]
                    return self._json(200, standin.public(session))
                with standin.lock:
                    standin.expanded.clear()  # a refund or confirmation changes what is kept
                self._send(*standin.localstripe("POST", self.path, raw=raw))

            def do_DELETE(self):  # noqa: N802
                path = urllib.parse.urlsplit(self.path).path
                standin.requests.append(("DELETE", path, {}, dict(self.headers)))
                if path.startswith("/v1/subscriptions/"):
                    sub = standin.subscriptions.get(path.rsplit("/", 1)[1])
                    if sub is None:
                        return self._json(404, {"error": {"type": "invalid_request_error",
                                                          "message": "No such subscription"}})
                    sub.update(status="canceled", canceled_at=int(time.time()))
                    return self._json(200, sub)
                status, body = standin.localstripe("DELETE", self.path)
                self._send(status, body)

        return Handler


def _flatten(data, prefix: str = "") -> list[tuple[str, str]]:
    pairs = []
    items = data.items() if isinstance(data, dict) else enumerate(data)
    for key, value in items:
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, (dict, list)):
            pairs += _flatten(value, name)
        else:
            pairs.append((name, str(value)))
    return pairs


# --- webhook deliveries, signed as Stripe signs them ----------------------------------------------

def event(event_type: str, obj: dict, *, event_id: str | None = None,
          created: int | None = None) -> dict:
    return {"id": event_id or "evt_" + secrets.token_hex(12), "object": "event",
            "api_version": "2025-09-30.clover", "created": created or int(time.time()),
            "data": {"object": obj}, "livemode": False, "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None}, "type": event_type}


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload,
                         hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signature}"


def delivery(event_data: dict, **sign_options) -> tuple[bytes, dict]:
    payload = json.dumps(event_data, indent=2).encode()
    return payload, {"Stripe-Signature": sign(payload, **sign_options),
                     "Content-Type": "application/json; charset=utf-8"}
