"""A treasurer posts a manual entry in the browser, sees it everywhere, and is refused an
unbalanced one."""

from playwright.sync_api import expect

from backoffice.core import clock

from ..helpers import PASSWORD, email_for
from .conftest import log_in


def _line(page, index: int, account: str, fund: str, debit: str = "", credit: str = ""):
    page.select_option(f"#lines-{index}-account", label=account)
    page.select_option(f"#lines-{index}-fund", label=fund)
    if debit:
        page.fill(f"#lines-{index}-debit", debit)
    if credit:
        page.fill(f"#lines-{index}-credit", credit)


def test_treasurer_posts_balanced_entry_and_is_refused_an_unbalanced_one(page, users):
    log_in(page, email_for("treasurer"), PASSWORD)
    page.click("text=Ledger")
    page.click(".subnav >> text=New entry")

    page.fill("#description", "Bank fees for March")
    _line(page, 0, "6100 Bank fees", "GEN General fund", debit="12.50")
    _line(page, 1, "1200 Bank: current account", "GEN General fund", credit="12.5")
    expect(page.locator("#balance-state")).to_have_text("Balanced")
    page.click("#submit")

    expect(page.locator(".alert-success")).to_contain_text("is posted")
    expect(page.locator("[data-testid=entry-lines]")).to_contain_text("6100 Bank fees")
    expect(page.locator("[data-testid=entry-lines]")).to_contain_text("€12.50")

    page.click(".subnav >> text=Journal")
    expect(page.locator("[data-testid=journal]")).to_contain_text("Bank fees for March")

    page.click(".subnav >> text=Trial balance")
    bank_fees = page.locator("[data-testid=trial-balance] tr", has_text="Bank fees")
    expect(bank_fees).to_contain_text("€12.50")
    expect(page.locator("[data-testid=trial-balance]")).to_contain_text("balanced")

    # An unbalanced entry: the running difference shows it, the server refuses it.
    page.click(".subnav >> text=New entry")
    page.fill("#description", "Typo in the credit")
    _line(page, 0, "6100 Bank fees", "GEN General fund", debit="20.00")
    _line(page, 1, "1200 Bank: current account", "GEN General fund", credit="2.00")
    expect(page.locator("#balance-state")).to_have_text("Not balanced")
    expect(page.locator("#total-difference")).to_have_text("18.00")
    page.click("#submit")
    expect(page.locator("[data-testid=form-errors]")).to_contain_text("does not balance")
    expect(page.locator("#description")).to_have_value("Typo in the credit")  # nothing lost

    page.click(".subnav >> text=Journal")
    expect(page.locator("[data-testid=journal]")).not_to_contain_text("Typo in the credit")
    assert clock.today().isoformat() in page.locator("[data-testid=journal]").inner_text()
