"""The demo's reconciliation queue shows each kind of open item with its reason."""
import pytest
from sqlalchemy import func, select

from backoffice.banking import services
from backoffice.banking.models import BankAccount, BankLine
from backoffice.core.permissions import Role

from ..helpers import login, own_queries
from .conftest import do_import


@pytest.mark.demo_data
def test_the_demo_queue_suggests_every_kind_by_its_reference(session):
    account = session.scalar(select(BankAccount))
    lines = session.scalars(select(BankLine).where(BankLine.bank_account_id == account.id,
                                                   BankLine.status == "open")).all()
    found = services.suggestions_for(session, account, lines)
    best = {line.remittance: found[line.id][0] for line in lines if found.get(line.id)}
    by_kind = {}
    for text, suggestion in best.items():
        by_kind.setdefault(suggestion.item.provider, []).append((text, suggestion))
    assert {"invoice", "payout_batch", "stripe_payout", "posting"} <= set(by_kind)
    for text, suggestion in by_kind["stripe_payout"]:
        assert suggestion.item.key in text and "in the reference" in suggestion.reason
    together = [s for _, s in by_kind["invoice"] if len(s.items) == 2]
    assert together and "together the same amount" in together[0].reason


@pytest.mark.demo_data
def test_the_demo_queue_costs_a_few_statements(client, session, users):
    """The queue's page with every kind of item open (invoices, payout batches, Stripe payouts,
    booked postings): its own statements are the account with its first lines and both counts,
    the open invoices with their sponsors' IBANs, the bank postings of three providers with the
    other sides of the booked ones and what matches allocated to them, the payout batches with
    what matches allocated to them, the open return lines and which of the lines' IBANs donors
    gave from (issue 17: sixteen, then seven with the account a statement of its own)."""
    login(client, Role.TREASURER)
    account = session.scalar(select(BankAccount))
    assert own_queries(client, f"/bank/accounts/{account.id}/reconcile") == 6


@pytest.mark.demo_data
def test_the_newest_days_statement_is_left_for_the_newcomer_to_import(app, session, treasurer):
    """The demo imports its history but writes the newest day's statement beside it, unimported:
    uploading it brings new lines that follow on from the last statement without a gap."""
    from pathlib import Path

    from backoffice.banking.demo import IBAN, NEWCOMER_STATEMENT
    from backoffice.banking.reconciliation import continuity

    account = session.scalar(select(BankAccount).where(BankAccount.iban == IBAN))
    before = session.scalar(select(func.count()).select_from(BankLine)
                            .where(BankLine.bank_account_id == account.id))
    data = (Path(app.instance_path) / "demo-bank" / NEWCOMER_STATEMENT).read_bytes()
    result = do_import(session, account, data, treasurer, filename=NEWCOMER_STATEMENT)
    assert not result.already_imported and result.record.lines_new > 0
    after = session.scalar(select(func.count()).select_from(BankLine)
                           .where(BankLine.bank_account_id == account.id))
    assert after == before + result.record.lines_new
    assert all(not check.problems for check in continuity(session, account))


@pytest.mark.demo_data
def test_the_demo_pays_out_from_its_own_bank_account(session, app):
    """The payout batches' debtor is the demo's bank account, which the invoices print, and
    nobody is paid into the account that pays."""
    from backoffice.banking.demo import IBAN
    from backoffice.extensions import settings_of
    from backoffice.payouts.models import PayoutBatch, PayoutItem

    settings = settings_of(app)
    assert settings.banking.sepa_debtor_iban == IBAN == settings.invoicing.seller.iban
    batches = session.scalars(select(PayoutBatch)).all()
    assert batches and {batch.debtor_iban for batch in batches} == {IBAN}
    assert IBAN not in set(session.scalars(select(PayoutItem.iban)))
