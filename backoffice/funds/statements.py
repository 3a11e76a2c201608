"""Fund statements for any date range, as the organisers and the treasurer read them.

Built on ``ledger.balances.fund_statements`` (which reads the cached totals, so a statement costs
the same with a million postings as with a thousand) and split the way a group thinks about its
money: opening balance, income by kind, the association's admin fees, expenses by kind, transfers
between funds, closing balance.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from ..core.exports import csv_writer
from ..core.money import Money
from ..core.templates import render_document
from ..ledger import reads
from ..ledger.balances import FundStatement, fund_statements
from ..ledger.chart import Account, Fund
from ..ledger.reads import Movement
from ..pdf import html_to_pdf
from .fees import ADMIN_FEE_EXPENSE_ROLE

Lines = list[tuple[Account, int]]


@dataclass
class Statement(FundStatement):
    """One currency's statement, with the admin fees taken out of the expenses. Amounts are
    positive when they add to the fund; income, fees and expenses are shown as positive numbers
    (fees and expenses are subtracted)."""

    fees: Lines = field(default_factory=list)

    @classmethod
    def of(cls, base: FundStatement) -> Statement:
        fees = [(a, v) for a, v in base.expenses if a.role == ADMIN_FEE_EXPENSE_ROLE]
        expenses = [(a, v) for a, v in base.expenses if a.role != ADMIN_FEE_EXPENSE_ROLE]
        return cls(base.fund, base.currency, base.start, base.end, base.opening, base.income,
                   expenses, base.transfers, base.closing, fees)

    @property
    def total_fees(self) -> int:
        return sum(v for _, v in self.fees)

    @property
    def reconciles(self) -> bool:
        return (self.opening + self.total_income - self.total_fees - self.total_expenses
                + self.total_transfers == self.closing)

    def rows(self) -> list[tuple[str, str, str, int]]:
        """(section, account code, label, signed amount) in reading order, for exports."""
        rows = [("opening", "", f"Opening balance {self.start.isoformat()}", self.opening)]
        rows += [("income", a.code, a.name, v) for a, v in self.income]
        rows += [("admin fee", a.code, a.name, -v) for a, v in self.fees]
        rows += [("expense", a.code, a.name, -v) for a, v in self.expenses]
        rows += [("transfer", a.code, a.name, v) for a, v in self.transfers]
        rows.append(("closing", "", f"Closing balance {self.end.isoformat()}", self.closing))
        return rows


def statements(session: Session, fund: Fund, start: date, end: date) -> list[Statement]:
    """One statement per currency the fund has seen up to ``end``."""
    return [Statement.of(base) for base in fund_statements(session, fund, start, end)]


def to_csv(fund: Fund, reports: list[Statement]) -> str:
    """The statements as CSV: one row per line, amounts as plain decimals (1234.50)."""
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\r\n")
    writer.writerow(["fund", "currency", "start", "end", "section", "account", "description",
                     "amount"])
    for report in reports:
        for section, code, label, amount in report.rows():
            writer.writerow([fund.code, report.currency, report.start.isoformat(),
                             report.end.isoformat(), section, code, label,
                             f"{Money(amount, report.currency).to_decimal():f}"])
    return out.getvalue()


def to_pdf(fund: Fund, reports: list[Statement], *, start: date, end: date, group_name: str | None,
           organisation: str, locale: str, today: date) -> bytes:
    """The statements as a PDF: the page's table, with the fund's name, its group (if any), the
    period and the day it was produced; money in ``locale``."""
    return html_to_pdf(render_document(
        "pdf/fund_statement.html", fund=fund, group_name=group_name, start=start, end=end,
        statements=reports, organisation=organisation, locale=locale, today=today))


def recent_movements(session: Session, fund: Fund, limit: int = 10) -> list[Movement]:
    """The latest income, expenses and transfers of a fund (not the bank side of them), one row
    per entry and account."""
    return reads.recent_movements(session, fund.id, limit)
