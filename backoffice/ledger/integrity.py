"""The ledger's invariants, checked against what is actually stored (``backoffice ledger verify``):
every entry balances, the cached totals equal the postings, and the hash chain over the entries
and the audit log holds (nothing changed, removed or slipped in past the application)."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from ..core import chain
from . import totals
from .models import Account, JournalEntry, Posting
from .services import INTERFUND_ROLE


def problems(session, limit: int = 20) -> list[str]:
    """Every broken invariant found (at most ``limit`` of each kind); empty for a sound ledger."""
    found: list[str] = []
    per_currency = (select(Posting.entry_id, Posting.currency, func.sum(Posting.amount))
                    .group_by(Posting.entry_id, Posting.currency)
                    .having(func.sum(Posting.amount) != 0).limit(limit))
    for entry_id, currency, amount in session.execute(per_currency):
        found.append(f"entry #{entry_id} does not balance in {currency}: off by {amount}")
    per_fund = (select(Posting.entry_id, Posting.fund_id, Posting.currency, func.sum(Posting.amount))
                .group_by(Posting.entry_id, Posting.fund_id, Posting.currency)
                .having(func.sum(Posting.amount) != 0).limit(limit))
    for entry_id, fund_id, currency, amount in session.execute(per_fund):
        found.append(f"entry #{entry_id} does not balance in fund {fund_id} ({currency}): "
                     f"off by {amount}")
    line_counts = (select(JournalEntry.id).outerjoin(Posting, Posting.entry_id == JournalEntry.id)
                   .group_by(JournalEntry.id).having(func.count(Posting.id) < 2).limit(limit))
    for (entry_id,) in session.execute(line_counts):
        found.append(f"entry #{entry_id} has fewer than two postings")
    original = aliased(JournalEntry)
    chained = (select(JournalEntry.id, original.id)
               .join(original, JournalEntry.reverses_id == original.id)
               .where(original.reverses_id.is_not(None)).limit(limit))
    for reversal_id, original_id in session.execute(chained):
        found.append(f"entry #{reversal_id} reverses #{original_id}, which is itself a reversal")
    interfund = (select(Posting.currency, func.sum(Posting.amount))
                 .join(Account, Account.id == Posting.account_id)
                 .where(Account.role == INTERFUND_ROLE).group_by(Posting.currency)
                 .having(func.sum(Posting.amount) != 0))
    for currency, amount in session.execute(interfund):
        found.append(f"the interfund account does not net to zero in {currency}: {amount}")
    found.extend(totals.differences(session, limit))
    # Last: the chain (entries, postings and the audit log as written) names the first changed row.
    found.extend(chain.problems(session, limit))
    return found
