"""A treasurer uploads a statement, accepts the suggestions by keyboard, books a bank fee from
its line, and sees books and bank agree."""
from datetime import date
from pathlib import Path

from playwright.sync_api import expect

from backoffice.banking import services
from backoffice.core.db import transaction
from backoffice.core.permissions import Role
from backoffice.ledger import services as ledger

from ..banking.conftest import IBAN, SAMPLES, book
from ..helpers import PASSWORD, email_for
from .conftest import log_in


def test_reconcile_a_statement_by_keyboard(page, session, users):
    treasurer = users[Role.TREASURER]
    with transaction():
        account = services.create_bank_account(
            session, name="Current account", iban=IBAN, currency="EUR",
            ledger_account=ledger.account_by_role(session, "bank"), actor=treasurer)
        book(session, treasurer, date(2026, 3, 1), 100000, "Opening balance")
        book(session, treasurer, date(2026, 3, 2), 250000, "Gold sponsorship ACME")
        book(session, treasurer, date(2026, 3, 2), 165400, "Membership direct debits March")
        book(session, treasurer, date(2026, 3, 3), -9400, "Returned direct debit J. Weber")
        book(session, treasurer, date(2026, 3, 3), -7065, "Read the Docs hosting")

    log_in(page, email_for("treasurer"), PASSWORD)
    page.click("nav >> text=Bank")
    page.click("text=Current account")
    page.set_input_files("#file", str(Path(SAMPLES) / "camt053-v02-two-statements.xml"))
    page.click("#import")
    expect(page.locator(".alert-success")).to_contain_text("5 new lines")
    expect(page.locator("[data-testid=queue-count]")).to_contain_text("5 bank lines to explain")

    lines = page.locator("[data-testid=bank-line]")
    expect(lines.nth(0)).to_be_focused()
    expect(lines.nth(0)).to_contain_text("same amount, same day")
    page.keyboard.press("Enter")                       # Read the Docs
    expect(lines.nth(0)).to_contain_text("Matched.")
    expect(lines.nth(1)).to_be_focused()
    page.keyboard.press("Enter")                       # the returned direct debit
    expect(lines.nth(1)).to_contain_text("Matched.")

    fee = lines.nth(2)                                 # the bank's fee: nothing booked for it
    expect(fee).to_be_focused()
    expect(fee).to_contain_text("No suggestion")
    page.keyboard.press("b")
    expect(fee.locator("select.book-account")).to_be_focused()
    expect(fee.locator("select.book-account")).to_have_value(
        str(ledger.account_by_role(session, "bank_fees").id))
    fee.locator("button", has_text="Book").click()
    expect(fee).to_contain_text("Booked as entry #")

    expect(lines.nth(3)).to_be_focused()
    page.keyboard.press("Enter")                       # the batch of direct debits
    expect(lines.nth(3)).to_contain_text("Matched.")
    expect(lines.nth(4)).to_be_focused()
    page.keyboard.press("Enter")                       # ACME
    expect(lines.nth(4)).to_contain_text("Matched.")
    assert page.url.endswith(f"/bank/accounts/{account.id}/reconcile")  # never reloaded

    page.goto(f"/bank/accounts/{account.id}?as_of=2026-03-03")
    expect(page.locator("[data-testid=bank-balance]")).to_have_text("€4,977.85")
    expect(page.locator("[data-testid=books-balance]")).to_have_text("€4,977.85")
    expect(page.locator("[data-testid=difference]")).to_contain_text("books and bank agree")
    page.goto(f"/bank/accounts/{account.id}/reconcile")
    expect(page.locator("[data-testid=queue-count]")).to_contain_text("Nothing to reconcile")
