"""The providers of open items other than booked postings: open invoices, executed payout
batches, Stripe payouts. Ranking per kind, split matches, accept and undo with the ledger
checked, and books and bank agreeing once everything is matched."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from backoffice.banking import imports, reconciliation, services, writers
from backoffice.banking.models import BankLine, BankMatch, BankMatchItem
from backoffice.banking.parsers import ParsedLine, ParsedStatement
from backoffice.banking.payout_batches import PAYOUT_BATCHES
from backoffice.core import clock
from backoffice.core.db import counting_statements, transaction
from backoffice.core.errors import Conflict
from backoffice.core.money import Money
from backoffice.core.permissions import Role
from backoffice.extensions import settings as app_settings
from backoffice.invoicing import services as invoicing
from backoffice.invoicing import state
from backoffice.invoicing.models import InvoicePayment, PaymentKind
from backoffice.ledger.balances import trial_balance
from backoffice.ledger.integrity import problems
from backoffice.ledger.models import JournalEntry, Posting
from backoffice.ledger.periods import FiscalYear
from backoffice.payments import services as stripe
from backoffice.payouts import services as payouts

from ..invoicing.factories import issued, sponsor
from ..sponsorship import active_group, approved, give
from .conftest import IBAN, book

TODAY = clock.today()
ACME_IBAN = "DE02120300000000202051"
SILVER = [("Silver sponsorship", 1000, 100000, "standard")]  # 1,190.00 with VAT


def misread(number: str) -> str:
    """'2026-00042' as a payer types it: spaces, letter O for zero."""
    year, _, sequence = number.rpartition("-")
    return f"{year} {sequence.replace('0', 'O')}"


def statement(session, bank, treasurer, lines: list[ParsedLine], opening: int = 0):
    """Import one statement of today with these lines; its opening balance is ``opening``."""
    data = writers.camt053(IBAN, [ParsedStatement(
        currency="EUR", opening=opening, opening_date=TODAY - timedelta(days=1),
        closing=opening + sum(line.amount for line in lines), closing_date=TODAY,
        lines=lines)])
    with transaction():
        imports.import_statement(session, bank, filename="statement.xml", data=data,
                                  actor=treasurer, settings=app_settings())
    return session.scalars(select(BankLine).order_by(BankLine.id)).all()


def line(amount: int, text: str = "", *, name: str = "", iban: str = "", refs=()) -> ParsedLine:
    return ParsedLine(booking_date=TODAY, value_date=TODAY, amount=amount, currency="EUR",
                      counterparty_name=name, counterparty_iban=iban, remittance=text,
                      references=tuple(refs))


def best(session, bank, bank_line):
    return services.suggestions_for(session, bank, [bank_line])[bank_line.id][0]


def accept(session, bank, lines, items, treasurer):
    with transaction():
        return services.accept(session, bank, lines=lines, items=items, actor=treasurer, settings=app_settings())


def undo(session, match, treasurer):
    with transaction():
        return services.undo_match(session, match, actor=treasurer, reason="wrong", settings=app_settings())


def ledger_sound(session) -> None:
    assert problems(session) == []
    assert trial_balance(session, TODAY, fiscal_year=FiscalYear(1)).balanced


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


# --- open invoices -----------------------------------------------------------------------------

@pytest.fixture
def acme(session):
    return sponsor("DE", name="ACME GmbH")


def test_invoice_number_misread_in_the_text_ranks_first(session, bank, treasurer, acme):
    invoice = issued(acme, SILVER)
    issued(acme, SILVER)  # same amount, other number
    bank_line, = statement(session, bank, treasurer, [
        line(119000, f"Rechnung {misread(invoice.number)} vielen Dank")])
    suggestion = best(session, bank, bank_line)
    assert (suggestion.item.provider, suggestion.item.key) == ("invoice", str(invoice.id))
    assert suggestion.reason == f"invoice {invoice.number} in the reference; same amount"
    assert suggestion.confident


def test_rf_payment_reference_in_groups_finds_the_invoice(session, bank, treasurer, acme):
    invoice = issued(acme, SILVER)
    grouped = " ".join(invoice.payment_reference[i:i + 4]
                       for i in range(0, len(invoice.payment_reference), 4))
    bank_line, = statement(session, bank, treasurer, [line(119000, grouped)])
    assert best(session, bank, bank_line).item.key == str(invoice.id)


def test_amount_and_iban_of_a_known_sponsor(session, bank, treasurer, acme):
    first, second = issued(acme, SILVER), issued(acme, [("Bronze", 1000, 50000, "standard")])
    paid, later = statement(session, bank, treasurer, [
        line(119000, f"RE {first.number}", name="ACME GmbH", iban=ACME_IBAN),
        line(59500, "Sponsoring PyConf", name="ACME Holding", iban=ACME_IBAN)])
    assert "IBAN" not in best(session, bank, later).reason  # not known yet
    accept(session, bank, [paid], [("invoice", str(first.id))], treasurer)
    suggestion = best(session, bank, later)
    assert suggestion.item.key == str(second.id)
    assert suggestion.reason == "amount and IBAN match sponsor ACME GmbH"
    assert not suggestion.confident  # no reference: shown, never accepted on its own


def test_accepting_an_invoice_records_the_payment_and_undo_reverses_it(session, bank, treasurer,
                                                                       acme):
    invoice = issued(acme, SILVER)
    bank_line, = statement(session, bank, treasurer, [line(119000, f"RE {invoice.number}")])
    entries = count(session, JournalEntry)
    match = accept(session, bank, [bank_line], [("invoice", str(invoice.id))], treasurer)
    assert state.status(invoice, TODAY) is state.Status.PAID
    payment, = invoice.payments
    assert (payment.method, payment.amount, payment.journal_entry_id) == (
        "bank", 119000, match.journal_entry_id)
    entry = match.journal_entry
    assert sorted((p.account.role, p.fund_id, p.amount) for p in entry.postings) == [
        ("bank", invoice.fund_id, 119000), ("receivables", invoice.fund_id, -119000)]
    assert count(session, JournalEntry) == entries + 1
    index = services.open_items(session, bank)
    assert ("invoice", str(invoice.id)) not in index.items
    # The match's bank posting is the line's own booking, never offered as a booked posting.
    assert not [key for key in index.items if key[0] == "posting"]
    ledger_sound(session)

    undo(session, match, treasurer)
    session.expire_all()
    assert state.status(invoice, TODAY) is state.Status.OPEN
    assert [(p.kind, p.amount, p.reverses_id) for p in invoice.payments] == [
        (PaymentKind.PAYMENT, 119000, None), (PaymentKind.REVERSAL, -119000, payment.id)]
    assert invoice.payments[1].journal_entry_id == match.undo_entry_id
    assert session.get(JournalEntry, match.undo_entry_id).reverses_id == entry.id
    assert count(session, JournalEntry) == entries + 2  # nothing deleted
    assert services.open_items(session, bank).open(("invoice", str(invoice.id))) == 119000
    ledger_sound(session)
    # The line can be matched again, and the invoice paid by it.
    accept(session, bank, [bank_line], [("invoice", str(invoice.id))], treasurer)
    session.expire_all()
    assert state.status(invoice, TODAY) is state.Status.PAID
    with pytest.raises(Conflict):
        invoicing.reverse_payment(session, payment, reason="twice", journal_entry_id=None,
                                  actor=treasurer)


def test_invoices_named_together_outrank_a_booked_posting_of_the_same_amount(
        session, bank, treasurer, acme):
    """An unrelated booked bank posting that happens to have the line's amount (no reference)
    does not hide the suggestion built from the invoices the text names."""
    from backoffice.ledger.services import general_fund

    invoices = [issued(acme, SILVER) for _ in range(2)]
    with transaction():
        give(session, general_fund(session), Money(2 * 119000, "EUR"))
    text = "Rechnungen " + " und ".join(misread(i.number) for i in invoices)
    bank_line, = statement(session, bank, treasurer, [line(2 * 119000, text)])
    first, *_ = services.suggestions_for(session, bank, [bank_line])[bank_line.id]
    assert [item.key for item in first.items] == [str(i.id) for i in invoices]


def test_one_line_pays_three_invoices(session, bank, treasurer, acme):
    invoices = [issued(acme, SILVER) for _ in range(3)]
    text = "Rechnungen " + ", ".join(misread(i.number) for i in invoices)
    bank_line, = statement(session, bank, treasurer, [line(3 * 119000, text)])
    together, *single = services.suggestions_for(session, bank, [bank_line])[bank_line.id]
    assert [item.key for item in together.items] == [str(i.id) for i in invoices]
    assert together.reason == (" + ".join(f"invoice {i.number}" for i in invoices)
                               + " in the reference; together the same amount")
    assert together.exact_amount and not together.confident  # several items: always asked
    assert all(s.reason.endswith("more than what is open") for s in single)
    match = accept(session, bank, [bank_line], [(i.provider, i.key) for i in together.items],
                   treasurer)
    session.expire_all()
    assert [state.status(i, TODAY) for i in invoices] == [state.Status.PAID] * 3
    assert sorted(p.amount for p in match.journal_entry.postings) == [-119000] * 3 + [357000]
    undo(session, match, treasurer)
    session.expire_all()
    assert [state.outstanding(i) for i in invoices] == [119000] * 3
    ledger_sound(session)


def test_three_lines_pay_one_invoice_in_instalments(session, bank, treasurer, acme):
    invoice = issued(acme, SILVER)
    first, second, third = statement(session, bank, treasurer, [
        line(40000, f"1. Rate {invoice.number}"), line(40000, f"2. Rate {invoice.number}"),
        line(39000, f"Rest {invoice.number}")])
    suggestion = best(session, bank, first)
    assert suggestion.reason == (f"invoice {invoice.number} in the reference; "
                                 f"part of what is open")
    accept(session, bank, [first], [("invoice", str(invoice.id))], treasurer)
    session.expire_all()
    assert state.status(invoice, TODAY) is state.Status.PARTIALLY_PAID
    assert best(session, bank, second).item.key == str(invoice.id)
    accept(session, bank, [second, third], [("invoice", str(invoice.id))], treasurer)
    session.expire_all()
    assert state.status(invoice, TODAY) is state.Status.PAID
    assert sorted(p.amount for p in invoice.payments) == [40000, 79000]
    ledger_sound(session)


def test_an_invoice_paid_by_hand_is_not_offered_again(session, bank, treasurer, acme):
    """The treasurer recorded the transfer by hand: its bank posting is the item, not the
    invoice, so the money is not booked twice."""
    paid, partly = issued(acme, SILVER), issued(acme, SILVER)
    with transaction():
        for invoice, amount in ((paid, 119000), (partly, 19000)):
            invoicing.record_payment(session, invoice, amount=Money(amount, "EUR"),
                                     reference=f"HAND-{invoice.id}", received_on=TODAY,
                                     method="bank", debit_role="bank", actor=treasurer)
    full, part = statement(session, bank, treasurer, [line(119000, f"RE {paid.number}"),
                                                      line(19000, f"RE {partly.number}")])
    index = services.open_items(session, bank)
    assert ("invoice", str(paid.id)) not in index.items
    assert index.open(("invoice", str(partly.id))) == 100000  # what is still owed
    for bank_line in (full, part):
        suggestion = best(session, bank, bank_line)
        assert suggestion.item.provider == "posting" and suggestion.exact_amount
    entries = count(session, JournalEntry)
    accept(session, bank, [full], [("posting", best(session, bank, full).item.key)], treasurer)
    assert count(session, JournalEntry) == entries  # confirmed, not booked again


# --- booked postings -----------------------------------------------------------------------------

def test_a_booked_posting_confirmed_in_part_is_open_for_the_rest(session, bank, treasurer):
    """A posting the bank credited in two parts: after the first line what is left of it is
    open (what matches allocated to it is read with it, issue 17), the second line confirms it
    in full, and once the first match is undone its part is open again."""
    with transaction():
        posting = book(session, treasurer, TODAY, 10000, "Member fee")
    first, second = statement(session, bank, treasurer, [line(4000, "Member fee, part 1"),
                                                         line(6000, "Member fee, part 2")])
    key = ("posting", str(posting.id))
    match = accept(session, bank, [first], [key], treasurer)
    index = services.open_items(session, bank)
    assert (index.items[key].amount, index.open(key)) == (10000, 6000)
    accept(session, bank, [second], [key], treasurer)
    assert key not in services.open_items(session, bank).items
    undo(session, match, treasurer)
    assert services.open_items(session, bank).open(key) == 4000


# --- executed payout batches ---------------------------------------------------------------------

@pytest.fixture
def batch(session, users):
    """Three claims of two funds paid in one executed batch (Dr payables / Cr bank per fund)."""
    treasurer = users[Role.TREASURER]
    a = active_group(session, "PyAachen", actor=users[Role.ADMIN])
    b = active_group(session, "PyBonn", actor=users[Role.ADMIN])
    with transaction():
        for group in (a, b):
            give(session, group.fund, Money(50000, "EUR"), TODAY - timedelta(days=1))
    claims = [approved(session, a.organisers[0], a.fund, treasurer, ["12.50", "0.99"]),
              approved(session, b.organisers[0], b.fund, treasurer, ["100.00"]),
              approved(session, b.organisers[0], b.fund, treasurer, ["7.00"])]
    with transaction():
        created = payouts.create_batch(session, selected=[("expense_claim", str(c.id))
                                                          for c in claims],
                                       requested_on=TODAY, today=TODAY, actor=treasurer, settings=app_settings())
        payouts.mark_executed(session, created, booked_on=TODAY, actor=treasurer, settings=app_settings())
    return created


def batch_postings(session, batch) -> set[int]:
    bank_ids = {p.id for p in session.scalars(select(Posting).where(
        Posting.entry_id == batch.payment_entry_id, Posting.amount < 0))}
    return {p for p in bank_ids if session.get(Posting, p).account.role == "bank"}


def test_a_batch_booked_as_one_debit(session, bank, treasurer, batch):
    debit, = statement(session, bank, treasurer, [
        line(-batch.total, "SEPA-Sammelueberweisung", refs=(f"{batch.message_id}-1",))],
        opening=100000)
    suggestion = best(session, bank, debit)
    assert (suggestion.item.provider, suggestion.item.key) == ("payout_batch", str(batch.id))
    assert suggestion.reason == f"payout batch {batch.message_id} in the reference; same amount"
    assert suggestion.confident
    index = services.open_items(session, bank)
    postings = batch_postings(session, batch)
    assert len(postings) == 2  # one per fund
    # The batch's bank postings are offered once: as the batch (or its transfers), never as
    # booked postings.
    assert not {("posting", str(p)) for p in postings} & set(index.items)
    entries = count(session, JournalEntry)
    match = accept(session, bank, [debit], [("payout_batch", str(batch.id))], treasurer)
    assert match.journal_entry_id is None and count(session, JournalEntry) == entries
    assert {row.posting_id for row in match.items} == postings
    assert sum(row.amount for row in match.items) == -batch.total
    index = services.open_items(session, bank)
    assert not [key for key in index.items if key[0] == "payout_batch"]  # nor its transfers
    report = reconciliation.difference(session, bank, TODAY)
    assert not {p.id for p, _ in report.not_at_bank} & postings
    assert report.unexplained == 0
    undo(session, match, treasurer)
    assert ("payout_batch", str(batch.id)) in services.open_items(session, bank).items
    report = reconciliation.difference(session, bank, TODAY)
    assert {p.id for p, _ in report.not_at_bank} >= postings
    ledger_sound(session)


def test_a_batch_booked_one_line_per_transfer(session, bank, treasurer, batch):
    items = batch.items
    lines = statement(session, bank, treasurer, [
        line(-item.amount, item.remittance, name=item.payee_name, iban=item.iban,
             refs=(item.end_to_end_id,)) for item in items], opening=100000)
    for item, bank_line in zip(items, lines, strict=True):
        suggestion = best(session, bank, bank_line)
        assert suggestion.item.key == f"{batch.id}:{item.id}"
        assert suggestion.reason.startswith(
            f"transfer {item.end_to_end_id} in the reference; amount and IBAN match")
    accept(session, bank, [lines[0]], [("payout_batch", f"{batch.id}:{items[0].id}")], treasurer)
    index = services.open_items(session, bank)
    assert ("payout_batch", str(batch.id)) not in index.items  # no longer as a whole
    for item, bank_line in zip(items[1:], lines[1:], strict=True):
        accept(session, bank, [bank_line], [("payout_batch", f"{batch.id}:{item.id}")],
               treasurer)
    report = reconciliation.difference(session, bank, TODAY)
    assert not {p.id for p, _ in report.not_at_bank} & batch_postings(session, batch)
    assert report.difference == 0 and report.unexplained == 0


def test_a_batch_whose_posting_another_provider_confirmed_is_not_offered(session, bank, batch):
    """A batch posting matched as a booked posting (before the batches' provider existed) takes
    the whole batch and its transfers out of the index, while that match is active."""
    posting_id = min(batch_postings(session, batch))
    with transaction():
        match = BankMatch(bank_account_id=bank.id, how="manual")
        match.items.append(BankMatchItem(provider="posting", item_key=str(posting_id),
                                         amount=session.get(Posting, posting_id).amount,
                                         posting_id=posting_id))
        session.add(match)
    assert not [key for key in services.open_items(session, bank).items
                if key[0] == "payout_batch"]
    with transaction():
        match.items[0].active = False
    index = services.open_items(session, bank)
    assert ("payout_batch", str(batch.id)) in index.items
    assert len([key for key in index.items if key[0] == "payout_batch"]) == 1 + len(batch.items)


def test_open_batches_cost_two_queries(session, bank, batch):
    """The batches' provider reads its unconfirmed postings (with their funds and whether
    another provider confirmed them), then the batches with their transfers and what matches
    allocated to each: two statements however many batches are open (issue 17: it sent six)."""
    session.refresh(bank)  # expired by the fixtures' commits: not the provider's query
    with counting_statements(session.get_bind()) as sent:
        items = list(PAYOUT_BATCHES.open_items(session, bank))
    assert len(items) == 1 + len(batch.items)
    assert sent[0] == 2


# --- Stripe payouts ----------------------------------------------------------------------------

def paid_out(session, stripe_id: str, cents: int) -> None:
    with transaction():
        stripe.on_payout_paid(session, {"id": stripe_id, "amount": cents, "currency": "eur",
                                        "arrival_date": None}, {}, app_settings())


def test_a_stripe_payout_is_confirmed_not_booked_again(session, bank, treasurer):
    paid_out(session, "po_1QxY7z2eZvKYlo2C", 48210)
    paid_out(session, "po_1QxY7z2eZvKYlo9D", 48210)  # same amount, other payout
    arrived, = statement(session, bank, treasurer, [
        line(48210, "STRIPE PAYOUT PO_1QXY7Z2EZVKYLO2C", name="Stripe Payments Europe Ltd")])
    suggestion = best(session, bank, arrived)
    assert (suggestion.item.provider, suggestion.item.key) == (
        "stripe_payout", "po_1QxY7z2eZvKYlo2C")
    assert suggestion.reason == ("Stripe payout po_1QxY7z2eZvKYlo2C in the reference; same amount; "
                                 "name Stripe")
    index = services.open_items(session, bank)
    assert not [key for key in index.items if key[0] == "posting"]  # offered as payouts only
    entries = count(session, JournalEntry)
    match = accept(session, bank, [arrived], [("stripe_payout", "po_1QxY7z2eZvKYlo2C")],
                   treasurer)
    assert match.journal_entry_id is None and count(session, JournalEntry) == entries
    report = reconciliation.difference(session, bank, TODAY)
    assert [p.amount for p, _ in report.not_at_bank] == [48210]  # the other payout only
    undo(session, match, treasurer)
    assert ("stripe_payout", "po_1QxY7z2eZvKYlo2C") in services.open_items(session, bank).items
    assert count(session, BankMatchItem) == 1  # kept, inactive
    ledger_sound(session)


def test_auto_accept_confirms_a_payout_and_a_batch_in_bulk(session, bank, treasurer, batch):
    bank.auto_accept = True
    paid_out(session, "po_1QxY7z2eZvKYlo2C", 48210)
    result = statement(session, bank, treasurer, [
        line(48210, "STRIPE PAYOUT po_1QxY7z2eZvKYlo2C"),
        line(-batch.total, f"Sammler {batch.message_id}")], opening=100000)
    assert {bank_line.status for bank_line in result} == {"matched"}
    assert reconciliation.difference(session, bank, TODAY).unexplained == 0


# --- all kinds at once: books and bank agree ---------------------------------------------------

def test_books_and_bank_agree_once_every_kind_is_matched(session, bank, treasurer, acme, batch):
    invoices = [issued(acme, SILVER) for _ in range(3)]
    paid_out(session, "po_1QxY7z2eZvKYlo2C", 48210)
    opening = reconciliation.books_balance(session, bank, TODAY - timedelta(days=1))
    lines = statement(session, bank, treasurer, [
        line(2 * 119000, f"{invoices[0].number} {misread(invoices[1].number)}", iban=ACME_IBAN),
        line(60000, f"Rate 1 {invoices[2].number}", iban=ACME_IBAN),
        line(59000, f"Rate 2 {invoices[2].number}", iban=ACME_IBAN),
        line(-batch.total, "SEPA", refs=(f"{batch.message_id}-1",)),
        line(48210, "STRIPE PAYOUT po_1QxY7z2eZvKYlo2C")], opening=opening)
    before = reconciliation.difference(session, bank, TODAY)
    assert before.difference != 0 and before.unexplained == 0
    accept(session, bank, [lines[0]], [("invoice", str(i.id)) for i in invoices[:2]], treasurer)
    accept(session, bank, [lines[1]], [("invoice", str(invoices[2].id))], treasurer)
    accept(session, bank, [lines[2]], [("invoice", str(invoices[2].id))], treasurer)
    accept(session, bank, [lines[3]], [("payout_batch", str(batch.id))], treasurer)
    accept(session, bank, [lines[4]], [("stripe_payout", "po_1QxY7z2eZvKYlo2C")], treasurer)
    after = reconciliation.difference(session, bank, TODAY)
    assert after.bank_balance == after.books_balance
    assert after.not_at_bank == [] and after.not_in_books == [] and after.unexplained == 0
    session.expire_all()
    assert {state.status(i, TODAY) for i in invoices} == {state.Status.PAID}
    assert session.scalar(select(func.count()).select_from(InvoicePayment)) == 4
    ledger_sound(session)
