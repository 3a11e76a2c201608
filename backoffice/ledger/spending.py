"""The one door for spending a fund's money: lock the fund, then read what it holds.

Every approval that commits money from a fund (an expense claim, a grant award, a payout batch;
donation refunds later) calls ``locked_available`` (or ``lock_funds``) before it reads the
balance it decides on, so two approvals on one fund at the same moment are decided one after the
other and the second sees what the first spent:

- PostgreSQL: ``SELECT ... FOR UPDATE`` on the fund's row. The second approval waits there until
  the first commits (at most ``DATABASE_LOCK_TIMEOUT``, then "busy, try again").
- SQLite: ``FOR UPDATE`` does nothing; the transaction must hold SQLite's one write lock before it
  reads. ``core.db.transaction`` begins as the writer already (``BEGIN IMMEDIATE``); a transaction
  begun some other way takes the lock here by writing the fund's row without changing it.

Several funds are locked in the order of their ids, so that two transactions never wait for
each other in a circle.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from ..core.money import Money
from .balances import fund_balance
from .chart import Fund

_TOUCH = text("UPDATE funds SET active = active WHERE id IN :ids").bindparams(
    bindparam("ids", expanding=True))


def lock_funds(session: Session, funds: Iterable[Fund]) -> None:
    """Hold the funds until the transaction ends: nobody else spends from them meanwhile."""
    ids = sorted({fund.id for fund in funds})
    if not ids:
        return
    if session.get_bind().dialect.name == "sqlite":
        session.execute(_TOUCH, {"ids": ids})
    else:
        session.execute(select(Fund.id).where(Fund.id.in_(ids)).order_by(Fund.id)
                        .with_for_update())


def available(session: Session, fund: Fund, currency: str) -> Money:
    """What the fund holds in ``currency``, counting everything posted (future dates too).
    Without the lock: for showing, not for deciding."""
    return Money(fund_balance(session, fund.id, date.max).get(currency, 0), currency)


def locked_available(session: Session, fund: Fund, currency: str) -> Money:
    """Lock the fund, then what it holds: what an approval decides on."""
    lock_funds(session, [fund])
    return available(session, fund, currency)
