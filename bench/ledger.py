"""Ledger benchmark: a synthetic ledger of 100,000 and 1,000,000 postings (60 accounts, 200 funds,
five years), then the medians of the treasurer's main reads, as queries and as whole pages."""
from __future__ import annotations

import random
import time
from datetime import date, timedelta

from sqlalchemy import func, select

from backoffice.auth.services import create_user
from backoffice.core.db import transaction, utcnow
from backoffice.core.permissions import Role
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.ledger import services as ledger
from backoffice.ledger import totals
from backoffice.ledger.balances import fund_balances, fund_statements, trial_balance
from backoffice.ledger.chart import Account, AccountType, Fund
from backoffice.ledger.models import Posting
from backoffice.ledger.periods import FiscalYear
from backoffice.ledger.queries import JournalFilter, account_ledger, journal_page

from .common import bench_app, fresh_database, median_ms

TARGET_MS = 50
SIZES = [100_000, 1_000_000]
QUICK_SIZES = [20_000]
YEARS = 5


def _chart(session, actor) -> tuple[list[Account], list[Fund]]:
    """Top the default chart up to 60 accounts and the funds up to 200."""
    accounts = list(session.scalars(select(Account)))
    n = 0
    while len(accounts) < 60:
        n += 1
        kind = AccountType.EXPENSE if n % 3 else AccountType.INCOME
        accounts.append(ledger.create_account(session, code=f"7{n:03d}", name=f"Bench {kind} {n}",
                                              type=kind, actor=actor))
    funds = list(session.scalars(select(Fund)))
    while len(funds) < 200:
        funds.append(ledger.create_fund(session, code=f"F{len(funds):03d}",
                                        name=f"Group fund {len(funds)}", actor=actor))
    return accounts, funds


def generate(session, postings_wanted: int, seed: int = 7) -> dict:
    """Bulk-load balanced entries (each fund balancing on its own) and rebuild the totals."""
    rng = random.Random(seed)
    actor = create_user(session, "bench@example.org", settings=app_settings(), roles=[Role.TREASURER], password="bench-password")
    accounts, funds = _chart(session, actor)
    by_role = {a.role: a for a in accounts if a.role}
    bank, stripe, interfund = by_role["bank"].id, by_role["stripe_balance"].id, by_role["interfund"].id
    income = [a.id for a in accounts if a.type is AccountType.INCOME]
    expense = [a.id for a in accounts if a.type is AccountType.EXPENSE]
    general = next(f.id for f in funds if f.code == "GEN")
    fund_ids = [f.id for f in funds]
    weights = [40 if f == general else 1 + (i % 7) for i, f in enumerate(fund_ids)]
    fee_expense, fee_income = by_role["admin_fee_expense"].id, by_role["admin_fee_income"].id
    session.commit()

    end = date.today()
    start = end - timedelta(days=365 * YEARS)
    span = (end - start).days
    entry_rows, posting_rows = [], []
    entry_id = posting_id = 0
    now = utcnow()
    while len(posting_rows) < postings_wanted:
        entry_id += 1
        day = start + timedelta(days=span * len(posting_rows) // postings_wanted)
        fund = rng.choices(fund_ids, weights)[0]
        cents = rng.randint(100, 500_000)
        shape = rng.random()
        if shape < 0.35:    # income or expense against the bank
            other = rng.choice(income + expense)
            lines = [(bank, fund, cents), (other, fund, -cents)]
        elif shape < 0.60:  # a split: one receipt, two income accounts
            part = rng.randint(1, cents - 1) if cents > 1 else 1
            lines = [(stripe, fund, cents), (rng.choice(income), fund, -part),
                     (rng.choice(income), fund, part - cents)]
        elif shape < 0.80:  # a grant paid from one fund to another: interfund lines
            other_fund = rng.choice(fund_ids)
            other_fund = general if other_fund == fund else other_fund
            lines = [(rng.choice(expense), fund, cents), (rng.choice(income), other_fund, -cents),
                     (interfund, fund, -cents), (interfund, other_fund, cents)]
        else:               # income with the association's admin fee
            fee = cents * 7 // 100 or 1
            lines = [(bank, fund, cents), (rng.choice(income), fund, -cents),
                     (fee_expense, fund, fee), (fee_income, general, -fee),
                     (interfund, fund, -fee), (interfund, general, fee)]
            if fund == general:
                lines = lines[:2]
        entry_rows.append((entry_id, day, f"Bench entry {entry_id}", "bench", None, actor.id, now))
        for line_no, (account, fund_id, amount) in enumerate(lines, 1):
            posting_id += 1
            posting_rows.append((posting_id, entry_id, line_no, account, fund_id, amount, "EUR", day))
    _bulk_load(session, entry_rows, posting_rows)
    started = time.monotonic()
    totals.rebuild(session)
    session.commit()
    return {"entries": len(entry_rows), "postings": len(posting_rows),
            "totals_seconds": time.monotonic() - started, "funds": funds, "accounts": accounts,
            "start": start, "end": end}


def _bulk_load(session, entries, postings) -> None:
    connection = session.connection()
    entry_columns = "id, booking_date, description, source_kind, source_id, posted_by_id, posted_at"
    posting_columns = "id, entry_id, line_no, account_id, fund_id, amount, currency, booking_date"
    if connection.dialect.name == "postgresql":
        raw = connection.connection.dbapi_connection
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY journal_entries ({entry_columns}) FROM STDIN") as copy:
                for row in entries:
                    copy.write_row(row)
            with cursor.copy(f"COPY postings ({posting_columns}) FROM STDIN") as copy:
                for row in postings:
                    copy.write_row(row)
            for table in ("journal_entries", "postings"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT max(id) FROM {table}))")
    else:
        raw = connection.connection.dbapi_connection
        raw.executemany(f"INSERT INTO journal_entries ({entry_columns}) VALUES (?,?,?,?,?,?,?)",
                        [(i, d.isoformat(), t, k, s, u, n.strftime("%Y-%m-%d %H:%M:%S.%f"))
                         for i, d, t, k, s, u, n in entries])
        raw.executemany(f"INSERT INTO postings ({posting_columns}) VALUES (?,?,?,?,?,?,?,?)",
                        [(*row[:7], row[7].isoformat()) for row in postings])
        raw.execute("ANALYZE")
    session.commit()
    if connection.dialect.name == "postgresql":
        # As a database in use would be: vacuumed and analysed. Otherwise autovacuum starts on
        # the million new rows in the middle of the measurements and competes for the 2 cores.
        raw = session.connection().connection.dbapi_connection
        session.commit()
        raw.autocommit = True
        try:
            raw.execute("VACUUM ANALYZE")
        finally:
            raw.autocommit = False


def run(report, backends, quick: bool) -> None:
    for backend in backends:
        for size in (QUICK_SIZES if quick else SIZES):
            with fresh_database(backend) as url:
                app = bench_app(url)
                with app.app_context():
                    started = time.monotonic()
                    data = generate(db.session, size)
                    print(f"  generated {data['entries']:,} entries / {data['postings']:,} postings "
                          f"on {backend} in {time.monotonic() - started:.0f} s "
                          f"(totals rebuilt in {data['totals_seconds']:.1f} s)", flush=True)
                    _measure(report, app, backend, f"{data['postings']:,}", data)
                    db.session.remove()
                    db.engine.dispose()


def _measure(report, app, backend: str, size: str, data: dict) -> None:
    session = db.session
    end = data["end"]
    as_of = end - timedelta(days=400)
    year = (date(as_of.year - 1, 1, 1), date(as_of.year - 1, 12, 31))
    busiest = session.execute(select(Posting.fund_id, func.count()).where(Posting.fund_id != 1)
                              .group_by(Posting.fund_id).order_by(func.count().desc()).limit(1)).one()
    fund = session.get(Fund, busiest[0])
    bank = ledger.account_by_role(session, "bank")
    deep = data["start"] + timedelta(days=400)
    session.remove() if hasattr(session, "remove") else None

    def query(name, function):
        report.add("ledger", f"{name} (query)", backend, size, median_ms(function))

    query("trial balance as of a date", lambda: trial_balance(db.session, as_of, fiscal_year=FiscalYear(1)))
    query("fund balances as of a date", lambda: fund_balances(db.session, as_of))
    query("one fund's statement for a year",
          lambda: fund_statements(db.session, db.session.get(Fund, fund.id), *year))
    query("account ledger page deep in history",
          lambda: account_ledger(db.session, bank.id, start=deep, limit=50))
    query("journal page", lambda: journal_page(db.session, JournalFilter(), limit=50))

    client = app.test_client()
    with app.test_request_context():
        with transaction():
            create_user(db.session, "bench-reader@example.org", settings=app_settings(), roles=[Role.TREASURER],
                        password="bench-password")
    client.post("/login", data={"email": "bench-reader@example.org", "password": "bench-password"})

    def page(name, url):
        def fetch():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        report.add("ledger", f"{name} (page)", backend, size, median_ms(fetch), target=TARGET_MS)

    page("trial balance as of a date", f"/ledger/trial-balance?as_of={as_of}")
    page("fund balances as of a date", f"/ledger/fund-balances?as_of={as_of}")
    page("one fund's statement for a year",
         f"/ledger/funds/{fund.id}?start={year[0]}&end={year[1]}")
    page("account ledger page deep in history", f"/ledger/accounts/{bank.id}?start={deep}")
    page("journal page", "/ledger/journal")
