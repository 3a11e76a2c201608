"""A donor gives monthly on a fund's donation page: picks an amount and "Monthly", fills in the
details, goes to Stripe Checkout (the local stand-in), the signed events arrive (checkout
completed, the first invoice paid); the treasurer sees the plan and the donation, the donor ends
the plan from the link in their mail. Screenshots at desktop width and at 390 px."""
from __future__ import annotations

import json
import urllib.request
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from backoffice.core.db import transaction
from backoffice.donations import pages, plans
from backoffice.donations.models import Donation, PlanStatus, RecurringPlan
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.funds import fees
from backoffice.funds.models import IncomeKind
from backoffice.ledger import services as ledger

from .. import stripe_standin as sis
from ..helpers import PASSWORD, email_for
from .conftest import ARTIFACTS, log_in

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def stripe_server():
    server = sis.StripeStandIn()
    yield server
    server.close()


def _deliver(live_server, event):
    payload, headers = sis.delivery(event)
    request = urllib.request.Request(f"{live_server}/stripe/webhook", data=payload,
                                     headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["status"]


def test_a_donor_gives_monthly_and_ends_it(page, app, live_server, users, stripe_server,
                                           browser):
    app.config.update(BASE_URL=live_server, STRIPE_SECRET_KEY=sis.API_KEY,
                      STRIPE_WEBHOOK_SECRET=sis.WEBHOOK_SECRET, STRIPE_API_BASE=stripe_server.url,
                      STRIPE_CHECKOUT_ORIGIN=stripe_server.url)
    with transaction():
        fund = ledger.create_fund(db.session, code="PYLB", name="PyLadies Berlin", actor=None)
        fees.set_policy(db.session, fund, rate_percent=Decimal(7),
                        donation_rate_percent=Decimal(3), kinds=[IncomeKind.DONATION],
                        effective_from=ledger.booking_date_for(db.session,
                                                               __import__("datetime").date(2025, 1, 1)),
                        actor=None)
        from backoffice.core.money import Money
        pages.save_page(db.session, fund, title="PyLadies Berlin",
                        purpose="Free workshops and mentoring for women in tech in Berlin: "
                                "rooms, snacks, childcare and travel grants.",
                        currency="EUR", suggestions=[Money(a, "EUR") for a in (500, 1500, 3000, 6000)],
                        enabled=True, allow_recurring=True, public_donor_list=True, actor=None)
    db.session.remove()

    donor = browser.new_context(base_url=live_server, locale="en-GB")
    donate = donor.new_page()
    donate.goto("/donate/pylb")
    expect(donate.locator("h1")).to_have_text("Donate to PyLadies Berlin")
    donate.get_by_text("€15.00").click()
    donate.get_by_label("Monthly").check()
    donate.get_by_label("Name", exact=True).fill("Ada Lovelace")
    donate.get_by_label("Email").fill("ada@example.org")
    donate.get_by_label("I would like a donation receipt").check()
    donate.get_by_label("Street and number").fill("Am Markt 3")
    donate.get_by_label("Postcode").fill("10117")
    donate.get_by_label("City").fill("Berlin")
    donate.get_by_label("Name on the public list").fill("Ada L.")
    donate.screenshot(path=str(SCREENSHOTS / "donation-page.png"), full_page=True)
    mobile = browser.new_context(base_url=live_server, locale="en-GB",
                                 viewport={"width": 390, "height": 844})
    small = mobile.new_page()
    small.goto("/donate/pylb")
    small.screenshot(path=str(SCREENSHOTS / "donation-page-390.png"), full_page=True)
    width = small.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways at 390 px ({width} px wide)"
    mobile.close()

    donate.click("text=Continue to payment")
    donate.wait_for_url(f"{stripe_server.url}/c/pay/*")
    session_id = donate.locator("#session").inner_text()

    # Stripe starts the subscription and collects the first month: the signed events arrive.
    completed = stripe_server.complete(session_id)
    assert _deliver(live_server, sis.event("checkout.session.completed", completed)) == "processed"
    first = stripe_server.pay_invoice(completed["subscription"])
    assert _deliver(live_server, sis.event("invoice.paid", first)) == "processed"
    donate.goto(completed["success_url"])
    expect(donate.locator("h1")).to_have_text("Thank you!")

    # The treasurer sees the donation and the plan.
    log_in(page, email_for("treasurer"), PASSWORD)
    page.click("nav >> text=Donations")
    expect(page.locator("[data-testid=donations]")).to_contain_text("Ada Lovelace")
    expect(page.locator("[data-testid=donations]")).to_contain_text("recurring")
    expect(page.locator("[data-testid=totals]")).to_contain_text("€15.00")
    page.screenshot(path=str(ARTIFACTS / "donations-list.png"), full_page=True)
    page.click(".nav-tabs >> text=Recurring plans")
    expect(page.locator("[data-testid=plans]")).to_contain_text("Active")

    # The donor ends the plan from the link in their mails.
    plan = db.session.scalar(select(RecurringPlan))
    link = f"/donate/plan/{plans.link_token(app_settings().secret_key, plan)}"
    donate.goto(link)
    expect(donate.locator("[data-testid=plan-status]")).to_have_text("Active")
    donate.click("text=End my monthly donation")
    expect(donate.locator("[data-testid=plan-status]")).to_have_text("Cancelled")
    assert stripe_server.subscriptions[completed["subscription"]]["status"] == "canceled"
    donor.close()
    db.session.expire_all()
    assert db.session.scalar(select(RecurringPlan)).status is PlanStatus.CANCELLED
    assert db.session.scalar(select(Donation)).amount == 1500
