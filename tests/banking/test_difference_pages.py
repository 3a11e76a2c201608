# ruff: noqa: F811  (the fixtures acme and batch are imported from test_providers)
"""Over- and underpayments on the pages: the queue offers the ways to accept a line that
differs, the line page takes a rest to an account, the second approver decides on the write-offs
page, and the sponsor's credit shows on its statement, on the next invoice's page and PDF, and is
set off or paid back from there."""
from __future__ import annotations

import io

import pypdf
from sqlalchemy import select

from backoffice.banking.models import BankWriteOff
from backoffice.board.models import SubjectKind
from backoffice.core.money import Money
from backoffice.core.permissions import Role
from backoffice.extensions import settings as app_settings
from backoffice.invoicing import credits, services, state
from backoffice.invoicing.models import Invoice
from backoffice.ledger import services as ledger
from backoffice.payouts import services as payouts

from ..board.passed import decide
from ..helpers import csrf_token, login
from ..invoicing.factories import issued
from .test_differences import BOOTH, TALK, TODAY, books_sound
from .test_providers import ACME_IBAN, acme, line, statement  # noqa: F401 (a fixture)

HTMX = {"HX-Request": "true"}


def post(client, path: str, data: dict, page: str = "/", **extra):
    return client.post(path, data={"csrf_token": csrf_token(client, page), **data}, **extra)


def overpaid(session, bank, treasurer, sponsor, amount=33000):
    invoice = issued(sponsor, BOOTH)
    paid, = statement(session, bank, treasurer, [line(amount, f"RE {invoice.number}")])
    return invoice, paid


def test_the_queue_offers_the_credit_for_an_overpayment_and_accepting_it_settles_the_invoice(
        client, session, users, bank, treasurer, acme):
    invoice, paid = overpaid(session, bank, treasurer, acme)
    login(client, Role.TREASURER)
    page = client.get(f"/bank/accounts/{bank.id}/reconcile").get_data(as_text=True)
    assert f"Accept, €30.00 as credit for {acme.name}" in page
    response = post(client, f"/bank/lines/{paid.id}/accept",
                    {"item": f"invoice:{invoice.id}", "difference": "credit"},
                    f"/bank/accounts/{bank.id}/reconcile", headers=HTMX)
    assert "the rest is the sponsor&#39;s credit" in response.get_data(as_text=True)
    session.expire_all()
    assert state.status(invoice, TODAY) is state.Status.PAID
    statement_page = client.get(f"/sponsors/{acme.id}").get_data(as_text=True)
    assert 'data-testid="credit-balance"' in statement_page and "€30.00" in statement_page
    assert "Overpayment" in statement_page  # the credit movement's name (state.LABELS)
    books_sound(session)


def test_the_queue_offers_a_small_write_off_first_with_its_reason(client, session, users, bank,
                                                                  treasurer, acme):
    invoice, paid = overpaid(session, bank, treasurer, acme, amount=29500)
    login(client, Role.TREASURER)
    page = client.get(f"/bank/accounts/{bank.id}/reconcile").get_data(as_text=True)
    first = page.index("Accept, write off €5.00 as bank charges")
    assert first < page.index("Accept, leave €5.00 open")
    assert "€5.00 is within the €10.00 limit for small differences" in page


def test_a_rest_to_an_account_from_the_line_page_and_bad_input_is_a_clear_refusal(
        client, session, users, bank, treasurer, acme):
    invoice, paid = overpaid(session, bank, treasurer, acme)
    login(client, Role.TREASURER)
    line_page = client.get(f"/bank/lines/{paid.id}").get_data(as_text=True)
    assert 'data-testid="difference"' in line_page
    refused = post(client, f"/bank/lines/{paid.id}/accept",
                   {"item": f"invoice:{invoice.id}", "difference": "account",
                    "rest_account": str(ledger.account_by_role(session, "bank").id)},
                   f"/bank/lines/{paid.id}")
    assert refused.status_code == 302
    assert "not the bank account itself" in client.get(refused.location).get_data(as_text=True)
    other_income = ledger.account_by_code(session, "4900")
    done = post(client, f"/bank/lines/{paid.id}/accept",
                {"item": f"invoice:{invoice.id}", "difference": "account",
                 "rest_account": str(other_income.id), "rest_fund": ""}, f"/bank/lines/{paid.id}")
    assert "the rest is booked" in client.get(done.location).get_data(as_text=True)
    session.expire_all()
    assert state.status(invoice, TODAY) is state.Status.PAID
    books_sound(session)


def test_the_second_approver_decides_on_the_write_offs_page(client, session, users, bank,
                                                            treasurer, acme):
    invoice, paid = overpaid(session, bank, treasurer, acme, amount=25000)
    login(client, Role.TREASURER)
    response = post(client, f"/bank/lines/{paid.id}/accept",
                    {"item": f"invoice:{invoice.id}", "difference": "write_off"},
                    f"/bank/accounts/{bank.id}/reconcile", headers=HTMX)
    assert "waits for a second approver" in response.get_data(as_text=True)
    write_off = session.scalar(select(BankWriteOff))
    page = client.get("/bank/write-offs").get_data(as_text=True)
    assert "you asked: somebody else decides" in page
    own = post(client, f"/bank/write-offs/{write_off.id}/approve", {}, "/bank/write-offs")
    assert "somebody else has to decide it" in client.get(own.location).get_data(as_text=True)
    login(client, Role.BOARD)
    assert post(client, f"/bank/write-offs/{write_off.id}/approve", {},
                "/bank/write-offs").status_code == 403
    login(client, Role.ADMIN)
    assert "Bank write-offs for a second approver" in client.get("/").get_data(as_text=True)
    refused = post(client, f"/bank/write-offs/{write_off.id}/approve", {}, "/bank/write-offs")
    assert "has not passed a resolution on this write-off" in \
        client.get(refused.location).get_data(as_text=True)
    decide(SubjectKind.INVOICE_WRITE_OFF, write_off.id, Money(5000, "EUR"))
    done = post(client, f"/bank/write-offs/{write_off.id}/approve", {}, "/bank/write-offs")
    assert "Written off." in client.get(done.location).get_data(as_text=True)
    session.expire_all()
    assert state.status(invoice, TODAY) is state.Status.PAID
    books_sound(session)


def test_the_next_invoice_shows_the_credit_on_its_page_and_pdf_and_sets_it_off(
        client, session, users, bank, treasurer, acme):
    invoice, paid = overpaid(session, bank, treasurer, acme)
    login(client, Role.TREASURER)
    post(client, f"/bank/lines/{paid.id}/accept",
         {"item": f"invoice:{invoice.id}", "difference": "credit"}, f"/bank/lines/{paid.id}")
    later = issued(acme, TALK)
    pdf = services.stored_pdf(session, session.get(Invoice, later.id), settings=app_settings())
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert "Guthaben" in text and "30,00" in text  # the sponsor reads German
    page = client.get(f"/invoices/{later.id}").get_data(as_text=True)
    assert 'data-testid="available-credit"' in page and "€30.00" in page
    done = post(client, f"/invoices/{later.id}/apply-credit", {}, f"/invoices/{later.id}")
    assert "credit is set off against" in client.get(done.location).get_data(as_text=True)
    session.expire_all()
    assert state.outstanding(session.get(Invoice, later.id)) == 7000
    assert credits.balance(session, acme.id, "EUR").amount == 0
    books_sound(session)


def test_the_credit_is_paid_back_from_the_sponsors_page(client, session, users, bank, treasurer,
                                                        acme):
    invoice, paid = overpaid(session, bank, treasurer, acme)
    login(client, Role.TREASURER)
    post(client, f"/bank/lines/{paid.id}/accept",
         {"item": f"invoice:{invoice.id}", "difference": "credit"}, f"/bank/lines/{paid.id}")
    too_much = post(client, f"/sponsors/{acme.id}/refund",
                    {"amount": "31.00", "payee_name": "ACME GmbH", "iban": ACME_IBAN},
                    f"/sponsors/{acme.id}")
    assert "cannot be paid back" in client.get(too_much.location).get_data(as_text=True)
    done = post(client, f"/sponsors/{acme.id}/refund",
                {"amount": "30.00", "payee_name": "ACME GmbH", "iban": ACME_IBAN},
                f"/sponsors/{acme.id}")
    assert "waits for the next payout batch" in client.get(done.location).get_data(as_text=True)
    assert [p.reference for p in payouts.open_payables(session)["sponsor_refund"]] == ["SR1"]
    books_sound(session)
