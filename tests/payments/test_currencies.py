"""Stripe in more than one currency: a USD invoice paid by card to an account that settles in EUR.

Every scenario goes through signed webhooks; the stand-in shows balance transactions converted
as Stripe does. The ledger is checked after each one (conftest: verify clean, trial balance zero
per currency).
"""
from __future__ import annotations

import time
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backoffice.core.db import transaction
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.invoicing import state
from backoffice.invoicing.models import Invoice, InvoicePayment
from backoffice.ledger.models import JournalEntry, Posting
from backoffice.ledger.services import account_by_role
from backoffice.payments import services, stripe_api
from backoffice.payments.models import StripeEvent

from .. import stripe_standin as sis
from ..invoicing import factories
from .test_webhook import checkout, post

USD_TOTAL = 150000          # USD 1,500.00 (a sponsor outside the EU: no German VAT)
RATE = Decimal("0.92")
EUR_SETTLED = 138000        # EUR 1,380.00, as Stripe converted it
EUR_FEE = 4717              # EUR 47.17 (3.4 % + 0.25 of the converted amount)


def balance(role: str, currency: str) -> int:
    account = account_by_role(db.session, role)
    return int(db.session.scalar(select(func.coalesce(func.sum(Posting.amount), 0)).where(
        Posting.account_id == account.id, Posting.currency == currency)))


def reload(invoice) -> Invoice:
    db.session.expire_all()
    return db.session.get(Invoice, invoice.id)


@pytest.fixture
def usd_invoice(app, stripe):
    stripe.settle_in("eur", RATE)
    return factories.issued(factories.sponsor("US"), [("Gold sponsorship", 1000, USD_TOTAL,
                                                       "standard")], currency="USD")


def pay(client, stripe, invoice) -> dict:
    completed = checkout(client, stripe, invoice)
    response = post(client, sis.event("checkout.session.completed", completed))
    assert response.status_code == 200 and response.json["status"] == "processed", \
        response.get_data(as_text=True)
    return completed


def test_the_stand_in_settles_usd_1500_as_eur_1380_with_a_fee_of_eur_47_17(client, stripe,
                                                                           usd_invoice):
    completed = checkout(client, stripe, usd_invoice)
    pi = stripe.payment_intent(completed["payment_intent"])
    assert (pi["currency"], pi["amount"]) == ("usd", USD_TOTAL)
    txn = stripe_api.retrieve_balance_transaction(app_settings().stripe,
                                                pi["latest_charge"]["balance_transaction"])
    assert (txn["currency"], txn["amount"], txn["fee"], txn["exchange_rate"]) == \
        ("eur", EUR_SETTLED, EUR_FEE, 0.92)


def test_a_usd_payment_settled_in_eur_books_each_side_in_its_currency(client, stripe,
                                                                        usd_invoice):
    completed = pay(client, stripe, usd_invoice)
    invoice = reload(usd_invoice)
    assert state.status(invoice, invoice.issue_date) is state.Status.PAID
    assert balance("receivables", "USD") == 0
    assert balance("stripe_balance", "USD") == 0
    assert balance("stripe_balance", "EUR") == EUR_SETTLED - EUR_FEE
    assert balance("payment_fees", "EUR") == EUR_FEE and balance("payment_fees", "USD") == 0
    # The exchange account carries both sides: USD 1,500.00 in, EUR 1,380.00 out.
    assert balance("fx_result", "USD") == USD_TOTAL
    assert balance("fx_result", "EUR") == -EUR_SETTLED
    payment = db.session.scalar(select(InvoicePayment))
    assert (payment.amount, payment.currency) == (USD_TOTAL, "USD")
    assert payment.reference == completed["payment_intent"]
    entry = db.session.get(JournalEntry, payment.journal_entry_id)
    fx_memos = {p.memo for p in entry.postings if p.account.role == "fx_result"}
    assert len(fx_memos) == 1 and "1500.00 USD = 1380.00 EUR at 0.92" in fx_memos.pop()


def test_the_eur_payout_empties_the_eur_stripe_balance(client, stripe, usd_invoice):
    pay(client, stripe, usd_invoice)
    held = balance("stripe_balance", "EUR")
    payout = {"id": "po_fx_1", "object": "payout", "amount": held, "currency": "eur",
              "arrival_date": int(time.time()), "status": "paid"}
    assert post(client, sis.event("payout.paid", payout)).status_code == 200
    assert balance("stripe_balance", "EUR") == 0 and balance("stripe_balance", "USD") == 0
    assert balance("bank", "EUR") == held


def test_a_balance_transaction_in_eur_that_arrives_late_converts_what_was_booked_in_usd(
        client, stripe, usd_invoice):
    stripe.withhold_balance_transactions = True
    completed = pay(client, stripe, usd_invoice)
    assert balance("stripe_balance", "USD") == USD_TOTAL  # all we know so far
    charge = stripe.release_balance_transaction(completed["payment_intent"])
    updated = sis.event("charge.updated", charge)
    assert post(client, updated).status_code == 200
    assert balance("stripe_balance", "USD") == 0
    assert balance("stripe_balance", "EUR") == EUR_SETTLED - EUR_FEE
    assert balance("payment_fees", "EUR") == EUR_FEE
    assert balance("fx_result", "USD") == USD_TOTAL and balance("fx_result", "EUR") == -EUR_SETTLED
    entries = db.session.scalar(select(func.count()).select_from(JournalEntry))
    assert post(client, sis.event("charge.updated", charge)).status_code == 200
    assert db.session.scalar(select(func.count()).select_from(JournalEntry)) == entries


def _dispute(pi, status, transactions):
    return {"id": "dp_fx_1", "object": "dispute", "amount": USD_TOTAL, "currency": "usd",
            "charge": pi["latest_charge"]["id"], "payment_intent": pi["id"],
            "reason": "fraudulent", "status": status, "created": int(time.time()),
            "livemode": False, "balance_transactions": transactions}


def _eur_txn(txn_id, amount, fee, rate="0.9"):
    return {"id": txn_id, "object": "balance_transaction", "amount": amount, "currency": "eur",
            "fee": fee, "net": amount - fee, "created": int(time.time()), "type": "adjustment",
            "exchange_rate": float(rate), "status": "available",
            "reporting_category": "dispute" if amount < 0 else "dispute_reversal"}


@pytest.mark.parametrize("outcome", ["won", "lost"])
def test_a_dispute_withdrawn_in_eur_against_a_usd_invoice_books(client, stripe, usd_invoice,
                                                                   outcome):
    completed = pay(client, stripe, usd_invoice)
    pi = stripe.payment_intent(completed["payment_intent"])
    withdrawal = _eur_txn("txn_fx_withdrawal", -135000, 1500)   # EUR 1,350.00 at 0.90
    response = post(client, sis.event("charge.dispute.created",
                                      _dispute(pi, "needs_response", [withdrawal])))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert balance("receivables", "USD") == USD_TOTAL  # owed again while disputed
    assert balance("stripe_balance", "EUR") == EUR_SETTLED - EUR_FEE - 135000 - 1500
    assert balance("payment_fees", "EUR") == EUR_FEE + 1500
    assert balance("fx_result", "USD") == 0
    assert balance("fx_result", "EUR") == -EUR_SETTLED + 135000  # EUR 30.00 gained on the way
    closing = [withdrawal] + ([_eur_txn("txn_fx_reinstated", 135500, 0, "0.903333")]
                              if outcome == "won" else [])
    assert post(client, sis.event("charge.dispute.closed",
                                  _dispute(pi, outcome, closing))).status_code == 200
    invoice = reload(usd_invoice)
    if outcome == "won":
        assert balance("receivables", "USD") == 0
        assert state.status(invoice, invoice.issue_date) is state.Status.PAID
        assert balance("stripe_balance", "EUR") == EUR_SETTLED - EUR_FEE - 135000 - 1500 + 135500
    else:
        assert balance("receivables", "USD") == USD_TOTAL
        assert state.outstanding(invoice) == USD_TOTAL
    kinds = sorted((p.kind, p.amount, p.currency) for p in invoice.payments)
    expected = [("dispute", -USD_TOTAL, "USD"), ("payment", USD_TOTAL, "USD")]
    if outcome == "won":
        expected.insert(1, ("dispute", USD_TOTAL, "USD"))
    assert kinds == expected


def test_a_refund_in_eur_at_a_later_rate_leaves_the_difference_on_the_exchange_account(
        client, stripe, usd_invoice):
    completed = pay(client, stripe, usd_invoice)
    stripe.settle_in("eur", Decimal("0.95"))  # the dollar rose before the refund
    pi = stripe.payment_intent(completed["payment_intent"])
    refund = stripe.refund(pi["latest_charge"]["id"], amount=USD_TOTAL)
    charge = stripe.api("GET", f"/v1/charges/{pi['latest_charge']['id']}")
    assert post(client, sis.event("charge.refunded", charge)).status_code == 200
    assert balance("stripe_balance", "EUR") == EUR_SETTLED - EUR_FEE - 142500
    assert balance("fx_result", "USD") == 0
    assert balance("fx_result", "EUR") == 142500 - EUR_SETTLED  # EUR 45.00 lost on the exchange
    booked = db.session.scalar(select(InvoicePayment).where(
        InvoicePayment.reference == refund["id"]))
    assert (booked.kind, booked.amount, booked.currency) == ("refund", -USD_TOTAL, "USD")


def test_events_of_another_stripe_account_currency_are_replayed_without_booking_twice(
        client, stripe, usd_invoice):
    pay(client, stripe, usd_invoice)
    entries = db.session.scalar(select(func.count()).select_from(JournalEntry))
    with transaction():
        for event_id in db.session.scalars(select(StripeEvent.id)).all():
            services.replay(db.session, event_id, app_settings())
    assert db.session.scalar(select(func.count()).select_from(JournalEntry)) == entries


# --- refunds that Stripe reports pending and then failed -------------------------------------

def _refund_event(stripe, pi, amount, status):
    """A refund made at Stripe, and the charge as a charge.refunded event shows it (with the
    refund as it stood then: ``status``)."""
    refund = stripe.refund(pi["latest_charge"]["id"], amount=amount)
    charge = stripe.api("GET", f"/v1/charges/{pi['latest_charge']['id']}")
    for item in charge["refunds"]["data"]:
        if item["id"] == refund["id"]:
            item["status"] = status
    return dict(refund, status=status), charge


@pytest.mark.parametrize("event_type", ["charge.refund.updated", "refund.failed"])
def test_a_refund_reported_pending_and_then_failed_is_reversed(client, stripe, usd_invoice,
                                                               event_type):
    completed = pay(client, stripe, usd_invoice)
    pi = stripe.payment_intent(completed["payment_intent"])
    held = balance("stripe_balance", "EUR")
    refund, charge = _refund_event(stripe, pi, 50000, "pending")
    assert post(client, sis.event("charge.refunded", charge)).status_code == 200
    refunded_eur = sis.convert(50000, RATE)
    assert balance("stripe_balance", "EUR") == held - refunded_eur
    assert [p.reference for p in state.refunds_to_decide(reload(usd_invoice))] == [refund["id"]]

    failed = dict(refund, status="failed", failure_reason="expired_or_canceled_card")
    response = post(client, sis.event(event_type, failed))
    assert response.status_code == 200
    assert "reversed" in db.session.get(StripeEvent, response.json["id"]).note
    invoice = reload(usd_invoice)
    assert state.paid_amount(invoice) == USD_TOTAL and state.refunds_to_decide(invoice) == []
    assert state.status(invoice, invoice.issue_date) is state.Status.PAID
    assert balance("stripe_balance", "EUR") == held and balance("receivables", "USD") == 0
    kinds = sorted((p.kind, p.amount) for p in invoice.payments)
    assert kinds == [("payment", USD_TOTAL), ("refund", -50000), ("reversal", 50000)]
    # Told again, by the other event or a late charge.refunded still showing it pending:
    entries = db.session.scalar(select(func.count()).select_from(JournalEntry))
    for again in (sis.event("refund.failed", failed), sis.event("charge.refunded", charge),
                  sis.event("charge.refund.updated", failed)):
        assert post(client, again).status_code == 200
    assert db.session.scalar(select(func.count()).select_from(JournalEntry)) == entries
    assert state.paid_amount(reload(usd_invoice)) == USD_TOTAL


def test_a_refund_whose_failure_is_heard_first_ends_unrefunded(client, stripe, usd_invoice):
    completed = pay(client, stripe, usd_invoice)
    pi = stripe.payment_intent(completed["payment_intent"])
    held = balance("stripe_balance", "EUR")
    refund, charge = _refund_event(stripe, pi, 50000, "pending")
    assert post(client, sis.event("refund.failed", dict(refund, status="failed"))).status_code == 200
    assert post(client, sis.event("charge.refunded", charge)).status_code == 200  # late, stale
    invoice = reload(usd_invoice)
    assert sum(p.amount for p in invoice.payments) == USD_TOTAL  # refunded, and reversed
    assert state.refunds_to_decide(invoice) == [] and state.paid_amount(invoice) == USD_TOTAL
    assert balance("stripe_balance", "EUR") == held


def test_a_pending_refund_that_succeeds_stays_booked_once(client, stripe, usd_invoice):
    completed = pay(client, stripe, usd_invoice)
    pi = stripe.payment_intent(completed["payment_intent"])
    refund, charge = _refund_event(stripe, pi, 50000, "pending")
    post(client, sis.event("charge.refunded", charge))
    entries = db.session.scalar(select(func.count()).select_from(JournalEntry))
    assert post(client, sis.event("charge.refund.updated",
                                  dict(refund, status="succeeded"))).status_code == 200
    assert db.session.scalar(select(func.count()).select_from(JournalEntry)) == entries
    assert [p.amount for p in state.refunds_to_decide(reload(usd_invoice))] == [-50000]


@pytest.mark.demo_data
def test_the_demo_shows_a_usd_invoice_paid_through_stripe_into_eur(app):
    invoice = db.session.scalar(select(Invoice).where(Invoice.currency == "USD"))
    assert state.status(invoice, invoice.issue_date) is state.Status.PAID
    assert balance("fx_result", "USD") == 250000 and balance("fx_result", "EUR") == -230000
    assert balance("stripe_balance", "USD") == 0 and balance("receivables", "USD") == 0
    assert balance("payment_fees", "EUR") >= 7845
