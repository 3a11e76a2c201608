"""Expense claims through the services: submission, the four-eyes rule, what approval and
rejection post, overspend refusal and override, mail and audit on every state change."""
from datetime import date

import pytest
from sqlalchemy import func, select

from backoffice.core import catalogs, clock, i18n
from backoffice.core.audit import AuditEvent
from backoffice.core.db import transaction
from backoffice.core.errors import (
    AlreadyDone,
    InvalidTransition,
    PermissionDenied,
    ValidationError,
)
from backoffice.core.permissions import Role
from backoffice.expenses import services as claims
from backoffice.expenses.models import ClaimStatus
from backoffice.extensions import settings as app_settings
from backoffice.funds.services import Overspend, check_spending
from backoffice.ledger import services as ledger
from backoffice.ledger.balances import fund_balance
from backoffice.ledger.models import JournalEntry

from ..sponsorship import IBAN_DE, active_group, category, eur, give, submit


def _audit(session, claim):
    return [e.action for e in session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "expense_claim",
                                 AuditEvent.object_id == str(claim.id)).order_by(AuditEvent.id))]


def _entries(session):
    return session.scalar(select(func.count()).select_from(JournalEntry))


def test_approval_posts_expense_and_payable_and_mails_the_claimant(session, users, mailbox):
    group = active_group(session, "PyMunich", actor=users[Role.ADMIN], money="100.00")
    organiser = group.organisers[0]
    mailbox.clear()
    claim = submit(session, organiser, group.fund, ["12.50", "7.25"])
    assert claim.status is ClaimStatus.SUBMITTED and claim.total == 1975
    assert claim.bic == "COBADEFFXXX" and claim.group_id == group.id
    assert [m["Subject"] for m in mailbox] == [f"Expense claim {claim.ref}: received"]
    assert mailbox[0]["To"] == organiser.email
    entries = _entries(session)

    with pytest.raises(PermissionDenied):  # organisers do not decide claims
        with transaction():
            claims.approve_claim(session, claim, actor=organiser, settings=app_settings())
    with transaction():
        claims.approve_claim(session, claim, actor=users[Role.TREASURER], comment="Thanks", settings=app_settings())
    assert claim.status is ClaimStatus.APPROVED
    entry = session.get(JournalEntry, claim.approval_entry_id)
    assert _entries(session) == entries + 1
    assert entry.source_kind == "expense_claim" and entry.source_id == str(claim.id)
    assert [(p.account.code, p.fund_id, p.amount) for p in entry.postings] == [
        ("5110", group.fund_id, 1250), ("5110", group.fund_id, 725),
        ("2000", group.fund_id, -1975)]
    assert fund_balance(session, group.fund_id, date.max) == {"EUR": 10000 - 1975}
    assert mailbox[-1]["Subject"] == f"Expense claim {claim.ref}: approved"
    assert "Thanks" in mailbox[-1].get_body().get_content()
    assert _audit(session, claim) == ["expense_claim.submitted", "expense_claim.approved"]
    with pytest.raises(InvalidTransition):
        with transaction():
            claims.reject_claim(session, claim, actor=users[Role.ADMIN], comment="late",
                                settings=app_settings())


def test_rejection_posts_nothing_and_says_why(session, users, mailbox):
    group = active_group(session, "PyBerlin", actor=users[Role.ADMIN], money="100.00")
    claim = submit(session, group.organisers[0], group.fund)
    entries = _entries(session)
    with pytest.raises(ValidationError) as error:
        with transaction():
            claims.reject_claim(session, claim, actor=users[Role.TREASURER], comment="  ",
                                settings=app_settings())
    assert error.value.field == "comment"
    with transaction():
        claims.reject_claim(session, claim, actor=users[Role.TREASURER],
                            comment="This was a private dinner.", settings=app_settings())
    assert claim.status is ClaimStatus.REJECTED and claim.approval_entry_id is None
    assert _entries(session) == entries
    assert "This was a private dinner." in mailbox[-1].get_body().get_content()
    assert _audit(session, claim) == ["expense_claim.submitted", "expense_claim.rejected"]


def test_four_eyes_above_the_threshold_and_never_your_own_claim(session, users, app):
    app.config["EXPENSE_SECOND_APPROVAL_ABOVE"] = 500
    general = ledger.general_fund(session)
    treasurer, admin = users[Role.TREASURER], users[Role.ADMIN]
    with transaction():
        give(session, general, eur("5000.00"))
    small = submit(session, users[Role.BOARD], general, ["500.00"])  # at the threshold: one
    big = submit(session, users[Role.BOARD], general, ["300.00", "200.01"])
    own = submit(session, treasurer, general, ["20.00"])

    with transaction():
        claims.approve_claim(session, small, actor=treasurer, settings=app_settings())
    assert small.status is ClaimStatus.APPROVED

    entries = _entries(session)
    with transaction():
        claims.approve_claim(session, big, actor=treasurer, settings=app_settings())
    assert big.status is ClaimStatus.SUBMITTED and len(big.approvals) == 1
    assert _entries(session) == entries  # nothing posted after one approval
    with pytest.raises(AlreadyDone, match="already approved"):
        with transaction():
            claims.approve_claim(session, big, actor=treasurer, settings=app_settings())
    with transaction():
        claims.approve_claim(session, big, actor=admin, settings=app_settings())
    assert big.status is ClaimStatus.APPROVED
    assert {a.approver_id for a in big.approvals} == {treasurer.id, admin.id}
    assert _entries(session) == entries + 1
    assert _audit(session, big) == ["expense_claim.submitted", "expense_claim.first_approval",
                                    "expense_claim.approved"]

    with pytest.raises(PermissionDenied, match="somebody else"):
        with transaction():
            claims.approve_claim(session, own, actor=treasurer, settings=app_settings())
    with pytest.raises(PermissionDenied, match="somebody else"):
        with transaction():
            claims.reject_claim(session, own, actor=treasurer, comment="mine",
                                settings=app_settings())
    with transaction():
        claims.approve_claim(session, own, actor=admin, settings=app_settings())
    assert own.status is ClaimStatus.APPROVED


def test_a_fund_does_not_go_below_zero_without_a_written_override(session, users):
    group = active_group(session, "PyKöln", actor=users[Role.ADMIN], money="50.00")
    claim = submit(session, group.organisers[0], group.fund, ["80.00"])
    treasurer = users[Role.TREASURER]
    entries = _entries(session)
    with pytest.raises(Overspend, match="would take it to") as error:
        with transaction():
            claims.approve_claim(session, claim, actor=treasurer, settings=app_settings())
    assert error.value.field == "override_reason"
    session.refresh(claim)
    assert claim.status is ClaimStatus.SUBMITTED and claim.approvals == []
    assert _entries(session) == entries

    with transaction():
        claims.approve_claim(session, claim, actor=treasurer,
                             override_reason="Sponsor invoice of 500 EUR is due next week", settings=app_settings())
    assert claim.status is ClaimStatus.APPROVED
    assert claim.overspend_reason == "Sponsor invoice of 500 EUR is due next week"
    assert fund_balance(session, group.fund_id, date.max) == {"EUR": -3000}
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "fund.overspend_allowed"))
    assert event.object_id == str(group.fund_id) and event.actor_id == treasurer.id
    assert event.after["reason"] == "Sponsor invoice of 500 EUR is due next week"
    assert (event.after["held"], event.after["amount"], event.after["after"]) == (5000, 8000, -3000)
    assert event.after["what"] == f"expense claim {claim.ref}"  # the log's English


def test_the_overspend_refusal_reads_in_the_readers_language_with_its_amounts(session, users):
    group = active_group(session, "PyBonn", actor=users[Role.ADMIN], money="12.50")
    claim = submit(session, group.organisers[0], group.fund, ["20.00"])
    with i18n.using(catalogs.translations("de_DE"), "de_DE"), pytest.raises(Overspend) as error:
        with transaction():
            claims.approve_claim(session, claim, actor=users[Role.TREASURER],
                                 settings=app_settings())
    assert str(error.value) == (
        f"{group.fund.label} hat 12,50\xa0€; die Auslagenerstattung {claim.ref} über 20,00\xa0€ "
        "brächte den Fonds auf -7,50\xa0€. Um es dennoch zu erlauben, schreiben Sie den Grund auf.")


def test_only_a_treasurer_may_override(session, users):
    """The board (no FUNDS_OVERSPEND) is refused even with a reason; nothing is audited."""
    group = active_group(session, "PyHH", actor=users[Role.ADMIN], money="5.00")
    with pytest.raises(Overspend, match="Only a treasurer"):
        check_spending(session, group.fund, eur("8.00"), actor=users[Role.BOARD],
                       what="a grant", override_reason="Because")
    assert check_spending(session, group.fund, eur("5.00"), actor=users[Role.BOARD],
                          what="a grant") is None
    assert session.scalar(select(AuditEvent).where(
        AuditEvent.action == "fund.overspend_allowed")) is None


def test_who_may_claim_against_which_fund(session, users):
    group = active_group(session, "PyLeipzig", actor=users[Role.ADMIN])
    other = active_group(session, "PyDresden", actor=users[Role.ADMIN])
    organiser = group.organisers[0]
    general = ledger.general_fund(session)
    assert [f.code for f in claims.claimable_funds(session, organiser)] == [
        general.code, group.fund.code]
    assert [f.code for f in claims.claimable_funds(session, users[Role.REVIEWER])] == [general.code]
    assert {group.fund.code, other.fund.code} <= {
        f.code for f in claims.claimable_funds(session, users[Role.TREASURER])}
    with pytest.raises(ValidationError) as error:
        submit(session, organiser, other.fund)
    assert error.value.field == "fund"


def test_lines_are_checked(session, users):
    general = ledger.general_fund(session)
    user = users[Role.REVIEWER]

    def attempt(**line):
        values = dict(spent_on=clock.today(), description="Train", account_id=category(session).id,
                      amount=claims.Money(100, "EUR"))
        values.update(line)
        with transaction():
            claims.submit_claim(session, claimant=user, fund=general, title="Trip",
                                payee_name="R", iban=IBAN_DE, currency="EUR",
                                lines=[claims.LineInput(**values)],
                                receipts=[claims.Upload("r.pdf", b"")], settings=app_settings())

    with pytest.raises(ValidationError, match="Line 1: choose a category"):
        attempt(account_id=ledger.account_by_role(session, "admin_fee_expense").id)
    with pytest.raises(ValidationError, match="not in the future"):
        attempt(spent_on=date(2999, 1, 1))
    with pytest.raises(ValidationError, match="positive amount"):
        attempt(amount=claims.Money(100, "USD"))
    with pytest.raises(ValidationError, match="describe"):
        attempt(description=" ")
