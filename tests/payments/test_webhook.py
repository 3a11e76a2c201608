"""Stripe's webhook: signatures, the event store, idempotency, order, and the bookings."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from backoffice.core.db import transaction
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.invoicing import services as invoicing
from backoffice.invoicing import state
from backoffice.invoicing.models import Invoice, InvoicePayment
from backoffice.ledger.models import JournalEntry, Posting
from backoffice.payments import services
from backoffice.payments.models import CheckoutSession, StripeEvent, StripeFee, StripePayout

from .. import stripe_standin as sis
from ..concurrency import at_once
from ..invoicing import factories

GROSS = 595000  # 5,000.00 + 19 % VAT


def post(client, event_data, **sign_options):
    payload, headers = sis.delivery(event_data, **sign_options)
    return client.post("/stripe/webhook", data=payload, headers=headers)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def balance(role: str) -> int:
    from backoffice.ledger.services import account_by_role

    account = account_by_role(db.session, role)
    return db.session.scalar(select(func.coalesce(func.sum(Posting.amount), 0))
                             .where(Posting.account_id == account.id))


def reload(invoice) -> Invoice:
    db.session.expire_all()
    return db.session.get(Invoice, invoice.id)


@pytest.fixture
def invoice(app, stripe):
    return factories.issued()


def checkout(client, stripe, invoice, method="card"):
    """The sponsor presses "Pay online" and pays on the (stand-in) Checkout page."""
    token = invoicing.pay_token(invoice, settings=app_settings())
    page = client.get(f"/pay/{token}").get_data(as_text=True)
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(f"/pay/{token}/checkout", data={"csrf_token": csrf})
    assert response.status_code == 303
    session_id = response.headers["Location"].rsplit("/", 1)[1]
    return stripe.complete(session_id, method=method)


def test_checkout_session_carries_the_invoice_and_an_idempotency_key(client, stripe, invoice):
    completed = checkout(client, stripe, invoice)
    method, path, params, headers = next(r for r in stripe.requests
                                         if r[1] == "/v1/checkout/sessions")
    assert params["metadata"] == {"invoice_id": str(invoice.id), "invoice_number": invoice.number}
    assert params["payment_intent_data"]["metadata"]["invoice_number"] == invoice.number
    assert params["payment_method_types"] == ["card", "sepa_debit"]
    assert params["line_items"][0]["price_data"]["unit_amount"] == str(GROSS)
    assert headers["Idempotency-Key"].startswith(f"invoice-{invoice.public_id}-checkout-1")
    assert completed["metadata"]["invoice_id"] == str(invoice.id)
    # Pressing "Pay online" again reuses the open session: no second session at Stripe.
    row = db.session.scalar(select(CheckoutSession))
    assert row.stripe_id == completed["id"]


def test_completed_checkout_books_payment_and_fee(client, stripe, invoice):
    completed = checkout(client, stripe, invoice)
    response = post(client, sis.event("checkout.session.completed", completed))
    assert response.status_code == 200 and response.json["status"] == "processed"
    invoice = reload(invoice)
    assert state.status(invoice, invoice.issue_date) is state.Status.PAID
    fee = sis.stripe_fee(GROSS)
    assert balance("stripe_balance") == GROSS - fee
    assert balance("receivables") == 0
    assert balance("payment_fees") == fee
    assert db.session.scalar(select(StripeFee.amount)) == fee
    payment = db.session.scalar(select(InvoicePayment))
    assert payment.reference == completed["payment_intent"]
    entry = db.session.get(JournalEntry, payment.journal_entry_id)
    assert sorted((p.account.role, p.amount) for p in entry.postings) == sorted([
        ("stripe_balance", GROSS), ("receivables", -GROSS),  # the payment
        ("payment_fees", fee), ("stripe_balance", -fee)])    # Stripe's fee, same entry


def test_a_fee_that_appears_after_the_payment_is_booked_then_once(client, stripe, invoice):
    stripe.withhold_balance_transactions = True
    completed = checkout(client, stripe, invoice)
    assert post(client, sis.event("checkout.session.completed", completed)).status_code == 200
    assert state.status(reload(invoice), invoice.issue_date) is state.Status.PAID
    assert balance("payment_fees") == 0 and count(StripeFee) == 0  # Stripe has not said yet

    charge = stripe.release_balance_transaction(completed["payment_intent"])
    updated = sis.event("charge.updated", charge)
    assert post(client, updated).status_code == 200
    fee = sis.stripe_fee(GROSS)
    assert balance("payment_fees") == fee and balance("stripe_balance") == GROSS - fee
    fee_row = db.session.scalar(select(StripeFee))
    assert (fee_row.balance_transaction, fee_row.source) == (charge["balance_transaction"],
                                                             charge["id"])
    entries = count(JournalEntry)
    assert post(client, sis.event("charge.updated", charge)).status_code == 200  # a new event
    assert post(client, updated).status_code == 200                               # a replay
    assert count(JournalEntry) == entries and balance("payment_fees") == fee


def test_charge_updated_without_a_booked_payment_books_nothing(client, stripe, invoice):
    entries = count(JournalEntry)
    charge = {"id": "ch_unknown", "object": "charge", "payment_intent": "pi_unknown",
              "balance_transaction": "txn_unknown", "amount": 100, "currency": "eur"}
    response = post(client, sis.event("charge.updated", charge))
    assert response.status_code == 200 and count(JournalEntry) == entries


@pytest.mark.parametrize("problem", ["wrong secret", "changed body", "stale", "missing"])
def test_bad_signature_is_refused_and_nothing_stored(client, stripe, invoice, problem):
    event_data = sis.event("payout.paid", {"id": "po_1", "amount": 100, "currency": "eur",
                                           "arrival_date": int(time.time())})
    payload, headers = sis.delivery(event_data)
    if problem == "wrong secret":
        headers["Stripe-Signature"] = sis.sign(payload, secret="whsec_other")
    elif problem == "changed body":
        payload = payload.replace(b'"amount": 100', b'"amount": 999')
    elif problem == "stale":
        headers["Stripe-Signature"] = sis.sign(payload, timestamp=int(time.time()) - 301)
    else:
        del headers["Stripe-Signature"]
    response = client.post("/stripe/webhook", data=payload, headers=headers)
    assert response.status_code == 400
    assert count(StripeEvent) == 0 and count(JournalEntry) == 1  # just the invoice


def test_duplicate_delivery_changes_nothing(client, stripe, invoice):
    completed = checkout(client, stripe, invoice)
    event_data = sis.event("checkout.session.completed", completed)
    assert post(client, event_data).json["status"] == "processed"
    entries = count(JournalEntry)
    second = post(client, event_data)
    assert second.status_code == 200 and second.json["status"] == "duplicate"
    assert count(JournalEntry) == entries and count(InvoicePayment) == 1 and count(StripeEvent) == 1
    # The same payment reported by another event type is not booked twice either.
    pi = stripe.payment_intent(completed["payment_intent"])
    assert post(client, sis.event("payment_intent.succeeded", pi)).json["status"] == "processed"
    assert count(JournalEntry) == entries and count(InvoicePayment) == 1


def test_concurrent_duplicate_deliveries_book_once(app, client, stripe, invoice):
    completed = checkout(client, stripe, invoice)
    payload, headers = sis.delivery(sis.event("checkout.session.completed", completed))
    db.session.remove()

    def deliver(session):
        response = app.test_client().post("/stripe/webhook", data=payload, headers=headers)
        return response.status_code, response.json.get("status")

    results = at_once(app, [deliver] * 4, timeout=60)
    assert sorted(results) == [(200, "duplicate")] * 3 + [(200, "processed")]
    assert count(InvoicePayment) == 1 and count(StripeFee) == 1 and count(StripeEvent) == 1
    assert balance("receivables") == 0


def test_unknown_event_types_are_stored_and_acknowledged(client, stripe, invoice):
    response = post(client, sis.event("customer.created", {"id": "cus_1", "object": "customer"}))
    assert response.status_code == 200 and response.json["status"] == "ignored"
    stored = db.session.scalar(select(StripeEvent))
    assert stored.type == "customer.created" and '"cus_1"' in stored.payload


def test_refund_before_payment_events_ends_in_the_right_state(client, stripe, invoice):
    completed = checkout(client, stripe, invoice)
    pi = stripe.payment_intent(completed["payment_intent"])
    charge_id = pi["latest_charge"]["id"]
    stripe.refund(charge_id, amount=100000)
    charge = stripe.api("GET", f"/v1/charges/{charge_id}")
    # Stripe may deliver these in any order: the refund first, the payment last.
    assert post(client, sis.event("charge.refunded", charge)).json["status"] == "processed"
    assert post(client, sis.event("payment_intent.succeeded", pi)).json["status"] == "processed"
    assert post(client, sis.event("checkout.session.completed", completed)).status_code == 200
    invoice = reload(invoice)
    # Not asked for again while the treasurer decides: a credit note, or owed again.
    assert [p.amount for p in state.refunds_to_decide(invoice)] == [-100000]
    assert state.status(invoice, invoice.issue_date) is state.Status.PAID
    assert balance("receivables") == 100000
    assert balance("stripe_balance") == GROSS - 100000 - sis.stripe_fee(GROSS)
    kinds = sorted((p.kind, p.amount) for p in invoice.payments)
    assert kinds == [("payment", GROSS), ("refund", -100000)]
    # Replaying every stored event changes nothing.
    entries = count(JournalEntry)
    with transaction():
        for event_id in db.session.scalars(select(StripeEvent.id)).all():
            services.replay(db.session, event_id, app_settings())
    assert count(JournalEntry) == entries


def _dispute(pi, charge_id, status, transactions):
    return {"id": "dp_test_1", "object": "dispute", "amount": GROSS, "currency": "eur",
            "charge": charge_id, "payment_intent": pi["id"], "reason": "fraudulent",
            "status": status, "created": int(time.time()), "livemode": False,
            "balance_transactions": transactions}


def _txn(txn_id, amount, fee):
    return {"id": txn_id, "object": "balance_transaction", "amount": amount, "currency": "eur",
            "fee": fee, "net": amount - fee, "created": int(time.time()), "type": "adjustment",
            "reporting_category": "dispute" if amount < 0 else "dispute_reversal",
            "status": "available"}


@pytest.mark.parametrize("outcome", ["won", "lost"])
def test_dispute_bookings(client, stripe, invoice, outcome):
    completed = checkout(client, stripe, invoice)
    post(client, sis.event("checkout.session.completed", completed))
    pi = stripe.payment_intent(completed["payment_intent"])
    charge_id = pi["latest_charge"]["id"]
    withdrawal = _txn("txn_dispute_withdrawal", -GROSS, 2000)
    before = balance("stripe_balance")
    post(client, sis.event("charge.dispute.created", _dispute(pi, charge_id, "needs_response",
                                                               [withdrawal])))
    assert balance("stripe_balance") == before - GROSS - 2000
    assert balance("receivables") == GROSS  # owed again while disputed
    closing = [withdrawal] + ([_txn("txn_dispute_reinstated", GROSS, 0)] if outcome == "won" else [])
    post(client, sis.event("charge.dispute.closed", _dispute(pi, charge_id, outcome, closing)))
    invoice = reload(invoice)
    if outcome == "won":
        assert balance("receivables") == 0 and balance("stripe_balance") == before - 2000
        assert state.status(invoice, invoice.issue_date) is state.Status.PAID
    else:
        assert balance("receivables") == GROSS and balance("stripe_balance") == before - GROSS - 2000
        assert state.outstanding(invoice) == GROSS
    assert balance("payment_fees") == sis.stripe_fee(GROSS) + 2000


def test_dispute_closed_before_created_books_once(client, stripe, invoice):
    completed = checkout(client, stripe, invoice)
    pi = stripe.payment_intent(completed["payment_intent"])
    charge_id = pi["latest_charge"]["id"]
    withdrawal = _txn("txn_w", -GROSS, 2000)
    post(client, sis.event("charge.dispute.closed", _dispute(pi, charge_id, "lost", [withdrawal])))
    post(client, sis.event("charge.dispute.created", _dispute(pi, charge_id, "needs_response",
                                                               [withdrawal])))
    assert balance("receivables") == GROSS
    assert sorted(p.kind for p in reload(invoice).payments) == ["dispute", "payment"]


def test_payout_paid_then_failed(client, stripe, invoice):
    completed = checkout(client, stripe, invoice)
    post(client, sis.event("checkout.session.completed", completed))
    held = balance("stripe_balance")
    payout = stripe.api("POST", "/v1/payouts", {"amount": str(held), "currency": "eur"})
    payout.update(status="paid", arrival_date=int(time.time()))
    response = post(client, sis.event("payout.paid", payout))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert balance("bank") == held and balance("stripe_balance") == 0
    assert [p.stripe_id for p in services.payouts(db.session)] == [payout["id"]]
    entry = db.session.get(JournalEntry, services.payout_by_id(db.session, payout["id"]).journal_entry_id)
    assert entry.source_id == payout["id"] and all(p.memo == payout["id"] for p in entry.postings)
    post(client, sis.event("payout.failed", {**payout, "status": "failed"}))
    assert balance("bank") == 0 and balance("stripe_balance") == held
    assert services.payout_by_id(db.session, payout["id"]).status == "failed"


def test_payout_failed_before_paid_is_never_booked(client, stripe, invoice):
    payout = {"id": "po_test_late", "object": "payout", "amount": 1000, "currency": "eur",
              "arrival_date": int(time.time()), "status": "failed"}
    post(client, sis.event("payout.failed", payout))
    post(client, sis.event("payout.paid", {**payout, "status": "paid"}))
    assert balance("bank") == 0
    assert db.session.scalar(select(StripePayout.status)) == "failed"


def test_sepa_debit_is_booked_when_the_async_payment_succeeds(client, stripe, invoice):
    completed = checkout(client, stripe, invoice, method="sepa_debit")
    assert completed["payment_status"] == "unpaid"
    post(client, sis.event("checkout.session.completed", completed))
    assert count(InvoicePayment) == 0
    token = invoicing.pay_token(invoice, settings=app_settings())
    assert "pay-pending" in client.get(f"/pay/{token}").get_data(as_text=True)
    for _ in range(50):  # localstripe settles SEPA debits after about half a second
        if stripe.payment_intent(completed["payment_intent"])["status"] == "succeeded":
            break
        time.sleep(0.1)
    post(client, sis.event("checkout.session.async_payment_succeeded",
                           {**completed, "payment_status": "paid"}))
    assert state.status(reload(invoice), invoice.issue_date) is state.Status.PAID


def test_failed_processing_keeps_the_event_for_a_retry(app, client, stripe, invoice):
    completed = checkout(client, stripe, invoice)
    event_data = sis.event("checkout.session.completed", completed)
    app.config["STRIPE_API_BASE"] = "http://127.0.0.1:9"  # Stripe unreachable for a moment
    response = post(client, event_data)
    assert response.status_code == 500
    stored = db.session.scalar(select(StripeEvent))
    assert stored.status == "failed" and count(InvoicePayment) == 0
    app.config["STRIPE_API_BASE"] = stripe.url
    assert post(client, event_data).json["status"] == "processed"  # Stripe's retry
    assert count(InvoicePayment) == 1


def test_events_page_lists_and_replays(client, users, stripe, invoice):
    from ..helpers import login, post_form

    completed = checkout(client, stripe, invoice)
    event_data = sis.event("checkout.session.completed", completed)
    post(client, event_data)
    login(client, "treasurer")
    page = client.get("/payments/events").get_data(as_text=True)
    assert event_data["id"] in page and "payment 5950.00 EUR booked" in page
    entries = count(JournalEntry)
    response = post_form(client, f"/payments/events/{event_data['id']}/replay", {},
                         token_from="/payments/events")
    assert response.status_code == 302 and count(JournalEntry) == entries


def test_every_delivery_logs_its_outcome_in_one_line(app, client, stripe, invoice, caplog):
    completed = checkout(client, stripe, invoice)
    event_data = sis.event("checkout.session.completed", completed)
    caplog.set_level("INFO", logger="backoffice")
    app.config["STRIPE_API_BASE"] = "http://127.0.0.1:9"  # Stripe unreachable: processing fails
    post(client, event_data)
    app.config["STRIPE_API_BASE"] = stripe.url
    post(client, event_data)
    post(client, event_data)
    payload, headers = sis.delivery(event_data)
    headers["Stripe-Signature"] = sis.sign(payload, secret="whsec_other")
    client.post("/stripe/webhook", data=payload, headers=headers)
    outcomes = [record.getMessage().splitlines()[0] for record in caplog.records
                if record.getMessage().startswith("stripe webhook")]
    event_id = event_data["id"]
    assert outcomes[0].startswith(f"stripe webhook {event_id} checkout.session.completed failed: ")
    assert outcomes[1:3] == [f"stripe webhook {event_id} checkout.session.completed processed",
                             f"stripe webhook {event_id} checkout.session.completed duplicate"]
    assert outcomes[3].startswith("stripe webhook refused: ") and len(outcomes) == 4


def test_the_thank_you_page_and_the_paid_mail_come_only_after_paying(client, stripe, invoice, mailbox):
    token = invoicing.pay_token(invoice, settings=app_settings())
    for address in (f"/pay/{token}/done", f"/pay/{token}/done?session_id=cs_made_up"):
        response = client.get(address)  # no payment was started: no thanks, the pay page
        assert response.status_code == 302 and response.location.endswith(f"/pay/{token}")
    completed = checkout(client, stripe, invoice)
    waiting = client.get(f"/pay/{token}/done?session_id={completed['id']}").get_data(as_text=True)
    assert invoice.language == "de"  # the sponsor's language
    assert "Stripe bestätigt Ihre Zahlung" in waiting and 'http-equiv="refresh"' in waiting
    assert not [m for m in mailbox if "Bezahlt: Rechnung" in m["Subject"]]
    post(client, sis.event("checkout.session.completed", completed))
    thanks = client.get(f"/pay/{token}/done?session_id={completed['id']}").get_data(as_text=True)
    assert f"Die Rechnung {invoice.number} ist bezahlt" in thanks and "refresh" not in thanks
    paid, = [m for m in mailbox if m["Subject"] == f"Bezahlt: Rechnung {invoice.number}"]
    assert "Ihre Zahlung für unsere Rechnung" in paid.get_body(("plain",)).get_content()
    assert [part.get_filename() for part in paid.iter_attachments()] == [f"{invoice.number}.pdf"]
    post(client, sis.event("checkout.session.completed", completed))  # delivered again
    assert len([m for m in mailbox if m["Subject"].startswith("Bezahlt: Rechnung")]) == 1
