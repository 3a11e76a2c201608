"""A treasurer uploads a statement, accepts the suggestions by keyboard, books a bank fee from
its line, and sees books and bank agree."""
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from backoffice.banking import imports, services
from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.core.permissions import Role
from backoffice.extensions import settings as app_settings
from backoffice.ledger import services as ledger

from ..banking.conftest import IBAN, SAMPLES, book
from ..helpers import PASSWORD, email_for
from .conftest import log_in
from .test_phone_width_browser import PHONE
from .test_setup_browser import _no_sideways_scrolling


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


def test_accept_an_invoice_suggestion_by_keyboard(page, session, users):
    """Every kind of suggestion in the queue; Enter on the first line pays the invoice."""
    from backoffice.banking import writers
    from backoffice.banking.parsers import ParsedLine, ParsedStatement
    from backoffice.core.money import Money
    from backoffice.payments import services as stripe
    from backoffice.payouts import services as payouts

    from ..banking.test_providers import SILVER, misread
    from ..invoicing.factories import issued, sponsor
    from ..sponsorship import active_group, approved, give

    treasurer = users[Role.TREASURER]
    today = clock.today()
    acme = sponsor("DE", name="ACME GmbH")
    invoice = issued(acme, SILVER)
    group = active_group(session, "PyAachen", actor=users[Role.ADMIN])
    with transaction():
        give(session, group.fund, Money(50000, "EUR"))
    claim = approved(session, group.organisers[0], group.fund, treasurer, ["42.00"])
    with transaction():
        account = services.create_bank_account(
            session, name="Current account", iban=IBAN, currency="EUR",
            ledger_account=ledger.account_by_role(session, "bank"), actor=treasurer)
        batch = payouts.create_batch(session, selected=[("expense_claim", str(claim.id))],
                                     requested_on=today, actor=treasurer, settings=app_settings())
        payouts.mark_executed(session, batch, booked_on=today, actor=treasurer, settings=app_settings())
        stripe.on_payout_paid(session, {"id": "po_1QxY7z2eZvKYlo2C", "amount": 48210,
                                        "currency": "eur", "arrival_date": None}, {},
                              app_settings())

    def line(amount, text, name="", refs=()):
        return ParsedLine(booking_date=today, amount=amount, currency="EUR",
                          counterparty_name=name, remittance=text, references=refs)

    lines = [line(48210, "STRIPE PAYOUT po_1QxY7z2eZvKYlo2C", "Stripe Payments Europe Ltd"),
             line(-batch.total, "SEPA-Sammelueberweisung 1 Posten",
                  refs=(f"{batch.message_id}-1",)),
             line(119000, f"Rechnung {misread(invoice.number)}", "ACME GmbH")]
    data = writers.camt053(IBAN, [ParsedStatement(
        currency="EUR", opening=0, opening_date=today, closing=sum(x.amount for x in lines),
        closing_date=today, lines=lines)])
    with transaction():
        imports.import_statement(session, account, filename="s.xml", data=data, actor=treasurer, settings=app_settings())

    log_in(page, email_for("treasurer"), PASSWORD)
    page.goto(f"/bank/accounts/{account.id}/reconcile")
    rows = page.locator("[data-testid=bank-line]")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text(f"invoice {invoice.number} in the reference; same amount")
    expect(rows.nth(1)).to_contain_text(f"payout batch {batch.message_id} in the reference")
    expect(rows.nth(2)).to_contain_text("Stripe payout po_1QxY7z2eZvKYlo2C in the reference")
    Path("/tmp/providers").mkdir(exist_ok=True)
    # caret="initial": hiding the caret injects a style, which the page's CSP refuses.
    page.screenshot(path="/tmp/providers/reconcile-kinds.png", full_page=True, caret="initial")

    expect(rows.nth(0)).to_be_focused()
    page.keyboard.press("Enter")
    expect(rows.nth(0)).to_contain_text("Matched.")
    expect(rows.nth(0)).to_contain_text(f"Invoice {invoice.number} to ACME GmbH")
    page.goto(f"/invoices/{invoice.id}")
    expect(page.locator("h1")).to_contain_text("Paid")


@pytest.mark.browser_locale("de-DE")
def test_the_queue_in_german_fits_a_phone(page, session, users):
    """German words are longer: the queue, an opened booking form, a line's history with an
    undone match and the other bank pages stay within 390 px (and read German)."""
    treasurer = users[Role.TREASURER]
    with transaction():
        account = services.create_bank_account(
            session, name="Girokonto Sparkasse KölnBonn", iban=IBAN, currency="EUR",
            ledger_account=ledger.account_by_role(session, "bank"), actor=treasurer)
        book(session, treasurer, date(2026, 3, 2), 250000, "Gold sponsorship ACME")
        book(session, treasurer, date(2026, 3, 3), -7065, "Read the Docs hosting")
    with transaction():
        imports.import_statement(session, account, filename="maerz.xml",
                                 data=(Path(SAMPLES) / "camt053-v02-two-statements.xml").read_bytes(),
                                 actor=treasurer, settings=app_settings())
    shots = Path("/tmp/de-banking-shots")
    shots.mkdir(exist_ok=True)
    log_in(page, email_for("treasurer"), PASSWORD)
    page.set_viewport_size(PHONE)
    page.goto(f"/bank/accounts/{account.id}/reconcile")
    assert page.locator("html").get_attribute("lang") == "de"
    expect(page.locator("[data-testid=queue-count]")).to_contain_text("5 Umsätze zu klären")
    lines = page.locator("[data-testid=bank-line]")
    expect(lines.nth(0)).to_contain_text("gleicher Betrag, gleicher Tag")
    _no_sideways_scrolling(page)
    fee = lines.filter(has_text="Kein Vorschlag").first
    fee.locator("summary").click()
    expect(fee.locator("select.book-account")).to_be_visible()
    expect(fee.locator("button", has_text="Buchen")).to_be_visible()
    _no_sideways_scrolling(page)
    page.screenshot(path=str(shots / "queue-390.png"), full_page=True, caret="initial")

    lines.nth(0).locator("button.accept").first.click()
    expect(lines.nth(0)).to_contain_text("Zugeordnet.")
    lines.nth(0).locator("button.undo").click()
    expect(lines.nth(0)).to_contain_text("Rückgängig gemacht.")
    _no_sideways_scrolling(page)
    lines.nth(0).locator("a.open-line").click()
    expect(page.locator("[data-testid=undone-note]")).to_contain_text("Rückgängig gemacht am")
    page.screenshot(path=str(shots / "line-390.png"), full_page=True, caret="initial")
    for path in (f"/bank/accounts/{account.id}", f"/bank/accounts/{account.id}/review",
                 f"/bank/accounts/{account.id}/edit", "/bank/", "/bank/rules", "/bank/write-offs"):
        page.goto(path)
        assert page.locator("html").get_attribute("lang") == "de"
        _no_sideways_scrolling(page)
    page.screenshot(path=str(shots / "write-offs-390.png"), full_page=True, caret="initial")
    page.goto(f"/bank/accounts/{account.id}")
    page.screenshot(path=str(shots / "account-390.png"), full_page=True, caret="initial")
    _no_sideways_scrolling(page)
    page.set_viewport_size({"width": 1360, "height": 900})
    page.goto(f"/bank/accounts/{account.id}/reconcile")
    page.screenshot(path=str(shots / "queue-1360.png"), full_page=True, caret="initial")


def test_the_queue_fetches_more_lines_by_keyboard_and_button(page, session, users):
    """Issue 17: the queue shows its first lines; moving down from the last one (j) fetches the
    next and focuses the first of them, "Show more lines" the rest, all on the same page."""
    from backoffice.banking.views import LINES_SHOWN

    from ..banking.test_queue_pages import _statement

    treasurer = users[Role.TREASURER]
    count = 2 * LINES_SHOWN + 3
    with transaction():
        account = services.create_bank_account(
            session, name="Current account", iban=IBAN, currency="EUR",
            ledger_account=ledger.account_by_role(session, "bank"), actor=treasurer)
    with transaction():
        imports.import_statement(session, account, filename="s.xml", data=_statement(count),
                                 actor=treasurer, settings=app_settings())
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    log_in(page, email_for("treasurer"), PASSWORD)
    page.goto(f"/bank/accounts/{account.id}/reconcile")
    lines = page.locator("[data-testid=bank-line]")
    expect(lines).to_have_count(LINES_SHOWN)
    expect(lines.nth(0)).to_be_focused()
    for _ in range(LINES_SHOWN - 1):
        page.keyboard.press("j")
    expect(lines.nth(LINES_SHOWN - 1)).to_be_focused()
    page.keyboard.press("j")                            # past the last: the next lines come
    expect(lines).to_have_count(2 * LINES_SHOWN)
    expect(lines.nth(LINES_SHOWN)).to_be_focused()
    page.click("[data-testid=more-lines]")
    expect(lines).to_have_count(count)
    expect(page.locator("[data-testid=more-lines]")).to_have_count(0)
    ids = [lines.nth(i).get_attribute("data-line-id") for i in range(count)]
    assert len(set(ids)) == count
    expect(lines.nth(count - 1)).to_contain_text("Member 0")  # the oldest comes last
    assert page.url.endswith(f"/bank/accounts/{account.id}/reconcile")  # never reloaded
    assert errors == []
