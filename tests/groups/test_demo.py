"""The demo association shows member groups, claims and payouts in every state."""
import pytest
from sqlalchemy import func, select

from backoffice.expenses.models import ClaimStatus, ExpenseClaim
from backoffice.groups.models import GroupStatus, MemberGroup
from backoffice.ledger.integrity import problems
from backoffice.payouts.models import BatchStatus, PayoutBatch


@pytest.mark.demo_data
def test_demo_has_groups_claims_and_an_executed_batch(app, session):
    statuses = dict(session.execute(select(MemberGroup.status, func.count())
                                    .group_by(MemberGroup.status)).all())
    assert set(statuses) == set(GroupStatus)
    claims = session.scalars(select(ExpenseClaim)).all()
    # Every state but waived: a claim given up as a donation belongs to the donations, whose demo
    # data has no gifts yet.
    assert {c.status for c in claims} == set(ClaimStatus) - {ClaimStatus.WAIVED}
    assert all(c.receipts for c in claims)
    assert any(c.status is ClaimStatus.SUBMITTED and len(c.approvals) == 1 for c in claims)
    batches = session.scalars(select(PayoutBatch)).all()  # the claims' and the grants' payout
    (batch,) = [b for b in batches if any(i.source_kind == "expense_claim" for i in b.items)]
    assert all(b.status is BatchStatus.EXECUTED and b.payment_entry_id for b in batches)
    assert problems(session) == []
