"""The admin fee posted with income: its rounding rule (property-based, through the ledger),
its effective dates, and the kinds of income it applies to."""
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from backoffice.core.db import transaction
from backoffice.core.errors import ValidationError
from backoffice.core.money import Money
from backoffice.funds import fees
from backoffice.funds.models import IncomeKind
from backoffice.ledger import services as ledger
from backoffice.ledger.chart import AccountType
from backoffice.ledger.models import Posting

RATES_BP = [700, 1000, 333, 1, 9999]
START = date(2025, 1, 1)


@pytest.fixture
def funds(session):
    """One fund per rate, each charging the fee on sponsorship and donations from START."""
    made = []
    with transaction():
        for bp in RATES_BP:
            fund = ledger.create_fund(session, code=f"F{bp}", name=f"Fund {bp}", actor=None)
            fees.set_policy(session, fund, rate_percent=Decimal(bp) / 100, effective_from=START,
                            kinds=[IncomeKind.SPONSORSHIP, IncomeKind.DONATION], actor=None)
            made.append(fund)
    return made


def _post_income(session, fund, kind, amount: Money, day=START):
    bank = ledger.account_by_role(session, "bank")
    income = ledger.account_by_role(session, "sponsorship_income")
    with transaction():
        return ledger.post_entry(session, booking_date=day, description="Income", actor=None,
                                 lines=fees.income_lines(session, fund=fund, kind=kind,
                                                         amount=amount, day=day,
                                                         debit_account=bank,
                                                         income_account=income))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(index=st.integers(0, len(RATES_BP) - 1),
       cents=st.integers(-10**9, 10**9).filter(bool),
       kind=st.sampled_from([IncomeKind.SPONSORSHIP, IncomeKind.DONATION, IncomeKind.TICKETS]))
def test_fee_plus_remainder_is_the_income_to_the_cent(session, funds, index, cents, kind):
    fund, general = funds[index], ledger.general_fund(session)
    entry = _post_income(session, fund, kind, Money(cents, "EUR"))
    postings = session.scalars(select(Posting).where(Posting.entry_id == entry.id)).all()
    types = {p.id: p.account.type for p in postings}
    fee_posted = sum(p.amount for p in postings if p.account.role == fees.ADMIN_FEE_EXPENSE_ROLE)
    fee_received = -sum(p.amount for p in postings if p.account.role == fees.ADMIN_FEE_INCOME_ROLE)
    # What the group keeps: its income less its fee (income and expense lines of its fund).
    kept = -sum(p.amount for p in postings if p.fund_id == fund.id
                and types[p.id] in (AccountType.INCOME, AccountType.EXPENSE))

    expected = 0
    if kind is not IncomeKind.TICKETS:
        exact = Decimal(cents) * RATES_BP[index] / Decimal(10000)
        expected = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))  # half away from 0
        assert abs(Decimal(expected) - exact) <= Decimal("0.5")
    assert fee_posted == fee_received == expected
    assert fee_posted + kept == cents
    assert all(p.fund_id == general.id for p in postings
               if p.account.role == fees.ADMIN_FEE_INCOME_ROLE)


def test_a_new_rate_never_rewrites_the_past(session, funds):
    fund = funds[0]
    with transaction():
        fees.set_policy(session, fund, rate_percent=Decimal("10"), kinds=[IncomeKind.SPONSORSHIP],
                        effective_from=START + timedelta(days=30), actor=None)
    day_before, day_of = START + timedelta(days=29), START + timedelta(days=30)
    amount = Money(10000, "EUR")
    assert fees.fee_for(session, fund, IncomeKind.SPONSORSHIP, amount, day_before).amount == 700
    assert fees.fee_for(session, fund, IncomeKind.SPONSORSHIP, amount, day_of).amount == 1000
    assert fees.fee_for(session, fund, IncomeKind.DONATION, amount, day_of).amount == 0
    assert fees.fee_for(session, fund, IncomeKind.SPONSORSHIP, amount, START - timedelta(1)) \
        .amount == 0
    assert fees.fee_for(session, ledger.general_fund(session), IncomeKind.SPONSORSHIP, amount,
                        day_of).amount == 0
    with pytest.raises(ValidationError, match="two decimals"):
        fees.set_policy(session, fund, rate_percent=Decimal("7.125"), kinds=[], actor=None,
                        effective_from=START + timedelta(days=60))
    with pytest.raises(ValidationError, match="no admin fee to itself"):
        fees.set_policy(session, ledger.general_fund(session), rate_percent=Decimal("5"),
                        kinds=[], effective_from=START, actor=None)
