"""Booking a line as an entry by hand: no account is preselected unless a rule applies, the
same counterparty was booked that way before, or the bank itself is the counterparty."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from backoffice.banking import hints, services
from backoffice.banking.models import BankLine
from backoffice.core.db import transaction
from backoffice.ledger import services as ledger
from backoffice.ledger.chart import AccountType

from ..helpers import login
from .conftest import book, do_import, sample


def _roles(session):
    return {"bank_fees": ledger.account_by_role(session, "bank_fees").id,
            "interest_income": ledger.account_by_role(session, "interest_income").id,
            "general_fund": ledger.general_fund(session).id}


def test_a_line_gets_the_account_its_counterparty_was_booked_to_before(session, bank, treasurer, client):
    with transaction():
        book(session, treasurer, date(2026, 3, 1), 100000, "Opening balance")
    do_import(session, bank, sample("camt053-v02-two-statements.xml"), treasurer)
    lines = list(session.scalars(select(BankLine).order_by(BankLine.id)))
    named = [line for line in lines if line.counterparty_name and line.status == "open"]
    assert named, "the sample has lines from named counterparties"
    roles = _roles(session)
    found = hints.hints_for(session, bank.id, lines, roles)
    for line in lines:
        if line.id in found:  # only the bank's own lines get a hint before anything is booked
            assert not line.counterparty_name and not line.counterparty_iban
            assert found[line.id].account_id == roles["bank_fees" if line.amount < 0
                                                      else "interest_income"]
    first = named[0]
    target = ledger.account_by_role(session, "donation_income" if first.amount > 0
                                    else "event_costs")
    with transaction():
        services.book_line(session, first, account=target, fund=ledger.general_fund(session),
                           description="booked by hand", actor=treasurer)
    # a later line from the same counterparty, same direction
    later = BankLine(**{column: getattr(first, column) for column in (
        "bank_account_id", "statement_id", "currency", "counterparty_name", "counterparty_iban",
        "remittance", "references", "transaction_code") if hasattr(first, column)},
        amount=first.amount, booking_date=date(2026, 3, 20), value_date=date(2026, 3, 20))
    hint = hints.choose(later, [], hints.earlier_bookings(session, bank.id, [later]), roles)
    assert hint.account_id == target.id
    assert hint.reason.startswith(f"as {first.counterparty_name} was booked on ")
    other_way = hints.choose(BankLine(**{**{c: getattr(later, c) for c in (
        "counterparty_name", "counterparty_iban")}, "amount": -first.amount}), [],
        hints.earlier_bookings(session, bank.id, [later]), roles)
    assert other_way is None  # money the other way: no guess


def test_the_queue_preselects_nothing_for_a_stranger(session, bank, treasurer, client):
    with transaction():
        book(session, treasurer, date(2026, 3, 1), 100000, "Opening balance")
    do_import(session, bank, sample("camt053-v02-two-statements.xml"), treasurer)
    login(client, "treasurer")
    page = client.get(f"/bank/accounts/{bank.id}/reconcile").get_data(as_text=True)
    for line in session.scalars(select(BankLine).where(BankLine.status == "open")):
        assert f'id="l{line.id}-account"' not in page  # the form comes when the line's opens
        assert f"/bank/lines/{line.id}/book-form" in page
        form = client.get(f"/bank/lines/{line.id}/book-form").get_data(as_text=True)
        select_html = form.split(f'id="l{line.id}-account"')[1].split("</select>")[0]
        if line.counterparty_name or line.counterparty_iban:
            assert " selected" not in select_html, line.counterparty_name
        else:
            assert " selected" in select_html


def test_the_queue_does_not_send_the_chart(session, bank, treasurer, client):
    """Issue 17: the queue's weight does not grow with the chart of accounts; a line's booking
    form, fetched when it opens, offers every postable account."""
    with transaction():
        book(session, treasurer, date(2026, 3, 1), 100000, "Opening balance")
    do_import(session, bank, sample("camt053-v02-two-statements.xml"), treasurer)
    login(client, "treasurer")
    url = f"/bank/accounts/{bank.id}/reconcile"
    before = len(client.get(url).data)
    with transaction():
        for n in range(300):
            ledger.create_account(session, code=f"B{n:04d}", name=f"Bench account {n}",
                                  type=AccountType.EXPENSE, actor=treasurer)
    assert len(client.get(url).data) == before
    line = session.scalars(select(BankLine).where(BankLine.status == "open")).first()
    form = client.get(f"/bank/lines/{line.id}/book-form").get_data(as_text=True)
    assert form.count("Bench account") == 300 and 'name="description"' in form
    assert client.get("/bank/lines/999999/book-form").status_code == 404
