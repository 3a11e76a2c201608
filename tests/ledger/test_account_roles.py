"""Finding accounts by role: one query per unit of work for every role a booking asks for, and
a role moved to another account is found there."""
from __future__ import annotations

import pytest
from sqlalchemy import event, select

from backoffice.core.errors import NotFound
from backoffice.ledger import services
from backoffice.ledger.chart import Account


def test_the_roles_of_a_booking_cost_one_query_and_a_moved_role_is_found(session):
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(session.get_bind(), "before_cursor_execute", listener)
    try:
        roles = ("stripe_balance", "donation_income", "admin_fee_expense", "admin_fee_income",
                 "interfund", "stripe_balance")
        found = [services.account_by_role(session, role) for role in roles]
        assert [a.role for a in found] == list(roles) and len(statements) == 1
        session.commit()  # the kept rows expire: the next unit of work reads the roles again
        services.account_by_role(session, "interfund")
        assert len(statements) == 2
    finally:
        event.remove(session.get_bind(), "before_cursor_execute", listener)
    old = services.account_by_role(session, "payment_fees")
    other = session.scalar(select(Account).where(Account.role.is_(None)).limit(1))
    old.role = None
    session.flush()
    other.role = "payment_fees"
    session.flush()
    assert services.account_by_role(session, "payment_fees") is other
    other.role = None
    session.flush()
    with pytest.raises(NotFound, match="payment_fees"):
        services.account_by_role(session, "payment_fees")
    session.rollback()
