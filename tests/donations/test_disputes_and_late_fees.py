"""Disputes of donations and Stripe fees that arrive after the payment, through signed webhooks
against the Stripe stand-in: each balance transaction booked once (the same event twice, two
events at once on SQLite and PostgreSQL), the dispute fee as a cost in the balance
transaction's currency (which differs from the charge's when the account settles in another),
a won dispute bringing back the funds and the fee, a lost one reversing the donation."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from backoffice.core.db import transaction
from backoffice.core.money import Money
from backoffice.donations import checkout, donors
from backoffice.donations.models import Donation, DonationStatus, DonationStripeTransaction
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.ledger.chart import Fund
from backoffice.ledger.models import Posting
from backoffice.ledger.services import account_by_role

from .. import stripe_standin as sis
from ..soundness import assert_money_sound
from .test_refunds import delivered_at_once
from .test_webhooks import balance, count, give, post


def in_currency(role: str, currency: str) -> int:
    return db.session.scalar(select(func.coalesce(func.sum(Posting.amount), 0)).where(
        Posting.account_id == account_by_role(db.session, role).id,
        Posting.currency == currency))


def usd_gift(client, stripe, page, amount=10000, withhold=False):
    with transaction():
        page.currency = "USD"
    stripe.settle_in("eur", Decimal("0.92"))
    stripe.withhold_balance_transactions = withhold
    with transaction():
        row = checkout.start(db.session, page, checkout.Pledge(
            amount=Money(amount, "USD"), interval=None,
            donor=donors.DonorDetails(name="Grace Hopper", email="grace@example.org")),
            form_token="usd", success_url="http://x/s", cancel_url="http://x/c",
            settings=app_settings())
    completed = stripe.complete(row.stripe_id)
    post(client, sis.event("checkout.session.completed", completed))
    return db.session.scalar(select(Donation)), completed


# --- fees that arrive late ---------------------------------------------------------------------

def test_a_fee_that_arrives_after_the_payment_is_booked_once(client, stripe, page, fund):
    stripe.withhold_balance_transactions = True
    _, completed = give(page, stripe)
    post(client, sis.event("checkout.session.completed", completed))
    donation = db.session.scalar(select(Donation))
    assert donation.fee == 0 and donation.stripe_balance_transaction is None
    assert balance("stripe_balance", fund) == 5000
    charge = stripe.release_balance_transaction(completed["payment_intent"])
    event = sis.event("charge.updated", charge)
    assert post(client, event).json["status"] == "processed"
    assert post(client, event).json["status"] == "duplicate"
    post(client, sis.event("charge.updated", charge))  # another event about the same
    db.session.expire_all()
    fee = sis.stripe_fee(5000)
    assert donation.fee == fee and donation.stripe_balance_transaction == charge["balance_transaction"]
    assert balance("payment_fees", fund) == fee
    assert balance("stripe_balance", fund) == 5000 - fee
    assert count(DonationStripeTransaction) == 1
    assert_money_sound(db.session)


def test_a_payment_booked_with_its_fee_books_nothing_more_when_the_charge_changes(
        client, stripe, page, fund):
    _, completed = give(page, stripe)
    post(client, sis.event("checkout.session.completed", completed))
    donation = db.session.scalar(select(Donation))
    charge = stripe.api("GET", f"/v1/charges/{donation.stripe_charge}")
    post(client, sis.event("charge.updated", charge))
    assert balance("payment_fees", fund) == sis.stripe_fee(5000)
    assert count(DonationStripeTransaction) == 0


def test_a_late_fee_in_the_settlement_currency_books_the_conversion(client, stripe, page, fund):
    donation, completed = usd_gift(client, stripe, page, withhold=True)
    assert in_currency("stripe_balance", "USD") == 10000  # booked as paid, before Stripe said
    charge = stripe.release_balance_transaction(completed["payment_intent"])
    post(client, sis.event("charge.updated", charge))
    db.session.expire_all()
    eur = sis.convert(10000, Decimal("0.92"))
    fee = sis.converted_fee(eur)
    assert (donation.fee, donation.fee_currency) == (fee, "EUR")
    assert in_currency("stripe_balance", "USD") == 0
    assert in_currency("stripe_balance", "EUR") == eur - fee
    assert in_currency("payment_fees", "EUR") == fee and in_currency("payment_fees", "USD") == 0
    assert in_currency("fx_result", "USD") == 10000 and in_currency("fx_result", "EUR") == -eur
    # The admin fee is taken from what arrived: moved from dollars to euros.
    assert in_currency("admin_fee_income", "USD") == 0
    assert in_currency("admin_fee_income", "EUR") == -round(eur * 3 / 100)
    assert donation.admin_fee == round(eur * 3 / 100)
    assert_money_sound(db.session)


def test_two_deliveries_of_a_late_fee_at_once_book_it_once(app, client, stripe, page, fund):
    stripe.withhold_balance_transactions = True
    _, completed = give(page, stripe)
    post(client, sis.event("checkout.session.completed", completed))
    charge = stripe.release_balance_transaction(completed["payment_intent"])
    deliveries = [sis.delivery(sis.event("charge.updated", charge)) for _ in range(3)]
    fund_id = fund.id
    db.session.remove()

    assert delivered_at_once(app, deliveries) == [200, 200, 200]
    assert count(DonationStripeTransaction) == 1
    assert balance("payment_fees", db.session.get(Fund, fund_id)) == sis.stripe_fee(5000)
    assert_money_sound(db.session)


# --- disputes ------------------------------------------------------------------------------------

def dispute(donation, status, txns, amount=20000, currency="eur", dispute_id="dp_test_7"):
    return {"id": dispute_id, "object": "dispute", "amount": amount, "currency": currency,
            "charge": donation.stripe_charge, "payment_intent": donation.stripe_payment_intent,
            "status": status, "balance_transactions": txns}


def txn(txn_id, amount, fee, currency="eur"):
    return {"id": txn_id, "object": "balance_transaction", "amount": amount,
            "currency": currency, "fee": fee, "exchange_rate": None, "created": 1764806400}


WITHDRAWN = txn("txn_dp_out", -20000, 1500)
REINSTATED = txn("txn_dp_back", 20000, -1500)


def test_a_won_dispute_brings_back_the_funds_and_the_fee(client, stripe, page, fund):
    _, completed = give(page, stripe, amount=20000)
    post(client, sis.event("checkout.session.completed", completed))
    donation = db.session.scalar(select(Donation))
    fee = sis.stripe_fee(20000)
    opened = sis.event("charge.dispute.created", dispute(donation, "needs_response", [WITHDRAWN]))
    post(client, opened)
    post(client, opened)
    post(client, sis.event("charge.dispute.funds_withdrawn",
                           dispute(donation, "needs_response", [WITHDRAWN])))
    db.session.expire_all()
    assert donation.status is DonationStatus.BOOKED
    assert balance("receivables", fund) == 20000  # the disputed funds, held by Stripe
    assert balance("stripe_balance", fund) == 20000 - fee - 21500
    assert balance("payment_fees", fund) == fee + 1500  # the dispute fee, a cost
    won = dispute(donation, "won", [WITHDRAWN, REINSTATED])
    post(client, sis.event("charge.dispute.funds_reinstated", won))
    post(client, sis.event("charge.dispute.closed", won))
    db.session.expire_all()
    assert donation.status is DonationStatus.BOOKED
    assert balance("receivables", fund) == 0
    assert balance("stripe_balance", fund) == 20000 - fee
    assert balance("payment_fees", fund) == fee
    assert balance("donation_income", fund) == -20000
    assert count(DonationStripeTransaction) == 2
    assert_money_sound(db.session)


def test_a_lost_dispute_reverses_the_donation_from_the_disputed_funds(client, stripe, page,
                                                                     fund):
    _, completed = give(page, stripe, amount=20000)
    post(client, sis.event("checkout.session.completed", completed))
    donation = db.session.scalar(select(Donation))
    post(client, sis.event("charge.dispute.created",
                           dispute(donation, "needs_response", [WITHDRAWN])))
    lost = sis.event("charge.dispute.closed", dispute(donation, "lost", [WITHDRAWN]))
    post(client, lost)
    post(client, sis.event("charge.dispute.closed", dispute(donation, "lost", [WITHDRAWN])))
    db.session.expire_all()
    assert donation.status is DonationStatus.REVERSED
    assert balance("receivables", fund) == 0 and balance("donation_income", fund) == 0
    assert balance("admin_fee_income") == 0
    assert balance("payment_fees", fund) == sis.stripe_fee(20000) + 1500


def test_a_dispute_fee_in_the_settlement_currency_is_booked_in_it(client, stripe, page, fund):
    donation, _ = usd_gift(client, stripe, page)
    eur = sis.convert(10000, Decimal("0.92"))
    out = dict(txn("txn_dp_usd", -eur, 1500), exchange_rate=0.92)
    post(client, sis.event("charge.dispute.created",
                           dispute(donation, "needs_response", [out], amount=10000,
                                   currency="usd")))
    assert in_currency("receivables", "USD") == 10000
    assert in_currency("payment_fees", "EUR") == sis.converted_fee(eur) + 1500
    assert in_currency("payment_fees", "USD") == 0
    post(client, sis.event("charge.dispute.closed", dispute(
        donation, "lost", [out], amount=10000, currency="usd")))
    db.session.expire_all()
    assert donation.status is DonationStatus.REVERSED
    assert in_currency("receivables", "USD") == 0 and in_currency("donation_income", "USD") == 0
    assert in_currency("stripe_balance", "USD") == 0


def test_two_dispute_events_at_once_book_each_transaction_once(app, client, stripe, page, fund):
    _, completed = give(page, stripe, amount=20000)
    post(client, sis.event("checkout.session.completed", completed))
    donation = db.session.scalar(select(Donation))
    deliveries = [sis.delivery(sis.event(kind, dispute(donation, "needs_response", [WITHDRAWN])))
                  for kind in ("charge.dispute.created", "charge.dispute.funds_withdrawn")]
    fund_id = fund.id
    db.session.remove()

    assert delivered_at_once(app, deliveries) == [200, 200]
    assert count(DonationStripeTransaction) == 1
    assert balance("receivables", db.session.get(Fund, fund_id)) == 20000
