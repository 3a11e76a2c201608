"""A treasurer issues an invoice; the sponsor opens the pay link and pays through Stripe
Checkout (the local stand-in); the signed completion event arrives; the invoice shows paid with
its ledger entries in place."""
from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import expect

from backoffice.extensions import db
from backoffice.invoicing.models import Invoice

from .. import stripe_standin as sis
from ..helpers import PASSWORD, email_for
from ..invoicing import factories
from .conftest import ARTIFACTS, log_in


@pytest.fixture(scope="module")
def stripe_server():
    server = sis.StripeStandIn()
    yield server
    server.close()


def test_treasurer_issues_sponsor_pays_online_invoice_shows_paid(page, app, live_server, users,
                                                                 stripe_server, browser):
    app.config.update(BASE_URL=live_server, STRIPE_SECRET_KEY=sis.API_KEY,
                      STRIPE_WEBHOOK_SECRET=sis.WEBHOOK_SECRET, STRIPE_API_BASE=stripe_server.url,
                      STRIPE_CHECKOUT_ORIGIN=stripe_server.url)
    draft = factories.draft(factories.sponsor("NL"), [
        ("Gold sponsorship PyConf 2026\nBooth, logo, four tickets", 1000, 500000, "standard")])
    draft_id = draft.id
    db.session.remove()

    # The treasurer checks the draft and issues it.
    log_in(page, email_for("treasurer"), PASSWORD)
    page.click("nav >> text=Invoices")
    page.click(f"[data-testid=invoices] >> text=Draft #{draft_id}")
    page.click("#issue")
    expect(page.locator(".alert-success")).to_contain_text("is issued and booked")
    expect(page.locator("[data-testid=status]").first).to_have_text("Open")
    pay_link = page.locator("[data-testid=pay-link]").inner_text()
    number = page.locator("h1").inner_text().split()[1]

    # The sponsor opens the pay link (no account) and starts the payment.
    sponsor = browser.new_context(base_url=live_server, locale="en-GB")
    pay_page = sponsor.new_page()
    pay_page.goto(pay_link)
    expect(pay_page.locator("[data-testid=pay-amount]")).to_have_text("€5,000.00")
    expect(pay_page.locator("[data-testid=bank-details]")).to_contain_text("DE89 3704 0044 0532 0130 00")
    pay_page.screenshot(path=str(ARTIFACTS / "pay-page.png"), full_page=True)
    pay_page.click("#pay-online")
    pay_page.wait_for_url(f"{stripe_server.url}/c/pay/*")
    session_id = pay_page.locator("#session").inner_text()

    # Stripe takes the money and sends the signed completion event to the webhook.
    completed = stripe_server.complete(session_id)
    payload, headers = sis.delivery(sis.event("checkout.session.completed", completed))
    request = urllib.request.Request(f"{live_server}/stripe/webhook", data=payload, headers=headers,
                                     method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        assert json.loads(response.read())["status"] == "processed"

    # Stripe sends the sponsor back: the invoice is paid.
    pay_page.goto(completed["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id))
    expect(pay_page.locator("[data-testid=done-status]")).to_contain_text(f"Invoice {number} is paid")
    pay_page.goto(pay_link)
    expect(pay_page.locator("[data-testid=pay-status]")).to_have_text("Paid")
    expect(pay_page.locator("#pay-online")).to_have_count(0)
    pay_page.screenshot(path=str(ARTIFACTS / "pay-page-paid.png"), full_page=True)
    sponsor.close()

    # The treasurer sees it paid, with the payment and Stripe's fee booked.
    page.reload()
    expect(page.locator("[data-testid=status]").first).to_have_text("Paid")
    expect(page.locator("[data-testid=paid]")).to_contain_text("€5,000.00")
    expect(page.locator("[data-testid=outstanding]")).to_contain_text("€0.00")
    expect(page.locator("[data-testid=payments]")).to_contain_text("Stripe fee")
    page.screenshot(path=str(ARTIFACTS / "invoice-paid.png"), full_page=True)
    page.locator("[data-testid=payments] a").first.click()
    lines = page.locator("[data-testid=entry-lines]")
    expect(lines).to_contain_text("1300 Stripe balance")
    expect(lines).to_contain_text("1400 Receivables from sponsors")
    expect(lines).to_contain_text("€5,000.00")
    page.click(".subnav >> text=Journal")
    journal = page.locator("[data-testid=journal]")
    expect(journal).to_contain_text(f"Invoice {number} to Voorbeeld B.V.")
    expect(journal).to_contain_text(f"Payment {number}")
    invoice = db.session.get(Invoice, draft_id)
    assert invoice.number == number and invoice.payments[0].amount == 500000
