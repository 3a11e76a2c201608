"""What the donation pages read: the list with its filters and totals, totals per fund and month,
donors with their totals, plans, the public donor list. Totals are per currency and count
booked donations only (pending, failed and reversed ones are listed, not added up)."""
from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import Select, String, cast, func, select
from sqlalchemy.orm import Session, joinedload

from ..core.i18n import _
from ..core.money import Money
from ..core.tables import DATE, MONEY, Column, Table
from ..ledger.reads import chart_funds
from .donors import search
from .models import (
    Channel,
    Donation,
    DonationPage,
    DonationStatus,
    DonationTotal,
    Donor,
    PlanStatus,
    RecurringFailure,
    RecurringPlan,
)
from .totals import month_of


@dataclass(frozen=True)
class Filters:
    fund_id: int | None = None
    channel: Channel | None = None
    start: date | None = None
    end: date | None = None
    recurring: bool | None = None
    donor_id: int | None = None
    status: DonationStatus | None = None


#: What a booked donation counts for: its amount less what was refunded in part.
NET = Donation.amount - Donation.refunded


def _where(statement: Select, f: Filters) -> Select:
    if f.fund_id:
        statement = statement.where(Donation.fund_id == f.fund_id)
    if f.channel:
        statement = statement.where(Donation.channel == f.channel)
    if f.start:
        statement = statement.where(Donation.donated_on >= f.start)
    if f.end:
        statement = statement.where(Donation.donated_on <= f.end)
    if f.recurring is not None:
        column = Donation.recurring_plan_id
        statement = statement.where(column.isnot(None) if f.recurring else column.is_(None))
    if f.donor_id:
        statement = statement.where(Donation.donor_id == f.donor_id)
    if f.status:
        statement = statement.where(Donation.status == f.status)
    return statement


def donations(session: Session, f: Filters, *, before: tuple[date, int] | None = None,
              limit: int = 50) -> list[Donation]:
    """Newest first, a page at a time (keyset: the page after ``before``'s (day, id))."""
    statement = _where(select(Donation), f).options(
        joinedload(Donation.donor), joinedload(Donation.fund))
    if before is not None:
        day, donation_id = before
        statement = statement.where((Donation.donated_on < day) | (
            (Donation.donated_on == day) & (Donation.id < donation_id)))
    return list(session.scalars(statement.order_by(Donation.donated_on.desc(),
                                                   Donation.id.desc()).limit(limit)))


def totals(session: Session, f: Filters) -> dict[str, tuple[int, int]]:
    """Booked donations per currency: (count, amount)."""
    if not _from_cache(f):
        rows = session.execute(_where(
            select(Donation.currency, func.count(), func.sum(NET)), f)
            .where(Donation.status == DonationStatus.BOOKED).group_by(Donation.currency))
        return {currency: (n, int(total or 0)) for currency, n, total in rows}
    return _per_currency(_cached_by_month(session, f))


def by_fund_and_month(session: Session, f: Filters) -> list[tuple[str, str, str, int, int]]:
    """(fund code, "YYYY-MM", currency, count, amount) of booked donations, newest month first."""
    if _from_cache(f):
        return _month_rows(session, _cached_by_month(session, f))
    month = func.substr(cast(Donation.donated_on, String(10)), 1, 7)
    rows = session.execute(_where(
        select(Donation.fund_id, month, Donation.currency, func.count(),
               func.sum(NET)), f)
        .where(Donation.status == DonationStatus.BOOKED)
        .group_by(Donation.fund_id, month, Donation.currency)
        .order_by(month.desc(), Donation.fund_id, Donation.currency))
    codes = {fund.id: fund.code for fund in chart_funds(session)}
    return [(codes.get(fund_id, str(fund_id)), m, c, n, int(total or 0))
            for fund_id, m, c, n, total in rows]


def summary(session: Session, f: Filters) -> tuple[dict[str, tuple[int, int]],
                                                    list[tuple[str, str, str, int, int]]]:
    """``totals`` and ``by_fund_and_month`` at once (one read of the cached totals)."""
    if not _from_cache(f):
        return totals(session, f), by_fund_and_month(session, f)
    cached = _cached_by_month(session, f)
    return _per_currency(cached), _month_rows(session, cached)


def _per_currency(cached: dict[tuple[int, date, str], tuple[int, int]]):
    result: dict[str, tuple[int, int]] = {}
    for (_fund, _month, currency), (n, total) in cached.items():
        count, amount = result.get(currency, (0, 0))
        result[currency] = (count + n, amount + total)
    return dict(sorted(result.items()))


def _month_rows(session: Session, cached: dict[tuple[int, date, str], tuple[int, int]]):
    codes = {fund.id: fund.code for fund in chart_funds(session)}
    rows = sorted(((fund_id, f"{m:%Y-%m}", c, n, total)
                   for (fund_id, m, c), (n, total) in cached.items()),
                  key=lambda row: (row[0], row[2]))
    rows.sort(key=lambda row: row[1], reverse=True)  # stable: newest month, then fund
    return [(codes.get(fund_id, str(fund_id)), m, c, n, total) for fund_id, m, c, n, total in rows]


def _from_cache(f: Filters) -> bool:
    """Whether the cached totals (``totals.py``) answer these filters: not per donor or status."""
    return f.donor_id is None and f.status is None


def _cached_by_month(session: Session, f: Filters) -> dict[tuple[int, date, str], tuple[int, int]]:
    """(fund, month, currency) → (count, amount) of booked donations: whole months inside the
    period from the cached totals, the days of a month the period cuts at either edge from the
    donations themselves (at most two months of them, through the date index)."""
    low = month_of(f.start) if f.start else None
    high = month_of(f.end) if f.end else None
    cut_low = f.start is not None and f.start != low
    cut_high = f.end is not None and f.end != _month_end(f.end)
    cached = select(DonationTotal.fund_id, DonationTotal.month, DonationTotal.currency,
                    func.sum(DonationTotal.count), func.sum(DonationTotal.amount))
    if f.fund_id:
        cached = cached.where(DonationTotal.fund_id == f.fund_id)
    if f.channel:
        cached = cached.where(DonationTotal.channel == f.channel)
    if f.recurring is not None:
        cached = cached.where(DonationTotal.recurring.is_(f.recurring))
    if low is not None:
        cached = cached.where(DonationTotal.month > low if cut_low else DonationTotal.month >= low)
    if high is not None:
        cached = cached.where(DonationTotal.month < high if cut_high
                              else DonationTotal.month <= high)
    result: dict[tuple[int, date, str], tuple[int, int]] = {}
    for fund_id, m, currency, n, total in session.execute(cached.group_by(
            DonationTotal.fund_id, DonationTotal.month, DonationTotal.currency)):
        if n or total:
            result[(fund_id, m, currency)] = (int(n), int(total))
    edges = {(f.start, min(_month_end(f.start), f.end or date.max))} if cut_low else set()
    if cut_high:
        edges.add((max(high, f.start or date.min), f.end))
    for start, end in edges:
        for fund_id, day, currency, amount in session.execute(_where(
                select(Donation.fund_id, Donation.donated_on, Donation.currency, NET),
                replace(f, start=start, end=end)).where(Donation.status == DonationStatus.BOOKED)):
            key = (fund_id, month_of(day), currency)
            n, total = result.get(key, (0, 0))
            result[key] = (n + 1, total + amount)
    return result


def _month_end(day: date) -> date:
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


@dataclass(frozen=True)
class DonorRow:
    donor: Donor
    count: int
    totals: dict[str, int]
    last: date | None


def donors(session: Session, text: str = "", *, limit: int = 50,
           offset: int = 0) -> list[DonorRow]:
    found = list(session.scalars(search(session, text).order_by(Donor.name, Donor.id)
                                 .limit(limit).offset(offset)))
    ids = [d.id for d in found]
    sums: dict[int, dict[str, int]] = {i: {} for i in ids}
    counts: dict[int, int] = dict.fromkeys(ids, 0)
    last: dict[int, date] = {}
    if ids:
        for donor_id, currency, n, total, latest in session.execute(
                select(Donation.donor_id, Donation.currency, func.count(),
                       func.sum(NET), func.max(Donation.donated_on))
                .where(Donation.donor_id.in_(ids), Donation.status == DonationStatus.BOOKED)
                .group_by(Donation.donor_id, Donation.currency)):
            sums[donor_id][currency] = int(total)
            counts[donor_id] += n
            last[donor_id] = max(latest, last.get(donor_id, latest))
    return [DonorRow(d, counts[d.id], sums[d.id], last.get(d.id)) for d in found]


def plans(session: Session, status: PlanStatus | None = None) -> list[RecurringPlan]:
    statement = select(RecurringPlan).options(joinedload(RecurringPlan.donor),
                                              joinedload(RecurringPlan.fund))
    if status:
        statement = statement.where(RecurringPlan.status == status)
    return list(session.scalars(statement.order_by(RecurringPlan.id.desc())))


def failures(session: Session) -> list[RecurringFailure]:
    return list(session.scalars(select(RecurringFailure).where(
        RecurringFailure.resolved.is_(False)).order_by(RecurringFailure.failed_at.desc())))


def unresolved_failures(session: Session, user: object = None, today: object = None) -> int:
    return session.scalar(select(func.count()).select_from(RecurringFailure).where(
        RecurringFailure.resolved.is_(False)))


def public_donors(session: Session, page: DonationPage) -> list[tuple[str, str, int]]:
    """The opt-in public list: (name shown, currency, total) of donors who gave a public name
    and agreed to be listed, largest first; nothing unless the page shows a list."""
    if not page.public_donor_list:
        return []
    rows = session.execute(
        select(Donation.public_name, Donation.currency, func.sum(NET))
        .join(Donor, Donor.id == Donation.donor_id)
        .where(Donation.fund_id == page.fund_id, Donation.status == DonationStatus.BOOKED,
               Donation.public_name.isnot(None), Donor.consent_public.is_(True))
        .group_by(Donation.public_name, Donation.currency)
        .order_by(func.sum(NET).desc()).limit(500))
    return [(name, currency, int(total)) for name, currency, total in rows]


def page_for(session: Session, fund_id: int) -> DonationPage | None:
    return session.scalar(select(DonationPage).where(DonationPage.fund_id == fund_id))


def pages(session: Session) -> list[DonationPage]:
    return list(session.scalars(select(DonationPage).options(joinedload(DonationPage.fund))
                                .order_by(DonationPage.id)))


def donations_table(session: Session, f: Filters) -> Table:
    """The donations page's list with its filters (every page of it) as a table to download,
    in the reader's language as the page is."""
    return Table("donations", (
        Column(_("Date"), DATE), Column(_("Donation"), width=12), Column(_("Donor")),
        Column(_("Fund"), width=10), Column(_("Channel"), width=14), Column(_("Kind"), width=12),
        Column(_("Status"), width=12), Column(_("Amount"), MONEY)),
        ((d.donated_on, d.ref, d.donor.name, d.fund.code, d.channel.label, d.kind.label,
          d.status.label, Money(d.net, d.currency))
         for d in donations(session, f, limit=10**9)))
