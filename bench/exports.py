"""Exports benchmark: the journal as XLSX at 100,000 and 1,000,000 postings (seconds, peak memory
of the process that writes it, and the ratio to openpyxl writing rows of the same shape alone).
The Beancount import is ``bench/beancount.py``.

Target (issue 15): the XLSX export in constant memory and within 3x openpyxl's own time. Each
XLSX run is a fresh (spawned) process, so its peak RSS is its own.
"""
from __future__ import annotations

import multiprocessing
import resource
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook

from backoffice.core.tables import write_xlsx
from backoffice.extensions import db
from backoffice.ledger.reads import journal_table

from .common import bench_app, fresh_database
from .ledger import generate

XLSX_SIZES = [100_000, 1_000_000]
QUICK_XLSX_SIZES = [20_000]
MAX_RATIO = 3.0


def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM: counted from its own exec, unlike
    ``ru_maxrss``, which a spawned child inherits from the parent it was forked from)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _export_child(url: str, path: str, queue) -> None:
    app = bench_app(url)
    with app.app_context():
        started = time.process_time()
        table = journal_table(db.session)
        write_xlsx(table, path)
        seconds = time.process_time() - started
        db.session.remove()
        db.engine.dispose()
    queue.put((seconds, _peak_mb()))


def _plain_child(rows: int, path: str, queue) -> None:
    """openpyxl alone, write-only, the same number of rows of the same shape (no styles)."""
    started = time.process_time()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("journal")
    sheet.append(["Date", "Entry", "Description", "Account", "Account name", "Fund", "Debit",
                  "Credit", "Memo", "Source"])
    day = date(2026, 1, 1)
    for n in range(rows):
        amount = Decimal(n % 50_000) / 100
        sheet.append([day + timedelta(days=n % 365), n // 3, f"Bench entry {n // 3}", "4100",
                      "Donations", "F001", amount if n % 2 else None,
                      None if n % 2 else amount, "", "bench:"])
    workbook.save(path)
    queue.put((time.process_time() - started, _peak_mb()))


def _in_child(target, *args) -> tuple[float, float]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def _xlsx(report, backends: list[str], sizes: list[int]) -> None:
    for backend in backends:
        for size in sizes:
            with fresh_database(backend) as url:
                app = bench_app(url)
                with app.app_context():
                    made = generate(db.session, size)
                    db.session.remove()
                    db.engine.dispose()
                with tempfile.TemporaryDirectory() as directory:
                    ours, peak = _in_child(_export_child, url, str(Path(directory) / "j.xlsx"))
                    plain, plain_peak = _in_child(_plain_child, made["postings"],
                                                  str(Path(directory) / "p.xlsx"))
            label = f"{made['postings']:,}"
            report.add("exports", "journal XLSX, CPU (s)", backend, label, ours, "s")
            report.add("exports", "journal XLSX peak RSS (MB)", backend, label, peak, "MB")
            report.add("exports", "openpyxl alone, same rows, CPU (s)", backend, label, plain, "s")
            report.add("exports", "openpyxl alone peak RSS (MB)", backend, label, plain_peak, "MB")
            report.add("exports", "XLSX / openpyxl alone (x)", backend, label, ours / plain, "x",
                       target=MAX_RATIO)


def run(report, backends: list[str], quick: bool) -> None:
    """The XLSX figures are CPU seconds of the writing process (a loaded machine stretches wall
    time for both sides alike, not their ratio)."""
    _xlsx(report, backends, QUICK_XLSX_SIZES if quick else XLSX_SIZES)
