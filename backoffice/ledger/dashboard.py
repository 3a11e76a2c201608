"""The ledger's panel on the start page."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from .balances import fund_balances
from .models import Fund, JournalEntry, Period
from .queries import JournalFilter, journal_page


@dataclass
class LedgerSummary:
    funds: list[tuple[Fund, dict[str, int]]]
    totals: dict[str, int]
    recent: list[JournalEntry]
    last_closed: Period | None


def summary(session, today: date) -> LedgerSummary:
    balances = fund_balances(session, today)
    funds = session.scalars(select(Fund).where(Fund.active.is_(True)).order_by(Fund.kind, Fund.code)).all()
    rows, totals = [], {}
    for fund in funds:
        mine = {c: v for (f, c), v in balances.items() if f == fund.id}
        rows.append((fund, mine))
        for currency, amount in mine.items():
            totals[currency] = totals.get(currency, 0) + amount
    last_closed = session.scalar(select(Period).where(Period.closed.is_(True))
                                 .order_by(Period.end.desc()).limit(1))
    recent = journal_page(session, JournalFilter(), limit=8).entries
    return LedgerSummary(rows, totals, recent, last_closed)
