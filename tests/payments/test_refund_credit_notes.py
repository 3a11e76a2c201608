"""A partial refund through Stripe is never asked for again: it becomes a partial credit note (its
own number, PDF and e-invoice), unless the treasurer says the money is owed again."""
from __future__ import annotations

from datetime import timedelta

import facturx
import pytest
from lxml import etree
from sqlalchemy import func, select

from backoffice.core.db import transaction
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.invoicing import services as invoicing
from backoffice.invoicing import state
from backoffice.invoicing.models import Invoice, InvoicePayment, InvoiceRefundDecision
from backoffice.ledger.models import Posting
from backoffice.ledger.services import account_by_role

from .. import stripe_standin as sis
from ..helpers import csrf_token, login
from ..invoicing import factories
from .test_webhook import GROSS, checkout, post

REFUND = 100000  # EUR 1,000.00 of EUR 5,950.00 (5,000.00 + 19 % VAT)
NS = {"rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
      "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}


def balance(role: str) -> int:
    account = account_by_role(db.session, role)
    return int(db.session.scalar(select(func.coalesce(func.sum(Posting.amount), 0))
                                 .where(Posting.account_id == account.id)))


def reload(invoice) -> Invoice:
    db.session.expire_all()
    return db.session.get(Invoice, invoice.id)


@pytest.fixture
def invoice(app, stripe, users):
    invoice = factories.issued()
    completed = checkout(app.test_client(), stripe, invoice)
    assert post(app.test_client(), sis.event("checkout.session.completed",
                                             completed)).status_code == 200
    return invoice


def refund(app, stripe, invoice, amount: int = REFUND) -> InvoicePayment:
    pi_id = db.session.scalar(select(InvoicePayment.reference).where(
        InvoicePayment.invoice_id == invoice.id))
    charge_id = stripe.payment_intent(pi_id)["latest_charge"]["id"]
    made = stripe.refund(charge_id, amount=amount)
    charge = stripe.api("GET", f"/v1/charges/{charge_id}")
    assert post(app.test_client(), sis.event("charge.refunded", charge)).status_code == 200
    return db.session.scalar(select(InvoicePayment).where(InvoicePayment.reference == made["id"]))


def decide(client, invoice, payment, decision: str):
    login(client, "treasurer")
    return client.post(f"/invoices/{invoice.id}/refunds/{payment.id}", data={
        "decision": decision, "csrf_token": csrf_token(client, f"/invoices/{invoice.id}")})


def test_a_partial_refund_is_not_asked_for_by_the_pay_page_or_the_reminders(
        app, client, stripe, invoice, mailbox):
    refunded = refund(app, stripe, invoice)
    invoice = reload(invoice)
    assert state.refunds_to_decide(invoice) == [refunded]
    assert state.outstanding(invoice) == 0
    assert state.status(invoice, invoice.due_date + timedelta(days=60)) is state.Status.PAID
    page = client.get(f"/pay/{invoicing.pay_token(invoice, settings=app_settings())}").get_data(as_text=True)
    assert 'id="pay-online"' not in page
    with transaction():
        sent = invoicing.send_due_reminders(db.session, today=invoice.due_date + timedelta(days=60), settings=app_settings())
    assert sent == [] and mailbox == []
    assert state.open_invoices(db.session) == []  # nor is it offered to the bank reconciliation
    login(client, "treasurer")
    page = client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert 'data-testid="refunds-to-decide"' in page and refunded.reference in page
    start = client.get("/").get_data(as_text=True)  # the treasurer is told on the start page
    assert "Refunds to settle" in start and "status=refunds" in start
    listed = client.get("/invoices?status=refunds").get_data(as_text=True)
    assert invoice.number in listed


def test_the_treasurer_settles_a_partial_refund_with_a_credit_note(app, client, stripe, invoice):
    refunded = refund(app, stripe, invoice)
    response = decide(client, invoice, refunded, "credit_note")
    assert response.status_code == 302
    invoice = reload(invoice)
    [note] = invoice.credit_notes
    # Its own number (the next one), PDF and e-invoice.
    assert note.kind == "credit_note" and note.cancels_id == invoice.id
    assert note.series == invoice.series and note.sequence == invoice.sequence + 1
    assert note.gross_total == -REFUND and note.net_total == -84034 and note.tax_total == -15966
    pdf = invoicing.stored_pdf(db.session, note, settings=app_settings())
    assert pdf.startswith(b"%PDF")
    _, xml = facturx.get_xml_from_pdf(pdf, check_xsd=True)
    root = etree.fromstring(xml)
    assert root.findtext(".//rsm:ExchangedDocument/ram:TypeCode", namespaces=NS) == "381"
    assert root.findtext(".//ram:InvoiceReferencedDocument/ram:IssuerAssignedID",
                         namespaces=NS) == invoice.number
    assert root.findtext(".//ram:GrandTotalAmount", namespaces=NS) == "1000.00"
    # The books: the receivable the refund reopened is closed again, income and VAT reduced.
    assert balance("receivables") == 0
    assert balance("vat_payable") == -(95000 - 15966)
    assert state.outstanding(invoice) == 0 and state.refunds_to_decide(invoice) == []
    assert state.status(invoice, invoice.due_date + timedelta(days=60)) is state.Status.PAID
    decision = db.session.scalar(select(InvoiceRefundDecision))
    assert (decision.decision, decision.credit_note_id) == ("credit_note", note.id)
    page = client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert note.number in page and 'data-testid="refunds-to-decide"' not in page
    assert invoice.number not in client.get("/invoices?status=refunds").get_data(as_text=True)
    pay_page = client.get(f"/pay/{invoicing.pay_token(invoice, settings=app_settings())}").get_data(as_text=True)
    amount = pay_page.split('data-testid="pay-amount">')[1].split("<")[0]
    # paid: 5,950 less 1,000, in the German sponsor's language (the invoice's, no browser's asked)
    assert "4.950,00" in amount and 'id="pay-online"' not in pay_page
    assert client.get(f"/invoices/{note.id}/pdf").data == pdf
    # Decided once: a second click changes nothing.
    again = decide(client, invoice, refunded, "credit_note")
    assert again.status_code == 302
    assert len(reload(invoice).credit_notes) == 1


def test_the_treasurer_can_say_the_refunded_money_is_owed_again(app, client, stripe, invoice,
                                                                 mailbox):
    refunded = refund(app, stripe, invoice)
    assert decide(client, invoice, refunded, "owed_again").status_code == 302
    invoice = reload(invoice)
    assert invoice.credit_notes == [] and state.outstanding(invoice) == REFUND
    later = invoice.due_date + timedelta(days=1)
    assert state.status(invoice, later) is state.Status.OVERDUE
    with transaction():
        sent = invoicing.send_due_reminders(db.session, today=later, settings=app_settings())
    assert [d.kind for d in sent] == ["reminder_1"]
    assert "1.000,00" in mailbox[-1].get_body(("plain",)).get_content()  # German sponsor
    assert balance("receivables") == REFUND


def test_only_the_treasurer_decides(app, client, stripe, invoice):
    refunded = refund(app, stripe, invoice)
    login(client, "board")
    response = client.post(f"/invoices/{invoice.id}/refunds/{refunded.id}", data={
        "decision": "credit_note", "csrf_token": csrf_token(client, "/")})
    assert response.status_code == 403
    assert reload(invoice).credit_notes == []


def test_a_refund_that_fails_after_its_credit_note_is_owed_back_to_the_sponsor(
        app, client, stripe, invoice):
    refunded = refund(app, stripe, invoice)
    decide(client, invoice, refunded, "credit_note")
    failed = {"id": refunded.reference, "object": "refund", "amount": REFUND, "currency": "eur",
              "status": "failed", "charge": stripe.payment_intent(
                  reload(invoice).payments[0].reference)["latest_charge"]["id"]}
    assert post(client, sis.event("refund.failed", failed)).status_code == 200
    invoice = reload(invoice)
    assert state.outstanding(invoice) == -REFUND  # the credit note stands; the money is owed
    assert (invoice.id, REFUND) in [(i.id, a) for i, a in state.credits(db.session)]


def test_a_refund_of_a_cancelled_invoice_gives_back_money_that_was_not_owed(
        app, client, stripe, invoice):
    with transaction():
        invoicing.cancel(db.session, reload(invoice), actor=None, reason="Event cancelled", settings=app_settings())
    assert [a for _, a in state.credits(db.session)] == [GROSS]
    refunded = refund(app, stripe, invoice, amount=GROSS)
    assert refunded.decision.decision == "returned"
    invoice = reload(invoice)
    assert state.refunds_to_decide(invoice) == [] and state.outstanding(invoice) == 0
    assert state.credits(db.session) == []


def test_a_credit_note_cannot_credit_more_than_is_left_and_blocks_a_full_cancellation(
        app, client, stripe, invoice):
    refunded = refund(app, stripe, invoice)
    decide(client, invoice, refunded, "credit_note")
    from backoffice.core.errors import InvalidTransition, ValidationError
    from backoffice.core.money import Money

    with pytest.raises(ValidationError, match="left to credit"):
        with transaction():
            invoicing.issue_credit_note(db.session, reload(invoice), Money(GROSS, "EUR"),
                                        actor=None, reason="too much", settings=app_settings())
    with pytest.raises(InvalidTransition, match="credited in part"):
        with transaction():
            invoicing.cancel(db.session, reload(invoice), actor=None, reason="no", settings=app_settings())


def test_two_treasurers_deciding_the_same_refund_at_once_issue_one_credit_note(
        app, stripe, invoice):
    from backoffice.core.errors import DomainError

    from ..concurrency import at_once

    refunded_id = refund(app, stripe, invoice).id
    db.session.remove()

    def decide_now(session):
        with transaction():
            payment = session.get(InvoicePayment, refunded_id)
            return invoicing.decide_refund(session, payment, "credit_note", actor=None, settings=app_settings()).id

    results = at_once(app, [decide_now] * 2)
    assert sum(isinstance(r, int) for r in results) == 1, results
    assert all(isinstance(r, int | DomainError) for r in results), results
    invoice = reload(invoice)
    assert len(invoice.credit_notes) == 1
    assert db.session.scalar(select(func.count()).select_from(InvoiceRefundDecision)) == 1
    numbers = db.session.scalars(select(Invoice.sequence).where(Invoice.series == invoice.series)
                                 .order_by(Invoice.sequence)).all()
    assert numbers == [1, 2]  # no number lost to the one that lost the race
    assert balance("receivables") == 0


def test_the_credit_note_pdf_says_what_it_is(app, client, stripe, invoice):
    from io import BytesIO

    from pypdf import PdfReader

    decide(client, invoice, refund(app, stripe, invoice), "credit_note")
    note = reload(invoice).credit_notes[0]
    text = "".join(page.extract_text() for page in
                   PdfReader(BytesIO(invoicing.stored_pdf(db.session, note, settings=app_settings()))).pages)
    assert f"Rechnungskorrektur (Gutschrift) {note.number}" in text  # a German sponsor
    assert invoice.number in text and "1.000,00" in text


def test_the_command_line_lists_and_settles_refunds(app, stripe, invoice):
    refunded = refund(app, stripe, invoice)
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["invoices", "refunds"])
    assert refunded.reference in listed.output and "1 refund(s) to settle" in listed.output
    settled = runner.invoke(args=["invoices", "settle-refund", refunded.reference])
    assert settled.exit_code == 0, settled.output
    note = reload(invoice).credit_notes[0]
    assert f"credit note {note.number}" in settled.output
    again = runner.invoke(args=["invoices", "settle-refund", refunded.reference, "--owed-again"])
    assert again.exit_code == 1 and "nothing left to decide" in again.output
    unknown = runner.invoke(args=["invoices", "settle-refund", "re_nothing"])
    assert unknown.exit_code == 1 and "No refund re_nothing." in unknown.output
