"""Fund balances over time: each fund's balance at every month end of a period, as a statement
and its line chart (the page ``/reports/fund-balances`` and the annual pack's funds section).

Read from the cached totals only (``ledger.balances.fund_balances``: one query per month end,
whatever the number of postings). However many funds there are, the statement and the chart show
the ``TOP`` largest (by their balance at the period's end, either sign) one by one and the rest
summed as "Other funds"; "All funds" is the total over every fund.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from ..core.i18n import _, ngettext
from ..ledger.balances import fund_balances
from . import charts
from .scope import fund_rows
from .statements import LINE, SUBTOTAL, TOTAL, Drill, Line, Statement, period

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

#: Funds drawn one by one; the others are one line.
TOP = 6


def month_ends(start: date, end: date) -> list[date]:
    """The last day of every month from ``start``'s to ``end``'s; ``end`` itself for the last."""
    days = []
    first = date(start.year, start.month, 1)
    while first <= end:
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        days.append(min(following - timedelta(days=1), end))
        first = following
    return days


def shown_until(start: date, end: date, today: date) -> date:
    """The last day a year's trend shows: its end, or ``today`` within the year (a month end to
    come has no balance yet); never before its start."""
    return min(end, max(today, start))


def compute(session: Session, start: date, end: date, default_currency: str, *,
            top: int = TOP) -> list[Statement]:
    """One statement for ``default_currency`` (first) and one per other currency a fund holds at
    a month end; columns are the month ends, ``chart`` holds the series the chart draws."""
    days = month_ends(start, end)
    balances = [fund_balances(session, day) for day in days]
    currencies = {currency for found in balances for _fund, currency in found}
    currencies.add(default_currency)
    funds = {row.fund.id: row.fund for row in fund_rows(session)}
    return [_statement(start, end, days, balances, funds, currency, top)
            for currency in sorted(currencies, key=lambda c: (c != default_currency, c))]


def _statement(start: date, end: date, days: list[date], balances, funds, currency: str,
               top: int) -> Statement:
    held = {fund_id for found in balances for fund_id, cur in found if cur == currency}
    series = {fund_id: tuple(found.get((fund_id, currency), 0) for found in balances)
              for fund_id in held if fund_id in funds}
    largest = sorted(series, key=lambda f: (-abs(series[f][-1]), funds[f].code))
    shown, others = largest[:top], largest[top:]
    lines = [Line(funds[f].name, series[f], LINE, funds[f].code, 1,
                  tuple(Drill(account_type="resource", funds=(f,), end=day) for day in days))
             for f in shown]
    other_values = tuple(sum(series[f][i] for f in others) for i in range(len(days)))
    if others:
        lines.append(Line(ngettext("Other fund (%(num)s)", "Other funds (%(num)s)", len(others)),
                          other_values, SUBTOTAL))
    total = tuple(sum(series[f][i] for f in series) for i in range(len(days)))
    lines.append(Line(_("All funds"), total, TOTAL,
                      drill=tuple(Drill(account_type="resource", end=day) for day in days)))
    labels = [day.strftime("%Y-%m") for day in days]
    chart_series = {line.label: line.values for line in lines if line.kind != TOTAL}
    return Statement(
        "fund_balances", _("Fund balances over time"), period(start, end), currency,
        tuple(day.isoformat() for day in days), tuple(lines),
        notes=(_("Each fund's balance at the end of every month; the %(num)s largest funds "
                 "are shown one by one, the others summed.", num=top),),
        chart={"labels": labels, "series": chart_series})


def chart_svg(statement: Statement, *, locale: str = "en_IE") -> str:
    """The statement's line chart (its funds' balances at the month ends)."""
    return charts.lines_over_time(
        statement.chart["labels"], statement.chart["series"], statement.currency,
        _("Fund balances at month end (%(currency)s)", currency=statement.currency),
        locale=locale)
