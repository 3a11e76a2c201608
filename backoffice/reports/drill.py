"""From a figure to the postings behind it, and from a posting to its source document.

The postings come through the ledger's read API (``reads.postings_view``), filtered as the
figure's ``Drill`` says and paged by key (date, id), never by offset.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import and_, or_, select

from ..core.signals import source_pages
from ..ledger.reads import chart_accounts, postings_view
from .scope import fund_rows

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from .statements import Drill

PAGE_SIZE = 100


@dataclass(frozen=True)
class PostingRow:
    id: int
    entry_id: int
    booking_date: date
    description: str
    account_id: int
    fund_id: int
    amount: int
    currency: str
    source_kind: str | None
    source_id: str | None

    def source_page(self) -> tuple[str, dict] | None:
        """(endpoint, arguments) of the source document's page, when it has one."""
        target = source_pages().get(self.source_kind or "")
        if target is None or not (self.source_id or "").isdigit():
            return None
        endpoint, name = target
        return endpoint, {name: int(self.source_id)}


def account_ids_of(session: Session, drill: Drill) -> list[int] | None:
    if drill.account_id is not None:
        return [drill.account_id]
    if drill.account_type == "resource":
        return [a.id for a in chart_accounts(session) if a.type in ("asset", "liability")]
    if drill.account_type:
        return [a.id for a in chart_accounts(session) if a.type == drill.account_type]
    return None


def postings(session: Session, drill: Drill, *, after: tuple[date, int] | None = None,
             limit: int = PAGE_SIZE) -> list[PostingRow]:
    """The postings the figure sums, in date order, ``limit`` after the key ``after``."""
    view = postings_view()
    conditions = []
    accounts = account_ids_of(session, drill)
    if accounts is not None:
        conditions.append(view.c.account_id.in_(accounts))
    funds = drill.funds
    if drill.fund_group:  # a fund group's column: its funds (within ``funds`` when given)
        funds = tuple(row.fund.id for row in fund_rows(session) if row.group == drill.fund_group
                      and (not drill.funds or row.fund.id in drill.funds)) or (-1,)
    if funds:
        conditions.append(view.c.fund_id.in_(funds))
    if drill.start:
        conditions.append(view.c.booking_date >= drill.start)
    if drill.end:
        conditions.append(view.c.booking_date <= drill.end)
    if after is not None:
        day, posting_id = after
        conditions.append(or_(view.c.booking_date > day,
                              and_(view.c.booking_date == day, view.c.id > posting_id)))
    rows = session.execute(
        select(view.c.id, view.c.entry_id, view.c.booking_date, view.c.description,
               view.c.account_id, view.c.fund_id, view.c.amount, view.c.currency,
               view.c.source_kind, view.c.source_id)
        .where(*conditions).order_by(view.c.booking_date, view.c.id).limit(limit))
    return [PostingRow(*row) for row in rows]
