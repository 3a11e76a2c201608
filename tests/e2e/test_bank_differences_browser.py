"""A treasurer uploads a CAMT.053 statement in which a sponsor paid 330.00 for a 300.00 invoice,
another 295.00 (its bank kept a charge) and a third 250.00: the overpayment becomes the
sponsor's credit, the small shortfall is written off at once, the large one waits for a second
approver, who approves it in another browser; the credit is then set off against the sponsor's
next invoice. Books and bank stay sound throughout."""
from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from backoffice.banking import services, writers
from backoffice.banking.models import BankWriteOff
from backoffice.banking.parsers import ParsedLine, ParsedStatement
from backoffice.board.models import SubjectKind
from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.core.money import Money
from backoffice.core.permissions import Role
from backoffice.extensions import db
from backoffice.invoicing import credits, state
from backoffice.invoicing.models import Invoice
from backoffice.ledger import services as ledger

from ..banking.conftest import IBAN
from ..banking.test_differences import BOOTH, TALK, books_sound
from ..board.passed import decide
from ..helpers import PASSWORD, email_for
from ..invoicing.factories import issued, sponsor
from .conftest import ARTIFACTS, log_in


def test_over_and_underpayments_from_a_camt053_file(page, browser, live_server, session, users,
                                                    tmp_path):
    treasurer = users[Role.TREASURER]
    today = clock.today()
    acme = sponsor("DE", name="ACME GmbH")
    over, small, large = (issued(acme, BOOTH) for _ in range(3))
    with transaction():
        account = services.create_bank_account(
            session, name="Current account", iban=IBAN, currency="EUR",
            ledger_account=ledger.account_by_role(session, "bank"), actor=treasurer)
    lines = [ParsedLine(booking_date=today, amount=amount, currency="EUR",
                        counterparty_name="ACME GmbH", remittance=f"Rechnung {invoice.number}")
             for amount, invoice in ((33000, over), (29500, small), (25000, large))]
    camt = tmp_path / "statement.xml"
    camt.write_bytes(writers.camt053(IBAN, [ParsedStatement(
        currency="EUR", opening=0, opening_date=today, closing=sum(x.amount for x in lines),
        closing_date=today, lines=lines)]))
    ids = {"account": account.id, "over": over.id, "small": small.id, "large": large.id,
           "acme": acme.id}
    db.session.remove()

    log_in(page, email_for("treasurer"), PASSWORD)
    page.goto(f"/bank/accounts/{ids['account']}")
    page.set_input_files("#file", str(camt))
    page.click("#import")
    expect(page.locator(".alert-success")).to_contain_text("3 new lines")
    rows = page.locator("[data-testid=bank-line]")
    expect(rows).to_have_count(3)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)  # caret="initial": the page's CSP refuses styles
    page.screenshot(path=str(ARTIFACTS / "bank-differences.png"), full_page=True, caret="initial")

    overpaid = rows.filter(has_text=over.number)
    overpaid.get_by_role("button", name="Accept, €30.00 as credit for ACME GmbH").click()
    expect(overpaid).to_contain_text("the rest is the sponsor's credit")

    short = rows.filter(has_text=small.number)
    expect(short).to_contain_text("€5.00 is within the €10.00 limit for small differences")
    short.get_by_role("button", name="Accept, write off €5.00 as bank charges").click()
    expect(short).to_contain_text("the difference is written off")

    shorter = rows.filter(has_text=large.number)
    expect(shorter.locator("button.accept")).to_contain_text("Accept, leave €50.00 open")
    shorter.get_by_role("button", name="Accept, write off €50.00 as bank charges").click()
    expect(shorter).to_contain_text("waits for a second approver")

    # The board resolves on the write-off; the second approver, in a browser of her own.
    decide(SubjectKind.INVOICE_WRITE_OFF, db.session.scalar(select(BankWriteOff.id)),
           Money(5000, "EUR"))
    db.session.remove()
    admin = browser.new_context(base_url=live_server, locale="en-GB")
    second = admin.new_page()
    log_in(second, email_for("admin"), PASSWORD)
    second.get_by_role("link", name="Bank write-offs for a second approver").click()
    table = second.locator("[data-testid=write-offs]")
    expect(table).to_contain_text(f"Invoice {large.number} to ACME GmbH")
    table.get_by_role("button", name="Approve").click()
    expect(second.locator(".alert-success")).to_contain_text("Written off.")
    admin.close()

    with transaction():
        invoices = {key: db.session.get(Invoice, ids[key]) for key in ("over", "small", "large")}
        assert {key: state.status(inv, today) for key, inv in invoices.items()} == {
            key: state.Status.PAID for key in invoices}
    books_sound(db.session)

    # The sponsor's statement shows the credit; its next invoice offers to use it.
    page.goto(f"/sponsors/{ids['acme']}")
    expect(page.locator("[data-testid=credit-balance]")).to_have_text("€30.00")
    later = issued(db.session.get(type(acme), ids["acme"]), TALK)
    later_id = later.id
    db.session.remove()
    page.goto(f"/invoices/{later_id}")
    expect(page.locator("[data-testid=available-credit]")).to_contain_text("€30.00 of credit")
    page.click("#apply-credit")
    expect(page.locator(".alert-success")).to_contain_text("credit is set off against")
    expect(page.locator("[data-testid=outstanding]")).to_have_text("€70.00")
    assert credits.balance(db.session, ids["acme"], "EUR").amount == 0
    books_sound(db.session)
