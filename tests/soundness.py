"""What must hold after any scenario that moves money: ``ledger verify`` finds nothing (nor
``bank verify``: the bank postings still open agree with the postings and matches), the
trial balance sums to zero in every currency, and no fund is below zero unless a treasurer
allowed it in writing (an ``fund.overspend_allowed`` audit record)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from backoffice.banking import open_postings
from backoffice.core.audit import AuditEvent
from backoffice.ledger.balances import fund_balances
from backoffice.ledger.integrity import problems
from backoffice.ledger.models import Posting


def assert_money_sound(session) -> None:
    session.expire_all()
    assert problems(session) == []
    assert open_postings.differences(session) == []
    totals = dict(session.execute(select(Posting.currency, func.sum(Posting.amount))
                                  .group_by(Posting.currency)).all())
    assert all(total == 0 for total in totals.values()), totals
    overridden = {int(fund_id) for fund_id in session.scalars(
        select(AuditEvent.object_id).where(AuditEvent.action == "fund.overspend_allowed"))}
    below = {key: amount for key, amount in fund_balances(session, date.max).items()
             if amount < 0 and key[0] not in overridden}
    assert below == {}, f"funds below zero without an override: {below}"
