"""Posting, refusing bad entries, interfund lines, reversals, periods, immutability."""
from datetime import date

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from backoffice.core.audit import AuditEvent
from backoffice.core.db import transaction
from backoffice.core.errors import ValidationError
from backoffice.core.money import Money
from backoffice.ledger import services
from backoffice.ledger.balances import fund_balance
from backoffice.ledger.integrity import problems
from backoffice.ledger.models import JournalEntry, Posting
from backoffice.ledger.periods import PeriodKind
from backoffice.ledger.services import ClosedPeriod, Line, UnbalancedEntry

from .conftest import CALENDAR, eur

DAY = date(2026, 3, 14)


def _count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_a_balanced_entry_is_posted_with_its_source_poster_and_audit_record(books, session):
    entry = books.post(DAY, ("6100", books.general, "12.50"), ("1200", books.general, "-12.50"),
                       description="Bank fees March")
    assert [p.amount for p in entry.postings] == [1250, -1250]
    assert entry.posted_by.email == books.actor.email and entry.posted_at is not None
    audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "ledger.entry_posted")).one()
    assert audit.object_id == str(entry.id) and "Bank fees March" in audit.summary
    assert problems(session) == []


def test_lines_in_different_funds_get_interfund_lines_from_the_ledger(books, session):
    # The association gives Berlin a grant: expense in the general fund, income in Berlin's.
    entry = books.post(DAY, ("5000", books.general, "300"), ("4400", books.berlin, "-300"))
    interfund = services.account_by_role(session, "interfund")
    lines = {(p.account.code, p.fund.code): p.amount for p in entry.postings}
    assert lines == {("5000", "GEN"): 30000, ("4400", "BER"): -30000,
                     (interfund.code, "GEN"): -30000, (interfund.code, "BER"): 30000}
    for fund in (books.general, books.berlin):
        assert sum(p.amount for p in entry.postings if p.fund_id == fund.id) == 0
    assert fund_balance(session, books.berlin.id, DAY) == {"EUR": 30000}
    assert fund_balance(session, books.general.id, DAY) == {"EUR": -30000}


def test_transfer_between_funds(books, session):
    books.post(DAY, ("1200", books.general, "1000"), ("3000", books.general, "-1000"))
    with transaction(session):
        entry = services.transfer_between_funds(
            session, from_fund=books.general, to_fund=books.munich, amount=eur("250"),
            booking_date=DAY, description="Board decision 2026-03", actor=books.actor)
    assert len(entry.postings) == 4 and entry.source_kind == "fund_transfer"
    assert fund_balance(session, books.general.id, DAY) == {"EUR": 75000}
    assert fund_balance(session, books.munich.id, DAY) == {"EUR": 25000}
    with pytest.raises(ValidationError, match="two different funds"):
        services.transfer_between_funds(session, from_fund=books.munich, to_fund=books.munich,
                                        amount=eur("1"), booking_date=DAY, description="x",
                                        actor=books.actor)


ABSURD = 10**11 + 1  # minor units: a euro more than a billion
BAD_ENTRIES = {  # (account code, fund, minor units, currency) lines; error; message
    "unbalanced": ([("6100", "general", 1000, "EUR"), ("1200", "general", -900, "EUR")],
                   UnbalancedEntry, "does not balance: debits 10.00 EUR, credits 9.00 EUR, difference 1.00 EUR"),
    "one line": ([("6100", "general", 1000, "EUR")], ValidationError, "at least two lines"),
    "zero": ([("6100", "general", 0, "EUR"), ("1200", "general", 0, "EUR")], ValidationError,
             "Line 1: the amount is zero"),
    "absurd": ([("6100", "general", ABSURD, "EUR"), ("1200", "general", -ABSURD, "EUR")],
               ValidationError, "Line 1: The amount is larger than the limit"),
    "interfund by hand": ([("1900", "general", 500, "EUR"), ("1200", "general", -500, "EUR")],
                          ValidationError, "kept by the ledger itself"),
    "currencies unbalanced": ([("6100", "general", 500, "EUR"), ("1200", "general", -500, "USD")],
                              UnbalancedEntry, "does not balance"),
}


@pytest.mark.parametrize("case", BAD_ENTRIES)
def test_bad_entries_are_refused_and_nothing_is_written(books, session, case):
    raw, error, message = BAD_ENTRIES[case]
    lines = [Line(books[code], getattr(books, fund), Money(minor, currency))
             for code, fund, minor, currency in raw]
    before = (_count(session, JournalEntry), _count(session, Posting), _count(session, AuditEvent))
    with pytest.raises(error, match=message):
        services.post_entry(session, booking_date=DAY, description="Bad", lines=lines, actor=books.actor)
    assert (_count(session, JournalEntry), _count(session, Posting), _count(session, AuditEvent)) == before


def test_inactive_accounts_and_funds_are_refused(books, session):
    with transaction(session):
        services.update_account(session, books["6900"], actor=books.actor, code="6900",
                                name="Other expenses", active=False)
        services.update_fund(session, books.munich, actor=books.actor, name="PyMunich", active=False)
    with pytest.raises(ValidationError, match="Line 1: account 6900 Other expenses is inactive"):
        services.post_entry(session, booking_date=DAY, description="x", actor=books.actor,
                            lines=[Line(books["6900"], books.general, eur(1)),
                                   Line(books["1200"], books.general, eur(-1))])
    with pytest.raises(ValidationError, match="Line 2: fund MUC PyMunich is inactive"):
        services.post_entry(session, booking_date=DAY, description="x", actor=books.actor,
                            lines=[Line(books["6100"], books.general, eur(1)),
                                   Line(books["1200"], books.munich, eur(-1))])


def test_closed_periods_refuse_postings_and_name_the_period(books, session):
    with transaction(session):
        services.set_period_closed(session, PeriodKind.MONTH, date(2026, 3, 1), True, actor=books.actor, fiscal_year=CALENDAR)
    with pytest.raises(ClosedPeriod, match="The month 2026-03 is closed: nothing can be posted on 2026-03-14"):
        books.post(DAY, ("6100", books.general, "1"), ("1200", books.general, "-1"))
    books.post(date(2026, 4, 1), ("6100", books.general, "1"), ("1200", books.general, "-1"))

    with transaction(session):
        services.set_period_closed(session, PeriodKind.YEAR, date(2025, 6, 1), True, actor=books.actor, fiscal_year=CALENDAR)
    with pytest.raises(ClosedPeriod, match="The fiscal year 2025 is closed"):
        books.post(date(2025, 12, 31), ("6100", books.general, "1"), ("1200", books.general, "-1"))

    with transaction(session):
        services.set_period_closed(session, PeriodKind.MONTH, date(2026, 3, 1), False, actor=books.actor, fiscal_year=CALENDAR)
    books.post(DAY, ("6100", books.general, "1"), ("1200", books.general, "-1"))
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "period")
                              .order_by(AuditEvent.id)).all()
    assert actions == ["period.closed", "period.closed", "period.reopened"]
    with pytest.raises(ValidationError, match="already open"):
        services.set_period_closed(session, PeriodKind.MONTH, date(2026, 3, 1), False, actor=books.actor, fiscal_year=CALENDAR)


def test_a_reversal_is_the_exact_opposite_linked_and_happens_once(books, session):
    original = books.post(DAY, ("5000", books.general, "300"), ("4400", books.berlin, "-300"))
    with transaction(session):
        reversal = services.reverse_entry(session, original, actor=books.actor, reason="Wrong group")
    assert reversal.reverses_id == original.id and reversal.booking_date == DAY
    assert [(p.account_id, p.fund_id, p.amount) for p in reversal.postings] == \
        [(p.account_id, p.fund_id, -p.amount) for p in original.postings]
    assert reversal.description == f"Reversal of #{original.id}: Wrong group"
    assert fund_balance(session, books.berlin.id, DAY) == {}
    with pytest.raises(ValidationError, match=f"already reversed by #{reversal.id}"):
        services.reverse_entry(session, original, actor=books.actor, reason="again")
    with pytest.raises(ValidationError, match="itself the reversal"):
        services.reverse_entry(session, reversal, actor=books.actor, reason="undo the undo")
    assert problems(session) == []


def test_reversal_of_an_entry_in_a_closed_period_is_dated_today(books, session, today):
    original = books.post(date(2025, 5, 5), ("6100", books.general, "3"), ("1200", books.general, "-3"))
    other = books.post(date(2025, 5, 5), ("6100", books.general, "4"), ("1200", books.general, "-4"))
    with transaction(session):
        services.set_period_closed(session, PeriodKind.YEAR, date(2025, 1, 1), True, actor=books.actor, fiscal_year=CALENDAR)
        reversal = services.reverse_entry(session, original, actor=books.actor, reason="Late fix")
    assert reversal.booking_date == today
    with pytest.raises(ClosedPeriod, match="fiscal year 2025 is closed"):
        services.reverse_entry(session, other, actor=books.actor, reason="x",
                               booking_date=date(2025, 5, 6))


@pytest.mark.parametrize("statement", [
    "UPDATE postings SET amount = amount + 1",
    "DELETE FROM postings",
    "UPDATE journal_entries SET description = 'changed'",
    "DELETE FROM journal_entries",
    "UPDATE audit_log SET summary = 'nothing happened'",
    "DELETE FROM audit_log",
])
def test_posted_records_cannot_change_even_with_raw_sql(books, session, statement):
    books.post(DAY, ("6100", books.general, "1"), ("1200", books.general, "-1"))
    with pytest.raises(DatabaseError, match="append-only"):
        session.execute(text(statement))
    session.rollback()
    assert _count(session, Posting) == 2


def test_truncate_is_refused_on_postgresql(books, session, backend):
    if backend != "postgresql":
        pytest.skip("TRUNCATE exists only on PostgreSQL")
    books.post(DAY, ("6100", books.general, "1"), ("1200", books.general, "-1"))
    with pytest.raises(DatabaseError, match="append-only"):
        session.execute(text("TRUNCATE postings CASCADE"))
    session.rollback()


def test_accounts_and_funds_keep_their_rules(books, session):
    books.post(DAY, ("6900", books.general, "1"), ("1200", books.general, "-1"))
    with pytest.raises(ValidationError, match="code of an account with postings cannot change"):
        services.update_account(session, books["6900"], actor=books.actor, code="6901",
                                name="Other expenses", active=True)
    with pytest.raises(ValidationError, match="still has a balance"):
        services.update_account(session, books["6900"], actor=books.actor, code="6900",
                                name="Other expenses", active=False)
    with pytest.raises(ValidationError, match="used by the application"):
        services.update_account(session, books["1200"], actor=books.actor, code="1200",
                                name="Bank", active=False)
    with pytest.raises(ValidationError, match="already exists"):
        services.create_account(session, code="6100", name="Dup", type="expense", actor=books.actor)
    with pytest.raises(ValidationError, match="general fund cannot be deactivated"):
        services.update_fund(session, books.general, actor=books.actor, name="General", active=False)
    books.post(DAY, ("1200", books.munich, "5"), ("3000", books.munich, "-5"))
    with pytest.raises(ValidationError, match="still holds money"):
        services.update_fund(session, books.munich, actor=books.actor, name="PyMunich", active=False)
    with transaction(session):
        services.update_account(session, books["6100"], actor=books.actor, code="6100",
                                name="Bank charges", active=True)
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "account.updated")).one()
    assert event.before == {"name": "Bank fees"} and event.after == {"name": "Bank charges"}


def test_what_happened_in_a_closed_period_is_booked_today(books, session, today):
    with transaction(session):
        services.set_period_closed(session, PeriodKind.MONTH, date(2026, 3, 1), True, actor=books.actor, fiscal_year=CALENDAR)
    assert services.booking_date_for(session, DAY) == today
    assert services.booking_date_for(session, DAY, today=date(2026, 4, 2)) == date(2026, 4, 2)
    assert services.booking_date_for(session, date(2026, 4, 1)) == date(2026, 4, 1)
