"""A real association's books, side by side with Fava (issue 17).

The ledger: ``bean-example`` run for ten seeds (ten years each), each history used for three
households renamed apart (``Assets:US:BofA`` becomes ``Assets:H07:US:BofA``; generating a seed
takes ~30 s on a busy machine), each household a fund, every Beancount account a ledger account
of its own (``code``/``fund`` on its ``open``), imported through ``backoffice import
beancount``'s importer. About 3,900 transactions and 113 accounts per household, of which the
importer takes about 2,800 (it skips the conversions, stock bought at cost, as it says): 37
households give ~143,000 transactions in the file, ~103,000 of them in the product's books
(the issue asks for >= 100,000), and ~4,200 accounts.

Every page is timed over HTTP (a real server in a thread, a logged-in session), warm, median of
``REPEAT``; Fava (a benchmark-only dependency: ``pip install -e '.[bench]'``) serves the same file
in a subprocess and is timed the same way right after, ``ROUNDS`` times in turn (each side's
figure the median of its rounds; Fava's is printed again beside each database). The ratio Fava /
product is printed (target >= 5x) and the page weight (target <= 100 KB).

The Beancount file and the loaded SQLite database are cached under ~/.cache/backoffice-bench
(the PostgreSQL database ``<bench db>_fava<N>`` is kept too); delete them to rebuild.
"""
from __future__ import annotations

import http.cookiejar
import logging
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

from sqlalchemy import select
from werkzeug.serving import make_server

from backoffice.auth.services import create_user
from backoffice.core.db import transaction
from backoffice.core.gunicorn_hooks import post_worker_init
from backoffice.core.permissions import Role
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.ledger import reads, services
from backoffice.ledger.chart import Account, AccountType, Fund
from backoffice.reports import beancount_import

from .common import analyze, bench_app, free_port, kept_database, migrate

HOUSEHOLDS, QUICK_HOUSEHOLDS = 37, 2
SEEDS = 10
YEARS = ("2016-01-01", "2026-01-01")
REPEAT = 7
WARM = 20
ROUNDS = 5  # each page: the product's median of REPEAT, then Fava's, five times in turn
MIN_RATIO = 5.0
MAX_KB = 100
CACHE = Path(os.environ.get("BENCH_CACHE", Path.home() / ".cache" / "backoffice-bench"))
ROOTS = {"Assets": AccountType.ASSET, "Liabilities": AccountType.LIABILITY,
         "Equity": AccountType.NET_ASSETS, "Income": AccountType.INCOME,
         "Expenses": AccountType.EXPENSE}
_ROOT = re.compile(r"\b(Assets|Liabilities|Equity|Income|Expenses):")
_OPEN = re.compile(r"^(\d{4}-\d\d-\d\d) open (\S+)")


def _bean_example(seed: int) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"ex-{seed}.beancount"
    if not path.exists() or not path.stat().st_size:
        tool = Path(sys.executable).with_name("bean-example")
        with open(path.with_suffix(".tmp"), "w", encoding="utf-8") as out:
            subprocess.run([str(tool), "--seed", str(seed), "--date-begin", YEARS[0],
                            "--date-end", YEARS[1]], stdout=out, check=True)
        path.with_suffix(".tmp").rename(path)
    return path


def build_file(households: int) -> tuple[Path, dict[str, tuple[str, str, AccountType]]]:
    """The combined Beancount file and {account: (code, fund, type)} of its accounts."""
    path = CACHE / f"households-{households}.beancount"
    accounts: dict[str, tuple[str, str, AccountType]] = {}
    seen_commodities: set[str] = set()
    lines = ['option "title" "Bench"\n', 'option "operating_currency" "USD"\n']
    for seed in range(1, households + 1):
        fund = f"H{seed:02d}"
        skipping = False
        source = _bean_example((seed - 1) % SEEDS + 1)
        for line in source.read_text(encoding="utf-8").splitlines(keepends=True):
            if line.startswith(("option ", "plugin ")):
                continue
            if skipping and line[:1] in (" ", "\t"):
                continue
            skipping = False
            if " commodity " in line and line[:1].isdigit():
                name = line.split()[-1]
                if name in seen_commodities:
                    skipping = True
                    continue
                seen_commodities.add(name)
                lines.append(line)
                continue
            line = _ROOT.sub(rf"\1:{fund}:", line)
            lines.append(line)
            if match := _OPEN.match(line):
                name = match.group(2)
                code = f"{fund}.{len(accounts) + 1:05d}"
                accounts[name] = (code, fund, ROOTS[name.split(":")[0]])
                lines.append(f'  code: "{code}"\n  fund: "{fund}"\n')
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_text("".join(lines), encoding="utf-8")
        tmp.rename(path)
    return path, accounts


def _load(url: str, path: Path, accounts: dict) -> None:
    app = bench_app(url)
    with app.app_context():
        if reads.entry_count(db.session):
            db.engine.dispose()
            return
        started = time.monotonic()
        with transaction():
            for code in sorted({fund for _, fund, _ in accounts.values()}):
                services.create_fund(db.session, code=code, name=f"Household {code}", actor=None)
            for name, (code, _, kind) in accounts.items():
                services.create_account(db.session, code=code, name=name, type=kind, actor=None)
            create_user(db.session, "bench-board@example.org", settings=app_settings(),
                        roles=[Role.BOARD, Role.TREASURER], password="bench-password")
        result = beancount_import.import_file(db.session, path, mapping=beancount_import.Mapping(),
                                              actor=None)
        print(f"  imported {result.entries:,} transactions ({result.postings:,} postings, "
              f"{len(result.skipped):,} skipped: conversions and other commodities) in "
              f"{time.monotonic() - started:.0f} s", flush=True)
        db.session.remove()
        db.engine.dispose()


def loaded_database(backend: str, households: int) -> str:
    """The URL of a migrated database holding the households' ledger (built once, kept)."""
    path, accounts = build_file(households)
    if backend == "sqlite":
        url = f"sqlite:///{CACHE / f'fava-{households}.db'}"
    else:
        url = kept_database(f"bo_bench_fava{households}")
    migrate(url)
    _load(url, path, accounts)
    analyze(url)
    return url


class Browser:
    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.warm: set[str] = set()

    def get(self, path: str) -> bytes:
        with self.opener.open(self.base + path, timeout=120) as response:
            assert response.status == 200, (path, response.status)
            return response.read()

    def post(self, path: str, fields: dict) -> None:
        self.opener.open(self.base + path, urllib.parse.urlencode(fields).encode(), timeout=60)

    def time(self, path: str) -> tuple[float, int]:
        """Median milliseconds of REPEAT warm requests, and the page's size in bytes. Warm: WARM
        requests first, the first time a path is timed (PostgreSQL plans a statement afresh on
        each of its first ~10 runs on a connection and then keeps a plan: the statement of
        activities took 19-23 ms over its first fifteen requests, 15-17 ms after)."""
        for _ in range(2 if path in self.warm else WARM):
            body = self.get(path)
        self.warm.add(path)
        timings = []
        for _ in range(REPEAT):
            started = time.perf_counter()
            self.get(path)
            timings.append((time.perf_counter() - started) * 1000)
        return statistics.median(timings), len(body)


def _wait(url: str, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=120).read()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def start_fava(path: Path):
    """A Fava process on ``path``; None when Fava is not installed (the bench extra)."""
    fava = shutil.which("fava", path=str(Path(sys.executable).parent)) or shutil.which("fava")
    if fava is None:
        print("  Fava is not installed: pip install -e '.[bench]' to compare")
        return None, None
    port = free_port()
    process = subprocess.Popen([fava, "--host", "127.0.0.1", "--port", str(port), str(path)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    _wait(base + "/bench/")
    return process, Browser(base)


def _product(url: str):
    app = bench_app(url)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    browser = Browser(f"http://127.0.0.1:{server.server_port}")
    browser.post("/login", {"email": "bench-board@example.org", "password": "bench-password"})
    post_worker_init(server)  # as a production worker does once it has built the app (gc.freeze)
    return app, server, browser


def _pages(app) -> list[tuple[str, str, str | None]]:
    """(name, product path, Fava path or None)."""
    with app.app_context():
        busiest = db.session.execute(
            select(Account.id, Account.name).where(Account.name.like("Assets:H01:%Checking"))
        ).first()
        fund_id = db.session.scalar(select(Fund.id).where(Fund.code == "H01"))
    year = int(YEARS[1][:4]) - 1
    fava_account = urllib.parse.quote(busiest.name)
    return [
        ("trial balance", f"/ledger/trial-balance?as_of={year}-12-31", "/bench/trial_balance/"),
        ("balance sheet", f"/reports/balance-sheet?as_of={year}-12-31", "/bench/balance_sheet/"),
        ("statement of activities, all years",
         f"/reports/activities?start={YEARS[0]}&end={year}-12-31", "/bench/income_statement/"),
        ("journal, first page", "/ledger/journal", "/bench/journal/"),
        ("one account's ledger (checking)", f"/ledger/accounts/{busiest.id}",
         f"/bench/account/{fava_account}/"),
        ("fund statement, all years",
         f"/ledger/funds/{fund_id}?start={YEARS[0]}&end={year}-12-31", None),
        ("accounts page (chart with balances)", "/ledger/accounts", None),
        ("journal filtered by one account", f"/ledger/journal?account={busiest.id}", None),
        ("fund balances", "/ledger/fund-balances", None),
    ]


def run(report, backends: list[str], quick: bool) -> None:
    households = QUICK_HOUSEHOLDS if quick else HOUSEHOLDS
    path, accounts = build_file(households)
    size = f"{households} households"
    fava_process, fava = start_fava(path)
    try:
        for backend in backends:
            url = loaded_database(backend, households)
            app, server, browser = _product(url)
            one, five, _ = os.getloadavg()
            print(f"  {backend}: machine load {one:.1f}/{five:.1f} on {os.cpu_count()} cores",
                  flush=True)
            try:
                for name, ours, theirs in _pages(app):
                    # Rounds of the product's and Fava's medians in turn: the machine's speed
                    # drifts over a minute (a shared host), and a ratio of two medians taken
                    # minutes apart drifted with it.
                    timings: dict[str, list[float]] = {"ours": [], "theirs": []}
                    for _ in range(ROUNDS):
                        ms, weight = browser.time(ours)
                        timings["ours"].append(ms)
                        if theirs and fava is not None:
                            timings["theirs"].append(fava.time(theirs)[0])
                    ms = statistics.median(timings["ours"])
                    report.add("fava", f"{name} (ms)", backend, size, ms)
                    report.add("fava", f"{name} (KB)", backend, size, weight / 1024, "KB",
                               target=MAX_KB)
                    if timings["theirs"]:
                        theirs_ms = statistics.median(timings["theirs"])
                        report.add("fava", f"{name}: Fava (ms)", "fava", size, theirs_ms)
                        report.add("fava", f"{name}: Fava / product (x)", backend, size,
                                   theirs_ms / ms, "x", target=MIN_RATIO,
                                   higher_is_better=True)
            finally:
                server.shutdown()
                with app.app_context():
                    db.engine.dispose()
    finally:
        if fava_process is not None:
            fava_process.terminate()
            fava_process.wait()
