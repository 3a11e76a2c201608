"""The pairing of an entry's lines into DATEV bookings, on random entries (Hypothesis): nothing
is lost or invented, every booking is positive and names two different accounts."""
from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from backoffice.ledger.reads import ChartAccount, JournalLine
from backoffice.reports import datev
from backoffice.reports.datev_map import MappedAccount

ACCOUNTS = {n: ChartAccount(n, f"{1000 + n}", f"Account {n}", kind, None, True)
            for n, kind in enumerate(["asset", "asset", "liability", "income", "income",
                                      "expense", "expense", "net_assets"], 1)}
INTERFUND = ChartAccount(99, "1900", "Interfund", "asset", "interfund", True)
MAPPED = {a.id: MappedAccount(a, a.code, False) for a in ACCOUNTS.values()}
MAPPED[99] = MappedAccount(INTERFUND, None, False)
FUNDS = {1: "GEN", 2: "BER", 3: "MUC"}


@st.composite
def entries(draw):
    """A balanced entry: per fund some lines that sum to zero, plus interfund lines between
    funds (as the ledger adds them)."""
    lines = []
    for fund in draw(st.lists(st.sampled_from(list(FUNDS)), min_size=1, max_size=3, unique=True)):
        amounts = draw(st.lists(st.integers(-10**7, 10**7).filter(bool), min_size=1, max_size=4))
        accounts = draw(st.lists(st.sampled_from(list(ACCOUNTS)), min_size=len(amounts) + 1,
                                 max_size=len(amounts) + 1))
        for account, amount in zip(accounts, amounts):
            lines.append((account, fund, amount))
        if sum(amounts):
            lines.append((accounts[-1], fund, -sum(amounts)))
    moves = draw(st.lists(st.tuples(st.sampled_from(list(FUNDS)), st.sampled_from(list(FUNDS)),
                                    st.integers(1, 10**6)), max_size=2))
    for source, target, amount in moves:
        if source != target:
            lines += [(5, source, amount), (99, source, -amount),
                      (4, target, -amount), (99, target, amount)]
    posted = datetime(2026, 1, 1, tzinfo=UTC)
    return [JournalLine(7, date(2026, 1, 2), "Random", None, None, None, posted, n, account,
                        fund, amount, "EUR", None)
            for n, (account, fund, amount) in enumerate(lines, 1) if amount]


@given(entries())
def test_bookings_carry_exactly_the_entrys_movement_on_each_account(lines):
    notes = datev.Notes()
    bookings = datev.entry_bookings(lines, MAPPED, FUNDS, document="BO7", home_currency="EUR",
                                    notes=notes)
    expected: dict[str, int] = defaultdict(int)
    for line in lines:
        if line.account_id != 99:
            expected[MAPPED[line.account_id].datev] += line.amount
    moved: dict[str, int] = defaultdict(int)
    for booking in bookings:
        assert booking.amount > 0 and booking.debit != booking.credit
        moved[booking.debit] += booking.amount
        moved[booking.credit] -= booking.amount
    # what is left out is named: a move between funds on one account nets to zero on it
    assert {k: v for k, v in moved.items() if v} == {k: v for k, v in expected.items() if v}
    assert sum(b.amount for b in bookings) <= sum(abs(line.amount) for line in lines)
