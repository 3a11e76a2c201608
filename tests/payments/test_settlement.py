"""The one rule that turns a Stripe balance transaction into ledger lines (payments/settlement.py)."""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backoffice.core.errors import ValidationError
from backoffice.core.money import Money
from backoffice.payments.settlement import (
    COUNTER,
    FX,
    PAYMENT_FEES,
    RATE_PLACES,
    STRIPE_BALANCE,
    Movement,
    implied_rate,
    parse_rate,
    parts,
    rate_text,
)

CURRENCIES = ["EUR", "USD", "GBP", "JPY", "CHF"]
amounts = st.integers(min_value=1, max_value=10**11)


def sums(lines) -> dict[tuple[str, str], int]:
    total: dict[tuple[str, str], int] = defaultdict(int)
    for line in lines:
        total[(line.role, line.amount.currency)] += line.amount.amount
    return dict(total)


def per_currency(lines) -> dict[str, int]:
    total: dict[str, int] = defaultdict(int)
    for line in lines:
        total[line.amount.currency] += line.amount.amount
    return total


def test_usd_1500_settled_as_eur_1380_with_a_eur_fee_books_as_the_issue_says():
    movement = Movement("txn_1", Money(138000, "EUR"), Money(4717, "EUR"), Decimal("0.92"))
    lines = parts(movement, Money(150000, "USD"), what="RE2026-00001 pi_1")
    assert sums(lines) == {
        (STRIPE_BALANCE, "EUR"): 138000 - 4717, (COUNTER, "USD"): -150000,
        (FX, "USD"): 150000, (FX, "EUR"): -138000, (PAYMENT_FEES, "EUR"): 4717}
    assert {line.memo for line in lines if line.role == FX} == {
        "RE2026-00001 pi_1: 1500.00 USD = 1380.00 EUR at 0.92"}


def test_money_in_one_currency_needs_no_exchange_lines():
    lines = parts(Movement("txn_2", Money(595000, "EUR"), Money(8950, "EUR")), Money(595000, "EUR"))
    assert all(line.role != FX for line in lines)
    assert sums(lines) == {(STRIPE_BALANCE, "EUR"): 595000 - 8950, (COUNTER, "EUR"): -595000,
                           (PAYMENT_FEES, "EUR"): 8950}


def test_a_fee_alone_books_only_the_fee():
    lines = parts(Movement("txn_3", Money(-138000, "EUR"), Money(1500, "EUR")), None)
    assert sums(lines) == {(PAYMENT_FEES, "EUR"): 1500, (STRIPE_BALANCE, "EUR"): -1500}


def test_inconsistent_movements_are_refused():
    with pytest.raises(ValidationError):  # money out for money in
        parts(Movement("t", Money(-100, "EUR"), Money(0, "EUR")), Money(100, "USD"))
    with pytest.raises(ValidationError):  # same currency, other amount
        parts(Movement("t", Money(100, "EUR"), Money(0, "EUR")), Money(101, "EUR"))
    with pytest.raises(ValidationError):  # a fee in another currency than the amount
        Movement("t", Money(100, "EUR"), Money(3, "USD"))


@given(moved=amounts, settled=amounts, fee=st.integers(min_value=-10**6, max_value=10**8),
       out=st.booleans(), currencies=st.sampled_from(
           [(a, b) for a in CURRENCIES for b in CURRENCIES]))
def test_every_currency_balances_and_each_account_moves_as_stripe_said(moved, settled, fee, out,
                                                                        currencies):
    settles_in, moved_in = currencies
    if settles_in == moved_in:
        settled = moved
    sign = -1 if out else 1
    movement = Movement("txn", Money(sign * moved, moved_in), Money(fee, moved_in))
    lines = parts(movement, Money(sign * settled, settles_in))
    assert all(total == 0 for total in per_currency(lines).values())
    total = sums(lines)
    assert total.get((STRIPE_BALANCE, moved_in), 0) == sign * moved - fee  # Stripe's net
    assert total[(COUNTER, settles_in)] == -sign * settled                # the settled side
    assert total.get((PAYMENT_FEES, moved_in), 0) == fee
    assert ((FX, settles_in) in total) == (settles_in != moved_in)


@given(settled=amounts, moved=amounts)
def test_the_rate_written_down_is_the_quotient_rounded_once_half_away_from_zero(settled, moved):
    rate = implied_rate(Money(settled, "USD"), Money(moved, "EUR"))
    exact = Decimal(moved) / Decimal(settled)  # both currencies have two decimal places
    assert rate.as_tuple().exponent == -RATE_PLACES
    assert abs(rate - exact) <= Decimal("0.5").scaleb(-RATE_PLACES)


def test_the_rounding_rule_pinned():
    # six decimal places, the seventh rounded half away from zero
    assert implied_rate(Money(300, "USD"), Money(200, "EUR")) == Decimal("0.666667")
    assert implied_rate(Money(200000000, "USD"), Money(184000001, "EUR")) == Decimal("0.920000")
    assert implied_rate(Money(2000000, "USD"), Money(1840001, "EUR")) == Decimal("0.920001")
    assert implied_rate(Money(100, "JPY"), Money(61, "EUR")) == Decimal("0.006100")
    assert rate_text(Money(150000, "USD"), Money(-138000, "EUR"), None) == \
        "1500.00 USD = 1380.00 EUR at 0.92"


def test_stripe_rates_are_read_exactly_as_sent():
    assert parse_rate(0.92) == Decimal("0.92") and parse_rate(None) is None
    for bad in ("x", -1, 0, "NaN"):
        with pytest.raises(ValidationError):
            parse_rate(bad)
