"""Posting to the ledger, reversing, moving money between funds, keeping accounts, funds, periods.

Every function works inside the caller's transaction and never commits: the document that causes
a posting, the posting and the audit record commit together (see ``core.db.transaction``).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import Insert, Select, bindparam, event, exists, func, insert, inspect, select, text
from sqlalchemy.orm import Session

from ..core import audit, clock
from ..core.actors import Actor
from ..core.db import utcnow
from ..core.errors import NotFound, ValidationError
from ..core.i18n import _
from ..core.money import Money
from ..core.signals import entries_posted
from . import totals
from .balances import fund_balance
from .chart import Account, AccountType, Fund, FundKind
from .checks import (  # noqa: F401 (ClosedPeriod, UnbalancedEntry: the errors posting raises)
    INTERFUND_ROLE,
    ClosedPeriod,
    Draft,
    Line,
    UnbalancedEntry,
    balanced_per_fund,
    check_entry,
    first_problem,
)
from .models import JournalEntry, Period, Posting
from .periods import FiscalYear, PeriodKind

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement

FUND_TRANSFERS_ROLE = "fund_transfers"


# --- lookups ---------------------------------------------------------------------------------

_ROLES = "backoffice.ledger.account_roles"


@cache
def _statements() -> dict[str, Select | Insert]:
    """The statements every booking sends, built once (the webhooks' hot path), not built and
    their cache keys computed again on every call."""
    day = bindparam("day")
    return {
        "roles": select(Account).where(Account.role.is_not(None)),
        "general": select(Fund).where(Fund.kind == FundKind.GENERAL),
        "closed": select(Period).where(Period.closed.is_(True), Period.start <= day,
                                       Period.end >= day)
        .order_by(Period.kind.desc()),  # name the fiscal year before the month
        "postings": insert(Posting.__table__),
    }


def account_by_role(session: Session, role: str) -> Account:
    """The account with ``role``. A booking asks for several roles (what received the money, the
    income, the fees, the admin fee and its interfund lines): one query reads every account that
    has a role and the session keeps them (its identity map holds rows only weakly) until a
    commit or rollback expires them; meanwhile each ask takes the kept row (checked to have that
    role still), so a unit of work reads the roles once."""
    known = session.info.get(_ROLES)
    account = known.get(role) if known else None
    if account is None or account not in session or inspect(account).expired:
        known = session.info[_ROLES] = {
            account.role: account
            for account in session.scalars(_statements()["roles"])}
        account = known.get(role)
    if account is not None and account.role == role:
        return account
    account = session.scalar(select(Account).where(Account.role == role))
    if account is None:
        raise NotFound(f"The chart of accounts has no account for {role!r}.")
    known[role] = account
    return account


def account_by_code(session: Session, code: str) -> Account:
    account = session.scalar(select(Account).where(Account.code == code))
    if account is None:
        raise NotFound(_("There is no account %(code)s.", code=code))
    return account


def fund_by_code(session: Session, code: str) -> Fund:
    fund = session.scalar(select(Fund).where(Fund.code == code))
    if fund is None:
        raise NotFound(_("There is no fund %(code)s.", code=code))
    return fund


_GENERAL = "backoffice.ledger.general_fund"


def general_fund(session: Session) -> Fund:
    """The general fund; kept in the session like the accounts by role (``account_by_role``)
    until a commit or rollback expires it, so a unit of work reads it once."""
    fund = session.info.get(_GENERAL)
    if fund is not None and fund in session and not inspect(fund).expired \
            and fund.kind is FundKind.GENERAL:
        return fund
    fund = session.scalar(_statements()["general"])
    if fund is None:
        raise NotFound(_("The ledger has no general fund."))
    session.info[_GENERAL] = fund
    return fund


# --- periods ---------------------------------------------------------------------------------

_CLOSED = "backoffice.ledger.closed_periods"


def closed_period_on(session: Session, day: date) -> Period | None:
    """The closed period ``day`` lies in, or None. A booking asks twice for its day (where to
    book it, then the posting's check): the answer is kept for the rest of the transaction (or
    savepoint) unless this session writes a period meanwhile (``_forget_periods``)."""
    known = session.info.setdefault(_CLOSED, {})
    if day not in known:
        known[day] = session.scalar(_statements()["closed"], {"day": day})
    return known[day]


@event.listens_for(Session, "after_transaction_end")
def _forget_periods(session: Session, transaction: object) -> None:
    session.info.pop(_CLOSED, None)


@event.listens_for(Session, "before_flush")
def _forget_changed_periods(session: Session, flush_context: object, instances: object) -> None:
    if _CLOSED in session.info and any(isinstance(obj, Period) for obj in (
            *session.new, *session.dirty, *session.deleted)):
        session.info.pop(_CLOSED, None)


def booking_date_for(session: Session, day: date, today: date | None = None) -> date:
    """Where something that happened on ``day`` is booked: on ``day`` while its period is open,
    else today (a document, payment or bank line dated in a closed month or year, a reversal)."""
    return day if closed_period_on(session, day) is None else (today or clock.today())


def set_period_closed(session: Session, kind: PeriodKind, start: date, closed: bool, *, actor: Actor,
                      fiscal_year: FiscalYear) -> Period:
    """Close (or reopen) the month or fiscal year that ``start`` lies in."""
    kind = PeriodKind(kind)
    first, last = fiscal_year.bounds(kind, start)
    period = session.scalar(select(Period).where(Period.kind == kind, Period.start == first))
    if period is None:
        if not closed:
            raise ValidationError(_("The %(value)s starting %(first)s is not closed.", value=kind.value, first=first))
        period = Period(kind=kind, start=first, end=last, closed=True,
                        changed_by_id=getattr(actor, "id", None))
        session.add(period)
    elif period.closed == closed:
        raise ValidationError(_("The %(label)s is already %(value)s.", label=period.label, value='closed' if closed else 'open'))
    else:
        period.closed = closed
        period.changed_by_id = getattr(actor, "id", None)
        period.changed_at = utcnow()
    session.flush()
    audit.record(session, actor, "period.closed" if closed else "period.reopened", "period",
                 period.id, summary=period.label, before={"closed": not closed}, after={"closed": closed})
    return period


# --- posting ---------------------------------------------------------------------------------

def interfund_lines(session: Session, lines: Sequence[Line], *,
                    interfund: Account | None = None) -> list[Line]:
    """Lines on the interfund account that make each fund balance on its own (``interfund``:
    the account, when the caller has looked it up already)."""
    per_fund: dict[tuple[int, str], int] = defaultdict(int)
    funds = {}
    for line in lines:
        per_fund[(line.fund.id, line.amount.currency)] += line.amount.amount
        funds[line.fund.id] = line.fund
    unbalanced = {key: value for key, value in per_fund.items() if value}
    if not unbalanced:
        return []
    interfund = interfund or account_by_role(session, INTERFUND_ROLE)
    return [Line(interfund, funds[fund_id], Money(-value, currency), "Interfund")
            for (fund_id, currency), value in sorted(unbalanced.items())]


def post_entry(session: Session, *, booking_date: date, description: str, lines: Sequence[Line], actor: Actor,
               source: tuple[str, object] | None = None, reverses: JournalEntry | None = None,
               _allow_interfund: bool = False) -> JournalEntry:
    """Validate and post an entry; the ledger adds interfund lines where funds differ.

    Raises ``ValidationError`` (``UnbalancedEntry``, ``ClosedPeriod``) before writing anything.
    """
    lines = list(lines)
    dated = isinstance(booking_date, date) and not isinstance(booking_date, datetime)
    closed = closed_period_on(session, booking_date) if dated else None
    check_entry(Draft(booking_date, description, lines, closed_period=closed.label if closed else None,
                      allow_interfund=_allow_interfund))
    description = description.strip()
    lines += interfund_lines(session, lines)
    if (problem := first_problem(Draft(booking_date, description, lines),
                                 (balanced_per_fund,))) is not None:
        raise problem.exception()

    entry = JournalEntry(
        booking_date=booking_date, description=description,
        source_kind=source[0] if source else None,
        source_id=str(source[1]) if source and source[1] is not None else None,
        posted_by_id=getattr(actor, "id", None), reverses_id=reverses.id if reverses else None,
    )
    session.add(entry)
    session.flush()
    # The postings in one statement (the ORM inserts them one by one on SQLite, which cannot
    # say in which order RETURNING gives their ids); ``entry.postings`` loads them when asked
    # (the hash chain does at the commit).
    postings = [totals.PostingRow(line.account.id, line.fund.id, line.amount.amount,
                                  line.amount.currency, booking_date) for line in lines]
    session.execute(_statements()["postings"], [
        {"entry_id": entry.id, "line_no": number, "account_id": row.account_id,
         "fund_id": row.fund_id, "amount": row.amount, "currency": row.currency,
         "booking_date": booking_date, "memo": line.memo or None}
        for number, (row, line) in enumerate(zip(postings, lines, strict=True), 1)])
    session.expire(entry, ["postings"])
    # Before the totals, whose rows other transactions lock too: a receiver that waits for a
    # lock (banking's, on its bank account) holds none of them meanwhile.
    entries_posted.send(None, session=session, entry_ids=[entry.id],
                        reversed_ids=[entry.reverses_id] if entry.reverses_id else [],
                        accounts={(row.account_id, row.currency) for row in postings})
    totals.add_postings(session, postings, resources={
        line.account.id for line in lines if line.account.type in totals.RESOURCE_TYPES})
    audit.record(session, actor, "ledger.entry_posted", "journal_entry", entry.id,
                 summary=f"{entry.ref} {booking_date} {description}")
    return entry


def hold_postings(session: Session) -> None:
    """Wait until the transactions posting now have ended, and keep others from posting until
    this one ends: for a package that starts keeping something of every posting on an account
    (banking's open bank postings of a new bank account), so that no posting is made between
    its reading the postings and its receiver (``entries_posted``) knowing the account.
    PostgreSQL: the postings in SHARE mode; SQLite: a transaction that writes holds the
    database's one write lock already."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"LOCK TABLE {Posting.__tablename__} IN SHARE MODE"))


def reversal_of(session: Session, entry: JournalEntry) -> JournalEntry | None:
    return session.scalar(select(JournalEntry).where(JournalEntry.reverses_id == entry.id))


def reverse_entry(session: Session, entry: JournalEntry, *, actor: Actor, reason: str,
                  booking_date: date | None = None) -> JournalEntry:
    """Post the exact opposite of ``entry``, linked to it. An entry is reversed at most once.

    Without a date the reversal takes the original's date if that period is open, else today.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why the entry is reversed."), field="reason")
    if entry.reverses_id is not None:
        raise ValidationError(
            _("Entry %(ref)s is itself the reversal of #%(reverses_id)s and cannot be reversed. Post a new entry instead.", ref=entry.ref, reverses_id=entry.reverses_id))
    existing = reversal_of(session, entry)
    if existing is not None:
        raise ValidationError(_("Entry %(ref)s was already reversed by %(ref2)s.", ref=entry.ref, ref2=existing.ref))
    if booking_date is None:
        booking_date = booking_date_for(session, entry.booking_date)
    lines = [Line(p.account, p.fund, Money(-p.amount, p.currency), p.memo) for p in entry.postings]
    # Two reversals racing each other: the unique ``reverses_id`` refuses the second at flush.
    return post_entry(
        session, booking_date=booking_date, description=f"Reversal of {entry.ref}: {reason}"[:500],
        lines=lines, actor=actor, reverses=entry, _allow_interfund=True,
        source=(entry.source_kind, entry.source_id) if entry.source_kind else None)


def transfer_between_funds(session: Session, *, from_fund: Fund, to_fund: Fund, amount: Money,
                           booking_date: date, description: str, actor: Actor) -> JournalEntry:
    """Move net assets from one fund to another; the ledger adds the interfund lines."""
    if from_fund.id == to_fund.id:
        raise ValidationError(_("Choose two different funds."), field="to_fund")
    if amount.amount <= 0:
        raise ValidationError(_("The amount to transfer must be positive."), field="amount")
    transfers = account_by_role(session, FUND_TRANSFERS_ROLE)
    return post_entry(
        session, booking_date=booking_date, description=description, actor=actor,
        source=("fund_transfer", None),
        lines=[Line(transfers, from_fund, amount, f"To {to_fund.code}"),
               Line(transfers, to_fund, -amount, f"From {from_fund.code}")])


# --- chart of accounts and funds ---------------------------------------------------------------

def _has_postings(session: Session, column: ColumnElement[int], value: int) -> bool:
    return session.scalar(select(exists().where(column == value)))


def _check_code(code: str) -> str:
    code = (code or "").strip()
    if not code or len(code) > 20 or not all(ch.isalnum() or ch in "-._" for ch in code):
        raise ValidationError(_("Use a code of up to 20 letters, digits, dots or dashes."), field="code")
    return code


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ValidationError(_("Give a name of up to 200 characters."), field="name")
    return name


def create_account(session: Session, *, code: str, name: str, type: AccountType, actor: Actor,
                   description: str = "") -> Account:
    code, name = _check_code(code), _check_name(name)
    if session.scalar(select(Account).where(Account.code == code)):
        raise ValidationError(_("Account %(code)s already exists.", code=code), field="code")
    account = Account(code=code, name=name, type=AccountType(type), description=(description or "").strip())
    session.add(account)
    session.flush()
    audit.record(session, actor, "account.created", "account", account.id, summary=account.label,
                 after={"code": code, "name": name, "type": account.type})
    return account


def update_account(session: Session, account: Account, *, actor: Actor, code: str, name: str, active: bool,
                   description: str = "") -> Account:
    code, name = _check_code(code), _check_name(name)
    if code != account.code:
        if _has_postings(session, Posting.account_id, account.id):
            raise ValidationError(_("The code of an account with postings cannot change."), field="code")
        if session.scalar(select(Account).where(Account.code == code, Account.id != account.id)):
            raise ValidationError(_("Account %(code)s already exists.", code=code), field="code")
    if not active and account.active:
        if account.role:
            raise ValidationError(_("%(label)s is used by the application (%(role)s) and cannot be deactivated.", label=account.label, role=account.role), field="active")
        balance = session.scalar(select(func.coalesce(func.sum(Posting.amount), 0))
                                 .where(Posting.account_id == account.id))
        if balance:
            raise ValidationError(_("%(label)s still has a balance; move it to another account before deactivating.", label=account.label), field="active")
    new = {"code": code, "name": name, "active": active, "description": (description or "").strip()}
    before, after = audit.changes(account, list(new), new)
    if not after:
        return account
    for key, value in after.items():
        setattr(account, key, value)
    session.flush()
    audit.record(session, actor, "account.updated", "account", account.id, summary=account.label,
                 before=before, after=after)
    return account


def create_fund(session: Session, *, code: str, name: str, actor: Actor, description: str = "") -> Fund:
    code, name = _check_code(code), _check_name(name)
    if session.scalar(select(Fund).where(Fund.code == code)):
        raise ValidationError(_("Fund %(code)s already exists.", code=code), field="code")
    fund = Fund(code=code, name=name, kind=FundKind.RESTRICTED, description=(description or "").strip())
    session.add(fund)
    session.flush()
    audit.record(session, actor, "fund.created", "fund", fund.id, summary=fund.label,
                 after={"code": code, "name": name})
    return fund


def update_fund(session: Session, fund: Fund, *, actor: Actor, name: str, active: bool,
                description: str = "") -> Fund:
    name = _check_name(name)
    if not active and fund.active:
        if fund.kind is FundKind.GENERAL:
            raise ValidationError(_("The general fund cannot be deactivated."), field="active")
        if any(fund_balance(session, fund.id, date.max).values()):
            raise ValidationError(_("Fund %(label)s still holds money; transfer it out before deactivating.", label=fund.label), field="active")
    new = {"name": name, "active": active, "description": (description or "").strip()}
    before, after = audit.changes(fund, list(new), new)
    if not after:
        return fund
    for key, value in after.items():
        setattr(fund, key, value)
    session.flush()
    audit.record(session, actor, "fund.updated", "fund", fund.id, summary=fund.label,
                 before=before, after=after)
    return fund
