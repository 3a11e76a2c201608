"""Beancount import benchmark (issue 15: 100,000 transactions in under a minute): a generated
Beancount history of 100,000 two-posting transactions over ten funds, loaded and checked by
Beancount and posted by the real importer (``reports.beancount_import.import_file``, the code
behind ``backoffice import beancount``) into an empty, migrated ledger, on each backend.

Reported: the wall time and this process's CPU time (Beancount's parsing and checking, the
importer, and on SQLite the database's work; on PostgreSQL the server's share is in the wall
time only). ``BENCH_IMPORT_SIZE`` changes the number of transactions.
"""
from __future__ import annotations

import os
import random
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from backoffice.extensions import db
from backoffice.ledger import reads
from backoffice.reports import beancount_import

from .common import bench_app, fresh_database

IMPORT_SIZE, QUICK_IMPORT_SIZE = int(os.environ.get("BENCH_IMPORT_SIZE", 100_000)), 5_000
IMPORT_SECONDS = 60


def beancount_history(path: Path, transactions: int, seed: int = 5) -> None:
    """A Beancount file of ``transactions`` two-posting transactions over ten funds."""
    rng = random.Random(seed)
    funds = [f"F{n:02d}" for n in range(10)]
    start = date(2020, 1, 1)
    with path.open("w", encoding="utf-8") as out:
        out.write('option "operating_currency" "EUR"\n')
        out.write("2020-01-01 open Assets:Bank:Checking EUR\n")
        for fund in funds:
            for account in ("Income:Donations", "Expenses:Travel", "Expenses:Venue"):
                out.write(f"2020-01-01 open {account}:{fund} EUR\n")
        for n in range(transactions):
            day = start + timedelta(days=n * 2000 // transactions)
            fund = rng.choice(funds)
            cents = rng.randint(100, 200_000)
            if rng.random() < 0.5:
                other, amount = f"Income:Donations:{fund}", -cents
            else:
                other = f"Expenses:{rng.choice(('Travel', 'Venue'))}:{fund}"
                amount = cents
            out.write(f'{day} * "Payee {n % 977}" "Transaction {n}"\n'
                      f"  {other}  {Decimal(amount) / 100:.2f} EUR\n"
                      "  Assets:Bank:Checking\n\n")


MAPPING = beancount_import.Mapping(
    accounts={"Assets:Bank:Checking": "1200", "Income:Donations": "4100",
              "Expenses:Travel": "5200", "Expenses:Venue": "5100"}, fund_segment=True)


def _import(report, backends: list[str], size: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "history.beancount"
        beancount_history(path, size)
        for backend in backends:
            with fresh_database(backend) as url:
                app = bench_app(url)
                with app.app_context():
                    started, cpu = time.perf_counter(), time.process_time()
                    result = beancount_import.import_file(db.session, path, mapping=MAPPING,
                                                          actor=None)
                    seconds = time.perf_counter() - started
                    cpu = time.process_time() - cpu
                    assert result.entries == size, result.lines()
                    assert reads.entry_count(db.session) == size  # committed, all of it
                    db.session.remove()
                    db.engine.dispose()
            # On a shared machine the wall time measures the neighbours; the process's CPU
            # time (plus, on PostgreSQL, the server's) is what the import costs.
            report.add("beancount", "Beancount import, CPU of this process (s)", backend,
                       f"{size:,}", cpu, "s", target=IMPORT_SECONDS)
            report.add("beancount", "Beancount import, wall (s)", backend, f"{size:,}", seconds,
                       "s", target=IMPORT_SECONDS)


def run(report, backends: list[str], quick: bool) -> None:
    _import(report, backends, QUICK_IMPORT_SIZE if quick else IMPORT_SIZE)
