"""Refunds that moved money at Stripe but are not booked as they happened wait for the
treasurer: a refused refund (more than is left) and a refund that failed after a correction
had reversed its donation, both told by signed webhooks against the Stripe stand-in. They are counted on the
start page, listed with donation, amount, Stripe's id and reason, and leave the list once the
treasurer notes how each was handled (a note required, audited, once; an auditor may not)."""
from __future__ import annotations

import re

from sqlalchemy import select

from backoffice.core.audit import AuditEvent
from backoffice.core.db import transaction
from backoffice.core.permissions import Role
from backoffice.donations import booking, refunds
from backoffice.donations.models import (
    Donation,
    DonationRefund,
    DonationStatus,
    RefundHandling,
    RefundStatus,
)
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings

from .. import stripe_standin as sis
from ..helpers import form_tokens, login
from .test_refunds import booked_gift, fabricated_refund, refunded
from .test_webhooks import count, post

LABEL = "Stripe refunds for the treasurer"


def waiting_on_start_page(client) -> int | None:
    found = re.search(re.escape(LABEL) + r"\D*(\d+)", client.get("/").get_data(as_text=True))
    return int(found.group(1)) if found else None


def refused_refund(client, stripe, page):
    donation = booked_gift(client, stripe, page)
    refunded(client, stripe, donation, 4000)
    post(client, sis.event("refund.updated", fabricated_refund(donation, 1500)))
    db.session.expire_all()
    row = db.session.scalar(select(DonationRefund).where(
        DonationRefund.stripe_refund == "re_fabricated_1"))
    assert row.status is RefundStatus.REFUSED and row.for_treasurer
    return donation, row


def handle(client, row, note):
    return client.post(f"/donations/refunds/{row.id}/handled",
                       data={**form_tokens(client, "/donations/refunds"), "note": note})


def test_a_refused_refund_waits_until_the_treasurer_notes_how_it_was_handled(
        client, stripe, page, fund, users):
    donation, row = refused_refund(client, stripe, page)
    login(client, Role.TREASURER)
    assert waiting_on_start_page(client) == 1
    listed = client.get("/donations/refunds")
    html = listed.get_data(as_text=True)
    assert listed.status_code == 200
    assert donation.ref in html and "re_fabricated_1" in html and "15.00" in html
    assert "more than the 10.00 EUR left" in html and "Mark as handled" in html

    missing = handle(client, row, "   ")
    assert missing.status_code == 400
    assert count(RefundHandling) == 0 and refunds.waiting(db.session) == 1

    done = handle(client, row, "Stripe refunded by mistake; donor asked to return 15 EUR")
    assert done.status_code == 302 and done.location.endswith("/donations/refunds")
    assert waiting_on_start_page(client) is None  # nothing waits: the line is gone
    html = client.get("/donations/refunds").get_data(as_text=True)
    assert "No refund waits for the treasurer." in html
    assert "donor asked to return 15 EUR" in html  # listed as handled, the row stays
    db.session.expire_all()
    assert db.session.get(DonationRefund, row.id).status is RefundStatus.REFUSED
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "donation.refund_handled")).all()
    assert len(events) == 1 and "re_fabricated_1" in events[0].summary
    assert "donor asked to return" in events[0].summary and events[0].actor_id is not None

    again = client.post(f"/donations/refunds/{row.id}/handled",
                        data={**form_tokens(client, "/donations/refunds"), "note": "again"},
                        headers={"Referer": "http://localhost/donations/refunds"})
    assert again.status_code == 303
    note = client.get(again.location).get_data(as_text=True)
    assert "Refund re_fabricated_1 is handled already." in note
    assert count(RefundHandling) == 1
    assert count(AuditEvent, AuditEvent.action == "donation.refund_handled") == 1


def test_an_auditor_sees_the_list_but_may_not_mark_a_refund_handled(client, stripe, page, fund,
                                                                    users):
    _, row = refused_refund(client, stripe, page)
    login(client, Role.AUDITOR)
    html = client.get("/donations/refunds").get_data(as_text=True)
    assert "re_fabricated_1" in html and "Mark as handled" not in html
    assert handle(client, row, "looked at it").status_code == 403
    assert count(RefundHandling) == 0 and refunds.waiting(db.session) == 1


def test_a_refund_failing_after_a_correction_reversed_the_donation_is_for_the_treasurer(
        client, stripe, page, fund, users):
    """The refund had not reversed the donation (a treasurer's correction did, after it): the
    books are left as they are. (A refund that had reversed it books it again:
    ``test_refund_failed_after_reversal``.)"""
    donation = booked_gift(client, stripe, page)
    post(client, sis.event("refund.updated", fabricated_refund(donation, 1200, status="pending")))
    with transaction():
        booking.reverse(db.session, db.session.get(Donation, donation.id), actor=None,
                        reason="Booked on the wrong fund", settings=app_settings())
    db.session.expire_all()
    assert donation.status is DonationStatus.REVERSED
    assert refunds.waiting(db.session) == 0
    post(client, sis.event("refund.failed", fabricated_refund(donation, 1200, status="failed")))
    post(client, sis.event("refund.failed", fabricated_refund(donation, 1200, status="failed")))
    db.session.expire_all()
    row = db.session.scalar(select(DonationRefund))
    assert row.status is RefundStatus.BOOKED and row.for_treasurer  # the books are untouched
    assert "failed after it was booked" in row.note and donation.ref in row.note
    assert donation.status is DonationStatus.REVERSED
    assert count(AuditEvent, AuditEvent.action == "donation.refund_for_treasurer") == 1
    assert count(AuditEvent, AuditEvent.action == "donation.rebooked") == 0
    login(client, Role.TREASURER)
    assert waiting_on_start_page(client) == 1
    html = client.get("/donations/refunds").get_data(as_text=True)
    assert donation.ref in html and "re_fabricated_1" in html and "12.00" in html
    assert handle(client, row, "Re-booked the gift by hand").status_code == 302
    assert refunds.waiting(db.session) == 0


def test_a_german_treasurer_reads_the_list_in_german(client, stripe, page, fund, users):
    refused_refund(client, stripe, page)
    login(client, Role.TREASURER)
    de = {"Accept-Language": "de-DE"}
    html = client.get("/donations/refunds", headers=de).get_data(as_text=True)
    assert "Erstattungen für die Schatzmeister:in" in html and "Als erledigt markieren" in html
    assert "Stripe-Erstattungen für die Schatzmeister:in" in client.get(
        "/", headers=de).get_data(as_text=True)
