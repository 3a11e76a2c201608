"""The bank postings still open (``banking.open_postings``): after any sequence of bookings,
matches (whole, in part, beyond, of every provider, one by one and in bulk), undos and
reversals the table is what the computation from scratch says, and the queue offers what the
statement over every posting since ``reconcile_from`` offered. Matches, bookings and reversals
at the same moment keep it so. Runs on SQLite and on PostgreSQL."""
from __future__ import annotations

import threading
import time
from collections import defaultdict
from datetime import timedelta
from itertools import count

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select

from backoffice.banking import open_postings, providers, services
from backoffice.banking.differences import Difference, How
from backoffice.banking.matching import providers as all_providers
from backoffice.banking.models import (
    BankAccount,
    BankLine,
    BankMatch,
    BankMatchItem,
    BankOpenPosting,
)
from backoffice.banking.parsers import ParsedLine
from backoffice.core.db import transaction
from backoffice.core.errors import DomainError
from backoffice.core.money import Money
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.ledger import services as ledger
from backoffice.ledger.models import JournalEntry, Posting
from backoffice.ledger.services import Line

from ..concurrency import at_once
from ..invoicing.factories import issued
from .conftest import book
from .test_providers import SILVER, TODAY, acme, batch, line, paid_out, statement  # noqa: F401


def agrees(session, bank) -> None:
    """The table is the computation from scratch, and the queue's postings are those the old
    statement (every posting since ``reconcile_from``, each tested against the matches) gave."""
    session.expire_all()
    assert open_postings.differences(session) == []
    claims = {kind: each.name for each in reversed(all_providers()) for kind in each.claims_sources}
    confirmed = defaultdict(int)
    for posting_id, provider, amount in session.execute(
            select(BankMatchItem.posting_id, BankMatchItem.provider, BankMatchItem.amount)
            .join(BankMatch, BankMatch.id == BankMatchItem.match_id)
            .where(BankMatch.bank_account_id == bank.id, BankMatchItem.active.is_(True),
                   BankMatchItem.posting_id.is_not(None))):
        confirmed[posting_id, provider] += amount
    expected = set()
    for posting_id, amount, _day, _entry, _text, kind, source_id, *_ in \
            providers.unreconciled_postings(session, bank):
        owner = claims.get(kind, "posting") if source_id is not None else "posting"
        if confirmed.get((posting_id, owner)) != amount:
            expected.add((owner, posting_id, amount))
    found = {(owner, row[0], row[1])
             for owner, rows in providers.bank_postings(session, bank).of.items() for row in rows}
    assert found == expected


def one_line(session, bank, treasurer, amount: int, text: str) -> BankLine:
    """A new line of its own statement (a bank reference of its own: never taken for one
    already imported)."""
    before = set(session.scalars(select(BankLine.id)))
    reference = f"T{next(_REFERENCES):09d}"
    lines = statement(session, bank, treasurer, [
        ParsedLine(booking_date=TODAY, value_date=TODAY, amount=amount, currency="EUR",
                   remittance=text, bank_reference=reference)])
    return next(each for each in lines if each.id not in before)


_REFERENCES = count(1)


# --- random sequences -----------------------------------------------------------------------

STEPS = st.lists(st.tuples(
    st.sampled_from(["book", "book", "payout", "invoice", "match", "match", "part", "over",
                     "bulk", "book_line", "undo", "reverse", "transfer"]),
    st.integers(min_value=0, max_value=10**6), st.integers(min_value=-30, max_value=30)),
    min_size=3, max_size=14)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=STEPS)
def test_after_any_bookings_matches_undos_and_reversals_the_table_is_right(
        session, bank, treasurer, acme, batch, steps):  # noqa: F811
    """Each step draws what it works on from what there is; a step that does not apply (no
    open item, a refused match) changes nothing, and the table must still agree."""
    other = ledger.account_by_code(session, "4900")
    for kind, pick, cents in steps:
        cents = cents * 1000 + (pick % 997) + 1 if cents else 5000 + pick % 100
        try:
            step(session, bank, treasurer, acme, other, kind, pick, cents)
        except DomainError:
            session.rollback()
        agrees(session, bank)


def step(session, bank, treasurer, acme, other, kind, pick, cents) -> None:  # noqa: F811
    number = session.scalar(select(func.count()).select_from(JournalEntry)) + pick % 1000
    if kind == "book":
        with transaction():
            book(session, treasurer, TODAY - timedelta(days=pick % 5), cents, f"Fee REF{number:06d}")
        return
    if kind == "payout":
        paid_out(session, f"po_{number:08d}PAYOUT", abs(cents))
        return
    if kind == "invoice":
        invoice = issued(acme, SILVER)
        bank_line = one_line(session, bank, treasurer, 119000, f"Invoice {invoice.number}")
        with transaction():
            services.accept(session, bank, lines=[bank_line], items=[("invoice", str(invoice.id))],
                            actor=treasurer, settings=app_settings())
        return
    if kind == "transfer":  # money moved to another bank's ledger account: open there, not here
        with transaction():
            savings = ledger.account_by_code(session, "1210")
            bank_line = one_line(session, bank, treasurer, -abs(cents), "To savings")
            services.book_line(session, bank_line, account=savings,
                               fund=ledger.general_fund(session), description="To savings",
                               actor=treasurer)
        return
    if kind == "undo":
        active = session.scalars(select(BankMatch).where(
            BankMatch.bank_account_id == bank.id, BankMatch.undone_at.is_(None))
            .order_by(BankMatch.id)).all()
        if active:
            with transaction():
                services.undo_match(session, active[pick % len(active)], actor=treasurer,
                                    settings=app_settings(), reason="test")
        return
    if kind == "reverse":
        entries = session.scalars(select(JournalEntry).join(
            Posting, Posting.entry_id == JournalEntry.id).where(
            Posting.account_id == bank.ledger_account_id, JournalEntry.reverses_id.is_(None),
            ~JournalEntry.id.in_(select(JournalEntry.reverses_id).where(
                JournalEntry.reverses_id.is_not(None)))).order_by(JournalEntry.id)).unique().all()
        if entries:
            with transaction():
                ledger.reverse_entry(session, entries[pick % len(entries)], actor=treasurer,
                                     reason="test")
        return
    if kind == "book_line":
        bank_line = one_line(session, bank, treasurer, cents, "Interest")
        with transaction():
            services.book_line(session, bank_line, account=other,
                               fund=ledger.general_fund(session), description="Interest",
                               actor=treasurer)
        return
    index = services.open_items(session, bank)
    keys = sorted(key for key in index.items if key[0] != "invoice" and index.open(key))
    if not keys:
        return
    key = keys[pick % len(keys)]
    item, open_amount = index.items[key], index.open(key)
    if kind == "bulk":  # an exact reference and amount: accepted on import, in bulk
        references = [r for r in item.references if r]
        if not references:
            return
        bank.auto_accept = True
        try:
            one_line(session, bank, treasurer, open_amount, f"{references[0]} thanks")
        finally:
            with transaction():
                session.get(BankAccount, bank.id).auto_accept = False
        return
    difference, amount = None, open_amount
    if kind == "part" and item.allow_partial and abs(open_amount) > 1:
        amount = open_amount // 2 if open_amount > 0 else -(abs(open_amount) // 2)
    elif kind == "over":
        amount = open_amount + (500 if open_amount > 0 else -500)
        difference = Difference(How.ACCOUNT, account=other, fund=ledger.general_fund(session))
    bank_line = one_line(session, bank, treasurer, amount, "Payment")
    with transaction():
        services.accept(session, bank, lines=[bank_line], items=[key], actor=treasurer,
                        settings=app_settings(), difference=difference)


# --- the rows themselves ------------------------------------------------------------------------

def test_a_booked_posting_has_a_row_until_confirmed_in_full_and_again_after_the_undo(
        session, bank, treasurer):
    with transaction():
        posting = book(session, treasurer, TODAY, 10000, "Member fee")
    row = session.get(BankOpenPosting, posting.id)
    assert (row.bank_account_id, row.amount, row.open_amount) == (bank.id, 10000, 10000)
    first, second = statement(session, bank, treasurer, [line(4000, "part 1"), line(6000, "part 2")])
    key = ("posting", str(posting.id))
    with transaction():
        match = services.accept(session, bank, lines=[first], items=[key], actor=treasurer,
                                settings=app_settings())
    assert session.get(BankOpenPosting, posting.id).open_amount == 6000
    with transaction():
        services.accept(session, bank, lines=[second], items=[key], actor=treasurer,
                        settings=app_settings())
    assert session.get(BankOpenPosting, posting.id) is None
    with transaction():
        services.undo_match(session, session.get(BankMatch, match.id), actor=treasurer,
                            settings=app_settings(), reason="wrong")
    session.expire_all()
    assert session.get(BankOpenPosting, posting.id).open_amount == 4000
    agrees(session, bank)


def test_a_reversal_takes_the_row_away_and_gets_none(session, bank, treasurer):
    with transaction():
        posting = book(session, treasurer, TODAY, 2500, "Wrong")
    with transaction():
        reversal = ledger.reverse_entry(session, session.get(JournalEntry, posting.entry_id),
                                        actor=treasurer, reason="typo")
    assert session.scalar(select(func.count()).select_from(BankOpenPosting)) == 0
    assert reversal.reverses_id == posting.entry_id
    agrees(session, bank)


def test_a_new_bank_account_takes_the_postings_already_on_its_ledger_account(
        session, bank, treasurer):
    with transaction():
        usd_cash = ledger.create_account(session, code="1820", name="USD bank", type="asset",
                                         actor=treasurer)
        general = ledger.general_fund(session)
        for cents in (700, -300):
            ledger.post_entry(session, booking_date=TODAY, description="Before", actor=treasurer,
                              lines=[Line(usd_cash, general, Money(cents, "USD")),
                                     Line(ledger.account_by_code(session, "4900"), general,
                                          Money(-cents, "USD"))])
        ledger.post_entry(session, booking_date=TODAY, description="Other currency",
                          actor=treasurer, lines=[Line(usd_cash, general, Money(100, "EUR")),
                                                  Line(ledger.account_by_code(session, "4900"),
                                                       general, Money(-100, "EUR"))])
    assert session.scalar(select(func.count()).select_from(BankOpenPosting)) == 0
    with transaction():
        usd = services.create_bank_account(session, name="Dollars", iban="DE02120300000000202051",
                                           currency="USD", ledger_account=usd_cash, actor=treasurer)
    assert sorted(session.scalars(select(BankOpenPosting.amount).where(
        BankOpenPosting.bank_account_id == usd.id))) == [-300, 700]
    agrees(session, usd)


def test_verify_names_a_wrong_row_and_rebuild_rights_it(app, session, bank, treasurer):
    with transaction():
        posting = book(session, treasurer, TODAY, 1200, "Fee")
        session.get(BankOpenPosting, posting.id).open_amount = 1100
    runner = app.test_cli_runner()
    result = runner.invoke(args=["bank", "verify"])
    assert result.exit_code == 1
    assert f"posting #{posting.id}" in result.output and "open 1100" in result.output
    assert "open 1200" in result.output
    result = runner.invoke(args=["bank", "rebuild-open-postings"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["bank", "verify"]).exit_code == 0
    session.expire_all()
    assert session.get(BankOpenPosting, posting.id).open_amount == 1200


def test_the_rows_are_written_back_by_the_migration(backend, tmp_path):
    """Downgraded past the table and upgraded again, the backfill writes what the services had
    kept (matched in part, in full, undone, reversed, a payout)."""
    from flask_migrate import downgrade, upgrade

    from ..test_migrations import _at_revision

    with _at_revision(backend, tmp_path, "head"):
        session = db.session
        with transaction():
            bank_ledger = ledger.account_by_role(session, "bank")
            bank = services.create_bank_account(
                session, name="Current", iban="DE89370400440532013000", currency="EUR",
                ledger_account=bank_ledger, actor=None)
            postings = [book(session, None, TODAY, cents, f"Fee {cents}")
                        for cents in (1000, 2000, 3000, -400)]
            ledger.reverse_entry(session, session.get(JournalEntry, postings[3].entry_id),
                                 actor=None, reason="typo")
        paid_out(session, "po_00000001PAYOUT", 4800)
        lines = statement(session, bank, None, [line(400, "part"), line(2000, "whole"),
                                                line(3000, "undone"), line(4800, "payout")])
        matches = []
        for bank_line, key in zip(lines, [("posting", str(postings[0].id)),
                                          ("posting", str(postings[1].id)),
                                          ("posting", str(postings[2].id)),
                                          ("stripe_payout", "po_00000001PAYOUT")], strict=True):
            with transaction():
                matches.append(services.accept(session, bank, lines=[bank_line], items=[key],
                                               actor=None, settings=app_settings()).id)
        with transaction():
            services.undo_match(session, session.get(BankMatch, matches[2]), actor=None,
                                settings=app_settings(), reason="wrong")
        kept = sorted(session.execute(select(BankOpenPosting.posting_id,
                                             BankOpenPosting.open_amount)).all())
        assert kept == [(postings[0].id, 600), (postings[2].id, 3000)]
        session.remove()
        downgrade(revision="0042")
        upgrade()
        assert sorted(db.session.execute(select(BankOpenPosting.posting_id,
                                                BankOpenPosting.open_amount)).all()) == kept
        assert open_postings.differences(db.session) == []


# --- at the same moment -----------------------------------------------------------------------

def matching(bank, treasurer, posting):
    """A job (for ``at_once``) matching the line of this id to the posting, in its own session."""
    bank_id, actor_id, user, key = bank.id, treasurer.id, type(treasurer), ("posting", str(posting.id))

    def of_line(line_id: int):
        def job(session):
            with transaction():
                services.accept(session, session.get(BankAccount, bank_id),
                                lines=[session.get(BankLine, line_id)], items=[key],
                                actor=session.get(user, actor_id), settings=app_settings())
        return job
    return of_line


def test_two_matches_of_the_same_posting_at_once_confirm_it_once(app, session, bank, treasurer):
    with transaction():
        posting = book(session, treasurer, TODAY, 7000, "Membership")
    first, second = statement(session, bank, treasurer, [line(7000, "one"), line(7000, "two")])
    bank_id, match = bank.id, matching(bank, treasurer, posting)
    db.session.remove()

    outcome = at_once(app, [match(first.id), match(second.id)])
    assert sum(error is None for error in outcome) == 1, outcome
    assert session.get(BankOpenPosting, posting.id) is None
    agrees(session, session.get(BankAccount, bank_id))


def test_two_partial_matches_of_one_posting_at_once_leave_what_neither_confirmed(
        app, session, bank, treasurer):
    with transaction():
        posting = book(session, treasurer, TODAY, 9000, "Membership")
    first, second = statement(session, bank, treasurer, [line(3000, "one"), line(4000, "two")])
    bank_id, match = bank.id, matching(bank, treasurer, posting)
    db.session.remove()

    assert at_once(app, [match(first.id), match(second.id)]) == [None, None]
    assert session.get(BankOpenPosting, posting.id).open_amount == 2000
    agrees(session, session.get(BankAccount, bank_id))


def test_a_booking_and_a_match_at_once(app, session, bank, treasurer):
    with transaction():
        posting = book(session, treasurer, TODAY, 5000, "Membership")
    bank_line, = statement(session, bank, treasurer, [line(5000, "fee")])
    bank_id, actor_id, key = bank.id, treasurer.id, ("posting", str(posting.id))
    db.session.remove()

    def match(session):
        with transaction():
            services.accept(session, session.get(BankAccount, bank_id),
                            lines=[session.get(BankLine, bank_line.id)], items=[key],
                            actor=session.get(type(treasurer), actor_id), settings=app_settings())

    def booking(session):
        with transaction():
            return book(session, session.get(type(treasurer), actor_id), TODAY, 800, "Late").id

    outcome = at_once(app, [match, booking])
    assert outcome[0] is None and isinstance(outcome[1], int), outcome
    assert session.get(BankOpenPosting, posting.id) is None
    assert session.get(BankOpenPosting, outcome[1]).open_amount == 800
    agrees(session, session.get(BankAccount, bank_id))


@pytest.mark.parametrize("attempt", range(3))
@pytest.mark.parametrize("confirmed", ["whole", "half"])
def test_a_reversal_and_a_match_of_the_same_posting_at_once(app, session, bank, treasurer,
                                                            attempt, confirmed):
    """Whichever comes first, the posting of a reversed entry is no longer open, also when the
    match confirms only part of it (without the reversal's shared lock on the bank account, the
    match could write the rest as open after the reversal had taken the row away)."""
    amount = 6100 + attempt
    with transaction():
        posting = book(session, treasurer, TODAY, amount, "Membership")
    bank_line = one_line(session, bank, treasurer,
                         amount if confirmed == "whole" else amount // 2, "fee")
    bank_id, actor_id, key = bank.id, treasurer.id, ("posting", str(posting.id))
    line_id, entry_id, user = bank_line.id, posting.entry_id, type(treasurer)
    db.session.remove()

    def match(session):
        with transaction():
            services.accept(session, session.get(BankAccount, bank_id),
                            lines=[session.get(BankLine, line_id)], items=[key],
                            actor=session.get(user, actor_id), settings=app_settings())

    def reversal(session):
        with transaction():
            ledger.reverse_entry(session, session.get(JournalEntry, entry_id),
                                 actor=session.get(user, actor_id), reason="wrong")

    outcome = at_once(app, [match, reversal])
    assert outcome[1] is None, outcome
    assert outcome[0] is None or isinstance(outcome[0], DomainError), outcome
    assert session.get(BankOpenPosting, posting.id) is None
    agrees(session, session.get(BankAccount, bank_id))


def test_a_reversal_arriving_while_a_part_match_is_writing_leaves_no_row(
        app, session, bank, treasurer):
    """The interleaving the reversal's shared lock on the bank account is for, forced: a match
    confirming half of a posting has written the other half as open and has not committed yet
    when the reversal of the posting's entry starts. The reversal waits for the match and then
    takes the row away; without the lock (PostgreSQL) it took away nothing the match had not
    committed, and the match then committed a row for a reversed posting."""
    with transaction():
        posting = book(session, treasurer, TODAY, 8800, "Membership")
    bank_line = one_line(session, bank, treasurer, 4400, "fee")
    bank_id, actor_id, key = bank.id, treasurer.id, ("posting", str(posting.id))
    line_id, entry_id, user = bank_line.id, posting.entry_id, type(treasurer)
    db.session.remove()
    written = threading.Event()

    def match(session):
        def pause(conn, cursor, statement, *args):
            if statement.startswith("INSERT INTO bank_open_postings") and not written.is_set():
                written.set()
                time.sleep(1.5)  # the reversal starts meanwhile (and waits, with the lock)

        with transaction():
            event.listen(session.connection(), "after_cursor_execute", pause)
            services.accept(session, session.get(BankAccount, bank_id),
                            lines=[session.get(BankLine, line_id)], items=[key],
                            actor=session.get(user, actor_id), settings=app_settings())

    def reversal(session):
        assert written.wait(timeout=30)
        with transaction():
            ledger.reverse_entry(session, session.get(JournalEntry, entry_id),
                                 actor=session.get(user, actor_id), reason="wrong")

    assert at_once(app, [match, reversal]) == [None, None]
    assert session.get(BankOpenPosting, posting.id) is None
    agrees(session, session.get(BankAccount, bank_id))


def test_a_bank_account_set_up_while_its_ledger_account_is_booked(app, session, bank, treasurer):
    with transaction():
        cash = ledger.create_account(session, code="1830", name="Second bank", type="asset",
                                     actor=treasurer)
    cash_id, actor_id = cash.id, treasurer.id
    db.session.remove()

    def booking(session):
        with transaction():
            account = session.get(type(cash), cash_id)
            general = ledger.general_fund(session)
            for cents in (100, 200, 300):
                ledger.post_entry(session, booking_date=TODAY, description="Meanwhile",
                                  actor=None, lines=[
                                      Line(account, general, Money(cents, "EUR")),
                                      Line(ledger.account_by_code(session, "4900"), general,
                                           Money(-cents, "EUR"))])

    def setting_up(session):
        with transaction():
            return services.create_bank_account(
                session, name="Second", iban="DE02120300000000202051", currency="EUR",
                ledger_account=session.get(type(cash), cash_id),
                actor=session.get(type(treasurer), actor_id)).id

    outcome = at_once(app, [booking, setting_up, booking])
    assert outcome[0] is None and outcome[2] is None and isinstance(outcome[1], int), outcome
    second = session.get(BankAccount, outcome[1])
    assert session.scalar(select(func.count()).select_from(BankOpenPosting).where(
        BankOpenPosting.bank_account_id == second.id)) == 6
    agrees(session, second)


@pytest.mark.parametrize("amount", [1, -1])
def test_a_row_is_never_zero(session, bank, treasurer, amount):
    with transaction():
        posting = book(session, treasurer, TODAY, amount, "Cent")
    bank_line, = statement(session, bank, treasurer, [line(amount, "cent")])
    with transaction():
        services.accept(session, bank, lines=[bank_line], items=[("posting", str(posting.id))],
                        actor=treasurer, settings=app_settings())
    assert session.get(BankOpenPosting, posting.id) is None
    agrees(session, bank)
