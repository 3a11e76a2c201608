"""Every report the "Reports" menu lists, in one table: the index page, the tests that open each
one and ``docs/PERMISSIONS.md`` read it from here.

A report is a page (its ``endpoint``) that may also be downloaded in other ``formats``; the
page's own links produce them. Sections group them on the index in this order.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..core.i18n import _l
from ..core.permissions import Permission

# Sections and reports are named in the reader's language where they are shown (lazy texts).
STATEMENTS = _l("Statements")
PLANNING = _l("Budgets")
ANNUAL = _l("Annual report")
EXPORTS = _l("Exports for others' tools")
SECTIONS = (STATEMENTS, PLANNING, ANNUAL, EXPORTS)


@dataclass(frozen=True)
class Report:
    section: str
    title: str
    description: str
    endpoint: str
    permission: Permission = Permission.REPORTS_VIEW
    formats: tuple[str, ...] = ("page", "pdf", "csv", "xlsx")


REPORTS: tuple[Report, ...] = (
    # Statements (reports/statements.py and friends) -----------------------------------------
    Report(STATEMENTS, _l("Balance sheet"), _l("Assets, liabilities and net assets at any date, "
           "restricted per fund and fund group, beside the year before."), "reports.balance_sheet"),
    Report(STATEMENTS, _l("Statement of activities"), _l("Income and expenses for any period by fund "
           "group or fund, the prior period and the change; every figure opens its postings."),
           "reports.activities"),
    Report(STATEMENTS, _l("Cash flow by month"), _l("Cash at the start and end of each month, what came "
           "in and went out, with a chart."), "reports.cash_flow"),
    Report(STATEMENTS, _l("Fund balances over time"), _l("Each fund's balance at every month "
           "end of a year, the largest funds one by one and the others summed, with a chart."),
           "reports.fund_balances"),
    Report(STATEMENTS, _l("Result per tax sphere"), _l("Ideeller Bereich, Vermögensverwaltung, "
           "Zweckbetrieb and wirtschaftlicher Geschäftsbetrieb for a year, with the limit on "
           "taxable receipts."), "reports.spheres_page"),
    Report(STATEMENTS, _l("VAT return figures"), _l("The Kennzahlen of the Umsatzsteuer-Voranmeldung "
           "for a month or quarter, down to the invoices."), "reports.vat_page"),
    Report(STATEMENTS, _l("Receivables and payables by age"), _l("Open invoices and what is owed, by "
           "how long it has been due."), "reports.aging_page"),
    Report(PLANNING, _l("Budget against actual"), _l("The year's budget per account and fund, its "
           "revisions and approval, what is used and the forecast to the year end."),
           "reports.budget"),
    Report(ANNUAL, _l("Annual report pack"), _l("One PDF for the general assembly: cover, contents, "
           "every statement, funds per group, grants, donations, open receivables and the "
           "year's resolutions; kept with its SHA-256."), "reports.annual", formats=("pdf",)),
    # Exports for others' tools (reports/datev.py, beancount_export.py, audit_export.py) -------
    Report(EXPORTS, _l("DATEV export"), _l("The journal of a period as a DATEV Buchungsstapel for the "
           "tax adviser, with the mapping of the accounts to the adviser's chart (SKR 49)."),
           "report_exports.datev_page", formats=("csv",)),
    Report(EXPORTS, _l("Beancount export"), _l("The whole ledger as a Beancount file for Fava and "
           "bean-check; a Beancount history comes in with `backoffice import beancount`."),
           "report_exports.beancount_page", formats=("beancount",)),
    Report(EXPORTS, _l("Data for the tax auditor"), _l("A fiscal year as GoBD data access: CSV files "
           "with index.xml and its DTD, in one zip."), "report_exports.audit_page",
           formats=("zip",)),
)


def visible(can) -> dict[str, list[Report]]:
    """{section's name: reports} that ``can(permission)`` allows, sections in their order (named
    in the reader's language), empty ones left out."""
    found = [(str(section), [report for report in REPORTS
                             if report.section is section and can(report.permission)])
             for section in SECTIONS]
    return {name: reports for name, reports in found if reports}
