"""The whole ledger as a Beancount file: open it in Fava and see the same balances.

- Each ledger account in each fund it was used in is a Beancount account
  ``<Root>:<code>-<Name>:<FUND>`` (Root: Assets, Liabilities, Equity for net assets, Income,
  Expenses), opened on the date of its first posting with the currencies it was used in, and
  with ``code``, ``fund`` and ``role`` as metadata (what the importer reads to map it back).
  The parent ``<Root>:<code>-<Name>`` sums the funds, so Fava's tree shows the account and,
  below it, its funds.
- Each journal entry is a transaction on its booking date with its description, its lines as
  postings (the interfund lines too: every fund balances on its own), and as metadata the entry
  number, what caused it (``source``) and links to the entry and its source document.
- Amounts are exact decimals in the entry's currency; a Beancount transaction balances per
  currency, as every entry does.

Written line by line from a cursor over the journal, so the memory is one batch whatever the
size of the books.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import IO

from sqlalchemy.orm import Session
from werkzeug.routing import BuildError

from ..core.money import exponent
from ..core.settings import Settings
from ..core.signals import source_pages
from ..core.urls import absolute_url
from ..ledger.reads import (
    ChartAccount,
    ChartFund,
    account_usage,
    by_entry,
    chart_accounts,
    chart_funds,
    journal_lines,
)

ROOTS = {"asset": "Assets", "liability": "Liabilities", "net_assets": "Equity",
         "income": "Income", "expense": "Expenses"}
#: Where the source document of an entry is shown: source kind -> (endpoint, URL argument).
_NOT_NAME = re.compile(r"[^\w]+", re.UNICODE)


def component(text: str) -> str:
    """A Beancount account component: letters, digits and dashes, starting with a capital or
    a digit ("1200 Bank: current account" -> "1200-Bank-current-account")."""
    words = [word for word in _NOT_NAME.split(text.replace("_", " ")) if word]
    name = "-".join(words) or "X"
    return name[0].upper() + name[1:]


def _unique(base: str, taken: set[str]) -> str:
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    taken.add(name)
    return name


def account_names(accounts: list[ChartAccount], funds: list[ChartFund]) -> tuple[dict, dict]:
    """({account id: "Root:code-Name"}, {fund id: "FUND"}), each unique."""
    taken: set[str] = set()
    names = {account.id: _unique(f"{ROOTS[account.type]}:"
                                 f"{component(account.code + ' ' + account.name)}", taken)
             for account in accounts}
    taken = set()
    fund_names = {fund.id: _unique(component(fund.code), taken) for fund in funds}
    return names, fund_names


def page_links(settings: Settings) -> Callable[[str, dict], str | None]:
    """``link(endpoint, values)``: the absolute address of a page, None if the app has none."""
    def link(endpoint: str, values: dict) -> str | None:
        try:
            return absolute_url(settings, endpoint, **values)
        except BuildError:
            return None

    return link


def quoted(text: str | None) -> str:
    return '"' + (text or "").replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def amount_text(minor: int, currency: str) -> str:
    places = exponent(currency)
    return f"{Decimal(minor).scaleb(-places):.{places}f}"


@dataclass
class BeancountExport:
    entries: int = 0
    accounts: int = 0


def write(session: Session, out: IO[str], *, title: str, operating_currency: str,
          link: Callable[[str, dict], str | None] | None = None,
          as_of: date | None = None) -> BeancountExport:
    """Write the books (up to ``as_of``, default everything) to ``out``. ``link(endpoint,
    values)`` gives the absolute address of a page, or None."""
    accounts = chart_accounts(session)
    funds = chart_funds(session)
    by_id = {account.id: account for account in accounts}
    fund_by_id = {fund.id: fund for fund in funds}
    names, fund_names = account_names(accounts, funds)
    result = BeancountExport()
    out.write(f"; The books of {title}, written by the back office. Open with Fava.\n")
    out.write(f"option \"title\" {quoted(title)}\n")
    out.write(f"option \"operating_currency\" {quoted(operating_currency)}\n")
    out.write('option "name_equity" "Equity"\n\n')
    opened: dict[tuple[int, int], list] = {}
    for usage in account_usage(session):
        if as_of and usage.first > as_of:
            continue
        entry = opened.setdefault((usage.account_id, usage.fund_id), [usage.first, set()])
        entry[0] = min(entry[0], usage.first)
        entry[1].add(usage.currency)
    for (account_id, fund_id), (first, currencies) in sorted(
            opened.items(), key=lambda item: (item[1][0], names[item[0][0]],
                                              fund_names[item[0][1]])):
        account, fund = by_id[account_id], fund_by_id[fund_id]
        out.write(f"{first.isoformat()} open {names[account_id]}:{fund_names[fund_id]} "
                  f"{','.join(sorted(currencies))}\n")
        out.write(f"  code: {quoted(account.code)}\n  fund: {quoted(fund.code)}\n")
        if account.role:
            out.write(f"  role: {quoted(account.role)}\n")
        result.accounts += 1
    out.write("\n")
    pages = source_pages()
    for lines in by_entry(journal_lines(session)):
        first = lines[0]
        if as_of and first.booking_date > as_of:
            break
        out.write(f"{first.booking_date.isoformat()} * {quoted(first.description)}\n")
        out.write(f"  entry: \"{first.entry_id}\"\n")
        if first.source_kind:
            source = f"{first.source_kind}:{first.source_id or ''}"
            out.write(f"  source: {quoted(source)}\n")
        if first.reverses_id:
            out.write(f"  reverses: \"{first.reverses_id}\"\n")
        if link is not None:
            if (url := link("ledger.entry", {"entry_id": first.entry_id})):
                out.write(f"  entry-url: {quoted(url)}\n")
            page = pages.get(first.source_kind or "")
            if page and first.source_id and first.source_id.isdigit() and \
                    (url := link(page[0], {page[1]: int(first.source_id)})):
                out.write(f"  document: {quoted(url)}\n")
        for line in lines:
            out.write(f"  {names[line.account_id]}:{fund_names[line.fund_id]}  "
                      f"{amount_text(line.amount, line.currency)} {line.currency}\n")
            if line.memo:
                out.write(f"    memo: {quoted(line.memo)}\n")
        out.write("\n")
        result.entries += 1
    return result
