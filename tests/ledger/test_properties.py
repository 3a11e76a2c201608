"""Property-based tests of the ledger's invariants.

A state machine posts random valid entries (several funds and currencies), reverses, transfers and
closes periods; after every step every invariant must hold. Random invalid operations must be
refused and leave the database exactly as it was.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from backoffice.core.audit import AuditEvent
from backoffice.core.errors import DomainError
from backoffice.core.money import Money
from backoffice.ledger import services
from backoffice.ledger.balances import fund_balances, trial_balance
from backoffice.ledger.chart import AccountType
from backoffice.ledger.integrity import problems
from backoffice.ledger.models import (
    AccountTotal,
    FundAccountTotal,
    FundBalanceTotal,
    JournalEntry,
    Period,
    Posting,
)
from backoffice.ledger.periods import PeriodKind
from backoffice.ledger.services import ClosedPeriod, Line

from .conftest import CALENDAR

START = date(2025, 11, 1)
DAYS = st.integers(min_value=0, max_value=120).map(lambda n: START + timedelta(days=n))
CURRENCIES = st.sampled_from(["EUR", "EUR", "EUR", "USD"])
AMOUNTS = st.integers(min_value=1, max_value=5_000_000)
SETTINGS = settings(max_examples=10, stateful_step_count=15, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def balanced_lines(draw_accounts, draw_funds):
    """A strategy of line specs (account index, fund index, amount, currency) summing to zero per
    currency; funds may differ (the ledger adds interfund lines)."""
    @st.composite
    def build(draw):
        lines = []
        for currency in sorted(set(draw(st.lists(CURRENCIES, min_size=1, max_size=2)))):
            amounts = draw(st.lists(AMOUNTS, min_size=1, max_size=3))
            signs = [draw(st.sampled_from([1, -1])) for _ in amounts]
            values = [a * s for a, s in zip(amounts, signs)]
            values.append(-sum(values))
            for value in values:
                if value:
                    lines.append((draw(draw_accounts), draw(draw_funds), value, currency))
        return lines
    return build()


def check_invariants(session, books):
    assert problems(session) == []
    far = date(2030, 1, 1)
    report = trial_balance(session, far, fiscal_year=CALENDAR)
    assert report.balanced
    per_fund = fund_balances(session, far)
    resource_sum = {}
    for posting in session.scalars(select(Posting)):
        if posting.account.type in (AccountType.ASSET, AccountType.LIABILITY):
            resource_sum[posting.currency] = resource_sum.get(posting.currency, 0) + posting.amount
    fund_sum = {}
    for (_, currency), amount in per_fund.items():
        fund_sum[currency] = fund_sum.get(currency, 0) + amount
    assert {k: v for k, v in fund_sum.items() if v} == {k: v for k, v in resource_sum.items() if v}


def snapshot(session):
    """Everything the ledger stores, to compare before and after a refused operation."""
    session.expire_all()
    tables = [JournalEntry, Posting, AccountTotal, FundAccountTotal, FundBalanceTotal, Period, AuditEvent]
    result = {}
    for model in tables:
        columns = list(model.__table__.columns)
        result[model.__tablename__] = sorted(
            tuple(str(v) for v in row) for row in session.execute(select(*columns)))
    return result


def test_random_valid_operations_keep_every_invariant(books, session):
    accounts = [a for a in books.accounts.values() if a.role != "interfund"]
    funds = [books.general, books.berlin, books.munich]
    account_index = st.integers(min_value=0, max_value=len(accounts) - 1)
    fund_index = st.integers(min_value=0, max_value=len(funds) - 1)

    class Ledger(RuleBasedStateMachine):
        @rule(day=DAYS, specs=balanced_lines(account_index, fund_index))
        def post(self, day, specs):
            lines = [Line(accounts[a], funds[f], Money(v, c)) for a, f, v, c in specs]
            if len(lines) < 2:
                return
            try:
                services.post_entry(session, booking_date=day, description="Random", lines=lines,
                                    actor=books.actor)
            except ClosedPeriod:
                assert services.closed_period_on(session, day) is not None

        @precondition(lambda self: session.scalar(select(func.count()).select_from(JournalEntry)) > 0)
        @rule(pick=st.integers(min_value=0), day=DAYS)
        def reverse(self, pick, day):
            candidates = session.scalars(select(JournalEntry).where(JournalEntry.reverses_id.is_(None))
                                         .order_by(JournalEntry.id)).all()
            entry = candidates[pick % len(candidates)]
            try:
                services.reverse_entry(session, entry, actor=books.actor, reason="test", booking_date=day)
            except ClosedPeriod:
                assert services.closed_period_on(session, day) is not None
            except DomainError as error:
                assert "already reversed" in str(error)

        @rule(giver=fund_index, receiver=fund_index, amount=AMOUNTS, day=DAYS)
        def transfer(self, giver, receiver, amount, day):
            if giver == receiver or services.closed_period_on(session, day):
                return
            services.transfer_between_funds(session, from_fund=funds[giver], to_fund=funds[receiver],
                                            amount=Money(amount, "EUR"), booking_date=day,
                                            description="Random transfer", actor=books.actor)

        @rule(month=st.integers(min_value=0, max_value=3), close=st.booleans())
        def toggle_month(self, month, close):
            start = date(START.year + (START.month - 1 + month) // 12, (START.month - 1 + month) % 12 + 1, 1)
            try:
                services.set_period_closed(session, PeriodKind.MONTH, start, close, actor=books.actor, fiscal_year=CALENDAR)
            except DomainError as error:
                assert "already" in str(error) or "not closed" in str(error)

        @invariant()
        def invariants_hold(self):
            check_invariants(session, books)

        def teardown(self):
            session.rollback()

    run_state_machine_as_test(Ledger, settings=SETTINGS)


INVALID = st.sampled_from(["unbalanced", "zero", "too many decimals", "inactive account",
                           "interfund by hand", "closed period", "reversal of a reversal",
                           "second reversal", "same fund transfer", "negative transfer",
                           "unknown currency"])


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(kind=INVALID, amount=AMOUNTS, day=DAYS)
def test_random_invalid_operations_change_nothing(books, session, kind, amount, day):
    g, b = books.general, books.berlin
    if not hasattr(books, "prepared"):
        first = books.post(date(2025, 10, 1), ("1200", g, "100"), ("3000", g, "-100"))
        books.post(date(2025, 10, 2), ("1200", b, "7"), ("4100", b, "-7"))
        from backoffice.core.db import transaction
        with transaction(session):
            books.reversal = services.reverse_entry(session, first, actor=books.actor, reason="setup")
            services.set_period_closed(session, PeriodKind.MONTH, date(2025, 10, 1), True, actor=books.actor, fiscal_year=CALENDAR)
            inactive = services.create_account(session, code="6950", name="Old", type="expense", actor=books.actor)
            services.update_account(session, inactive, actor=books.actor, code="6950", name="Old", active=False)
        books.inactive = inactive
        books.prepared = True
    before = snapshot(session)
    money = Money(amount, "EUR")

    def post(lines, when=day):
        services.post_entry(session, booking_date=when, description="Invalid", lines=lines, actor=books.actor)

    operations = {
        "unbalanced": lambda: post([Line(books["6100"], g, money), Line(books["1200"], g, -money + Money(1, "EUR"))]),
        "zero": lambda: post([Line(books["6100"], g, Money(0, "EUR")), Line(books["1200"], b, money)]),
        "too many decimals": lambda: Money.parse(f"{amount}.001", "EUR"),
        "inactive account": lambda: post([Line(books.inactive, g, money), Line(books["1200"], g, -money)]),
        "interfund by hand": lambda: post([Line(books["1900"], g, money), Line(books["1900"], b, -money)]),
        "closed period": lambda: post([Line(books["6100"], g, money), Line(books["1200"], g, -money)],
                                      date(2025, 10, 1) + timedelta(days=amount % 31)),
        "reversal of a reversal": lambda: services.reverse_entry(session, books.reversal, actor=books.actor, reason="x"),
        "second reversal": lambda: services.reverse_entry(session, books.reversal.reverses, actor=books.actor, reason="x"),
        "same fund transfer": lambda: services.transfer_between_funds(
            session, from_fund=b, to_fund=b, amount=money, booking_date=day, description="x", actor=books.actor),
        "negative transfer": lambda: services.transfer_between_funds(
            session, from_fund=g, to_fund=b, amount=-money, booking_date=day, description="x", actor=books.actor),
        "unknown currency": lambda: post([Line(books["6100"], g, Money(amount, "XXQ")), Line(books["1200"], g, -money)]),
    }
    with pytest.raises(DomainError):
        operations[kind]()
    assert snapshot(session) == before
