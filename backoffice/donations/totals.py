"""Cached totals of booked donations per (fund, month, currency, channel, recurring or not), so
that the donations page adds up a few hundred rows instead of every donation.

The rows change in the flush that changes the donations, in the same transaction (a Session
``after_flush`` hook, so every way the ORM books, reverses, fails or edits a donation keeps them
right): a donation counts while its status is booked, under the key its current values give, for
what is left of it after partial refunds. They
can be recomputed from the donations at any time (``rebuild``) and compared (``differences``);
statements that bypass the ORM (bulk inserts) must ``rebuild`` afterwards.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from functools import cache

from sqlalchemy import String, cast, delete, event, func, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .models import Donation, DonationStatus, DonationTotal

Key = tuple[int, date, str, str, bool]
_FIELDS = ("status", "fund_id", "donated_on", "currency", "channel", "recurring_plan_id",
           "amount", "refunded")


def month_of(day: date) -> date:
    return date(day.year, day.month, 1)


def _counted(values: dict) -> tuple[Key, int] | None:
    if values["status"] is not DonationStatus.BOOKED and values["status"] != "booked":
        return None
    channel = values["channel"]
    return ((values["fund_id"], month_of(values["donated_on"]), values["currency"],
             getattr(channel, "value", channel), values["recurring_plan_id"] is not None),
            values["amount"] - (values["refunded"] or 0))


def _before(donation: Donation) -> dict:
    """The values the database held before this flush (the columns are ``active_history``)."""
    state = inspect(donation)
    values = {}
    for name in _FIELDS:
        history = state.attrs[name].history
        values[name] = history.deleted[0] if history.deleted else (
            history.unchanged[0] if history.unchanged else getattr(donation, name))
    return values


def _after(donation: Donation) -> dict:
    return {name: getattr(donation, name) for name in _FIELDS}


@cache
def _upsert_statement(dialect: str):
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = DonationTotal.__table__
    statement = insert(table)
    return statement.on_conflict_do_update(
        index_elements=[c.name for c in table.primary_key.columns],
        set_={"count": table.c["count"] + statement.excluded["count"],
              "amount": table.c.amount + statement.excluded.amount})


@event.listens_for(Session, "after_flush")
def _follow(session: Session, flush_context) -> None:
    changes: dict[Key, list[int]] = defaultdict(lambda: [0, 0])

    def add(counted, sign):
        if counted is not None:
            key, amount = counted
            changes[key][0] += sign
            changes[key][1] += sign * amount

    for obj in session.new:
        if isinstance(obj, Donation):
            add(_counted(_after(obj)), 1)
    for obj in session.dirty:
        if isinstance(obj, Donation) and session.is_modified(obj, include_collections=False):
            add(_counted(_before(obj)), -1)
            add(_counted(_after(obj)), 1)
    for obj in session.deleted:
        if isinstance(obj, Donation):
            add(_counted(_before(obj)), -1)
    rows = [dict(fund_id=f, month=m, currency=c, channel=ch, recurring=r, count=n, amount=a)
            for (f, m, c, ch, r), (n, a) in sorted(changes.items()) if n or a]
    if rows:
        # Sorted keys: concurrent bookings lock the rows in the same order (no deadlock).
        connection = session.connection()
        connection.execute(_upsert_statement(connection.dialect.name), rows)


def _month_column():
    return func.substr(cast(Donation.donated_on, String(10)), 1, 7)


def computed(session: Session) -> dict[Key, tuple[int, int]]:
    """The totals recomputed from the donations themselves."""
    month = _month_column()
    rows = session.execute(
        select(Donation.fund_id, month, Donation.currency, Donation.channel,
               Donation.recurring_plan_id.isnot(None), func.count(), func.sum(Donation.amount - Donation.refunded))
        .where(Donation.status == DonationStatus.BOOKED)
        .group_by(Donation.fund_id, month, Donation.currency, Donation.channel,
                  Donation.recurring_plan_id.isnot(None)))
    return {(f, date.fromisoformat(f"{m}-01"), c, ch.value, bool(r)): (n, int(a))
            for f, m, c, ch, r, n, a in rows}


def stored(session: Session) -> dict[Key, tuple[int, int]]:
    return {(t.fund_id, t.month, t.currency, t.channel.value, t.recurring): (t.count, t.amount)
            for t in session.scalars(select(DonationTotal))
            if t.count or t.amount}


def differences(session: Session) -> dict[Key, tuple[tuple[int, int] | None, tuple[int, int] | None]]:
    """Keys whose stored totals differ from the donations: key → (stored, computed)."""
    have, want = stored(session), computed(session)
    return {key: (have.get(key), want.get(key)) for key in sorted(have.keys() | want.keys())
            if have.get(key) != want.get(key)}


def rebuild(session: Session) -> int:
    """Recompute every row from the donations (in the caller's transaction); returns the rows."""
    session.flush()
    session.execute(delete(DonationTotal))
    rows = [dict(fund_id=f, month=m, currency=c, channel=ch, recurring=r, count=n, amount=a)
            for (f, m, c, ch, r), (n, a) in sorted(computed(session).items())]
    if rows:
        session.execute(DonationTotal.__table__.insert(), rows)
    return len(rows)
