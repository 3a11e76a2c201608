"""The cached donation totals (``donations/totals.py``) follow every booking, reversal, pending
payment, merge and currency, and the donations page's totals read from them equal the sums over
the donations themselves, for every filter (periods cutting months at either edge included)."""
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from backoffice.core.db import transaction
from backoffice.core.money import Money
from backoffice.donations import booking, donors, manual, queries, totals
from backoffice.donations.booking import Gift
from backoffice.donations.models import Channel, Donation, DonationStatus, DonationTotal
from backoffice.extensions import settings as app_settings
from backoffice.ledger import services as ledger

from ..soundness import assert_money_sound


def brute_force(session, f: queries.Filters):
    """Per currency and per (fund, month, currency): booked donations summed in Python."""
    per_currency, per_month = {}, {}
    for d in session.scalars(select(Donation)):
        if d.status is not DonationStatus.BOOKED or (f.fund_id and d.fund_id != f.fund_id) or (
                f.channel and d.channel is not f.channel) or (
                f.start and d.donated_on < f.start) or (f.end and d.donated_on > f.end) or (
                f.recurring is not None and (d.recurring_plan_id is not None) != f.recurring):
            continue
        n, total = per_currency.get(d.currency, (0, 0))
        per_currency[d.currency] = (n + 1, total + d.amount)
        key = (d.fund.code, f"{d.donated_on:%Y-%m}", d.currency)
        n, total = per_month.get(key, (0, 0))
        per_month[key] = (n + 1, total + d.amount)
    return per_currency, per_month


def assert_page_totals_right(session, f: queries.Filters):
    per_currency, per_month = brute_force(session, f)
    assert queries.totals(session, f) == dict(sorted(per_currency.items()))
    rows = queries.by_fund_and_month(session, f)
    assert {(code, m, c): (n, a) for code, m, c, n, a in rows} == per_month
    assert [m for _, m, *_ in rows] == sorted((m for _, m, *_ in rows), reverse=True)
    assert queries.summary(session, f) == (queries.totals(session, f), rows)


def by_hand(session, donor, fund, cents, day, currency="EUR", channel=Channel.CASH):
    with transaction():
        return manual.record_by_hand(session, donor=donor, fund=fund,
                                     amount=Money(cents, currency), day=day, channel=channel,
                                     actor=None)


def test_each_change_moves_the_cached_totals_with_it(session, fund, donor):
    """The table of cases: booking, another currency, reversal, a pending gift booked and one
    failed, a merge of donors; after each, the stored rows are what the donations give."""
    def stored():
        return {key: value for key, value in totals.stored(session).items()}

    march, april = date(2026, 3, 1), date(2026, 4, 1)
    first = by_hand(session, donor, fund, 1000, date(2026, 3, 5))
    assert stored() == {(fund.id, march, "EUR", "cash", False): (1, 1000)}
    by_hand(session, donor, fund, 500, date(2026, 3, 31))
    by_hand(session, donor, fund, 700, date(2026, 3, 9), currency="USD")
    by_hand(session, donor, fund, 300, date(2026, 4, 1), channel=Channel.BANK)
    assert stored() == {(fund.id, march, "EUR", "cash", False): (2, 1500),
                        (fund.id, march, "USD", "cash", False): (1, 700),
                        (fund.id, april, "EUR", "bank", False): (1, 300)}
    with transaction():
        assert booking.reverse(session, first, actor=None, reason="entered twice", settings=app_settings())
    assert stored()[(fund.id, march, "EUR", "cash", False)] == (1, 500)

    pending = []
    for n in range(2):
        with transaction():
            donation, _ = booking.record(session, Gift(
                donor=donor, fund=fund, amount=Money(2000 + n, "EUR"), day=april,
                channel=Channel.STRIPE, refs={"stripe_payment_intent": f"pi_{n}"}),
                actor=None, status=DonationStatus.PENDING)
            pending.append(donation)
    assert (fund.id, april, "EUR", "stripe", False) not in stored()
    with transaction():
        assert booking.book_pending(session, pending[0], movement=None)
        assert booking.fail_pending(session, pending[1], reason="insufficient funds")
    assert stored()[(fund.id, april, "EUR", "stripe", False)] == (1, 2000)

    with transaction():
        other = donors.find_or_create(session, donors.DonorDetails(
            name="A. Müller", email="other@example.org", country="DE"))
    by_hand(session, other, fund, 900, date(2026, 4, 2))
    before = stored()
    with transaction():
        donors.merge(session, donor, other, actor=None)
    assert stored() == before
    assert totals.differences(session) == {}
    assert_page_totals_right(session, queries.Filters())
    assert_money_sound(session)


def test_differences_find_a_wrong_row_and_rebuild_mends_it(session, fund, donor):
    by_hand(session, donor, fund, 1000, date(2026, 3, 5))
    with transaction():
        row = session.scalar(select(DonationTotal))
        row.amount += 1
    key = (fund.id, date(2026, 3, 1), "EUR", "cash", False)
    assert totals.differences(session) == {key: ((1, 1001), (1, 1000))}
    with transaction():
        assert totals.rebuild(session) == 1
    assert totals.differences(session) == {}


@pytest.mark.parametrize("start, end", [
    (None, None), (date(2026, 1, 1), date(2026, 3, 31)), (date(2026, 1, 15), date(2026, 3, 10)),
    (date(2026, 2, 3), date(2026, 2, 20)), (date(2026, 2, 1), date(2026, 2, 20)),
    (date(2026, 2, 3), date(2026, 2, 28)), (date(2026, 3, 1), None), (None, date(2026, 2, 14)),
    (date(2026, 3, 1), date(2026, 2, 1))])
def test_a_period_cutting_months_adds_up_the_days_it_covers(session, fund, donor, start, end):
    for n, day in enumerate((date(2026, 1, 1), date(2026, 1, 31), date(2026, 2, 1),
                             date(2026, 2, 14), date(2026, 2, 28), date(2026, 3, 10))):
        by_hand(session, donor, fund, 100 + n, day, channel=(Channel.CASH, Channel.BANK)[n % 2])
    for channel in (None, Channel.CASH, Channel.BANK):
        assert_page_totals_right(session, queries.Filters(start=start, end=end, channel=channel))


@pytest.fixture
def funds(session, fund):
    with transaction():
        return [fund, ledger.create_fund(session, code="PYMU", name="PyMunich", actor=None)]


operations = st.lists(st.tuples(
    st.sampled_from(["book", "reverse", "pending", "settle", "fail"]), st.integers(0, 1),
    st.integers(1, 10**7), st.sampled_from(["EUR", "USD"]),
    st.sampled_from([Channel.CASH, Channel.BANK, Channel.CHEQUE]), st.integers(0, 120)),
    min_size=1, max_size=12)
period = st.one_of(st.none(), st.integers(0, 120).map(lambda n: date(2026, 1, 1)
                                                      + timedelta(days=n)))


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations, start=period, end=period, fund_filter=st.sampled_from([None, 0, 1]),
       channel=st.sampled_from([None, Channel.CASH, Channel.BANK]))
def test_random_bookings_keep_the_cache_equal_to_the_donations(session, funds, donor, ops, start,
                                                               end, fund_filter, channel):
    for n, (op, which, cents, currency, chosen, days) in enumerate(ops):
        day = date(2026, 1, 1) + timedelta(days=days)
        with transaction():
            if op == "book":
                manual.record_by_hand(session, donor=donor, fund=funds[which],
                                      amount=Money(cents, currency), day=day, channel=chosen,
                                      actor=None)
            elif op == "pending":
                booking.record(session, Gift(
                    donor=donor, fund=funds[which], amount=Money(cents, currency), day=day,
                    channel=Channel.STRIPE,
                    refs={"stripe_payment_intent": f"pi_{cents}_{days}_{n}_{which}"}),
                    actor=None, status=DonationStatus.PENDING)
            else:
                wanted = DonationStatus.BOOKED if op == "reverse" else DonationStatus.PENDING
                found = session.scalars(select(Donation).where(Donation.status == wanted)
                                        .order_by(Donation.id)).all()
                if found:
                    donation = found[cents % len(found)]
                    if op == "reverse":
                        booking.reverse(session, donation, actor=None, reason="refund", settings=app_settings())
                    elif op == "settle":
                        booking.book_pending(session, donation, movement=None)
                    else:
                        booking.fail_pending(session, donation, reason="failed")
    assert totals.differences(session) == {}
    assert_page_totals_right(session, queries.Filters(
        fund_id=None if fund_filter is None else funds[fund_filter].id, channel=channel,
        start=start, end=end))
