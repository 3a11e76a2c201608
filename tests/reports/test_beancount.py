"""The ledger as a Beancount file (bean-check accepts it, its balances are the trial balance's)
and back: a Beancount history imported into an empty ledger gives the same trial balance."""
from __future__ import annotations

import io
import subprocess
import sys
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import data
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from backoffice.core.errors import ValidationError
from backoffice.core.money import Money
from backoffice.ledger import reads
from backoffice.ledger.balances import account_balances, trial_balance
from backoffice.ledger.integrity import problems
from backoffice.ledger.periods import FiscalYear
from backoffice.reports import beancount_export, beancount_import

from .books import JANUARY, small_ledger

BEAN_CHECK = Path(sys.executable).with_name("bean-check")


def _export(session, link=None) -> str:
    out = io.StringIO()
    beancount_export.write(session, out, title="Test association", operating_currency="EUR",
                           link=link)
    return out.getvalue()


def _trial(session, as_of=JANUARY[1]) -> list[tuple[str, str, int]]:
    report = trial_balance(session, as_of, fiscal_year=FiscalYear(1))
    return [(row.account.code, row.currency, row.balance) for row in report.rows]


@pytest.fixture
def books(session, users):
    return small_ledger(session, users["treasurer"])


def test_bean_check_accepts_the_exported_books(books, session, tmp_path):
    path = tmp_path / "books.beancount"
    path.write_text(_export(session, link=lambda endpoint, values: f"https://bo.example/{endpoint}"
                            f"/{next(iter(values.values()))}"), encoding="utf-8")
    result = subprocess.run([str(BEAN_CHECK), str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    entries, errors, options = loader.load_file(str(path))
    assert errors == []
    assert options["operating_currency"] == ["EUR"]
    transactions = [e for e in entries if isinstance(e, data.Transaction)]
    assert len(transactions) == reads.entry_count(session) == 5
    first = transactions[0]
    assert first.meta["entry-url"].startswith("https://bo.example/ledger.entry/")
    opens = {e.account: e for e in entries if isinstance(e, data.Open)}
    bank = next(e for name, e in opens.items() if name.startswith("Assets:1200-Bank"))
    assert bank.meta["code"] == "1200" and bank.meta["role"] == "bank"
    assert bank.date == date(2026, 1, 12)  # its first posting, not earlier


def test_the_beancount_balances_are_the_ledgers(books, session):
    entries, errors, _ = loader.load_string(_export(session))
    assert errors == []
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    opens = {e.account: e.meta["code"] for e in entries if isinstance(e, data.Open)}
    for entry in entries:
        if isinstance(entry, data.Transaction):
            for posting in entry.postings:
                sums[(opens[posting.account], posting.units.currency)] += posting.units.number
    chart = {a.id: a.code for a in reads.chart_accounts(session)}
    ledger = {(chart[account_id], currency): Money(amount, currency).to_decimal()
              for (account_id, currency), amount in account_balances(session, date.max).items()
              if amount}
    assert {key: value for key, value in sums.items() if value} == ledger
    # by hand: the bank holds 300.00 - 50.00 - 107.00; sponsorship income is 1000.00 (credit)
    assert ledger[("1200", "EUR")] == Decimal("143.00")
    assert ledger[("4200", "EUR")] == Decimal("-1000.00")


def test_export_then_import_into_a_fresh_ledger_gives_the_same_trial_balance(
        books, session, backend, templates, tmp_path):
    path = tmp_path / "books.beancount"
    path.write_text(_export(session), encoding="utf-8")
    url, cleanup = templates.clone(backend, tmp_path, "schema")
    engine = create_engine(url)
    try:
        with Session(engine) as fresh:
            report = beancount_import.import_file(fresh, path, mapping=beancount_import.Mapping(),
                                                  actor=None)
            assert report.entries == 5 and report.skipped == []
            assert report.created_funds == ["BER"]
            assert _trial(fresh) == _trial(session)
            assert problems(fresh) == []  # totals, chain and rules: `ledger verify` is clean
            with pytest.raises(ValidationError, match="empty ledger"):
                beancount_import.import_file(fresh, path, mapping=beancount_import.Mapping(),
                                             actor=None)
    finally:
        engine.dispose()
        cleanup()


FOREIGN = """
option "operating_currency" "EUR"
2025-01-01 open Assets:Bank:Checking EUR
2025-01-01 open Assets:Stocks ACME
2025-01-01 open Income:Donations:BER EUR
2025-01-01 open Income:Donations:GEN EUR
2025-01-01 open Expenses:Travel EUR
2025-01-01 open Expenses:Mystery EUR
2025-01-02 * "Alice" "Donation for Berlin"
  Assets:Bank:Checking   100.00 EUR
  Income:Donations:BER  -100.00 EUR
2025-01-03 * "Donation"
  Assets:Bank:Checking    50.00 EUR
  Income:Donations:GEN
2025-01-04 * "Train"
  Expenses:Travel   20.00 EUR
  Assets:Bank:Checking
2025-01-05 * "Unknown"
  Expenses:Mystery   5.00 EUR
  Assets:Bank:Checking
2025-01-06 * "Shares"
  Assets:Stocks   1 ACME {10.00 EUR}
  Assets:Bank:Checking
2025-01-07 balance Assets:Bank:Checking 115.00 EUR
2025-01-07 price ACME 12.00 EUR
"""
MAPPING = """
fund_segment = true
[accounts]
"Assets:Bank:Checking" = "1200"
"Income:Donations" = "4100"
"Expenses:Travel" = "5200"
"""


def test_a_foreign_history_is_mapped_by_the_mapping_file_and_what_is_skipped_is_reported(
        session, users, tmp_path):
    (tmp_path / "books.beancount").write_text(FOREIGN)
    (tmp_path / "map.toml").write_text(MAPPING)
    mapping = beancount_import.read_mapping(tmp_path / "map.toml")
    dry = beancount_import.import_file(session, tmp_path / "books.beancount", mapping=mapping,
                                       actor=users["treasurer"], dry_run=True)
    assert dry.entries == 3 and reads.entry_count(session) == 0  # nothing written
    report = beancount_import.import_file(session, tmp_path / "books.beancount",
                                          mapping=mapping, actor=users["treasurer"])
    assert report.entries == 3 and report.postings == 6
    assert report.created_funds == ["BER"]
    assert [line.split(": ", 1)[1] for line in report.skipped] == [
        "Expenses:Mystery maps to no ledger account", "ACME is not a currency"]
    assert report.skipped_directives == {"balance": 1, "price": 1}
    assert any("Skipped 2 transaction" in line for line in report.lines())
    balances = {(code, cur): amount for code, cur, amount in _trial(session, date(2025, 12, 31))}
    assert balances[("1200", "EUR")] == 13000  # 100 + 50 - 20
    assert balances[("4100", "EUR")] == -15000
    assert problems(session) == []


def test_a_file_beancount_refuses_is_refused_with_nothing_written(session, users, tmp_path):
    (tmp_path / "bad.beancount").write_text(
        "2025-01-01 open Assets:Bank EUR\n2025-01-02 * \"x\"\n  Assets:Bank 1.00 EUR\n"
        "  Assets:Nowhere -1.00 EUR\n")
    with pytest.raises(ValidationError, match="error"):
        beancount_import.import_file(session, tmp_path / "bad.beancount",
                                     mapping=beancount_import.Mapping(), actor=users["treasurer"])
    assert reads.entry_count(session) == 0
