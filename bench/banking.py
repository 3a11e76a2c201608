"""Banking benchmark: import and auto-match a CAMT.053 file of N entries against N open items
(booked bank postings whose invoice number the remittance quotes), for N and 2N, to show the
time grows linearly; then the reconciliation page with 5,000 open lines."""
from __future__ import annotations

import random
import time
from contextlib import contextmanager
from datetime import date, timedelta

from backoffice.auth.services import create_user
from backoffice.banking import imports, open_postings, services, writers
from backoffice.banking.parsers import ParsedLine, ParsedStatement
from backoffice.core.db import transaction, utcnow
from backoffice.core.permissions import Role
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.ledger import services as ledger
from backoffice.ledger import totals

from .common import bench_app, fresh_database, median_ms
from .ledger import _bulk_load

IMPORT_TARGET_S = 3.0
PAGE_TARGET_MS = 150
SIZES = [10_000, 20_000]
QUICK_SIZES = [1_000, 2_000]
PAGE_LINES = 5_000
QUICK_PAGE_LINES = 500
IBAN = "DE89370400440532013000"


def _setup(session, n: int, *, booked: bool, seed: int = 11):
    """A treasurer, a bank account (auto-accept on) and, if ``booked``, ``n`` open postings on
    its ledger account; returns the statement (as parsed lines) the bank would send for them."""
    rng = random.Random(seed)
    actor = create_user(session, "bench-bank@example.org", settings=app_settings(), roles=[Role.TREASURER],
                        password="bench-password")
    bank = ledger.account_by_role(session, "bank")
    income = ledger.account_by_role(session, "sponsorship_income")
    general = ledger.general_fund(session)
    account = services.create_bank_account(session, name="Bench account", iban=IBAN,
                                           currency="EUR", ledger_account=bank, actor=actor,
                                           auto_accept=True)
    session.commit()
    start = date.today() - timedelta(days=360)
    entries, postings, lines = [], [], []
    now = utcnow()
    for i in range(1, n + 1):
        day = start + timedelta(days=i * 350 // n)
        cents = rng.randint(1_000, 500_000)
        number = f"INV-{2025 + i % 2}-{i:06d}"
        entries.append((i, day, f"Invoice {number} sponsor {i % 97}", "bench", None, actor.id, now))
        postings.append((2 * i - 1, i, 1, bank.id, general.id, cents, "EUR", day))
        postings.append((2 * i, i, 2, income.id, general.id, -cents, "EUR", day))
        lines.append(ParsedLine(booking_date=day + timedelta(days=rng.randint(0, 3)),
                                amount=cents, currency="EUR",
                                counterparty_name=f"Sponsor {i % 97} GmbH",
                                remittance=f"Payment {number.replace('-', ' ')} thank you",
                                bank_reference=f"B{i:09d}"))
    if booked:
        _bulk_load(session, entries, postings)
        totals.rebuild(session)
        open_postings.rebuild(session)  # written below the ledger, as the totals
        session.commit()
    lines.sort(key=lambda line: line.booking_date)
    statement = ParsedStatement(account=IBAN, currency="EUR", reference="BENCH", sequence="1",
                                opening=0, opening_date=start - timedelta(days=1),
                                closing=sum(line.amount for line in lines),
                                closing_date=lines[-1].booking_date, lines=lines)
    return actor, account, writers.camt053(IBAN, [statement])


@contextmanager
def _database(backend: str, n: int, *, booked: bool):
    """A fresh database with the bench bank account; yields (app, actor, account, file)."""
    with fresh_database(backend) as url:
        app = bench_app(url)
        with app.app_context():
            yield app, *_setup(db.session, n, booked=booked)
            db.session.remove()
            db.engine.dispose()


def _import(report, backend: str, n: int) -> float:
    with _database(backend, n, booked=True) as (app, actor, account, data):
        started = time.perf_counter()
        with transaction():
            result = imports.import_statement(db.session, account, filename="bench.xml",
                                               data=data, actor=actor, settings=app_settings())
        seconds = time.perf_counter() - started
        assert result.record.lines_new == n, result.record.lines_new
        assert result.auto_matched == n, (result.auto_matched, n)
        report.add("banking", "import + auto-match CAMT.053", backend, f"{n:,}x{n:,}",
                   seconds, "s", target=IMPORT_TARGET_S if n <= 10_000 else None)
    return seconds


def _page(report, backend: str, n: int) -> None:
    with _database(backend, n, booked=False) as (app, actor, account, data):
        with transaction():
            imports.import_statement(db.session, account, filename="bench.xml", data=data,
                                      actor=actor, settings=app_settings())
        client = app.test_client()
        client.post("/login", data={"email": "bench-bank@example.org",
                                    "password": "bench-password"})
        url = f"/bank/accounts/{account.id}/reconcile"

        def fetch():
            response = client.get(url)
            assert response.status_code == 200, response.status_code
        report.add("banking", "reconciliation page", backend, f"{n:,} open", median_ms(fetch),
                   target=PAGE_TARGET_MS)


def run(report, backends, quick: bool) -> None:
    for backend in backends:
        sizes = QUICK_SIZES if quick else SIZES
        timings = [_import(report, backend, n) for n in sizes]
        ratio = timings[1] / timings[0]
        report.add("banking", f"time ratio for {sizes[1] // sizes[0]}x the data", backend,
                   f"{sizes[1]:,}/{sizes[0]:,}", ratio, "x", target=2.6)
        _page(report, backend, QUICK_PAGE_LINES if quick else PAGE_LINES)
