"""A treasurer issues the year's donation receipts: the year-end page, the job's progress bar,
the receipts listed and one opened; the donor's own page from the signed link, at phone width."""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from playwright.sync_api import expect

from backoffice.core import clock
from backoffice.core.permissions import Role
from backoffice.donations.receipts import services
from backoffice.extensions import settings as app_settings

from ..donations import receipt_factories as make
from ..helpers import PASSWORD

ARTIFACTS = Path(os.environ.get("BACKOFFICE_E2E_ARTIFACTS", "/tmp/backoffice-e2e"))
YEAR = clock.today().year - 1


def test_a_treasurer_issues_the_years_receipts(page, session, users):
    twice, once = make.donor("Erika Mustermann"), make.donor("Max Muster", email="max@example.org")
    make.donation(twice, 2500, date(YEAR, 1, 15), wanted=True)
    make.donation(twice, 40000, date(YEAR, 6, 1))
    make.donation(once, 50000, date(YEAR, 3, 1))
    make.donation(make.donor("Small Giver", email="small@example.org"), 2000, date(YEAR, 3, 1))

    page.goto("/login")
    page.fill("#email", users[Role.TREASURER].email)
    page.fill("#password", PASSWORD)
    page.click("#submit")
    expect(page.locator("nav button:has-text('Log out')")).to_be_visible()
    page.goto(f"/donations/receipts?year={YEAR}")
    expect(page.locator("h1")).to_have_text(f"Donation receipts {YEAR}")
    expect(page.get_by_test_id("due")).to_have_text("2")  # the small gift: statement enough
    expect(page.get_by_test_id("notice-problem")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "receipts-year-end-before.png"), full_page=True)
    page.check("#send")
    page.click("text=Issue the year's receipts")
    expect(page.locator("progress")).to_have_attribute("value", "100")
    expect(page.locator(".alert-success")).to_contain_text(f"2 receipts for {YEAR} issued, 2 mailed.")
    page.screenshot(path=str(ARTIFACTS / "receipts-job-done.png"), full_page=True)
    page.click("text=Continue")
    expect(page.get_by_test_id("issued")).to_have_text("2")
    expect(page.get_by_test_id("due")).to_have_text("0")
    rows = page.get_by_test_id("receipts").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(page.get_by_test_id("receipts")).to_contain_text("Collective receipt")
    page.screenshot(path=str(ARTIFACTS / "receipts-year-end-after.png"), full_page=True)
    page.get_by_test_id("receipts").locator("a").first.click()
    expect(page.locator("h1")).to_contain_text("valid")
    pdf = page.request.get(page.locator("text=Open the PDF").get_attribute("href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")

    # The donor opens their link on a phone.
    token = services.receipts_token(app_settings(), twice)
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"/receipts/{token}")
    expect(page.get_by_test_id("donor-receipts")).to_contain_text(f"ZB-{clock.today().year}-0000")
    page.screenshot(path=str(ARTIFACTS / "receipts-donor-390.png"), full_page=True)
