"""The invoicing pages, driven over HTTP as a treasurer, a board member and an organiser."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.core.money import Money
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.invoicing import services, state
from backoffice.invoicing.models import Invoice, Sponsor

from ..helpers import counted_get, login, own_queries, post_form
from . import factories


def test_treasurer_creates_sponsor_and_draft_then_issues(client, users):
    login(client, "treasurer")
    response = post_form(client, "/sponsors/new", {
        "name": "Bad VAT GmbH", "street": "Weg 1", "postcode": "10115", "city": "Berlin",
        "country": "DE", "vat_id": "DE136695977", "language": "de", "billing_emails": "ap@x.example"},
        token_from="/sponsors/new")
    assert response.status_code == 400, response.get_data(as_text=True)[-1500:]
    assert "not a valid VAT ID" in response.get_data(as_text=True)
    response = post_form(client, "/sponsors/new", {
        "name": "Gute Firma GmbH", "street": "Weg 1", "postcode": "10115", "city": "Berlin",
        "country": "DE", "vat_id": "DE 136 695 976", "language": "de",
        "billing_emails": "ap@x.example"}, token_from="/sponsors/new")
    assert response.status_code == 302
    sponsor = db.session.scalar(select(Sponsor))
    assert sponsor.vat_id == "DE136695976"
    response = post_form(client, "/invoices/new", {
        "sponsor": sponsor.id, "group": "", "currency": "EUR", "service_date": "2026-05-04",
        "payment_days": "14", "lines-0-description": "Silver sponsorship",
        "lines-0-quantity": "1", "lines-0-unit_price": "2,500.00", "lines-0-tax_treatment": "standard",
    }, token_from="/invoices/new")
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    invoice = db.session.scalar(select(Invoice))
    assert invoice.gross_total == 297500 and invoice.is_draft
    page = client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert "Issue invoice" in page
    response = post_form(client, f"/invoices/{invoice.id}/issue", {}, token_from=f"/invoices/{invoice.id}")
    assert response.status_code == 302
    db.session.expire_all()
    invoice = db.session.get(Invoice, invoice.id)
    assert invoice.number and invoice.due_date == clock.today() + timedelta(days=14)
    for path in ("/invoices", "/invoices?status=open", "/invoices/aging", "/sponsors",
                 f"/sponsors/{sponsor.id}", "/packages", "/packages/new", f"/invoices/{invoice.id}",
                 f"/invoices/{invoice.id}/pdf", f"/sponsors/{sponsor.id}/edit"):
        assert client.get(path).status_code == 200, path
    assert client.get(f"/invoices/{invoice.id}/pdf").data == services.stored_pdf(db.session, invoice, settings=app_settings())
    response = post_form(client, f"/invoices/{invoice.id}/cancel", {"reason": "Wrong amount"},
                         token_from=f"/invoices/{invoice.id}")
    cancellation = db.session.scalar(select(Invoice).where(Invoice.cancels_id == invoice.id))
    assert response.headers["Location"].endswith(f"/invoices/{cancellation.id}")
    assert "Wrong amount" in cancellation.notes and cancellation.gross_total == -297500
    response = post_form(client, f"/invoices/{invoice.id}/cancel", {"reason": "Again"},
                         token_from=f"/invoices/{invoice.id}")
    assert "already cancelled" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_board_sees_but_cannot_change(client, users):
    invoice = factories.issued()
    login(client, "board")
    assert client.get("/invoices").status_code == 200
    assert client.get(f"/invoices/{invoice.id}").status_code == 200
    assert client.get("/invoices/new").status_code == 403
    assert post_form(client, f"/invoices/{invoice.id}/cancel", {"reason": "x"}).status_code == 403


def test_organisers_see_no_invoices(client, users):
    invoice = factories.issued()
    login(client, "organiser")
    assert client.get("/invoices").status_code == 403
    assert client.get(f"/invoices/{invoice.id}/pdf").status_code == 403


def test_lists_show_totals_aging_and_overpayments(client, users):
    today = clock.today()
    old = factories.issued(issue_date=today - timedelta(days=75))   # due 45 days ago
    part = factories.issued(issue_date=today - timedelta(days=10))  # not yet due
    over = factories.issued(factories.sponsor("US"), issue_date=today - timedelta(days=5))
    with transaction():
        services.record_payment(db.session, part, amount=Money(100000, "EUR"), reference="b1",
                                received_on=today, method="bank", debit_role="bank")
        services.record_payment(db.session, over, amount=Money(over.gross_total + 500, "EUR"),
                                reference="b2", received_on=today, method="bank", debit_role="bank")
    login(client, "treasurer")
    html = client.get("/invoices/aging").get_data(as_text=True)
    assert old.number in html and part.number in html and "31–60 days" in html
    credits = html.split('data-testid="credits"')[1]
    assert over.number in credits and "€5.00" in credits
    html = client.get("/invoices").get_data(as_text=True)
    totals = html.split('data-testid="invoice-totals"')[1].split("</form>")[0]
    assert "Open (2)" in totals and "Overdue (1)" in totals
    assert client.get("/invoices?status=overdue").get_data(as_text=True).count("/invoices/") >= 1
    summary = state.summary(db.session, today)  # summed by the database, as open_invoices says
    assert summary.open_total == {"EUR": sum(item.outstanding for item in state.open_invoices(
        db.session))} == {"EUR": old.gross_total + part.gross_total - 100000}
    assert (summary.open_count, summary.overdue_count) == (2, 1)
    assert summary.overdue_total == {"EUR": old.gross_total}
    assert summary.paid_this_year == {"EUR": 100000 + over.gross_total + 500}


def test_sending_mails_pdf_and_pay_link_and_reminders(app, client, users, mailbox):
    today = clock.today()
    invoice = factories.issued(issue_date=today - timedelta(days=60))
    with transaction():
        services.send_invoice(db.session, invoice, actor=None, settings=app_settings())
    assert len(mailbox) == 1
    message = mailbox[0]
    assert message["To"] == "ap@sponsor.example" and invoice.number in message["Subject"]
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert services.pay_url(invoice, settings=app_settings()) in body and invoice.payment_reference in body
    attachment = next(message.iter_attachments())
    assert attachment.get_filename() == f"{invoice.number}.pdf"
    assert attachment.get_content() == services.stored_pdf(db.session, invoice, settings=app_settings())
    runner = app.test_cli_runner()
    result = runner.invoke(args=["invoices", "remind"])
    assert "1 reminder(s) sent" in result.output and len(mailbox) == 2
    assert "Zahlungserinnerung" in mailbox[1]["Subject"]
    result = runner.invoke(args=["invoices", "remind"])
    assert "0 reminder(s) sent" in result.output  # the second waits 14 days
    later = (today + timedelta(days=15)).isoformat()
    result = runner.invoke(args=["invoices", "remind", "--date", later])
    assert "reminder 2" in result.output and "Zweite Mahnung" in mailbox[2]["Subject"]
    kinds = [d.kind for d in db.session.get(Invoice, invoice.id).dispatches]
    assert kinds == ["invoice", "reminder_1", "reminder_2"]


def _queries(client, url: str) -> int:
    response, count = counted_get(client, url)
    assert response.status_code == 200
    return count


def test_the_invoice_list_asks_the_same_questions_for_three_invoices_as_for_twelve(client, users):
    """Issue 17: each row's state (payments, refunds, cancellation, credit notes) is loaded for
    the whole page, not by a query per invoice."""
    today = clock.today()

    def paid_and_cancelled(n: int) -> None:
        for day in range(n):
            invoice = factories.issued(issue_date=today - timedelta(days=day))
            with transaction():
                services.record_payment(db.session, invoice, amount=Money(1000, "EUR"),
                                        reference=f"p{invoice.id}", received_on=today,
                                        method="bank", debit_role="bank")
        wrong = factories.issued(issue_date=today)
        with transaction():
            services.cancel(db.session, wrong, reason="Wrong amount", actor=None, settings=app_settings())

    paid_and_cancelled(2)
    login(client, "treasurer")
    few = _queries(client, "/invoices")
    paid_and_cancelled(10)
    assert _queries(client, "/invoices") == few
    # The sponsors of the filter, one query for the page of rows with their states, one for
    # the totals (what is open and overdue, what came in this year).
    assert own_queries(client, "/invoices") == 3


def test_the_invoice_list_shows_each_invoice_in_the_state_its_objects_give(client, users):
    """The list reads light columns and sums in the database (issue 17): its state and 'paid'
    of every kind of invoice are the ones ``state.status`` and ``paid_amount`` give."""
    today = clock.today()

    def paid(invoice, amount: int) -> None:
        with transaction():
            services.record_payment(db.session, invoice, amount=Money(amount, "EUR"),
                                    reference=f"p{invoice.id}-{amount}", received_on=today,
                                    method="bank", debit_role="bank")

    factories.draft(factories.sponsor())
    factories.issued()                                                    # open
    factories.issued(issue_date=today - timedelta(days=90))              # overdue
    paid(factories.issued(), 1000)                                        # partly paid
    whole = factories.issued()
    paid(whole, whole.gross_total)                                        # paid
    more = factories.issued()
    paid(more, more.gross_total + 500)                                    # overpaid
    credited = factories.issued()
    with transaction():
        services.issue_credit_note(db.session, credited, Money(100000, "EUR"), actor=None,
                                   reason="Smaller booth", settings=app_settings())
    settled = factories.issued()
    with transaction():
        services.issue_credit_note(db.session, settled, Money(100000, "EUR"), actor=None,
                                   reason="Smaller booth", settings=app_settings())
    paid(settled, settled.gross_total - 100000)                           # paid with its note
    wrong = factories.issued()
    with transaction():
        services.cancel(db.session, wrong, reason="Wrong amount", actor=None,
                        settings=app_settings())
    db.session.expire_all()
    rows, more_rows = state.list_invoices(db.session, state.InvoiceFilter(), today, limit=100)
    assert not more_rows and len(rows) == 12  # 9 invoices, 2 credit notes, 1 cancellation
    for row in rows:
        invoice = db.session.get(Invoice, row.id)
        assert (row.status, row.paid, row.label) == (
            state.status(invoice, today), state.paid_amount(invoice) + state.credited(invoice),
            invoice.label), invoice.label
    assert {row.status.value for row in rows} == {
        "draft", "open", "overdue", "partially_paid", "paid", "overpaid", "cancelled",
        "cancellation"}
