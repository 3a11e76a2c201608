"""One fund's statement as a report value: what an organiser sees of their group's money.

The figures are the fund statement the ledger keeps (``funds.statements``: opening balance,
income, the association's admin fees, expenses, transfers, closing balance, read from the cached
totals); this module only lays them out as a ``Statement`` so that the page, PDF, CSV and XLSX
are the ones every other report has, and every figure drills down to that fund's postings only.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.i18n import _, pgettext
from ..funds.statements import statements as fund_statements
from .statements import HEADING, LINE, SUBTOTAL, TOTAL, Drill, Line, Statement, period

if TYPE_CHECKING:
    from datetime import date

    from sqlalchemy.orm import Session

    from ..ledger.chart import Fund


def compute(session: Session, fund: Fund, start: date, end: date) -> list[Statement]:
    """One statement per currency the fund has seen up to ``end`` (EUR when it has none)."""
    found = []
    for base in fund_statements(session, fund, start, end):
        def drill(account_id: int | None = None, *, kind: str | None = None,
                  since: date | None = start) -> tuple[Drill]:
            return (Drill(account_id, kind, funds=(fund.id,), start=since, end=end),)

        lines = [Line(_("Opening balance %(start)s", start=start.isoformat()), (base.opening,), LINE,
                      drill=drill(kind="resource", since=None) if base.opening else ())]
        for heading, total_label, items, total in (
                (pgettext("statement", "Income"), _("Total income"), base.income,
                 base.total_income),
                (_("Admin fees to the association"), _("Total admin fees to the association"),
                 base.fees, base.total_fees),
                (pgettext("statement", "Expenses"), _("Total expenses"), base.expenses,
                 base.total_expenses),
                (_("Transfers and other changes"), _("Total transfers and other changes"),
                 base.transfers, base.total_transfers)):
            if not items:
                continue
            lines.append(Line(heading, kind=HEADING))
            lines += [Line(account.name, (amount,), LINE, account.code, 1, drill(account.id))
                      for account, amount in items]
            lines.append(Line(total_label, (total,), SUBTOTAL))
        lines.append(Line(_("Closing balance %(end)s", end=end.isoformat()), (base.closing,), TOTAL,
                          drill=drill(kind="resource", since=None)))
        warnings = () if base.reconciles else (
            _("Opening balance and movements do not add up to the closing balance: ask the "
              "treasurer to run `backoffice ledger verify`."),)
        found.append(Statement(
            "fund", _("Fund statement: %(fund)s", fund=fund.name), period(start, end),
            base.currency, (_("Amount"),), tuple(lines), warnings=warnings,
            notes=(_("Opening balance, plus income, less admin fees and expenses, plus "
                     "transfers, is the closing balance."),)))
    return found or [Statement("fund", _("Fund statement: %(fund)s", fund=fund.name),
                               period(start, end), "EUR", (_("Amount"),),
                               (Line(_("No money has moved in this fund yet.")),))]
