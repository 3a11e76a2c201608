"""A refund that fails after it had reversed its donation, through signed webhooks against the
Stripe stand-in: the money came back to the Stripe balance, so the donation is booked again (a
new entry in its fund with the admin fee, booked for its amount, in the totals, due a receipt
again while the receipt the reversal cancelled stays cancelled), exactly once when the failure
is told twice, by two events, or all at once (threads; SQLite and PostgreSQL). Nothing waits
for the treasurer; a refund failing after something else reversed the donation still does
(``test_refunds_for_treasurer``)."""
from __future__ import annotations

from sqlalchemy import select

from backoffice.core.audit import AuditEvent
from backoffice.core.permissions import Role
from backoffice.donations import refunds, totals
from backoffice.donations.models import Donation, DonationRefund, DonationStatus, RefundStatus
from backoffice.donations.receipts import services as receipts
from backoffice.donations.receipts.models import Receipt
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.ledger.chart import Fund
from backoffice.ledger.integrity import problems
from backoffice.ledger.models import JournalEntry

from .. import stripe_standin as sis
from ..helpers import login
from ..soundness import assert_money_sound
from .test_refunds import booked_gift, delivered_at_once, fabricated_refund
from .test_webhooks import balance, count, post

FEE = sis.stripe_fee(5000)


def failed(donation, *, returned: bool = True) -> dict:
    """The full refund as refund.failed carries it: failed, with the balance transaction that
    gave the money back (``failure_balance_transaction``), unless ``returned`` is False."""
    refund = fabricated_refund(donation, 5000, status="failed")
    refund["failure_balance_transaction"] = {
        "id": "txn_refund_failure_1", "object": "balance_transaction", "amount": 5000,
        "currency": "eur", "fee": 0, "exchange_rate": None} if returned else None
    return refund


def reversed_by_refund(client, stripe, page):
    donation = booked_gift(client, stripe, page)
    receipt = receipts.issue_for_donation(db.session, donation, settings=app_settings(),
                                          actor=None, send=False)
    db.session.commit()
    post(client, sis.event("refund.updated", fabricated_refund(donation, 5000, status="pending")))
    db.session.expire_all()
    assert donation.status is DonationStatus.REVERSED and not receipt.valid
    assert balance("donation_income", donation.fund) == 0
    return donation, receipt


def assert_booked_again_once(donation_id: int, fund_id: int) -> None:
    db.session.expire_all()
    donation = db.session.get(Donation, donation_id)
    fund = db.session.get(Fund, fund_id)
    assert donation.status is DonationStatus.BOOKED and donation.net == 5000
    assert donation.refunded == 0 and donation.reversal_entry_id is None
    assert balance("donation_income", fund) == -5000
    assert balance("admin_fee_expense", fund) == 150  # 3 % again, as the policy says
    assert balance("stripe_balance", fund) == 5000 - FEE  # the money is back
    row = db.session.scalar(select(DonationRefund))
    assert row.status is RefundStatus.FAILED and not row.for_treasurer
    assert row.journal_entry_id is not None and row.reversal_entry_id is not None
    again = db.session.get(JournalEntry, row.reversal_entry_id)
    assert again.reverses_id is None and again.source_id == str(donation.id)
    assert "booked again" in again.description
    assert {p.fund_id for p in again.postings} >= {fund.id}
    assert count(JournalEntry, JournalEntry.source_kind == "donation") == 3  # booked, refunded, again
    assert count(AuditEvent, AuditEvent.action == "donation.rebooked") == 1
    assert refunds.waiting(db.session) == 0
    assert totals.differences(db.session) == {}
    assert_money_sound(db.session)


def test_a_refund_failing_after_it_reversed_the_donation_books_it_again_once(
        client, stripe, page, fund, users):
    donation, receipt = reversed_by_refund(client, stripe, page)
    assert receipts.due_count(db.session, app_settings()) == 0
    assert post(client, sis.event("refund.failed", failed(donation))).json["status"] == "processed"
    post(client, sis.event("refund.failed", failed(donation)))  # told again
    post(client, sis.event("charge.refund.updated", failed(donation)))  # and by another event
    post(client, sis.event("refund.updated", fabricated_refund(donation, 5000, status="pending")))
    assert_booked_again_once(donation.id, fund.id)

    # The receipt the reversal cancelled stays cancelled; the donation is due one again.
    db.session.expire_all()
    assert not db.session.get(Receipt, receipt.id).valid
    assert receipts.valid_receipt_of(db.session, donation.id) is None
    assert receipts.due_count(db.session, app_settings()) == 1

    login(client, Role.TREASURER)
    html = client.get(f"/donations/{donation.id}").get_data(as_text=True)
    assert "Booked" in html and "booked again" in html and 'data-testid="refund-undone"' in html

    # Booked again, it can be refunded again like any other.
    post(client, sis.event("refund.updated", fabricated_refund(donation, 5000, "re_second")))
    db.session.expire_all()
    assert db.session.get(Donation, donation.id).status is DonationStatus.REVERSED
    assert balance("donation_income", fund) == 0
    assert problems(db.session) == [] and totals.differences(db.session) == {}


def test_the_failure_told_at_once_by_several_deliveries_books_the_donation_again_once(
        app, client, stripe, page, fund):
    donation, _ = reversed_by_refund(client, stripe, page)
    donation_id, fund_id = donation.id, fund.id
    first = sis.delivery(sis.event("refund.failed", failed(donation, returned=False)))
    second = sis.delivery(sis.event("charge.refund.updated", failed(donation, returned=False)))
    db.session.remove()

    results = delivered_at_once(app, [first, second, first])
    assert sorted(results) == [200, 200, 200]
    assert_booked_again_once(donation_id, fund_id)
