"""The demo's reconciliation queue shows each kind of open item with its reason."""
import pytest
from sqlalchemy import select

from backoffice.banking import services
from backoffice.banking.models import BankAccount, BankLine


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
