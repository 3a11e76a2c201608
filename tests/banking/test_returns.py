"""Money that goes out and comes back: a SEPA transfer of an executed payout batch returned by
the bank (wrong IBAN, closed account, the payee deceased). The return line is recognised by its
reason code and the transfer's end-to-end id; accepting it takes the payment back in the books,
makes the claim or grant payment payable again, tells the payee, and the next batch pays it."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from backoffice.banking import imports, parsers, services, writers
from backoffice.banking.models import BankLine, BankMatch
from backoffice.banking.parsers import ParsedLine, ParsedStatement
from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationError
from backoffice.core.money import Money
from backoffice.core.permissions import Role
from backoffice.expenses import services as claims
from backoffice.expenses.models import ClaimStatus
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.grants import paying as grant_paying
from backoffice.grants.models import DisbursementStatus, Status
from backoffice.grants.payouts import pay_at_once
from backoffice.ledger import services as ledger
from backoffice.ledger.balances import trial_balance
from backoffice.ledger.integrity import problems
from backoffice.ledger.models import JournalEntry, Posting
from backoffice.ledger.periods import FiscalYear
from backoffice.payouts import returns
from backoffice.payouts import services as payouts
from backoffice.payouts.models import PayoutItem, PayoutReturn

from ..concurrency import at_once
from ..grants.conftest import grants, make_application  # noqa: F401 (the grants fixture)
from ..helpers import PASSWORD, csrf_token, login
from ..sponsorship import active_group, approved, give
from .conftest import DATA, IBAN

TODAY = clock.today()
NEW_IBAN = "DE75512108001245126199"


def ledger_sound(session) -> None:
    """``backoffice ledger verify`` finds nothing; the trial balance sums to zero per currency."""
    assert problems(session) == []
    assert trial_balance(session, TODAY, fiscal_year=FiscalYear(1)).balanced


def import_lines(session, bank, treasurer, lines, *, opening=0, day=TODAY):
    data = writers.camt053(IBAN, [ParsedStatement(
        currency="EUR", reference=f"R-{day}-{opening}", opening=opening,
        opening_date=day - timedelta(days=1),
        closing=opening + sum(line.amount for line in lines), closing_date=day, lines=lines)])
    with transaction():
        imports.import_statement(session, bank, filename="return.xml", data=data,
                                  actor=treasurer, settings=app_settings())
    return session.scalars(select(BankLine).order_by(BankLine.id.desc())
                           .limit(len(lines))).all()[::-1]


def return_line(item: PayoutItem, reason: str = "AC04", *, day=TODAY, amount=None) -> ParsedLine:
    return ParsedLine(booking_date=day, value_date=day, amount=amount or item.amount,
                      currency="EUR", counterparty_name=item.payee_name,
                      counterparty_iban=item.iban, remittance=f"RETOURE {item.remittance}",
                      references=(item.end_to_end_id,), return_reason=reason)


def payables_owed(session, fund, role="payables") -> int:
    """What the books owe on the liability account in the fund (a credit balance, positive)."""
    account = ledger.account_by_role(session, role)
    fund_id = fund if isinstance(fund, int) else fund.id
    return -session.scalar(select(func.coalesce(func.sum(Posting.amount), 0)).where(
        Posting.account_id == account.id, Posting.fund_id == fund_id))


def accept(session, bank, line, item, treasurer):
    with transaction():
        return services.accept(session, bank, lines=[line],
                               items=[("payout_return", str(item.id))], actor=treasurer, settings=app_settings())


@pytest.fixture
def paid(session, users):
    """Two claims of one group paid in one executed batch."""
    treasurer = users[Role.TREASURER]
    group = active_group(session, "PyKöln", actor=users[Role.ADMIN])
    with transaction():
        give(session, group.fund, Money(50000, "EUR"), TODAY - timedelta(days=2))
    first = approved(session, group.organisers[0], group.fund, treasurer, ["100.00"])
    second = approved(session, group.organisers[0], group.fund, treasurer, ["7.00"])
    with transaction():
        batch = payouts.create_batch(session, selected=[("expense_claim", str(first.id)),
                                                        ("expense_claim", str(second.id))],
                                     requested_on=TODAY, today=TODAY, actor=treasurer, settings=app_settings())
        payouts.mark_executed(session, batch, booked_on=TODAY - timedelta(days=1),
                              actor=treasurer, settings=app_settings())
    item = next(i for i in batch.items if i.source_id == str(first.id))
    return group, first, second, batch, item


# --- parsing the return reason --------------------------------------------------------------------

def test_the_return_reason_is_read_from_real_camt_and_mt940_files():
    camt = parsers.parse((DATA / "real/camt053/oca-test-camt053.xml").read_bytes(), currency="EUR")
    assert {line.return_reason for s in camt.statements for line in s.lines} == {"", "AC06"}
    ing = parsers.parse((DATA / "real/mt940/oca-test-ing.940").read_bytes(), currency="EUR")
    assert "MS03" in {line.return_reason for s in ing.statements for line in s.lines}
    german = parsers.parse((DATA / "real/mt940/wolph-betterplace-sepa_mt9401.sta").read_bytes(), currency="EUR")
    retoure = [line for s in german.statements for line in s.lines if line.transaction_code == "159"]
    assert retoure and {line.return_reason for line in retoure} == {"RETURN"}
    assert not [line for s in german.statements for line in s.lines
                if line.transaction_code != "159" and line.return_reason]


# --- an expense claim ------------------------------------------------------------------------------

def test_a_returned_claim_payment_is_taken_back_and_paid_again_by_the_next_batch(
        session, bank, treasurer, paid, mailbox):
    group, claim, other, batch, item = paid
    assert payables_owed(session, group.fund) == 0
    line, = import_lines(session, bank, treasurer, [return_line(item, "AC04")])
    assert line.return_reason == "AC04"
    suggestion = services.suggestions_for(session, bank, [line])[line.id][0]
    assert (suggestion.item.provider, suggestion.item.key) == ("payout_return", str(item.id))
    assert suggestion.reason == (f"returned transfer {item.end_to_end_id} in the reference; "
                                 f"amount and IBAN match {item.payee_name}")
    assert "AC04: the account is closed" in suggestion.item.label
    assert suggestion.confident

    match = accept(session, bank, line, item, treasurer)
    db.session.refresh(claim)
    assert (claim.status, claim.paid_on) == (ClaimStatus.APPROVED, None)
    returned = session.scalar(select(PayoutReturn))
    assert (returned.reason_code, returned.amount, returned.bank_match_id) == ("AC04", 10000,
                                                                              match.id)
    assert returned.entry_id == match.journal_entry_id
    entry = session.get(JournalEntry, match.journal_entry_id)
    assert sorted((p.account.role, p.fund_id, p.amount) for p in entry.postings) == sorted(
        [("bank", group.fund.id, 10000), ("payables", group.fund.id, -10000)])
    assert payables_owed(session, group.fund) == 10000  # owed to the claimant again
    assert db.session.get(PayoutItem, item.id).active is False
    ledger_sound(session)

    mail = mailbox[-1]
    assert mail["To"] == claim.claimant.email and "payment returned by the bank" in mail["Subject"]
    body = mail.get_body().get_content()
    assert "AC04: the account is closed" in body
    assert f"/expenses/claims/{claim.id}" in body and "correct the IBAN" in body

    # The organiser corrects the IBAN; the next batch pays the claim there.
    assert [p.source_id for p in payouts.open_payables(session)["expense_claim"]] == [str(claim.id)]
    with transaction():
        claims.correct_iban(session, claim, iban=NEW_IBAN, actor=group.organisers[0])
    with transaction():
        again = payouts.create_batch(session, selected=[("expense_claim", str(claim.id))],
                                     requested_on=TODAY, today=TODAY, actor=treasurer, settings=app_settings())
        payouts.mark_executed(session, again, booked_on=TODAY, actor=treasurer, settings=app_settings())
    assert again.items[0].iban == NEW_IBAN
    db.session.refresh(claim)
    assert claim.status is ClaimStatus.PAID
    assert payables_owed(session, group.fund) == 0
    ledger_sound(session)


def test_a_return_is_taken_back_once_when_accepted_twice_or_at_once(app, session, bank,
                                                                    treasurer, paid):
    group, claim, _other, _batch, item = paid
    line, = import_lines(session, bank, treasurer, [return_line(item, "AC01")])
    bank_id, line_id, item_id, treasurer_id = bank.id, line.id, item.id, treasurer.id
    fund_id = group.fund_id
    db.session.remove()

    def job(session):
        from backoffice.auth.models import User
        from backoffice.banking.models import BankAccount
        with transaction():
            return services.accept(session, session.get(BankAccount, bank_id),
                                   lines=[session.get(BankLine, line_id)],
                                   items=[("payout_return", str(item_id))],
                                   actor=session.get(User, treasurer_id), settings=app_settings()).id

    outcome = at_once(app, [job, job])
    assert sorted(type(o).__name__ for o in outcome) == ["Conflict", "int"], outcome
    session = db.session
    bank, treasurer = session.get(type(bank), bank_id), session.get(type(treasurer), treasurer_id)
    item = session.get(PayoutItem, item_id)
    assert session.scalar(select(func.count()).select_from(PayoutReturn)) == 1
    assert session.scalar(select(func.count()).select_from(BankMatch)) == 1
    assert payables_owed(session, fund_id) == 10000  # taken back once
    # The same request again: the line is matched, the transfer no longer offered.
    with pytest.raises(Conflict):
        accept(session, bank, session.get(BankLine, line_id), item, treasurer)
    # A second return line for the same transfer (the bank sending it twice) is not offered it.
    tomorrow = TODAY + timedelta(days=1)
    twice, = import_lines(session, bank, treasurer, [return_line(item, "AC01", day=tomorrow)],
                          opening=10000, day=tomorrow)
    assert ("payout_return", str(item_id)) not in {
        (s.item.provider, s.item.key)
        for s in services.suggestions_for(session, bank, [twice])[twice.id]}
    with pytest.raises(Conflict, match="already returned"):
        with transaction():
            returns.record_return(session, item, amount=Money(10000, "EUR"), returned_on=TODAY,
                                  reason_code="AC01", actor=None, settings=app_settings())
    ledger_sound(session)


def test_undoing_a_return_pays_the_claim_again_unless_a_new_batch_holds_it(
        session, bank, treasurer, paid):
    group, claim, _other, _batch, item = paid
    line, = import_lines(session, bank, treasurer, [return_line(item, "MD07")])
    match = accept(session, bank, line, item, treasurer)
    with transaction():
        services.undo_match(session, match, actor=treasurer, reason="wrong line", settings=app_settings())
    db.session.refresh(claim)
    assert claim.status is ClaimStatus.PAID
    assert session.scalar(select(PayoutReturn)).undone_at is not None
    assert db.session.get(PayoutItem, item.id).active is True
    assert payables_owed(session, group.fund) == 0
    ledger_sound(session)

    line = db.session.get(BankLine, line.id)
    match = accept(session, bank, line, item, treasurer)  # accepted again, then paid anew
    with transaction():
        payouts.create_batch(session, selected=[("expense_claim", str(claim.id))],
                             requested_on=TODAY, today=TODAY, actor=treasurer, settings=app_settings())
    with pytest.raises(Conflict, match="is in payout batch"):
        with transaction():
            services.undo_match(session, db.session.get(BankMatch, match.id), actor=treasurer, settings=app_settings())
    assert db.session.get(BankMatch, match.id).undone_at is None
    ledger_sound(session)


def test_a_partial_return_is_refused_with_a_reason(session, bank, treasurer, paid):
    *_, item = paid
    line, = import_lines(session, bank, treasurer, [return_line(item, amount=9750)])
    with pytest.raises(ValidationError, match="only a whole transfer comes back as a return"):
        accept(session, bank, line, item, treasurer)
    assert session.scalar(select(func.count()).select_from(PayoutReturn)) == 0
    ledger_sound(session)


def test_only_the_claimant_an_organiser_or_a_treasurer_corrects_the_iban_while_it_waits(
        session, bank, treasurer, paid, users):
    group, claim, *_ = paid
    with pytest.raises(InvalidTransition, match="can be corrected only while it waits"):
        claims.correct_iban(session, claim, iban=NEW_IBAN, actor=group.organisers[0])
    session.rollback()
    *_, item = paid
    line, = import_lines(session, bank, treasurer, [return_line(item, "AC01")])
    accept(session, bank, line, item, treasurer)
    claim = db.session.get(type(claim), claim.id)
    with pytest.raises(PermissionDenied):
        claims.correct_iban(session, claim, iban=NEW_IBAN, actor=users[Role.BOARD])
    session.rollback()
    with pytest.raises(ValidationError, match="not valid"):
        claims.correct_iban(session, claim, iban="DE00 1234", actor=treasurer)
    session.rollback()
    with transaction():
        claims.correct_iban(session, claim, iban=NEW_IBAN, actor=treasurer)
    assert db.session.get(type(claim), claim.id).iban == NEW_IBAN


# --- a grant payment -------------------------------------------------------------------------------

def test_a_returned_grant_payment_waits_for_the_next_batch_with_the_corrected_account(
        session, bank, treasurer, grants, mailbox):  # noqa: F811 (the fixture)
    application = make_application(grants, Status.PAID, amount=Money(80000, "EUR"))
    payment, = application.disbursements
    item = payouts.item_by_end_to_end_id(session, session.scalar(
        select(PayoutItem.end_to_end_id).where(PayoutItem.source_kind == "grant")))
    assert payables_owed(session, grants.fund, "grants_payable") == 0
    line, = import_lines(session, bank, treasurer, [return_line(item, "MD07")])
    suggestion = services.suggestions_for(session, bank, [line])[line.id][0]
    assert (suggestion.item.provider, suggestion.item.key) == ("payout_return", str(item.id))
    accept(session, bank, line, item, treasurer)
    db.session.refresh(application)
    db.session.refresh(payment)
    assert application.status is Status.APPROVED and application.amount_paid == 0
    assert (payment.status, payment.batch_ref, payment.entry_id) == (
        DisbursementStatus.READY, None, None)
    assert payables_owed(session, grants.fund, "grants_payable") == 80000
    ledger_sound(session)
    mail = mailbox[-1]
    assert mail["To"] == application.contact_email and "came back" in mail["Subject"]
    body = mail.get_body().get_content()
    assert "MD07: the account holder has died" in body and "send the correct IBAN" in body
    assert ("payment_returned", "treasurer@test.example") in [
        (e.action, e.actor_label) for e in application.events]

    with pytest.raises(InvalidTransition):  # returned once only, through the grant too
        grant_paying.record_return(session, payment, reason="again", returned_on=TODAY,
                                     actor=treasurer, settings=app_settings())
    session.rollback()
    with transaction():
        grant_paying.correct_payee(session, payment, iban=NEW_IBAN, payee_name="Kassenwart",
                                     actor=treasurer)
    with transaction():
        pay_at_once(session, [payment], reference="B-2", paid_on=TODAY, actor=treasurer, settings=app_settings())
    db.session.refresh(application)
    assert application.status is Status.PAID and application.amount_paid == 80000
    assert payouts.active_item_for(session, "grant", payment.id).iban == NEW_IBAN
    assert payables_owed(session, grants.fund, "grants_payable") == 0
    ledger_sound(session)


# --- the pages -------------------------------------------------------------------------------------

def test_the_claim_page_says_why_the_payment_came_back_and_takes_the_corrected_iban(
        app, session, bank, treasurer, paid, users):
    group, claim, *_rest, item = paid
    line, = import_lines(session, bank, treasurer, [return_line(item, "AC04")])
    accept(session, bank, line, item, treasurer)
    organiser = group.organisers[0]
    client = app.test_client()
    client.post("/login", data={"email": organiser.email, "password": PASSWORD,
                                "csrf_token": csrf_token(client, "/login")})
    page = client.get(f"/expenses/claims/{claim.id}").get_data(as_text=True)
    assert "AC04: the account is closed" in page and 'data-testid="account"' in page
    token = csrf_token(client, f"/expenses/claims/{claim.id}")
    refused = client.post(f"/expenses/claims/{claim.id}/account", data={
        "csrf_token": token, "payee_name": "Ada", "iban": "DE00 0000", "bic": ""})
    assert refused.status_code == 400 and "This IBAN is not valid" in refused.get_data(as_text=True)
    saved = client.post(f"/expenses/claims/{claim.id}/account", data={
        "csrf_token": token, "payee_name": "Ada Lovelace", "iban": "DE75 5121 0800 1245 1261 99",
        "bic": ""})
    assert saved.status_code == 302
    assert "will be paid to DE75 5121 0800 1245 1261 99 with the next payout batch" in \
        client.get(saved.location).get_data(as_text=True)
    db.session.refresh(claim)
    assert (claim.iban, claim.payee_name) == (NEW_IBAN, "Ada Lovelace")

    board = app.test_client()
    login(board, Role.BOARD)
    response = board.post(f"/expenses/claims/{claim.id}/account", data={
        "csrf_token": csrf_token(board, "/"), "payee_name": "Mallory", "iban": IBAN, "bic": ""})
    assert response.status_code in (302, 403, 404)
    db.session.refresh(claim)
    assert claim.iban == NEW_IBAN


def test_the_grant_payouts_page_shows_the_return_and_takes_the_corrected_account(
        app, session, bank, treasurer, grants):  # noqa: F811 (the fixture)
    application = make_application(grants, Status.PAID, amount=Money(50000, "EUR"))
    payment, = application.disbursements
    item = payouts.active_item_for(session, "grant", payment.id)
    line, = import_lines(session, bank, treasurer, [return_line(item, "AC01")])
    accept(session, bank, line, item, treasurer)
    client = app.test_client()
    login(client, Role.TREASURER)
    page = client.get("/grants/payouts").get_data(as_text=True)
    assert "AC01: the IBAN is incorrect" in page and 'data-testid="correct-account"' in page
    response = client.post(f"/grants/payouts/{payment.id}/account", data={
        "csrf_token": csrf_token(client, "/grants/payouts"), "payee_name": "PyLadies e.V.",
        "iban": NEW_IBAN})
    assert response.status_code == 302
    db.session.refresh(payment)
    assert (payment.iban, payment.payee_name) == (NEW_IBAN, "PyLadies e.V.")
    assert db.session.get(type(application), application.id).iban == NEW_IBAN
