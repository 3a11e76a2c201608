"""An organiser submits an expense claim with a receipt; a treasurer approves it and pays it in a
SEPA payout batch."""

from playwright.sync_api import expect

from backoffice.core import clock
from backoffice.core.permissions import Role

from ..helpers import PASSWORD, email_for
from ..sponsorship import active_group, pdf_bytes


def _log_in(page, email: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#submit")
    expect(page.locator("nav button:has-text('Log out')")).to_be_visible()


def test_claim_from_submission_to_payout_batch(page, session, users, tmp_path):
    group = active_group(session, "PyDarmstadt", actor=users[Role.ADMIN],
                         money="300.00")
    receipt = tmp_path / "pizza-receipt.pdf"
    receipt.write_bytes(pdf_bytes("Pizzeria Napoli"))

    # The organiser lands on the group and claims from its fund.
    _log_in(page, group.organisers[0].email)
    expect(page.locator("h1")).to_contain_text("PyDarmstadt")
    expect(page.get_by_test_id("fund-balance")).to_contain_text("€300.00")
    page.click("text=New expense claim")
    expect(page.locator("#fund option:checked")).to_contain_text("PyDarmstadt")
    page.fill("#title", "Pizza for the May meetup")
    page.fill("#lines-0-spent_on", clock.today().isoformat())
    page.fill("#lines-0-what", "Pizza, 20 people")
    page.select_option("#lines-0-category", label="Event costs: catering")
    page.fill("#lines-0-amount", "86.40")
    page.click("#add_line")  # a fourth line, added by the page without a reload
    expect(page.locator("#lines tr.line")).to_have_count(4)
    expect(page.locator("#lines-3-spent_on")).to_be_focused()
    expect(page.locator("#title")).to_have_value("Pizza for the May meetup")
    page.fill("#iban", "DE89 3704 0044 0532 0130 00")
    page.set_input_files("#receipts", str(receipt))
    page.click("#submit")
    expect(page.locator(".alert-success")).to_contain_text("is submitted")
    expect(page.get_by_test_id("claim-status")).to_have_text("Submitted")
    expect(page.get_by_test_id("receipts")).to_contain_text("pizza-receipt.pdf")
    reference = page.locator("h1").inner_text().split()[1]
    page.click("nav button:has-text('Log out')")

    # A treasurer approves it.
    _log_in(page, email_for("treasurer"))
    page.click("nav >> text=Expenses")
    page.click(f"text={reference}")
    page.fill("#comment", "Thanks for organising!")
    page.click("#approve")
    expect(page.locator(".alert-success")).to_contain_text("approved and posted")
    expect(page.get_by_test_id("claim-status")).to_have_text("Approved")

    # ... and pays it with the next payout batch.
    page.click(".subnav >> text=Payouts")
    page.click("text=New batch")
    row = page.get_by_test_id("payables-expense_claim").locator("tr", has_text=reference)
    expect(row).to_contain_text("€86.40")
    expect(row.locator("input[type=checkbox]")).not_to_be_checked()  # nothing until chosen
    row.locator("input[type=checkbox]").check()
    page.click("#submit")
    expect(page.locator(".alert-success")).to_contain_text("is ready")
    items = page.get_by_test_id("batch-items")
    expect(items).to_contain_text(f"{reference}-PB")
    expect(items).to_contain_text("DE89 3704 0044 0532 0130 00")
    with page.expect_download() as download:
        page.click("text=Download SEPA file")
    assert download.value.suggested_filename.startswith("BO-PB")
    xml = download.value.path().read_text()
    assert f"<EndToEndId>{reference}-PB" in xml and "<InstdAmt Ccy=\"EUR\">86.40</InstdAmt>" in xml
