"""A local group applies for a grant, answers the committee's question, is approved and paid, and
reports back: the whole way in the browser, the applicant through the secret link."""
from datetime import timedelta

from playwright.sync_api import expect

from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.extensions import db

from ..grants.conftest import PDF, grants  # noqa: F401 (the fixture)
from ..helpers import PASSWORD, email_for
from .conftest import log_in


def _log_out(page):
    page.click("text=Log out")
    page.wait_for_url("**/login")


def test_a_group_applies_is_asked_answers_is_approved_paid_and_reports_back(page, grants):  # noqa: F811
    with transaction():
        grants.programme.quorum = 1
    event = (clock.today() + timedelta(days=50)).isoformat()

    # The group applies on the public form.
    page.goto("/grants/")
    page.get_by_role("link", name="Apply", exact=True).click()
    expect(page.locator("h1")).to_have_text("Apply for a grant")
    page.fill("#applicant_name", "PyLadies Bremen")
    page.fill("#contact_name", "Grace Hopper")
    page.fill("#contact_email", "grace@pyladies.example")
    page.fill("#title", "Beginners' workshop")
    page.fill("#description", "A one-day workshop for thirty newcomers.")
    page.fill("#event_start", event)
    page.fill("#expected_attendance", "30")
    page.fill("#budget-0-item", "Venue")
    page.fill("#budget-0-amount", "400")
    page.fill("#budget-1-item", "Catering")
    page.fill("#budget-1-amount", "250")
    page.fill("#budget-2-item", "Childcare")
    page.fill("#budget-2-amount", "100")
    page.click("#add_line")  # a fourth line, added in the page
    page.fill("#budget-3-item", "Name badges")
    page.fill("#budget-3-amount", "50")
    expect(page.locator("#budget-total")).to_have_text("€800.00")
    page.fill("#budget-0-amount", "900")  # the case: 900 + 834,50 is 1,734.50
    page.fill("#budget-1-amount", "834,50")
    expect(page.locator("#budget-total")).to_have_text("€1,884.50")
    page.fill("#budget-1-amount", "1.234,5x")
    expect(page.locator("#budget-total")).to_have_text("?")  # not an amount: no made-up total
    assert page.evaluate("[backofficeMoney.parse('1.234,50', 'de_DE'),"
                         " backofficeMoney.parse('1,234.50', 'de_DE'),"
                         " backofficeMoney.parse('1,234', 'en_IE'),"
                         " backofficeMoney.parse('1.234', 'de_DE')]") == [123450] * 2 + [123400] * 2
    page.fill("#budget-0-amount", "400")
    page.fill("#budget-1-amount", "250,00")
    expect(page.locator("#budget-total")).to_have_text("€800.00")
    page.fill("#amount_requested", "800")
    page.fill("#account_holder", "PyLadies Bremen")
    page.fill("#iban", "DE89 3704 0044 0532 0130 00")
    page.click("#submit")
    expect(page.locator(".alert-success")).to_contain_text("Your application is submitted")
    expect(page.locator("[data-testid=status]")).to_have_text("Submitted")
    expect(page.locator("[data-testid=budget]")).to_contain_text("Name badges")
    link = page.url

    # A reviewer asks for more information.
    log_in(page, email_for("reviewer"), PASSWORD)
    page.click("nav >> text=Grants")
    page.click("[data-testid=queue] >> text=G-00001")
    page.fill("#info-question", "Who will coach the participants?")
    page.click("#info-submit")
    expect(page.locator("[data-testid=status]")).to_have_text("Information requested")
    _log_out(page)

    # The group answers in place.
    page.goto(link)
    expect(page.locator("[data-testid=question]")).to_have_text("Who will coach the participants?")
    page.fill("#answer", "Four coaches from PyLadies Hamburg.")
    page.click("#send_answer")
    expect(page.locator("[data-testid=status]")).to_have_text("Submitted")

    # The committee reviews, votes and approves a little less than asked.
    log_in(page, email_for("reviewer"), PASSWORD)
    page.goto("/grants/queue")
    page.click("[data-testid=queue] >> text=G-00001")
    expect(page.locator("[data-testid=history]")).to_contain_text("Four coaches")
    page.click("#start-review")
    page.select_option("#score-score", "5")
    page.fill("#score-comment", "Well prepared.")
    page.click("#score-submit")
    page.check("#vote-vote-0")
    page.click("#vote-submit")
    expect(page.locator("[data-testid=tally]")).to_contain_text("carried")
    page.fill("#approve-amount", "750")
    page.click("#approve-submit")
    expect(page.locator(".alert-success")).to_contain_text("approved")
    expect(page.locator("[data-testid=status]")).to_have_text("Approved")
    _log_out(page)

    # The treasurer pays: a payable, then the payout.
    log_in(page, email_for("treasurer"), PASSWORD)
    page.goto("/grants/queue?status=approved")
    page.click("[data-testid=queue] >> text=G-00001")
    page.click("#disburse-submit")
    page.click(".subnav >> text=Payouts")
    row = page.locator("[data-testid=payouts] tr", has_text="G-00001")
    expect(row).to_contain_text("€750.00")
    page.click("text=New payout batch")  # a SEPA payout batch, executed by the bank
    expect(page.locator("input[name=payable]:checked")).to_have_count(0)  # nothing ticked yet
    page.click("text=Select all")
    expect(page.locator("[data-selected-count=payable]")).to_have_text("1")
    page.click("text=Create the payout batch")
    page.click("text=Mark as executed")
    expect(page.locator(".alert-success")).to_contain_text("is executed")
    _log_out(page)

    # The group sees the payment and reports back after the event.
    page.goto(link)
    expect(page.locator("[data-testid=status]")).to_have_text("Paid")
    page.fill("#narrative", "31 people came, 20 of them new to Python.")
    page.fill("#attendance", "31")
    page.fill("#amount_spent", "700")
    page.fill("#unused", "50")
    page.set_input_files("#receipts", files=[{"name": "receipts.pdf",
                                              "mimeType": "application/pdf", "buffer": PDF}])
    page.click("#send_report")
    expect(page.locator(".alert-success")).to_contain_text("Thank you for your report")
    expect(page.locator("[data-testid=status]")).to_have_text("Report received")
    db.session.expire_all()
    assert grants.fund_balance() == 1_000_000 - 75_000
