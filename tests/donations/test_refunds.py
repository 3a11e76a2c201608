"""Refunds of donations in part, through signed webhooks against the Stripe stand-in: each
refund booked once (income and admin fee back, Stripe's fee kept), the donation kept for what
is left, its receipt cancelled and replaced for the rest, the donor told; several in a row, one
more than is left, the same event twice, a failed refund, a refund told before its payment, two
at once (threads, SQLite and PostgreSQL), and in another settlement currency."""
from __future__ import annotations

import io
from decimal import Decimal

from pypdf import PdfReader
from sqlalchemy import select

from backoffice.core.outbox import OutboxMail
from backoffice.core.permissions import Role
from backoffice.donations import totals
from backoffice.donations.models import Donation, DonationRefund, DonationStatus, RefundStatus
from backoffice.donations.receipts import services as receipts
from backoffice.donations.receipts.models import Receipt
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.ledger.chart import Fund
from backoffice.ledger.integrity import problems
from backoffice.payments.models import StripeEvent

from .. import stripe_standin as sis
from ..concurrency import at_once
from ..helpers import login
from ..soundness import assert_money_sound
from .test_webhooks import balance, count, give, post


def booked_gift(client, stripe, page, amount=5000):
    _, completed = give(page, stripe, amount=amount)
    post(client, sis.event("checkout.session.completed", completed))
    return db.session.scalar(select(Donation))


def refunded(client, stripe, donation, amount):
    """Stripe refunds ``amount`` and tells of it with charge.refunded (all refunds so far)."""
    stripe.refund(donation.stripe_charge, amount)
    charge = stripe.api("GET", f"/v1/charges/{donation.stripe_charge}")
    return post(client, sis.event("charge.refunded", charge))


def delivered_at_once(app, deliveries) -> list:
    """Each signed delivery posted to the webhook at the same moment (threads, one session
    each): the status codes."""
    def deliver(payload, headers):
        def run(session):
            return app.test_client().post("/stripe/webhook", data=payload,
                                          headers=headers).status_code
        return run
    return at_once(app, [deliver(*d) for d in deliveries], timeout=60)


def pdf_text(receipt) -> str:
    pdf = receipts.stored_pdf(db.session, receipt, app_settings())
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())


def test_refunds_in_part_book_each_once_and_the_last_reverses_the_rest(client, stripe, page,
                                                                        fund):
    donation = booked_gift(client, stripe, page)
    fee = sis.stripe_fee(5000)
    assert refunded(client, stripe, donation, 1500).json["status"] == "processed"
    db.session.expire_all()
    assert (donation.status, donation.refunded, donation.net) == (DonationStatus.BOOKED, 1500, 3500)
    assert balance("donation_income", fund) == -3500
    assert balance("admin_fee_income") == -105  # 3 % of what is left
    assert balance("stripe_balance", fund) == 5000 - fee - 1500
    assert balance("payment_fees", fund) == fee  # Stripe keeps its fee on the payment
    assert totals.differences(db.session) == {}
    refunded(client, stripe, donation, 1000)
    db.session.expire_all()
    assert donation.net == 2500 and balance("admin_fee_income") == -75
    refunded(client, stripe, donation, 2500)
    db.session.expire_all()
    assert donation.status is DonationStatus.REVERSED and donation.refunded == 5000
    assert balance("donation_income", fund) == 0 and balance("admin_fee_income") == 0
    assert balance("stripe_balance", fund) == -fee
    rows = db.session.scalars(select(DonationRefund).order_by(DonationRefund.id)).all()
    assert [(r.amount, r.status) for r in rows] == [(1500, RefundStatus.BOOKED),
                                                    (1000, RefundStatus.BOOKED),
                                                    (2500, RefundStatus.BOOKED)]
    assert totals.differences(db.session) == {}
    # Stripe kept its fee: the fund bears it (below zero by it, as after a full refund).
    assert problems(db.session) == []


def test_the_same_refund_told_twice_and_by_another_event_books_once(client, stripe, page, fund):
    donation = booked_gift(client, stripe, page)
    refund = stripe.refund(donation.stripe_charge, 2000)
    charge = stripe.api("GET", f"/v1/charges/{donation.stripe_charge}")
    event = sis.event("charge.refunded", charge)
    assert post(client, event).json["status"] == "processed"
    assert post(client, event).json["status"] == "duplicate"
    post(client, sis.event("charge.refunded", charge))  # another event, the same refund
    post(client, sis.event("refund.updated", refund))
    db.session.expire_all()
    assert donation.net == 3000 and count(DonationRefund) == 1
    assert balance("donation_income", fund) == -3000
    assert_money_sound(db.session)


def test_a_receipt_issued_is_cancelled_and_replaced_for_what_is_left(client, stripe, page, fund,
                                                                     mailbox):
    donation = booked_gift(client, stripe, page)
    first = receipts.issue_for_donation(db.session, donation, settings=app_settings(),
                                        actor=None, send=False)
    refunded(client, stripe, donation, 2000)
    db.session.expire_all()
    assert not first.valid and "now amounts to 30.00 EUR" in first.cancel_reason
    assert "refunded through Stripe" in first.cancel_reason
    second = db.session.scalar(select(Receipt).where(Receipt.replaces_id == first.id))
    assert second is not None and second.valid and second.total == 3000
    text = pdf_text(second)
    assert f"ersetzt die Zuwendungsbestätigung Nr. {first.number}" in text
    assert "30,00" in text and "dreißig Euro" in text
    assert second.sequence == first.sequence + 1  # no gap in the series
    subjects = db.session.scalars(select(OutboxMail.subject).where(
        OutboxMail.recipients == "ada@example.org")).all()
    assert any(first.number in s for s in subjects), subjects
    assert any(second.number in s for s in subjects)
    # A second partial refund replaces the replacement, still one valid receipt.
    refunded(client, stripe, donation, 1000)
    db.session.expire_all()
    third = db.session.scalar(select(Receipt).where(Receipt.replaces_id == second.id))
    assert not second.valid and third.total == 2000 and third.valid
    assert receipts.valid_receipt_of(db.session, donation.id).id == third.id


def fabricated_refund(donation, amount, refund_id="re_fabricated_1", status="succeeded"):
    """A refund as a refund.* event carries it, with its balance transaction expanded."""
    return {"id": refund_id, "object": "refund", "amount": amount, "currency": "eur",
            "charge": donation.stripe_charge, "payment_intent": donation.stripe_payment_intent,
            "status": status, "created": 1764806400,
            "balance_transaction": {"id": f"txn_{refund_id}", "object": "balance_transaction",
                                    "amount": -amount, "currency": "eur", "fee": 0,
                                    "exchange_rate": None}}


def test_a_refund_of_more_than_is_left_is_kept_refused_and_nothing_goes_below_zero(
        client, stripe, page, fund):
    donation = booked_gift(client, stripe, page)
    refunded(client, stripe, donation, 4000)
    assert post(client, sis.event("refund.updated",
                                  fabricated_refund(donation, 1500))).json["status"] == "processed"
    db.session.expire_all()
    assert donation.net == 1000 and donation.status is DonationStatus.BOOKED
    row = db.session.scalar(select(DonationRefund).where(
        DonationRefund.stripe_refund == "re_fabricated_1"))
    assert row.status is RefundStatus.REFUSED and "more than the 10.00 EUR left" in row.note
    assert row.journal_entry_id is None
    assert balance("donation_income", fund) == -1000
    assert "not booked" in db.session.scalars(select(StripeEvent.note).order_by(
        StripeEvent.received_at.desc())).first()
    assert_money_sound(db.session)


def test_a_refund_that_fails_after_it_was_booked_is_reversed(client, stripe, page, fund):
    donation = booked_gift(client, stripe, page)
    post(client, sis.event("refund.updated", fabricated_refund(donation, 1200, status="pending")))
    db.session.expire_all()
    assert donation.net == 3800
    post(client, sis.event("refund.failed", fabricated_refund(donation, 1200, status="failed")))
    post(client, sis.event("refund.updated", fabricated_refund(donation, 1200, status="pending")))
    db.session.expire_all()
    assert donation.net == 5000 and donation.status is DonationStatus.BOOKED
    assert db.session.scalar(select(DonationRefund)).status is RefundStatus.FAILED
    assert balance("donation_income", fund) == -5000
    assert totals.differences(db.session) == {}
    assert_money_sound(db.session)


def test_a_refund_told_before_its_payment_waits_and_books_after_it(client, stripe, page, fund):
    _, completed = give(page, stripe)
    pi = stripe.payment_intent(completed["payment_intent"])
    charge_id = pi["latest_charge"] if isinstance(pi["latest_charge"], str) \
        else pi["latest_charge"]["id"]
    stripe.refund(charge_id, 500)
    early = sis.event("charge.refunded", stripe.api("GET", f"/v1/charges/{charge_id}"))
    assert post(client, early).status_code == 500  # kept as failed, Stripe retries
    assert db.session.scalar(select(StripeEvent)).status == "failed"
    post(client, sis.event("checkout.session.completed", completed))
    assert post(client, early).json["status"] == "processed"  # Stripe's retry
    db.session.expire_all()
    donation = db.session.scalar(select(Donation))
    assert donation.net == 4500 and balance("donation_income", fund) == -4500
    assert_money_sound(db.session)


def test_two_refunds_told_at_once_book_each_once(app, client, stripe, page, fund):
    donation = booked_gift(client, stripe, page)
    charge_id, fund_id = donation.stripe_charge, fund.id
    stripe.refund(charge_id, 1000)
    first = sis.delivery(sis.event("charge.refunded", stripe.api("GET", f"/v1/charges/{charge_id}")))
    stripe.refund(charge_id, 1500)
    second = sis.delivery(sis.event("charge.refunded",
                                    stripe.api("GET", f"/v1/charges/{charge_id}")))
    db.session.remove()

    results = delivered_at_once(app, [first, second, second])
    assert sorted(results) == [200, 200, 200]
    donation = db.session.scalar(select(Donation))
    assert donation.refunded == 2500 and count(DonationRefund) == 2
    assert balance("donation_income", db.session.get(Fund, fund_id)) == -2500
    assert totals.differences(db.session) == {}
    assert_money_sound(db.session)


def test_a_refund_in_part_of_a_gift_settled_in_another_currency_books_the_exchange(
        client, stripe, page, fund):
    from backoffice.core.db import transaction
    from backoffice.core.money import Money
    from backoffice.donations import checkout, donors
    with transaction():
        page.currency = "USD"
    stripe.settle_in("eur", Decimal("0.92"))
    with transaction():
        row = checkout.start(db.session, page, checkout.Pledge(
            amount=Money(10000, "USD"), interval=None,
            donor=donors.DonorDetails(name="Grace Hopper", email="grace@example.org")),
            form_token="usd", success_url="http://x/s", cancel_url="http://x/c",
            settings=app_settings())
    post(client, sis.event("checkout.session.completed", stripe.complete(row.stripe_id)))
    donation = db.session.scalar(select(Donation))
    stripe.settle_in("eur", Decimal("0.90"))  # the rate moved before the refund
    refunded(client, stripe, donation, 4000)
    db.session.expire_all()
    assert donation.net == 6000 and donation.currency == "USD"
    assert balance("donation_income", fund) == -6000  # in dollars, as given
    assert_money_sound(db.session)


def test_the_donation_page_shows_its_refunds_and_what_it_now_counts_for(client, stripe, page,
                                                                         fund, users):
    donation = booked_gift(client, stripe, page)
    refunded(client, stripe, donation, 1250)
    login(client, Role.TREASURER)
    html = client.get(f"/donations/{donation.id}").get_data(as_text=True)
    assert "Now counts for" in html and "37.50" in html and "12.50" in html
    listed = client.get("/donations").get_data(as_text=True)
    assert "37.50" in listed
