"""The public pay link: unguessable, tamper-proof, honest about the invoice's state."""
from __future__ import annotations

from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.invoicing import services as invoicing

from ..invoicing import factories


def test_pay_page_shows_the_invoice_bank_details_and_payment(client, stripe):
    invoice = factories.issued(factories.sponsor("NL"))
    token = invoicing.pay_token(invoice, settings=app_settings())
    response = client.get(f"/pay/{token}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert invoice.number in html and "€5,000.00" in html
    assert invoice.payment_reference in html and "DE89 3704 0044 0532 0130 00" in html
    assert 'id="pay-online"' in html and "GiroCode" in html
    assert f"form-action 'self' {stripe.url}" in response.headers["Content-Security-Policy"]
    pdf = client.get(f"/pay/{token}/invoice.pdf")
    assert pdf.status_code == 200 and pdf.data == invoicing.stored_pdf(db.session, invoice, settings=app_settings())
    # Behind a secret link: no cache keeps the page or the invoice.
    assert response.headers["Cache-Control"] == "no-store"
    assert pdf.headers["Cache-Control"] == "private, no-store"


def test_tampered_or_unknown_tokens_get_404(client, stripe):
    invoice = factories.issued()
    token = invoicing.pay_token(invoice, settings=app_settings())
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "nonsense",
                token.replace(token.split(".")[0], "ImFub3RoZXIi")):
        assert client.get(f"/pay/{bad}").status_code == 404
        assert client.get(f"/pay/{bad}/invoice.pdf").status_code == 404
    unknown = invoicing._serializer(settings=app_settings()).dumps("no-such-invoice")  # signed, but names nothing
    assert client.get(f"/pay/{unknown}").status_code == 404
    draft = factories.draft(factories.sponsor())
    assert client.get(f"/pay/{invoicing.pay_token(draft, settings=app_settings())}").status_code == 404


def test_paid_and_cancelled_invoices_say_so_and_offer_no_payment(client, stripe):

    from backoffice.core.money import Money

    paid = factories.issued(factories.sponsor("US"))
    with transaction():
        invoicing.record_payment(db.session, paid, amount=Money(paid.gross_total, "EUR"),
                                 reference="bank-1", received_on=clock.today(), method="bank",
                                 debit_role="bank")
    html = client.get(f"/pay/{invoicing.pay_token(paid, settings=app_settings())}").get_data(as_text=True)
    assert "This invoice is paid" in html and "pay-online" not in html
    cancelled = factories.issued(factories.sponsor("US"))
    with transaction():
        invoicing.cancel(db.session, cancelled, actor=None, reason="Event postponed", settings=app_settings())
    token = invoicing.pay_token(cancelled, settings=app_settings())
    html = client.get(f"/pay/{token}").get_data(as_text=True)
    assert "has been cancelled" in html and "pay-online" not in html
    open_one = factories.issued(factories.sponsor("US"))
    page = client.get(f"/pay/{invoicing.pay_token(open_one, settings=app_settings())}").get_data(as_text=True)
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(f"/pay/{token}/checkout", data={"csrf_token": csrf})
    assert response.status_code == 302
    assert all(s["client_reference_id"] != str(cancelled.id) for s in stripe.sessions.values())


def test_checkout_needs_the_csrf_token(client, stripe):
    invoice = factories.issued()
    response = client.post(f"/pay/{invoicing.pay_token(invoice, settings=app_settings())}/checkout", data={})
    assert response.status_code in (302, 400)
    assert all(s["client_reference_id"] != str(invoice.id) for s in stripe.sessions.values())
