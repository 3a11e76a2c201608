"""The ledger's invariants, checked against what is actually stored (``backoffice ledger verify``):
every entry keeps the rules of ``checks`` that hold for stored entries (it balances, per
currency and per fund), the cached totals equal the postings, and the hash chain over the entries
and the audit log holds (nothing changed, removed or slipped in past the application)."""
from __future__ import annotations

from itertools import groupby

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from ..core import chain
from . import checks, totals
from .chart import Account, Fund
from .models import JournalEntry, Posting


def entry_problems(session: Session, limit: int = 20) -> list[str]:
    """What the ledger's rules for stored entries (``checks.STORED``) find, entry by entry (at
    most ``limit`` per rule)."""
    accounts = {a.id: a for a in session.scalars(select(Account))}
    funds = {f.id: f for f in session.scalars(select(Fund))}
    rows = session.execute(
        select(JournalEntry.id, JournalEntry.booking_date, JournalEntry.description,
               Posting.account_id, Posting.fund_id, Posting.amount, Posting.currency, Posting.memo)
        .outerjoin(Posting, Posting.entry_id == JournalEntry.id)
        .order_by(JournalEntry.id, Posting.line_no)).yield_per(5000)
    found: list[str] = []
    per_rule: dict[checks.Check, int] = dict.fromkeys(checks.STORED, 0)
    for (entry_id, day, description), postings in groupby(rows, key=lambda row: tuple(row[:3])):
        lines = [checks.Line(accounts.get(row.account_id), funds.get(row.fund_id),
                             checks.Amount(row.amount, row.currency), row.memo)
                 for row in postings if row.account_id is not None]
        draft = checks.Draft(day, description, lines)
        for check in checks.STORED:
            if per_rule[check] < limit and (problem := check(draft)) is not None:
                per_rule[check] += 1
                found.append(f"entry #{entry_id}: {problem.message}")
    return found


def problems(session: Session, limit: int = 20) -> list[str]:
    """Every broken invariant found (at most ``limit`` of each kind); empty for a sound ledger."""
    found: list[str] = []
    found.extend(entry_problems(session, limit))
    original = aliased(JournalEntry)
    chained = (select(JournalEntry.id, original.id)
               .join(original, JournalEntry.reverses_id == original.id)
               .where(original.reverses_id.is_not(None)).limit(limit))
    for reversal_id, original_id in session.execute(chained):
        found.append(f"entry #{reversal_id} reverses #{original_id}, which is itself a reversal")
    interfund = (select(Posting.currency, func.sum(Posting.amount))
                 .join(Account, Account.id == Posting.account_id)
                 .where(Account.role == checks.INTERFUND_ROLE).group_by(Posting.currency)
                 .having(func.sum(Posting.amount) != 0))
    for currency, amount in session.execute(interfund):
        found.append(f"the interfund account does not net to zero in {currency}: {amount}")
    found.extend(totals.differences(session, limit))
    # Last: the chain (entries, postings and the audit log as written) names the first changed row.
    found.extend(chain.problems(session, limit))
    return found
