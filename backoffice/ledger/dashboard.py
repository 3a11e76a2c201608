"""The ledger's panel on the start page."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core import clock
from ..core.permissions import Permission
from .balances import by_fund, currency_totals, fund_balances
from .chart import Fund
from .models import JournalEntry, Period
from .queries import JournalFilter, journal_page


@dataclass
class LedgerSummary:
    funds: list[tuple[Fund, dict[str, int]]]
    totals: dict[str, int]
    recent: list[JournalEntry]
    last_closed: Period | None


def summary(session: Session, today: date) -> LedgerSummary:
    balances = by_fund(fund_balances(session, today))
    funds = session.scalars(select(Fund).where(Fund.active.is_(True)).order_by(Fund.kind, Fund.code)).all()
    rows = [(fund, balances.get(fund.id, {})) for fund in funds]
    totals = currency_totals(mine for _, mine in rows)
    last_closed = session.scalar(select(Period).where(Period.closed.is_(True))
                                 .order_by(Period.end.desc()).limit(1))
    recent = journal_page(session, JournalFilter(), limit=8).entries
    return LedgerSummary(rows, totals, recent, last_closed)


def start_page_panel(sender: object, *, session: Session, user, **kwargs: Any) -> dict | None:
    """The books on the start page, for those who may read the ledger (``page_panels``)."""
    if not user.can(Permission.LEDGER_VIEW):
        return None
    return {"ledger": summary(session, clock.today())}
