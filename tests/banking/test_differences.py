# ruff: noqa: F811  (the fixtures acme and batch are imported from test_providers)
"""Bank lines that pay more or less than their items: an overpayment settles the invoice and
leaves the rest as the sponsor's credit (or on another invoice, or an account); a shortfall stays
open or is written off (a second approver above the limit); payout batches debited with a charge
or short. After every scenario the ledger verifies, the trial balance is zero per currency, no
fund is below zero unless somebody allowed it, and the credit rows equal their ledger account."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text

from backoffice.banking import reconciliation, services, write_offs
from backoffice.banking.differences import Difference, How, choices
from backoffice.banking.models import BankMatch, BankWriteOff
from backoffice.board.models import SubjectKind
from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.core.errors import Conflict, PermissionDenied, ValidationError
from backoffice.core.money import Money
from backoffice.core.permissions import Role
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.funds.services import Overspend
from backoffice.grants.models import Status as GrantStatus
from backoffice.invoicing import credits, state
from backoffice.invoicing import services as invoicing
from backoffice.invoicing.models import (
    Invoice,
    InvoicePayment,
    RefundStatus,
    SponsorCredit,
    SponsorRefund,
)
from backoffice.ledger import services as ledger
from backoffice.ledger.balances import fund_balances, trial_balance
from backoffice.ledger.integrity import problems
from backoffice.ledger.models import JournalEntry
from backoffice.ledger.periods import FiscalYear
from backoffice.payouts import services as payouts
from backoffice.payouts.models import PayoutBatch

from ..board.passed import decide
from ..concurrency import at_once
from ..grants.conftest import eur as grant_eur
from ..grants.conftest import grants, make_application  # noqa: F401 (grants: a fixture)
from ..invoicing.factories import issued
from ..sponsorship import active_group, approved, give
from .test_providers import ACME_IBAN, acme, batch, line, statement  # noqa: F401 (fixtures)

TODAY = clock.today()
BOOTH = [("Booth at PyConf", 1000, 30000, "exempt", "§ 4 Nr. 22 UStG")]  # 300.00, no VAT
TALK = [("Sponsored talk", 1000, 10000, "exempt", "§ 4 Nr. 22 UStG")]    # 100.00


def books_sound(session, *, overridden: set[int] = frozenset()) -> None:
    """``backoffice ledger verify`` finds nothing, the trial balance is zero per currency, no fund
    is below zero (but those whose overspend somebody allowed), the credits equal their account."""
    assert problems(session) == []
    assert trial_balance(session, TODAY, fiscal_year=FiscalYear(1)).balanced
    below = {fund_id for (fund_id, _), amount in fund_balances(session, date.max).items()
             if amount < 0}
    assert below <= set(overridden)
    assert credits.differences(session) == []


def accept(session, bank, lines, items, actor, difference=None):
    with transaction():
        return services.accept(session, bank, lines=lines, items=items, actor=actor,
                               difference=difference,
                               small_difference_limit=app_settings().banking.small_difference_limit, settings=app_settings())


def undo(session, match, actor):
    with transaction():
        return services.undo_match(session, match, actor=actor, reason="wrong", settings=app_settings())


def postings(entry) -> list[tuple[str, int]]:
    return sorted((p.account.role or p.account.code, p.amount) for p in entry.postings)


def credit_of(session, sponsor) -> Money:
    return credits.balance(session, sponsor.id, "EUR")


@pytest.fixture
def admin(users):
    return users[Role.ADMIN]


# --- overpayments --------------------------------------------------------------------------------

def test_an_overpayment_settles_the_invoice_and_the_rest_becomes_the_sponsors_credit(
        session, bank, treasurer, acme):
    invoice = issued(acme, BOOTH)
    paid, = statement(session, bank, treasurer, [line(33000, f"RE {invoice.number}")])
    match = accept(session, bank, [paid], [("invoice", str(invoice.id))], treasurer,
                   Difference(How.CREDIT))
    session.expire_all()
    assert state.status(invoice, TODAY) is state.Status.PAID
    assert state.outstanding(invoice) == 0
    assert [(p.method, p.amount) for p in invoice.payments] == [("bank", 30000)]
    assert postings(match.journal_entry) == [
        ("bank", 33000), ("receivables", -30000), ("sponsor_credits", -3000)]
    assert credit_of(session, acme) == Money(3000, "EUR")
    row, = credits.movements(session, acme.id)
    assert (row.kind, row.fund_id, row.bank_match_id) == ("overpayment", invoice.fund_id, match.id)
    assert ("invoice", str(invoice.id)) not in services.open_items(session, bank).items
    books_sound(session)


def test_without_a_choice_an_overpayment_is_refused_and_names_the_ways_out(
        session, bank, treasurer, acme):
    invoice = issued(acme, BOOTH)
    paid, = statement(session, bank, treasurer, [line(33000, f"RE {invoice.number}")])
    with pytest.raises(ValidationError, match="as credit or on an account"):
        accept(session, bank, [paid], [("invoice", str(invoice.id))], treasurer)
    assert session.scalar(select(func.count()).select_from(BankMatch)) == 0


def test_the_rest_pays_another_invoice_named_as_a_further_item(session, bank, treasurer,
                                                               acme):
    first, second = issued(acme, BOOTH), issued(acme, TALK)
    paid, = statement(session, bank, treasurer, [line(33000, f"RE {first.number}")])
    accept(session, bank, [paid], [("invoice", str(first.id)), ("invoice", str(second.id))],
           treasurer)
    session.expire_all()
    assert state.status(first, TODAY) is state.Status.PAID
    assert state.outstanding(second) == 7000
    assert credit_of(session, acme) == Money(0, "EUR")
    books_sound(session)


def test_the_rest_goes_to_an_income_account_and_fund(session, bank, treasurer,
                                                     acme):
    invoice = issued(acme, BOOTH)
    paid, = statement(session, bank, treasurer, [line(33000, f"RE {invoice.number}")])
    other_income = ledger.account_by_code(session, "4900")
    match = accept(session, bank, [paid], [("invoice", str(invoice.id))], treasurer,
                   Difference(How.ACCOUNT, account=other_income,
                              fund=ledger.general_fund(session)))
    assert postings(match.journal_entry) == [("4900", -3000), ("bank", 33000),
                                             ("receivables", -30000)]
    assert credit_of(session, acme) == Money(0, "EUR")
    books_sound(session)


def test_the_credit_pays_a_later_invoice_of_another_fund(session, bank, treasurer, acme,
                                                         users):
    group = active_group(session, "PyKöln", actor=users[Role.ADMIN])
    invoice = issued(acme, BOOTH)
    paid, = statement(session, bank, treasurer, [line(33000, f"RE {invoice.number}")])
    accept(session, bank, [paid], [("invoice", str(invoice.id))], treasurer,
           Difference(How.CREDIT))
    later = issued(acme, TALK, group_id=group.id)
    with transaction():
        payment = credits.apply_to_invoice(session, later, actor=treasurer)
    session.expire_all()
    assert (payment.method, payment.amount) == ("credit", 3000)
    assert state.outstanding(later) == 7000
    assert credit_of(session, acme) == Money(0, "EUR")
    entry = session.get(JournalEntry, payment.journal_entry_id)
    assert {(p.account.role, p.fund_id, p.amount) for p in entry.postings
            if p.account.role != "interfund"} == {
        ("sponsor_credits", invoice.fund_id, 3000), ("receivables", group.fund_id, -3000)}
    with pytest.raises(ValidationError, match="has no credit in EUR"):
        with transaction():
            credits.apply_to_invoice(session, later, actor=treasurer)
    books_sound(session)


def test_the_credit_is_paid_back_by_sepa_transfer_in_a_payout_batch(session, bank, treasurer,
                                                                    acme):
    invoice = issued(acme, BOOTH)
    paid, = statement(session, bank, treasurer, [line(33000, f"RE {invoice.number}")])
    accept(session, bank, [paid], [("invoice", str(invoice.id))], treasurer,
           Difference(How.CREDIT))
    with pytest.raises(ValidationError, match="cannot be paid back"):
        with transaction():
            credits.request_refund(session, acme, Money(3001, "EUR"), payee_name="ACME GmbH",
                                   iban=ACME_IBAN, actor=treasurer)
    with transaction():
        refund, = credits.request_refund(session, acme, Money(3000, "EUR"),
                                         payee_name="ACME GmbH", iban=ACME_IBAN, actor=treasurer)
    assert credit_of(session, acme) == Money(0, "EUR")
    payable, = payouts.open_payables(session)["sponsor_refund"]
    assert (payable.amount, payable.iban) == (Money(3000, "EUR"), ACME_IBAN)
    with transaction():
        created = payouts.create_batch(session, selected=[payable.key], requested_on=TODAY, today=TODAY,
                                       actor=treasurer, settings=app_settings())
        payouts.mark_executed(session, created, booked_on=TODAY, actor=treasurer, settings=app_settings())
    session.expire_all()
    refund = session.get(SponsorRefund, refund.id)
    assert (refund.status, refund.batch_ref) == (RefundStatus.PAID, created.message_id)
    assert f"<IBAN>{ACME_IBAN}</IBAN>" in created.xml
    assert payouts.open_payables(session)["sponsor_refund"] == []
    books_sound(session)


def test_undoing_an_overpayment_takes_the_credit_back_unless_it_was_used(
        session, bank, treasurer, acme):
    invoice, other = issued(acme, BOOTH), issued(acme, TALK)
    first, paid = statement(session, bank, treasurer, [
        line(33000, f"RE {invoice.number}"), line(12000, f"RE {other.number}")])
    match = accept(session, bank, [first], [("invoice", str(invoice.id))], treasurer,
                   Difference(How.CREDIT))
    later = issued(acme, TALK)
    with transaction():
        credits.apply_to_invoice(session, later, actor=treasurer, amount=Money(1000, "EUR"))
    with pytest.raises(Conflict, match="has been used since"):
        undo(session, match, treasurer)
    session.expire_all()
    assert session.get(BankMatch, match.id).undone_at is None
    books_sound(session)

    second_match = accept(session, bank, [paid], [("invoice", str(other.id))], treasurer,
                          Difference(How.CREDIT))
    assert credit_of(session, acme) == Money(4000, "EUR")
    undo(session, second_match, treasurer)
    session.expire_all()
    assert credit_of(session, acme) == Money(2000, "EUR")
    assert state.outstanding(other) == 10000
    assert [row.kind for row in credits.movements(session, acme.id)][-1] == "reversal"
    books_sound(session)


def test_credit_is_never_converted_into_another_currency(session, bank, treasurer,
                                                         acme):
    invoice = issued(acme, BOOTH)
    paid, = statement(session, bank, treasurer, [line(33000, f"RE {invoice.number}")])
    accept(session, bank, [paid], [("invoice", str(invoice.id))], treasurer,
           Difference(How.CREDIT))
    in_dollars = usd_invoice(session, acme)
    with pytest.raises(ValidationError, match="holds €30.00: credit is never converted"):
        with transaction():
            credits.apply_to_invoice(session, in_dollars, actor=treasurer)
    books_sound(session)


def usd_invoice(session, sponsor_) -> Invoice:
    data = invoicing.DraftData(sponsor=sponsor_, currency="USD", service_date=TODAY, lines=[
        invoicing.LineData("Booth", 1000, 30000, "exempt", "§ 4 Nr. 22 UStG")])
    with transaction():
        invoice = invoicing.create_draft(session, data, actor=None, settings=app_settings())
        invoicing.issue(session, invoice, actor=None, settings=app_settings())
    return invoice


def test_a_line_for_an_invoice_in_another_currency_is_refused_clearly(session, bank, treasurer,
                                                                      acme):
    invoice = usd_invoice(session, acme)
    paid, = statement(session, bank, treasurer, [line(30000, f"RE {invoice.number}")])
    assert ("invoice", str(invoice.id)) not in services.open_items(session, bank).items
    with pytest.raises(ValidationError, match=f"Invoice {invoice.number} is in USD; Current "
                                              f"account keeps EUR"):
        accept(session, bank, [paid], [("invoice", str(invoice.id))], treasurer,
               Difference(How.CREDIT))
    session.expire_all()
    assert invoice.payments == [] and session.scalar(select(func.count()).select_from(BankMatch)) == 0
    books_sound(session)


def test_credit_rows_are_append_only(session, bank, treasurer, acme):
    invoice = issued(acme, BOOTH)
    paid, = statement(session, bank, treasurer, [line(33000, f"RE {invoice.number}")])
    accept(session, bank, [paid], [("invoice", str(invoice.id))], treasurer,
           Difference(How.CREDIT))
    row, = credits.movements(session, acme.id)
    statements = ["UPDATE sponsor_credits SET amount = 1", "DELETE FROM sponsor_credits"]
    if session.get_bind().dialect.name == "sqlite":
        statements.append(
            "REPLACE INTO sponsor_credits (id, sponsor_id, fund_id, currency, amount, kind, "
            "reference, journal_entry_id, note, created_at) SELECT id, sponsor_id, fund_id, "
            "currency, 1, kind, reference, journal_entry_id, note, created_at "
            "FROM sponsor_credits")
    for sql in statements:
        # REPLACE meets the trigger that refuses a stored key: a conflict for transaction()
        with pytest.raises(Exception, match="append-only|at the same moment"):
            with transaction():
                session.execute(text(sql))
        session.rollback()
    assert credit_of(session, acme) == Money(3000, "EUR")


# --- underpayments -------------------------------------------------------------------------------

def test_a_small_shortfall_is_written_off_as_bank_charges(session, bank, treasurer,
                                                          acme):
    invoice = issued(acme, BOOTH)
    paid, = statement(session, bank, treasurer, [line(29500, f"RE {invoice.number}")])
    match = accept(session, bank, [paid], [("invoice", str(invoice.id))], treasurer,
                   Difference(How.WRITE_OFF))
    session.expire_all()
    assert state.status(invoice, TODAY) is state.Status.PAID
    assert [(p.kind, p.amount) for p in invoice.payments] == [("payment", 29500),
                                                              ("write_off", 500)]
    assert postings(match.journal_entry) == [("bank", 29500), ("bank_fees", 500),
                                             ("receivables", -30000)]
    assert state.open_invoices(session, due_before=TODAY + timedelta(days=400)) == []
    books_sound(session)
    undo(session, match, treasurer)
    session.expire_all()
    assert state.outstanding(invoice) == 30000
    books_sound(session)


def test_leaving_the_shortfall_open_keeps_the_invoice_partly_paid(session, bank, treasurer,
                                                                  acme):
    invoice = issued(acme, BOOTH)
    paid, = statement(session, bank, treasurer, [line(29500, f"RE {invoice.number}")])
    accept(session, bank, [paid], [("invoice", str(invoice.id))], treasurer,
           Difference(How.OPEN))
    session.expire_all()
    assert state.status(invoice, TODAY) is state.Status.PARTIALLY_PAID
    assert state.outstanding(invoice) == 500
    books_sound(session)


def test_the_choices_offer_a_small_write_off_first_with_its_reason(app):
    small = choices(29500, 30000, "EUR", limit=app_settings().banking.small_difference_limit)
    assert [c.how for c in small] == [How.WRITE_OFF, How.OPEN]
    assert small[0].label == "write off €5.00 as bank charges"
    assert small[0].note == "€5.00 is within the €10.00 limit for small differences"
    large = choices(25000, 30000, "EUR", limit=app_settings().banking.small_difference_limit)
    assert [c.how for c in large] == [How.OPEN, How.WRITE_OFF]
    assert "a second approver decides" in large[1].note
    assert [c.how for c in choices(25000, 30000, "EUR", approvable=False, limit=app_settings().banking.small_difference_limit)] == [How.OPEN]
    assert [c.label for c in choices(33000, 30000, "EUR", limit=app_settings().banking.small_difference_limit, sponsor="ACME")] == [
        "€30.00 as credit for ACME"]
    app.config["BANK_SMALL_DIFFERENCE_LIMIT"] = "2.50"
    assert [c.how for c in choices(29500, 30000, "EUR", limit=app_settings().banking.small_difference_limit)] == [How.OPEN, How.WRITE_OFF]


def test_a_write_off_above_the_limit_waits_for_a_second_approver(session, bank, treasurer, acme,
                                                                 admin, users):
    invoice = issued(acme, BOOTH)
    paid, = statement(session, bank, treasurer, [line(25000, f"RE {invoice.number}")])
    match = accept(session, bank, [paid], [("invoice", str(invoice.id))], treasurer,
                   Difference(How.WRITE_OFF))
    session.expire_all()
    assert state.outstanding(invoice) == 5000  # open until somebody else approves
    assert postings(match.journal_entry) == [("bank", 25000), ("receivables", -25000)]
    waiting, = write_offs.pending(session)
    assert (waiting.amount, waiting.account.role) == (5000, "bank_fees")
    with pytest.raises(PermissionDenied, match="somebody else"):
        with transaction():
            write_offs.approve(session, waiting, actor=treasurer)
    with pytest.raises(PermissionDenied, match="approves money out"):
        with transaction():
            write_offs.approve(session, waiting, actor=users[Role.BOARD])
    # the entry is posted only under the board's resolution naming the write-off
    with pytest.raises(ValidationError, match="has not passed a resolution on this write-off"):
        with transaction():
            write_offs.approve(session, waiting, actor=admin)
    session.expire_all()
    assert waiting.status == write_offs.PENDING and waiting.journal_entry_id is None
    resolution = decide(SubjectKind.INVOICE_WRITE_OFF, waiting.id, Money(5000, "EUR"))
    with transaction():
        write_offs.approve(session, waiting, actor=admin)
    session.expire_all()
    assert resolution.number in session.get(JournalEntry, waiting.journal_entry_id).description
    assert state.status(invoice, TODAY) is state.Status.PAID
    entry = session.get(JournalEntry, waiting.journal_entry_id)
    assert postings(entry) == [("bank_fees", 5000), ("receivables", -5000)]
    with pytest.raises(Conflict, match="approved for this match"):
        undo(session, match, treasurer)
    books_sound(session)


def test_the_limit_for_small_differences_is_configured(app, session, bank, treasurer,
                                                       acme):
    app.config["BANK_SMALL_DIFFERENCE_LIMIT"] = "2.00"
    invoice = issued(acme, BOOTH)
    paid, = statement(session, bank, treasurer, [line(29500, f"RE {invoice.number}")])
    accept(session, bank, [paid], [("invoice", str(invoice.id))], treasurer,
           Difference(How.WRITE_OFF))
    session.expire_all()
    assert state.outstanding(invoice) == 500
    assert [w.amount for w in write_offs.pending(session)] == [500]


def test_a_rejected_write_off_leaves_the_rest_open_and_undo_cancels_a_pending_one(
        session, bank, treasurer, acme, admin):
    invoice = issued(acme, BOOTH)
    first, second = statement(session, bank, treasurer, [
        line(25000, f"RE {invoice.number}"), line(2000, f"Rest {invoice.number}")])
    match = accept(session, bank, [first], [("invoice", str(invoice.id))], treasurer,
                   Difference(How.WRITE_OFF))
    waiting, = write_offs.pending(session)
    with transaction():
        write_offs.reject(session, waiting, actor=admin)
    session.expire_all()
    assert state.outstanding(invoice) == 5000 and write_offs.pending(session) == []
    second_match = accept(session, bank, [second], [("invoice", str(invoice.id))], treasurer,
                          Difference(How.WRITE_OFF))
    pending, = write_offs.pending(session)
    undo(session, second_match, treasurer)
    session.expire_all()
    assert session.get(BankWriteOff, pending.id).status == "cancelled"
    assert state.outstanding(invoice) == 5000 and match.undone_at is None
    books_sound(session)


def test_a_write_off_that_would_take_a_fund_below_zero_needs_a_reason(
        session, bank, treasurer, acme, users):
    group = active_group(session, "PyDüren", actor=users[Role.ADMIN])
    invoice = issued(acme, BOOTH, group_id=group.id)
    held = fund_balances(session, date.max, fund_id=group.fund_id)[(group.fund_id, "EUR")]
    approved(session, group.organisers[0], group.fund, treasurer,
             [f"{held // 100}.{held % 100:02d}"])  # the group spends what the invoice brings
    paid, = statement(session, bank, treasurer, [line(29500, f"RE {invoice.number}")])
    with pytest.raises(Overspend, match="write down why"):
        accept(session, bank, [paid], [("invoice", str(invoice.id))], treasurer,
               Difference(How.WRITE_OFF))
    assert session.scalar(select(func.count()).select_from(BankMatch)) == 0
    accept(session, bank, [paid], [("invoice", str(invoice.id))], treasurer,
           Difference(How.WRITE_OFF, override_reason="the sponsor's bank kept the charge"))
    session.expire_all()
    assert state.status(invoice, TODAY) is state.Status.PAID
    books_sound(session, overridden={group.fund_id})


# --- payout batches debited long or short ------------------------------------------------------

def test_a_batch_debited_with_a_charge_puts_the_charge_on_bank_fees(session, bank, treasurer,
                                                                    batch):
    with transaction():
        give(session, ledger.general_fund(session), Money(10000, "EUR"), TODAY - timedelta(days=1))
    opening = reconciliation.books_balance(session, bank, TODAY - timedelta(days=1))
    debit, = statement(session, bank, treasurer, [
        line(-batch.total - 250, "SEPA", refs=(f"{batch.message_id}-1",))], opening=opening)
    with pytest.raises(ValidationError, match="cannot be matched as they are"):
        accept(session, bank, [debit], [("payout_batch", str(batch.id))], treasurer)
    match = accept(session, bank, [debit], [("payout_batch", str(batch.id))], treasurer,
                   Difference(How.ACCOUNT, account=ledger.account_by_role(session, "bank_fees")))
    assert postings(match.journal_entry) == [("bank", -250), ("bank_fees", 250)]
    after = reconciliation.difference(session, bank, TODAY)
    assert after.bank_balance == after.books_balance and after.unexplained == 0
    assert after.not_at_bank == [] and after.not_in_books == []
    books_sound(session)


def test_a_batch_debited_a_little_short_is_written_off_and_a_large_shortfall_stays_open(
        session, bank, treasurer, batch):
    opening = reconciliation.books_balance(session, bank, TODAY - timedelta(days=1))
    short, = statement(session, bank, treasurer, [
        line(-batch.total + 40, "SEPA", refs=(f"{batch.message_id}-1",))], opening=opening)
    match = accept(session, bank, [short], [("payout_batch", str(batch.id))], treasurer,
                   Difference(How.WRITE_OFF))
    assert postings(match.journal_entry) == [("bank", 40), ("bank_fees", -40)]
    assert ("payout_batch", str(batch.id)) not in services.open_items(session, bank).items
    after = reconciliation.difference(session, bank, TODAY)
    assert after.bank_balance == after.books_balance and after.unexplained == 0
    books_sound(session)
    undo(session, match, treasurer)
    large, = [each for each in statement(session, bank, treasurer, [
        line(-batch.total + 5000, "SEPA again", refs=(f"{batch.message_id}-1",))])
        if each.amount == -batch.total + 5000]
    with pytest.raises(ValidationError, match="above the €10.00 limit"):
        accept(session, bank, [large], [("payout_batch", str(batch.id))], treasurer,
               Difference(How.WRITE_OFF))
    books_sound(session)


# --- at the same moment --------------------------------------------------------------------------

def test_two_treasurers_accepting_an_overpayment_at_once_credit_it_once(
        app, session, bank, treasurer, acme):
    invoice = issued(acme, BOOTH)
    paid, = statement(session, bank, treasurer, [line(33000, f"RE {invoice.number}")])
    ids = (bank.id, treasurer.id, invoice.id, paid.id, acme.id)
    db.session.remove()

    def job(session):
        from backoffice.banking.models import BankAccount, BankLine
        with transaction():
            services.accept(session, session.get(BankAccount, ids[0]),
                            lines=[session.get(BankLine, ids[3])], items=[("invoice", str(ids[2]))],
                            actor=session.get(type(treasurer), ids[1]),
                            difference=Difference(How.CREDIT), settings=app_settings())

    outcome = at_once(app, [job, job])
    assert sum(error is None for error in outcome) == 1, outcome
    assert all(isinstance(error, Conflict) for error in outcome if error is not None)
    assert credits.balance(db.session, ids[4], "EUR") == Money(3000, "EUR")
    assert db.session.scalar(select(func.count()).select_from(SponsorCredit)) == 1
    assert db.session.scalar(select(func.sum(InvoicePayment.amount))) == 30000
    books_sound(db.session)


def test_two_treasurers_spending_the_same_credit_at_once_spend_it_once(
        app, session, bank, treasurer, acme):
    invoice = issued(acme, BOOTH)
    paid, = statement(session, bank, treasurer, [line(33000, f"RE {invoice.number}")])
    accept(session, bank, [paid], [("invoice", str(invoice.id))], treasurer,
           Difference(How.CREDIT))
    later = [issued(acme, TALK).id, issued(acme, TALK).id]
    ids = (treasurer.id, acme.id)
    db.session.remove()

    def spend(invoice_id):
        def job(session):
            with transaction():
                credits.apply_to_invoice(session, session.get(Invoice, invoice_id),
                                         actor=session.get(type(treasurer), ids[0]),
                                         amount=Money(2000, "EUR"))
        return job

    outcome = at_once(app, [spend(later[0]), spend(later[1])])
    assert sorted(type(error).__name__ for error in outcome) == ["NoneType", "ValidationError"], \
        outcome
    assert credits.balance(db.session, ids[1], "EUR") == Money(1000, "EUR")
    assert db.session.scalar(select(func.sum(InvoicePayment.amount)).where(
        InvoicePayment.method == "credit")) == 2000
    books_sound(db.session)


def test_two_approvers_at_once_write_off_once(app, session, bank, treasurer, acme,
                                              admin, users):
    from backoffice.auth.services import create_user
    invoice = issued(acme, BOOTH)
    paid, = statement(session, bank, treasurer, [line(25000, f"RE {invoice.number}")])
    accept(session, bank, [paid], [("invoice", str(invoice.id))], treasurer,
           Difference(How.WRITE_OFF))
    with transaction():
        second = create_user(session, "second-treasurer@test.example", settings=app_settings(), roles=[Role.TREASURER],
                             password="correct horse battery", name="Second Treasurer")
    waiting, = write_offs.pending(session)
    decide(SubjectKind.INVOICE_WRITE_OFF, waiting.id, Money(5000, "EUR"))
    ids = (waiting.id, admin.id, second.id, invoice.id)
    db.session.remove()

    def approve(user_id):
        def job(session):
            with transaction():
                write_offs.approve(session, session.get(BankWriteOff, ids[0]),
                                   actor=session.get(type(admin), user_id))
        return job

    outcome = at_once(app, [approve(ids[1]), approve(ids[2])])
    assert sorted(type(error).__name__ for error in outcome) == ["Conflict", "NoneType"], outcome
    assert db.session.scalar(select(func.sum(InvoicePayment.amount)).where(
        InvoicePayment.invoice_id == ids[3])) == 30000
    books_sound(db.session)


def test_a_grant_payout_debited_with_a_charge_or_a_little_short_is_matched_with_the_difference(
        session, bank, treasurer, grants):
    make_application(grants, GrantStatus.PAID, amount=grant_eur(800))
    paid_by = session.scalar(select(PayoutBatch).order_by(PayoutBatch.id.desc()))
    assert [item.source_kind for item in paid_by.items] == ["grant"]
    long, short = statement(session, bank, treasurer, [
        line(-paid_by.total - 250, "SEPA grant", refs=(f"{paid_by.message_id}-1",)),
        line(-paid_by.total + 40, "SEPA grant", refs=(f"{paid_by.message_id}-1",))])
    item = [("payout_batch", str(paid_by.id))]
    match = accept(session, bank, [long], item, treasurer,
                   Difference(How.ACCOUNT, account=ledger.account_by_role(session, "bank_fees"),
                              fund=grants.fund))
    assert {(p.account.role, p.fund_id, p.amount) for p in match.journal_entry.postings} == {
        ("bank", grants.fund.id, -250), ("bank_fees", grants.fund.id, 250)}
    assert item[0] not in services.open_items(session, bank).items
    books_sound(session)
    undo(session, match, treasurer)
    match = accept(session, bank, [short], item, treasurer, Difference(How.WRITE_OFF))
    assert postings(match.journal_entry) == [("bank", 40), ("bank_fees", -40)]
    assert item[0] not in services.open_items(session, bank).items
    books_sound(session)
