"""Read-only views of a bank account: balances per bank and per books on any date, the
difference explained line by line, statement continuity, the queue of open lines."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import Date, Integer, and_, bindparam, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from ..core.db import constant, planned_once
from ..core.i18n import _
from ..core.money import Money
from ..core.tables import DATE, INTEGER, MONEY, Column, Table
from ..ledger.balances import account_balances
from ..ledger.reads import postings_by_id, postings_view
from .models import BankAccount, BankLine, BankMatch, BankMatchItem, BankMatchLine, BankStatement
from .providers import unreconciled_postings

if TYPE_CHECKING:
    from sqlalchemy import BindParameter, ScalarSelect, Select

    from ..ledger.models import Posting

# --- continuity --------------------------------------------------------------------------------


@dataclass
class StatementCheck:
    statement: BankStatement
    problems: list[str]


def continuity(session: Session, bank_account: BankAccount) -> list[StatementCheck]:
    """Statements in date order, each with what is wrong: an opening balance that is not the
    previous closing balance (a statement missing, or one imported twice with other figures),
    a jump in the sequence numbers, entries that do not add up to the closing balance.

    A statement that overlaps the one before it (a file exported for days partly imported
    already) is compared with that statement's balance on the day before it starts, which the
    lines show (each line is stored once, whichever statement brought it): an overlap is not a
    gap."""
    statements = list(session.scalars(
        select(BankStatement).where(BankStatement.bank_account_id == bank_account.id)
        .order_by(BankStatement.start_date, BankStatement.end_date, BankStatement.id)))
    checks = []
    previous = None  # the statement that reaches furthest so far
    for statement in statements:
        problems = []
        if not statement.adds_up:
            problems.append(_("its entries do not add up to its closing balance"))
        if previous is not None and statement.opening is not None and previous.closing is not None:
            if statement.opening == previous.closing:
                if previous.sequence.isdigit() and statement.sequence.isdigit() and \
                        int(statement.sequence) > int(previous.sequence) + 1:
                    problems.append(_("sequence jumps from %(previous)s to %(next)s",
                                      previous=previous.sequence, next=statement.sequence))
            elif not _overlap_agrees(session, bank_account, previous, statement):
                gap = previous.end_date < statement.start_date - timedelta(days=1)
                day = previous.end_date.isoformat()
                problems.append(
                    _("gap: opening balance differs from the closing balance of the statement "
                      "of %(day)s", day=day) if gap else
                    _("mismatch: opening balance differs from the closing balance of the "
                      "statement of %(day)s", day=day))
        checks.append(StatementCheck(statement, problems))
        if previous is None or statement.end_date >= previous.end_date:
            previous = statement
    return checks


def _overlap_agrees(session: Session, bank_account: BankAccount, previous: BankStatement,
                    statement: BankStatement) -> bool:
    """Whether ``statement`` starts within ``previous`` with the balance the lines give for
    the day before it starts (the previous opening plus every line booked in between)."""
    if statement.start_date > previous.end_date or previous.opening is None:
        return False
    moved = session.scalar(select(func.coalesce(func.sum(BankLine.amount), 0)).where(
        BankLine.bank_account_id == bank_account.id,
        BankLine.booking_date >= previous.start_date,
        BankLine.booking_date < statement.start_date))
    return statement.opening == previous.opening + int(moved)


# --- balances and the difference ---------------------------------------------------------------


@dataclass
class Difference:
    as_of: date
    bank_balance: int | None
    books_balance: int
    currency: str
    not_in_books: list[BankLine] = field(default_factory=list)   # open bank lines
    not_at_bank: list[tuple[Posting, int]] = field(default_factory=list)  # (posting, open part)
    #: books - bank, explained by the two lists; what is left is unexplained.
    unexplained: int = 0

    @property
    def difference(self) -> int | None:
        return None if self.bank_balance is None else self.books_balance - self.bank_balance

    @property
    def total_not_in_books(self) -> int:
        return sum(line.amount for line in self.not_in_books)

    @property
    def total_not_at_bank(self) -> int:
        return sum(amount for _, amount in self.not_at_bank)


def bank_balance(session: Session, bank_account: BankAccount, as_of: date) -> int | None:
    """The bank's balance at the end of ``as_of``: the first statement's opening balance plus
    every line booked since, up to that day. None before the first statement."""
    first = session.scalar(
        select(BankStatement).where(BankStatement.bank_account_id == bank_account.id,
                                    BankStatement.opening.is_not(None))
        .order_by(BankStatement.start_date, BankStatement.id).limit(1))
    if first is None:
        if bank_account.reconcile_from is None or as_of < bank_account.reconcile_from:
            return None
        anchor = books_balance(session, bank_account, bank_account.reconcile_from - timedelta(1))
        start = bank_account.reconcile_from
    else:
        if as_of < first.start_date - timedelta(days=1):
            return None
        anchor, start = first.opening, first.start_date
    moved = session.scalar(select(func.coalesce(func.sum(BankLine.amount), 0)).where(
        BankLine.bank_account_id == bank_account.id, BankLine.booking_date >= start,
        BankLine.booking_date <= as_of))
    return anchor + int(moved)


def books_balance(session: Session, bank_account: BankAccount, as_of: date) -> int:
    balances = account_balances(session, as_of, account_ids=[bank_account.ledger_account_id])
    return balances.get((bank_account.ledger_account_id, bank_account.currency), 0)


def difference(session: Session, bank_account: BankAccount, as_of: date) -> Difference:
    """Balances per bank and per books at the end of ``as_of``, and why they differ.

    Seen from that day: a bank line counts as *not in the books* when it is open, or when what
    confirmed it is booked only later; a posting counts as *not at the bank* when no bank line
    of that day or earlier confirmed it (for an instalment: the part not yet confirmed)."""
    result = Difference(as_of, bank_balance(session, bank_account, as_of),
                        books_balance(session, bank_account, as_of), bank_account.currency)
    start = bank_account.reconcile_from or date.min
    posting = postings_view()
    # Lines up to the day that are open, or whose match's postings are dated after it.
    later_booked = (
        select(BankMatchLine.bank_line_id)
        .join(BankMatch, BankMatch.id == BankMatchLine.match_id)
        .join(BankMatchItem, BankMatchItem.match_id == BankMatch.id)
        .join(posting, posting.c.id == BankMatchItem.posting_id)
        .where(BankMatch.undone_at.is_(None), BankMatchItem.active.is_(True),
               posting.c.booking_date > as_of))
    later_entry = (
        select(BankMatchLine.bank_line_id)
        .join(BankMatch, BankMatch.id == BankMatchLine.match_id)
        .join(posting, and_(posting.c.entry_id == BankMatch.journal_entry_id,
                            posting.c.account_id == bank_account.ledger_account_id))
        .where(BankMatch.undone_at.is_(None), posting.c.booking_date > as_of))
    result.not_in_books = list(session.scalars(
        select(BankLine).where(
            BankLine.bank_account_id == bank_account.id, BankLine.booking_date <= as_of,
            BankLine.booking_date >= start,
            or_(BankLine.status == "open", BankLine.id.in_(later_booked),
                BankLine.id.in_(later_entry)))
        .order_by(BankLine.booking_date.desc(), BankLine.id.desc())))
    # Postings up to the day, less what lines of that day or earlier confirmed.
    rows = unreconciled_postings(session, bank_account, until=as_of, since=start)
    confirmed = dict(session.execute(
        select(BankMatchItem.posting_id, func.sum(BankMatchItem.amount))
        .join(BankMatch, BankMatch.id == BankMatchItem.match_id)
        .where(BankMatch.bank_account_id == bank_account.id, BankMatchItem.active.is_(True),
               BankMatchItem.posting_id.is_not(None),
               BankMatch.id.in_(select(BankMatchLine.match_id).join(
                   BankLine, BankLine.id == BankMatchLine.bank_line_id)
                   .where(BankLine.booking_date <= as_of)))
        .group_by(BankMatchItem.posting_id)).all())
    postings = postings_by_id(session, [row[0] for row in rows
                                        if row[1] - confirmed.get(row[0], 0)])
    for posting_id, amount, *_rest in rows:
        open_part = amount - int(confirmed.get(posting_id, 0))
        if open_part:
            result.not_at_bank.append((postings[posting_id], open_part))
    result.not_at_bank.sort(key=lambda pair: (pair[0].booking_date, pair[0].id), reverse=True)
    if result.bank_balance is not None:
        result.unexplained = (result.books_balance - result.bank_balance) - (
            result.total_not_at_bank - result.total_not_in_books)
    return result


# --- the queue ---------------------------------------------------------------------------------


def open_lines_page(session: Session, bank_account: BankAccount, *, page: int = 1, per_page: int = 25):
    """Open lines newest first, one page, and how many there are in all."""
    conditions = [BankLine.bank_account_id == bank_account.id, BankLine.status == "open"]
    total = session.scalar(select(func.count()).select_from(BankLine).where(*conditions))
    lines = list(session.scalars(
        select(BankLine).where(*conditions)
        .order_by(BankLine.booking_date.desc(), BankLine.id.desc())
        .offset((page - 1) * per_page).limit(per_page)))
    return lines, total


def open_lines_after(session: Session, bank_account: BankAccount, after: BankLine | None, *,
                     limit: int, counts: bool = False) -> QueuePart:
    """The next ``limit`` open lines, newest first, after ``after`` (in that order; a line
    matched meanwhile still marks the place), and whether more follow. A page fetches the
    next lines from its last one: lines matched on it meanwhile do not shift what comes next.
    With ``counts``: ``queue_counts`` too, read with the lines (issue 17: a statement of its
    own), or alone when there are none."""
    parameters = {"bank_account_id": bank_account.id, "limit": limit + 1}
    if after is not None:
        parameters.update(after_date=after.booking_date, after_id=after.id)
    statement = _open_lines(after is not None, counts)
    if not counts:
        lines = list(session.scalars(statement, parameters))
        return QueuePart(lines[:limit], len(lines) > limit)
    rows = session.execute(statement, parameters).all()
    lines = [line for line, *_ in rows]
    open_lines, to_review = rows[0][1:] if rows else queue_counts(session, bank_account)
    return QueuePart(lines[:limit], len(lines) > limit, open_lines, to_review)


@cache
def _open_lines(after: bool, counts: bool) -> Select:
    """``open_lines_after``'s statement, built once per process for each shape (issue 17)."""
    statement = select(BankLine).where(BankLine.bank_account_id == bindparam("bank_account_id"),
                                       BankLine.status == constant("open"))
    if after:
        day = bindparam("after_date", type_=Date)
        statement = statement.where(or_(BankLine.booking_date < day, and_(
            BankLine.booking_date == day, BankLine.id < bindparam("after_id"))))
    statement = statement.order_by(BankLine.booking_date.desc(),
                                   BankLine.id.desc()).limit(bindparam("limit", type_=Integer))
    return statement.add_columns(*_counts(bindparam("bank_account_id"))) if counts else statement


def account_queue(session: Session, bank_account_id: int, *,
                  limit: int) -> tuple[BankAccount | None, QueuePart]:
    """The bank account with ``open_lines_after``'s first ``limit`` lines and both counts, in
    one statement (issue 17: the account was a statement of its own on every page of the queue);
    (None, no lines) when there is no such account."""
    rows = session.execute(_account_queue(), {"bank_account_id": bank_account_id,
                                              "limit": limit + 1}).all()
    if not rows:
        return None, QueuePart([], False)
    account, _line, open_lines, to_review = rows[0]
    lines = [line for _account, line, *_counts in rows if line is not None]
    return account, QueuePart(lines[:limit], len(lines) > limit, open_lines, to_review)


@cache
def _account_queue() -> Select:
    """``account_queue``'s statement, built once per process: the account joined to the page of
    its lines (``_open_lines``' statement as a subquery, its order and limit kept), so that an
    account without open lines still comes, once."""
    # Its account's id, page size and constants in its text: with them as parameters
    # PostgreSQL planned it afresh on every page of the queue (``planned_once``; each part
    # apart, before the lines' entity is aliased to the page).
    page = planned_once(_open_lines(False, False)).subquery("page")
    line = aliased(BankLine, page)
    account_id = bindparam("bank_account_id", literal_execute=True)
    return (select(BankAccount, line, *map(planned_once, _counts(account_id)))
            .outerjoin(page, true())
            .where(BankAccount.id == account_id)
            .order_by(page.c.booking_date.desc(), page.c.id.desc()))


class QueuePart(NamedTuple):
    """``open_lines_after``: lines of the queue, whether more follow, and the account's open
    lines and matches to review when asked."""

    lines: list[BankLine]
    more: bool
    total: int | None = None
    to_review: int | None = None


def queue_counts(session: Session, bank_account: BankAccount) -> tuple[int, int]:
    """The account's open lines and ``review_count``, in one statement (the queue shows both)."""
    open_lines, to_review = session.execute(select(*_counts(bank_account.id))).one()
    return open_lines, to_review


def _counts(bank_account_id: int | BindParameter) -> tuple[ScalarSelect, ScalarSelect]:
    return (select(func.count()).select_from(BankLine).where(
        BankLine.bank_account_id == bank_account_id, BankLine.status == "open")
        .scalar_subquery(), _review_count(bank_account_id).scalar_subquery())


def review_count(session: Session, bank_account: BankAccount) -> int:
    """How many matches ``to_review`` lists (without loading them)."""
    return session.scalar(_review_count(bank_account.id))


def _review_count(bank_account_id: int | BindParameter) -> Select:
    return select(func.count()).select_from(BankMatch).where(*_unreviewed(bank_account_id))


def _unreviewed(bank_account_id: int | BindParameter) -> list:
    return [BankMatch.bank_account_id == bank_account_id, BankMatch.how.in_(("auto", "rule")),
            BankMatch.undone_at.is_(None), BankMatch.reviewed_at.is_(None)]


def to_review(session: Session, bank_account: BankAccount, limit: int = 200) -> list[BankMatch]:
    """Matches made without the treasurer (auto-accepted, by rules) not yet looked at."""
    return list(session.scalars(
        select(BankMatch).where(*_unreviewed(bank_account.id)).order_by(BankMatch.id.desc()).limit(limit)))


def open_lines_table(session: Session, bank_account: BankAccount) -> Table:
    """The reconciliation queue (every open line of the account, newest first) as a table to
    download."""
    lines, _total = open_lines_page(session, bank_account, per_page=10**9)
    return Table(f"bank-lines-{bank_account.id}", (
        Column("Line", INTEGER), Column("Booking date", DATE), Column("Value date", DATE),
        Column("Amount", MONEY), Column("Counterparty"), Column("Counterparty IBAN", width=24),
        Column("Remittance", width=50), Column("Bank reference", width=20),
        Column("Status", width=10)),
        ((line.id, line.booking_date, line.value_date, Money(line.amount, line.currency),
          line.counterparty_name, line.counterparty_iban, line.remittance, line.bank_reference,
          line.status) for line in lines))
