"""Every channel's booking: what received the gift, the income in the fund, the admin fee at the
policy's donation rate, in one entry; reversal takes it all back."""
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from backoffice.core.db import transaction
from backoffice.core.errors import ValidationError
from backoffice.core.money import Money
from backoffice.donations import booking, manual
from backoffice.donations.models import Channel, DonationKind, DonationStatus, InKindOrigin
from backoffice.extensions import settings as app_settings
from backoffice.ledger.models import Posting

from ..soundness import assert_money_sound


def by_role(session, entry_id):
    postings = session.scalars(select(Posting).where(Posting.entry_id == entry_id)).all()
    result = {}
    for p in postings:
        key = (p.account.role or p.account.code, p.fund.code)
        result[key] = result.get(key, 0) + p.amount
    return result


@pytest.mark.parametrize("channel, role", [(Channel.CASH, "cash"), (Channel.CHEQUE, "bank"),
                                           (Channel.BANK, "bank")])
def test_money_by_hand_books_income_and_the_donation_rate(session, fund, donor, channel, role):
    with transaction():
        donation = manual.record_by_hand(session, donor=donor, fund=fund,
                                         amount=Money(10000, "EUR"), day=date(2026, 3, 1),
                                         channel=channel, actor=None, receipt_wanted=True)
    assert donation.status is DonationStatus.BOOKED and donation.admin_fee == 300
    assert by_role(session, donation.journal_entry_id) == {
        (role, "PYLB"): 10000, ("donation_income", "PYLB"): -10000,
        ("admin_fee_expense", "PYLB"): 300, ("admin_fee_income", "GEN"): -300,
        ("interfund", "PYLB"): -300, ("interfund", "GEN"): 300}
    assert_money_sound(session)


def test_membership_fee_is_membership_income_without_the_donation_fee(session, fund, donor):
    with transaction():
        donation = manual.record_by_hand(session, donor=donor, fund=fund, amount=Money(6000, "EUR"),
                                         day=date(2026, 3, 1), channel=Channel.CASH, actor=None,
                                         kind=DonationKind.MEMBERSHIP_FEE)
    assert by_role(session, donation.journal_entry_id) == {
        ("cash", "PYLB"): 6000, ("membership_income", "PYLB"): -6000}


def test_gift_in_kind_is_booked_on_the_account_it_saves(session, fund, donor):
    with transaction():
        donation = manual.record_in_kind(
            session, donor=donor, fund=fund, value=Money(25000, "EUR"), day=date(2026, 3, 1),
            in_kind=booking.InKind("Catering for 40 people", "Caterer's invoice 2026-113",
                                   InKindOrigin.BUSINESS, account_code="5110"), actor=None)
    assert donation.kind is DonationKind.IN_KIND and donation.channel is Channel.IN_KIND
    assert donation.in_kind_description == "Catering for 40 people"
    entry = by_role(session, donation.journal_entry_id)
    assert entry[("5110", "PYLB")] == 25000 and entry[("donation_income", "PYLB")] == -25000
    assert_money_sound(session)


@pytest.mark.parametrize("code", ["4100", "2000", "9999"])
def test_gift_in_kind_refuses_an_income_liability_or_unknown_account(session, fund, donor, code):
    with pytest.raises(ValidationError), transaction():
        manual.record_in_kind(session, donor=donor, fund=fund, value=Money(100, "EUR"),
                              day=date(2026, 3, 1), in_kind=booking.InKind("Books", "Shop price",
                                                                           account_code=code),
                              actor=None)


@pytest.mark.parametrize("amount", [0, -100])
def test_nothing_or_less_is_no_donation(session, fund, donor, amount):
    with pytest.raises(ValidationError), transaction():
        manual.record_by_hand(session, donor=donor, fund=fund, amount=Money(amount, "EUR"),
                              day=date(2026, 3, 1), channel=Channel.CASH, actor=None)


def test_reversal_by_hand_takes_income_and_fee_back_once(session, fund, donor):
    with transaction():
        donation = manual.record_by_hand(session, donor=donor, fund=fund, amount=Money(999, "EUR"),
                                         day=date(2026, 3, 1), channel=Channel.CASH, actor=None)
    with transaction():
        assert booking.reverse(session, donation, actor=None, reason="entered twice", settings=app_settings())
    with transaction():
        assert not booking.reverse(session, donation, actor=None, reason="again", settings=app_settings())
    assert donation.status is DonationStatus.REVERSED
    back = by_role(session, donation.reversal_entry_id)
    assert back == {key: -value for key, value in by_role(session, donation.journal_entry_id).items()}
    assert_money_sound(session)


def test_another_currency_is_booked_in_it(session, fund, donor):
    with transaction():
        donation = manual.record_by_hand(session, donor=donor, fund=fund, amount=Money(5000, "USD"),
                                         day=date(2026, 3, 1), channel=Channel.CASH, actor=None)
    postings = session.scalars(select(Posting).where(Posting.entry_id == donation.journal_entry_id))
    assert {p.currency for p in postings} == {"USD"}
    assert donation.admin_fee == 150
    assert_money_sound(session)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cents=st.integers(1, 10**10), rate=st.integers(0, 10000))
def test_fee_and_what_the_fund_keeps_add_up_to_the_gift(session, fund, donor, cents, rate):
    """Rounding rule: the fee is the donation rate of the gift, half away from zero, and the
    fund keeps the rest, exactly."""
    from backoffice.funds.models import FeePolicy
    policy = session.scalar(select(FeePolicy).where(FeePolicy.fund_id == fund.id))
    policy.donation_rate_bp = rate
    with transaction():
        donation = manual.record_by_hand(session, donor=donor, fund=fund,
                                         amount=Money(cents, "EUR"), day=date(2026, 3, 1),
                                         channel=Channel.CASH, actor=None)
    exact = Decimal(cents) * rate / 10000
    expected = int(exact.quantize(Decimal(1), rounding="ROUND_HALF_UP"))
    entry = by_role(session, donation.journal_entry_id)
    assert donation.admin_fee == expected == entry.get(("admin_fee_expense", "PYLB"), 0)
    kept = -entry[("donation_income", "PYLB")] - entry.get(("admin_fee_expense", "PYLB"), 0)
    assert kept + expected == cents
