"""The statements as computed values: balance sheet, statement of activities, cash flow by month.

Each ``compute_*`` reads the ledger's cached totals (``ledger.balances``) and the chart
(``ledger.reads``) and returns one frozen ``Statement`` per currency; the page, the PDF, the CSV
and the XLSX only render that value (``reports.render``), so every format shows the same figures.

Amounts are integer minor units. Signs are the reader's, not the ledger's: assets, liabilities,
net assets, income and expenses are positive when they are what their heading says (the ledger
stores debits positive, credits negative).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from ..core.i18n import _, _l, lazy_pgettext, pgettext
from ..ledger.balances import (
    account_balances,
    accounts_moved_in_some_fund,
    chart_movements_of,
    fund_balances_on,
    fund_set_movements,
    monthly_movements,
)
from ..ledger.chart import AccountType
from ..ledger.reads import ChartAccount, chart_accounts
from .scope import GROUP_LABELS, GROUP_ORDER, GROUP_TOTALS, FundRow, fund_rows

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

LINE, HEADING, SUBTOTAL, TOTAL = "line", "heading", "subtotal", "total"
#: The kinds of account a figure may stand for, as the pages name them ("resource": the assets
#: and liabilities of a fund, its balance).
ACCOUNT_TYPES = {kind.value: kind.label for kind in AccountType} | {
    "resource": _l("Assets and liabilities")}


@dataclass(frozen=True)
class Drill:
    """Where a figure comes from: the postings page's filters (``reports.postings``)."""

    account_id: int | None = None
    account_type: str | None = None
    funds: tuple[int, ...] = ()
    start: date | None = None
    end: date | None = None
    #: A fund group (``scope.GROUP_ORDER``) instead of its funds' ids: the address of a figure
    #: of a group's column stays short however many funds the group has.
    fund_group: str | None = None

    def query(self) -> dict[str, str]:
        values = {"account": self.account_id, "type": self.account_type,
                  "funds": ",".join(map(str, self.funds)) or None, "group": self.fund_group,
                  "start": self.start.isoformat() if self.start else None,
                  "end": self.end.isoformat() if self.end else None}
        return {key: str(value) for key, value in values.items() if value is not None}


@dataclass(frozen=True)
class Line:
    label: str
    values: tuple[int | None, ...] = ()
    kind: str = LINE
    code: str = ""
    depth: int = 0
    drill: tuple[Drill | None, ...] = ()

    def drill_at(self, column: int) -> Drill | None:
        return self.drill[column] if column < len(self.drill) else None


@dataclass(frozen=True)
class Statement:
    key: str
    title: str
    period: str
    currency: str
    columns: tuple[str, ...]
    lines: tuple[Line, ...]
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    #: Columns that hold ratios in basis points (10000 = 100 %), not money.
    ratio_columns: tuple[int, ...] = ()
    #: Columns that hold counts (items), not money.
    count_columns: tuple[int, ...] = ()
    chart: dict = field(default_factory=dict, compare=False)
    #: Which part of a larger statement this is (a page shows a window of it), None when whole.
    paging: Paging | None = None

    def line(self, label: str) -> Line:
        """The line labelled ``label`` (tests and the pack read figures by label)."""
        for line in self.lines:
            if line.label == label:
                return line
        raise KeyError(label)

    def value(self, label: str, column: int = 0) -> int | None:
        return self.line(label).values[column]


def period(start: date, end: date) -> str:
    """A statement's period as its heading shows it."""
    return _("%(start)s to %(end)s", start=start.isoformat(), end=end.isoformat())


def year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def day_before(day: date) -> date:
    return day - timedelta(days=1)


def _currencies(*mappings) -> list[str]:
    found = set()
    for mapping in mappings:
        for key in mapping:
            found.add(key[-1])
    return sorted(found)


# --- balance sheet ---------------------------------------------------------------------------

def compute_balance_sheet(session: Session, as_of: date) -> list[Statement]:
    """Assets, liabilities and net assets at ``as_of`` beside the same day a year earlier; net
    assets split into unrestricted and restricted, restricted per fund with fund-group subtotals.
    """
    prior = year_before(as_of)
    # The assets and liabilities that moved, with their code and name, both days in one
    # statement, the totals up to the earlier day read once (issue 17: not the whole chart).
    moved: dict[tuple[str, str], list[tuple]] = defaultdict(list)
    for account, code, name, kind, currency, now, then in chart_movements_of(
            session, [(date.min, as_of), (date.min, prior)], ("asset", "liability")):
        if now or then:
            moved[(kind, currency)].append((account, code, name, now, then))
    now_funds, then_funds = fund_balances_on(session, [as_of, prior])
    funds = fund_rows(session)
    currencies = _currencies(moved, now_funds, then_funds) or ["EUR"]
    statements = []
    for currency in currencies:
        lines: list[Line] = []
        totals = {}
        for kind, heading, total_label, sign in (
                ("asset", _("Assets"), _("Total assets"), 1),
                ("liability", _("Liabilities"), _("Total liabilities"), -1)):
            lines.append(Line(heading, kind=HEADING))
            now_total = then_total = 0
            for account, code, name, now, then in moved[(kind, currency)]:
                now, then = sign * now, sign * then
                lines.append(Line(name, (now, then), code=code, depth=1,
                                  drill=(Drill(account, end=as_of), Drill(account, end=prior))))
                now_total += now
                then_total += then
            lines.append(Line(total_label, (now_total, then_total), SUBTOTAL))
            totals[kind] = (now_total, then_total)
        lines.append(Line(_("Net assets"), kind=HEADING))
        net_now = net_then = restricted_now = restricted_then = 0
        restricted_lines: list[Line] = []
        for group in GROUP_ORDER:
            group_now = group_then = 0
            fund_lines = []
            for row in (row for row in funds if row.group == group):
                now = now_funds.get((row.fund.id, currency), 0)
                then = then_funds.get((row.fund.id, currency), 0)
                if now or then:
                    fund_lines.append(Line(row.fund.name, (now, then), code=row.fund.code, depth=2,
                                           drill=(Drill(account_type="resource",
                                                        funds=(row.fund.id,), end=as_of),
                                                  Drill(account_type="resource",
                                                        funds=(row.fund.id,), end=prior))))
                    group_now += now
                    group_then += then
            net_now += group_now
            net_then += group_then
            if group == "unrestricted":
                lines.append(Line(_("Unrestricted net assets"), (group_now, group_then), depth=1))
            elif fund_lines:
                restricted_lines += [*fund_lines, Line(str(GROUP_TOTALS[group]),
                                                       (group_now, group_then), SUBTOTAL, depth=1)]
                restricted_now += group_now
                restricted_then += group_then
        if restricted_lines:
            lines.append(Line(_("Restricted net assets"), kind=HEADING, depth=1))
            lines.extend(restricted_lines)
        lines.append(Line(_("Total restricted net assets"), (restricted_now, restricted_then),
                          SUBTOTAL, depth=1))
        lines.append(Line(_("Total net assets"), (net_now, net_then), SUBTOTAL))
        lines.append(Line(_("Total liabilities and net assets"),
                          (totals["liability"][0] + net_now, totals["liability"][1] + net_then),
                          TOTAL))
        warnings = ()
        if (totals["asset"][0], totals["asset"][1]) != (totals["liability"][0] + net_now,
                                                        totals["liability"][1] + net_then):
            warnings = (_("Assets and liabilities plus net assets differ: run "
                          "`backoffice ledger verify`."),)
        statements.append(Statement(
            "balance_sheet", _("Balance sheet"), _("as of %(day)s", day=as_of.isoformat()),
            currency,
            (as_of.isoformat(), prior.isoformat()), tuple(lines), warnings=warnings))
    return statements


# --- statement of activities -----------------------------------------------------------------

#: What the page of the statement of activities shows at once: this many fund columns (the
#: total, the prior period and the change, over every fund, beside them) and this many account
#: lines (the headings, subtotals and results, over every account, always). The files are whole.
COLUMNS_PER_PAGE = 10
ROWS_PER_PAGE = 40


@dataclass(frozen=True)
class Window:
    """The part of the statement of activities a page asks for (pages counted from 1)."""

    column_page: int = 1
    row_page: int = 1
    columns_per_page: int = COLUMNS_PER_PAGE
    rows_per_page: int = ROWS_PER_PAGE


@dataclass(frozen=True)
class Paging:
    """Which columns and account lines of the whole statement a windowed one shows."""

    column_page: int
    column_pages: int
    first_column: int  # 1-based; 0 when there is none
    last_column: int
    columns: int  # all the fund (or fund-group) columns of the whole statement
    row_page: int
    row_pages: int
    first_row: int  # 1-based; 0 when there is none
    last_row: int
    rows: int  # all the account lines of the whole statement

    @property
    def paged(self) -> bool:
        return self.column_pages > 1 or self.row_pages > 1


def _pages(count: int, size: int) -> int:
    return max(1, -(-count // size))


@dataclass(frozen=True)
class Column:
    label: str
    funds: tuple[int, ...]
    group: str | None = None  # the fund group a group column stands for


def activity_columns(funds: list[FundRow], by: str) -> list[Column]:
    """One column per fund group (``by="group"``) or per fund (``by="fund"``)."""
    if by == "fund":
        return [Column(row.fund.name, (row.fund.id,)) for row in funds]
    return [Column(str(GROUP_LABELS[group]), tuple(row.fund.id for row in funds if row.group == group),
                   group)
            for group in GROUP_ORDER if any(row.group == group for row in funds)]


#: The accounts whose movements the statement of activities shows.
ACTIVITY_TYPES = ("income", "expense", "net_assets")


def compute_activities(session: Session, start: date, end: date, *, by: str = "group",
                       fund_ids: tuple[int, ...] | None = None,
                       window: Window | None = None) -> list[Statement]:
    """Income and expenses by account for ``start``..``end``: a column per fund group (or per
    fund), the total, the same period a year earlier and the change; then the other changes in
    net assets (transfers between funds, opening balances) and net assets at start and end.

    With a ``window`` (the page), only that page of the columns and of the account lines is
    computed and kept (``Statement.paging`` says which); the total, prior-period and change
    columns, the subtotals and the results stay over every fund and every account. The funds
    outside the window are summed as one set (``fund_set_movements``: when the sets cover every
    fund it reads the per-account totals less the shown funds' rows) and one more query names the
    accounts that moved in one of them, so the page costs the same queries and holds the same
    number of figures however many funds there are."""
    prior_start, prior_end = year_before(start), year_before(end)
    funds = fund_rows(session)
    every_fund = {row.fund.id for row in funds}
    if fund_ids is not None:
        funds = [row for row in funds if row.fund.id in fund_ids]
    columns = activity_columns(funds, by)
    in_scope = {fund for column in columns for fund in column.funds}
    shown = columns
    column_page = 1
    if window is not None:
        column_page = window.column_page
        first = (column_page - 1) * window.columns_per_page
        shown = columns[first:first + window.columns_per_page]
    rest = tuple(sorted(in_scope - {fund for column in shown for fund in column.funds}))
    # Summed per column (the funds not shown as one more set; for the prior period over every
    # fund in scope) in the database.
    sets = [c.funds for c in shown] + ([rest] if rest else [])
    count = len(sets)
    # Each account's figures in one list (the sets', then the prior period's), read once: a
    # chart of thousands made a dict lookup a figure cost more than the queries. The income,
    # expense and net-assets accounts only, filtered in the database.
    figures: dict[tuple[int, str], list[int]] = {}
    # The accounts of each kind with their lines (id, code, name), in code order; the
    # currencies with a figure; the accounts with figures whose chart is still to be read.
    of_type: dict[str, list[tuple[int, str, str]]] = {kind: [] for kind in ACTIVITY_TYPES}
    moving: set[str] = set()
    missing: set[int] = set()
    if in_scope and in_scope == every_fund:
        # Over every fund: both periods' movements of those accounts with their code and name
        # in one statement (the years a long period shares with the one before it read once),
        # in code order; the largest set is them less the other sets (its funds' rows are never
        # read).
        largest = max(range(count), key=lambda index: len(sets[index]))
        others = [ids if index != largest else () for index, ids in enumerate(sets)]
        last = None
        for account, code, name, kind, currency, now, before in chart_movements_of(
                session, [(start, end), (prior_start, prior_end)], ACTIVITY_TYPES):
            if account != last:  # an account's currencies come one after the other
                of_type[kind].append((account, code, name))
                last = account
            row = figures[(account, currency)] = [0] * (count + 1)
            if now or before:
                row[largest], row[count] = now, before
                moving.add(currency)
        if any(others):
            for (index, account, currency), amount in fund_set_movements(
                    session, start, end, others, every_fund=every_fund,
                    types=ACTIVITY_TYPES).items():
                row = figures.get((account, currency))
                if row is None:  # no totals rows of the account: never, read its chart
                    row = figures[(account, currency)] = [0] * (count + 1)
                    missing.add(account)
                row[index] = amount
                row[largest] -= amount
                moving.add(currency)
    else:
        moved = fund_set_movements(session, start, end, sets, every_fund=every_fund,
                                   types=ACTIVITY_TYPES)
        moved_before = fund_set_movements(session, prior_start, prior_end, [tuple(in_scope)],
                                          every_fund=every_fund, types=ACTIVITY_TYPES)
        for found, offset in ((moved, 0), (moved_before, count)):
            for (index, account, currency), amount in found.items():
                row = figures.get((account, currency))
                if row is None:
                    row = figures[(account, currency)] = [0] * (count + 1)
                    missing.add(account)
                    moving.add(currency)
                row[index + offset] = amount
    # An account whose figures net to nothing over the funds not shown (a transfer between two
    # of them) still has its line, on every page of columns, as in the whole statement.
    moved_elsewhere = accounts_moved_in_some_fund(
        session, start, end, fund_ids=None if fund_ids is None else rest,
        types=ACTIVITY_TYPES) if rest else set()
    missing.update(account for account, currency in moved_elsewhere
                   if (account, currency) not in figures)
    opening, closing, prior_opening, prior_closing = fund_balances_on(
        session, [day_before(start), end, day_before(prior_start), prior_end])
    if missing:
        # The lines: the accounts that moved (a chart holds many more that did not, issue 17),
        # read from the chart when the movements did not bring them (over every fund, never).
        of_type = {kind: [] for kind in ACTIVITY_TYPES}
        for account in chart_accounts(session, ACTIVITY_TYPES,
                                      ids=missing | {account for account, _ in figures}):
            of_type[account.type].append((account.id, account.code, account.name))
    currencies = sorted(moving | {key[1] for key in opening}
                        | {key[1] for key in closing}) or ["EUR"]
    labels = (*(c.label for c in shown), _("Total"), f"{prior_start.year}" if (
        prior_start.year == prior_end.year) else _("Prior period"), _("Change"))
    # Every fund in scope: no list of ids in the figures' addresses when that is every fund.
    scope_drill = () if fund_ids is None else tuple(sorted(in_scope))
    column_drills = [dict(funds=(), fund_group=c.group) if c.group and fund_ids is None
                     else dict(funds=c.funds) for c in shown]
    width = len(shown)
    nothing = [0] * (count + 1)
    statements = []
    for currency in currencies:
        lines: list[Line] = []
        sums: dict[str, list[int]] = {}
        sections = (
            ("income", pgettext("statement", "Income"), _("Total income"), -1),
            ("expense", pgettext("statement", "Expenses"), _("Total expenses"), 1),
            ("net_assets", _("Other changes in net assets"), _("Total other changes"), -1))
        row = 0  # the account lines so far, over every section
        first_row = (window.row_page - 1) * window.rows_per_page if window else 0
        last_row = first_row + window.rows_per_page if window else None
        for kind, heading, total_label, sign in sections:
            section_lines = []
            counted = []  # the figures of the section's lines, on every page, not only this one
            for account, code, name in of_type[kind]:
                found = figures.get((account, currency))
                # A line when a figure of it is not nought (in a column shown, the total or
                # the prior period: one of them when any), or it moved in a fund.
                if found is None or not any(found):
                    if (account, currency) not in moved_elsewhere:
                        continue
                    found = nothing
                counted.append(found)
                row += 1
                if row <= first_row or (last_row is not None and row > last_row):
                    continue
                values = [sign * amount for amount in found[:width]]
                values.append(sign * sum(found[:count]))
                values.append(sign * found[count])
                drills = [Drill(account, start=start, end=end, **kw) for kw in column_drills]
                drills.append(Drill(account, funds=scope_drill, start=start, end=end))
                drills.append(Drill(account, funds=scope_drill, start=prior_start,
                                    end=prior_end))
                section_lines.append(Line(name, (*values, values[-2] - values[-1]),
                                          code=code, depth=1, drill=tuple(drills)))
            section_rows = len(counted)
            # Summed column by column at once (zip), not line by line.
            summed = [sum(column) for column in zip(*counted)] if counted else nothing
            total = [sign * amount for amount in summed[:width]]
            total += [sign * sum(summed[:count]), sign * summed[count]]
            sums[kind] = total
            if kind == "net_assets" and not section_rows:
                continue
            lines.append(Line(heading, kind=HEADING))
            lines.extend(section_lines)
            lines.append(Line(total_label, (*total, total[-2] - total[-1]), SUBTOTAL))
        result = [i - e for i, e in zip(sums["income"], sums["expense"])]
        lines.append(Line(_("Result (income less expenses)"), (*result, result[-2] - result[-1]),
                          TOTAL))
        change = [r + o for r, o in zip(result, sums["net_assets"])]
        lines.append(Line(_("Change in net assets"), (*change, change[-2] - change[-1]), SUBTOTAL))
        at_start = [sum(opening.get((f, currency), 0) for f in c.funds) for c in shown]
        at_end = [sum(closing.get((f, currency), 0) for f in c.funds) for c in shown]
        start_prior = sum(prior_opening.get((f, currency), 0) for f in in_scope)
        end_prior = sum(prior_closing.get((f, currency), 0) for f in in_scope)
        at_start += [sum(opening.get((f, currency), 0) for f in in_scope), start_prior]
        at_end += [sum(closing.get((f, currency), 0) for f in in_scope), end_prior]
        lines.append(Line(_("Net assets at start"), (*at_start, at_start[-2] - at_start[-1])))
        lines.append(Line(_("Net assets at end"), (*at_end, at_end[-2] - at_end[-1]), TOTAL))
        notes = [_("Prior period: %(start)s to %(end)s.", start=prior_start.isoformat(),
                   end=prior_end.isoformat())]
        paging = None
        if window is not None:
            column_first = (column_page - 1) * window.columns_per_page
            paging = Paging(
                column_page, _pages(len(columns), window.columns_per_page),
                column_first + 1 if shown else 0, column_first + len(shown), len(columns),
                window.row_page, _pages(row, window.rows_per_page),
                min(first_row + 1, row), min(row, last_row), row)
        statements.append(Statement(
            "activities", _("Statement of activities"), period(start, end),
            currency, labels, tuple(lines), notes=tuple(notes), paging=paging))
    return statements


# --- cash flow by month ----------------------------------------------------------------------

CASH_ROLES = ("cash", "bank", "stripe_balance")
#: The lines of the cash flow, in their order.
CASH_LINES = {"start": _l("Cash at start"), "income": _l("Income booked"),
              "expenses": _l("Expenses booked"),
              "other": _l("Receivables, payables and other movements"),
              "change": _l("Net change in cash"), "end": _l("Cash at end")}
#: Month names as the statements' columns show them (the reader's language, not the process's).
MONTHS = (_l("Jan"), _l("Feb"), _l("Mar"), _l("Apr"), lazy_pgettext("short month", "May"),
          _l("Jun"), _l("Jul"), _l("Aug"), _l("Sep"), _l("Oct"), _l("Nov"), _l("Dec"))


def month_name(day: date, *, with_year: bool = False) -> str:
    """The month of ``day`` in three letters ("Mar", "Mär"), with its year if asked."""
    name = str(MONTHS[day.month - 1])
    return f"{name} {day.year}" if with_year else name


def cash_accounts(accounts: list[ChartAccount], extra_ids: set[int] = frozenset()) -> list[ChartAccount]:
    """Cash, bank and payment-provider balances: the accounts whose movement is cash flow."""
    return [a for a in accounts if a.type == "asset" and (a.role in CASH_ROLES or a.id in extra_ids)]


def month_starts(start: date, months: int) -> list[date]:
    return [date(start.year + (start.month - 1 + i) // 12, (start.month - 1 + i) % 12 + 1, 1)
            for i in range(months)]


def compute_cash_flow(session: Session, year_start: date, *, bank_account_ids: set[int] = frozenset(),
                      months: int = 12) -> list[Statement]:
    """For each month of the year from ``year_start``: cash at the start, money in and out by
    kind (income, expenses, everything else that moved cash), the net change and cash at the end.

    The month totals are the ledger's cached month rows: money in is the income booked in the
    month, money out the expenses, and "other movements" the difference to the change in cash
    (receivables, payables, VAT, transfers), so each month's column reconciles exactly.
    """
    accounts = chart_accounts(session)
    cash = cash_accounts(accounts, bank_account_ids)
    cash_ids = {a.id for a in cash}
    kinds = {a.id: a.type for a in accounts}
    starts = month_starts(year_start, months)
    moved = monthly_movements(session, year_start, months)
    opening = account_balances(session, day_before(year_start), account_ids=cash_ids)
    currencies = _currencies(moved, opening) or ["EUR"]
    statements = []
    for currency in currencies:
        income = defaultdict(int)
        expenses = defaultdict(int)
        cash_change = defaultdict(int)
        for (month, account_id, cur), amount in moved.items():
            if cur != currency:
                continue
            if kinds.get(account_id) == "income":
                income[month] -= amount
            elif kinds.get(account_id) == "expense":
                expenses[month] += amount
            if account_id in cash_ids:
                cash_change[month] += amount
        balance = sum(v for (a, c), v in opening.items() if c == currency)
        rows: dict[str, list[int]] = {key: [] for key in CASH_LINES}
        for month in starts:
            rows["start"].append(balance)
            rows["income"].append(income[month])
            rows["expenses"].append(-expenses[month])
            rows["other"].append(cash_change[month] - income[month] + expenses[month])
            rows["change"].append(cash_change[month])
            balance += cash_change[month]
            rows["end"].append(balance)
        lines = []
        for key, values in rows.items():
            total = values[0] if key == "start" else values[-1] if key == "end" else sum(values)
            kind = TOTAL if key == "end" else SUBTOTAL if key == "change" else LINE
            lines.append(Line(str(CASH_LINES[key]), (*values, total), kind))
        end = date(starts[-1].year + starts[-1].month // 12, starts[-1].month % 12 + 1, 1)
        statements.append(Statement(
            "cash_flow", _("Cash flow by month"), period(year_start, day_before(end)), currency,
            (*(month_name(m, with_year=True) for m in starts), _("Year")), tuple(lines),
            notes=(_("Cash: %(accounts)s.", accounts=", ".join(a.label for a in cash)),),
            chart={"months": [month_name(m) for m in starts], "income": rows["income"],
                   "expenses": [-v for v in rows["expenses"]],
                   "cash": rows["end"]}))
    return statements
