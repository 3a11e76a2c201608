"""Under a crowd (issue 17): wrk against gunicorn with the production settings on PostgreSQL.

The demo association (``demo seed``) on a fresh database, 20 treasurers logged in (each its own
session cookie), gunicorn started exactly as ``backoffice serve`` starts it with its defaults
(``core.processes.production_commands``: a worker per core, 4 threads each; ENV=production), and
wrk (Debian: ``apt-get install -y wrk``) sending the mix of MIX_PAGES round-robin over the 20
sessions for ``SECONDS`` seconds. In the same run the same wrk against a bare Flask +
Flask-SQLAlchemy page (bench/bare.py) under the same gunicorn (the same command line, only the app
differs): requests/s, p50 and p99 of both and their ratios, then each page of the mix alone (a
shorter run) with its HTML size. Every figure is printed with the machine's load average: on a
shared machine the absolute numbers move with it, the ratios much less.

Targets: the mix reaches >= 25 % of bare Flask's throughput and its p99 <= 4x bare Flask's.
"""
from __future__ import annotations

import http.client
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from contextlib import contextmanager
from http.cookies import SimpleCookie
from pathlib import Path

from sqlalchemy import event, select

from backoffice.auth.models import User
from backoffice.auth.services import create_user
from backoffice.banking.models import BankAccount, BankLine
from backoffice.core.db import transaction
from backoffice.core.gunicorn_hooks import post_worker_init
from backoffice.core.permissions import Role
from backoffice.core.processes import default_web_workers, production_commands, web_server
from backoffice.demo.seed import DEMO_USERS, already_seeded, has_demo_data, seed
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings

from . import costs
from .common import analyze, bench_app, free_port, kept_database, migrate

SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "20"))
USERS = 20
WORKERS = default_web_workers()  # make run-prod's default
MIN_THROUGHPUT = 25.0  # % of bare Flask's requests/s
MAX_P99_RATIO = 4.0
MAX_KB = 100
PASSWORD = "load-bench-password"
ROOT = Path(__file__).resolve().parent.parent

WRK_SCRIPT = """
local cookies = {%(cookies)s}
local paths = {%(paths)s}
local n = 0
request = function()
  n = n + 1
  local cookie = cookies[(n %% #cookies) + 1]
  local path = paths[(math.floor(n / #cookies) + n) %% #paths + 1]
  return wrk.format("GET", path, {["Cookie"] = cookie})
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def missing() -> list[str]:
    """What the load benchmark needs and this machine lacks, each with how to get it."""
    needs = []
    if shutil.which("wrk") is None:
        needs.append("wrk (Debian: apt-get install -y wrk)")
    try:
        import gunicorn  # noqa: F401 (only its presence)
    except ImportError:
        needs.append("gunicorn (pip install -e .)")
    return needs


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f} on {os.cpu_count()} cores"


@contextmanager
def _gunicorn(argv: list[str], env: dict, port: int):
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **env},
                               stdout=subprocess.DEVNULL, stderr=log)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError("gunicorn did not start: "
                                       + log.read().decode()[-2000:]) from None
                time.sleep(0.3)
        yield f"127.0.0.1:{port}"
    except Exception:
        log.seek(0)
        print("  gunicorn said: " + log.read().decode()[-3000:], file=sys.stderr)
        raise
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _request(host: str, method: str, path: str, cookie: str = "", body: dict | None = None):
    connection = http.client.HTTPConnection(host, timeout=120)
    headers = {"Cookie": cookie} if cookie else {}
    data = None
    if body is not None:
        data = urllib.parse.urlencode(body)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=data, headers=headers)
    response = connection.getresponse()
    content = response.read()
    cookies = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        cookies.load(header)
    connection.close()
    return response.status, content, {name: morsel.value for name, morsel in cookies.items()}


def _log_in(host: str, email: str) -> str:
    """The session cookie of ``email`` after the login form (CSRF token and all), as a browser
    holds it after the first page: that page puts the form token of the new login in the
    session (its logout form) and sends the cookie again. wrk keeps the cookie it is given, so
    without this every request of the run would make a new token and sign a new cookie."""
    status, page, jar = _request(host, "GET", "/login")
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    status, _, jar = _request(host, "POST", "/login", cookie, {
        "csrf_token": token.group(1).decode() if token else "", "email": email,
        "password": PASSWORD})
    if status != 302 or not jar:
        raise RuntimeError(f"login of {email} answered {status}")
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    status, _, again = _request(host, "GET", "/", cookie)
    if status != 200:
        raise RuntimeError(f"the start page of {email} answered {status}")
    return "; ".join(f"{k}={v}" for k, v in {**jar, **again}.items())


def _database() -> str:
    """The URL of the load's PostgreSQL database (``<bench db>_load``), migrated; kept between
    runs like the Fava ledger (drop it to rebuild)."""
    url = kept_database("bo_bench_load")
    migrate(url)
    return url


def _prepare(url: str) -> list[tuple[str, str]]:
    """The demo and the load's users (once); returns the mix as (name, path)."""
    app = bench_app(url)
    with app.app_context():
        if not already_seeded(db.session):
            started = time.monotonic()
            with transaction():
                seed(db.session, app_settings())
                for n in range(USERS):
                    create_user(db.session, f"load-{n:02d}@example.org", settings=app_settings(),
                                roles=[Role.TREASURER], password=PASSWORD)
            print(f"  demo seeded in {time.monotonic() - started:.0f} s", flush=True)
        if has_demo_data(db.session):  # production refuses the published demo logins
            with transaction():
                for user in db.session.scalars(select(User).where(
                        User.email.in_([email for email, _, _ in DEMO_USERS]))):
                    user.email = f"load-{user.email.split('@')[0]}@example.org"
        bank = db.session.scalar(select(BankAccount.id).join(BankLine).where(
            BankLine.status == "open").order_by(BankAccount.id).limit(1)) or db.session.scalar(
            select(BankAccount.id).order_by(BankAccount.id).limit(1))
        db.session.remove()
        db.engine.dispose()
    analyze(url)
    return [("journal", "/ledger/journal"), ("trial balance", "/ledger/trial-balance"),
            ("fund balances", "/ledger/fund-balances"),
            ("balance sheet", "/reports/balance-sheet"), ("activities", "/reports/activities"),
            ("reconciliation", f"/bank/accounts/{bank}/reconcile"), ("invoices", "/invoices"),
            ("grant queue", "/grants/queue")]


def _in_process(url: str, mix: list[tuple[str, str]], repeat: int = 10) -> dict[str, tuple]:
    """Each page of the mix in process (Flask's test client, one treasurer logged in): CPU
    milliseconds per request (the least of three rounds of ``repeat``: the machine is shared,
    CPU time moves much less with its load than wall time), statements per request, HTML size,
    and where the CPU time went (``costs.breakdown``: queries, template, session/auth,
    middleware, the view). What the wrk figures cannot say: where a page's cost is, whatever
    the machine's load."""
    app = bench_app(url)
    client = app.test_client()
    if client.post("/login", data={"email": "load-00@example.org",
                                   "password": PASSWORD}).status_code != 302:
        raise RuntimeError("the in-process login failed")
    post_worker_init(client)  # as the workers do once they have built the app (gc.freeze)
    statements = 0

    def count(*_):
        nonlocal statements
        statements += 1

    found = {}
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
    try:
        for name, path in [("start page (not in the mix)", "/"), *mix]:
            for _ in range(2):  # warm: compiled statements, templates
                client.get(path)
            rounds = []
            for _ in range(3):
                statements = 0
                started = time.process_time()
                for _ in range(repeat):
                    response = client.get(path)
                rounds.append((time.process_time() - started) / repeat * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{name} ({path}) answered {response.status_code}")
            found[name] = (min(rounds), statements / repeat, len(response.data) / 1024,
                           costs.breakdown(app, client, path))
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", count)
            db.session.remove()
            db.engine.dispose()
    return found


def _wrk(host: str, cookies: list[str], paths: list[str], seconds: int) -> dict:
    quote = lambda text: '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'  # noqa: E731
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % {"cookies": ", ".join(map(quote, cookies or [""])),
                                   "paths": ", ".join(map(quote, paths))})
    try:
        done = subprocess.run(["wrk", "-t", "2", "-c", str(USERS), "-d", f"{seconds}s",
                               "--timeout", "10s", "-s", script.name, f"http://{host}"],
                              capture_output=True, text=True, check=True)
    finally:
        os.unlink(script.name)
    fields = next(line for line in done.stdout.splitlines() if line.startswith("RESULT")).split()
    requests, micros, p50, p99, bad, broken = map(int, fields[1:])
    return {"rps": requests / (micros / 1e6), "p50": p50 / 1000, "p99": p99 / 1000,
            "errors": bad + broken, "load": _load()}


def _say(name: str, result: dict) -> None:
    print(f"  {name:<34} {result['rps']:7.1f} req/s  p50 {result['p50']:6.1f} ms  "
          f"p99 {result['p99']:7.1f} ms  errors {result['errors']}  ({result['load']})", flush=True)


def run(report, backends: list[str], quick: bool) -> None:
    if "postgresql" not in backends:
        print("  the load benchmark runs on PostgreSQL: set BENCH_DATABASE_URL")
        return
    if needs := missing():
        print("  skipped, missing: " + "; ".join(needs))
        return
    seconds = 5 if quick else SECONDS
    url = _database()
    with tempfile.TemporaryDirectory() as instance:
        mix = _prepare(url)
        print(f"  in process, one treasurer ({_load()}):", flush=True)
        print(f"  {'':<34} {'CPU':>9}  {'statements':>10}  {'HTML':>9}   CPU ms: "
              + ", ".join(costs.PARTS), flush=True)
        for name, (cpu, statements, size, parts) in _in_process(url, mix).items():
            print(f"  {name:<34} {cpu:6.1f} ms  {statements:10.0f}  {size:6.1f} KB   "
                  + " / ".join(f"{parts[part]:.1f}" for part in costs.PARTS), flush=True)
            report.add("load", f"{name} in process (ms CPU)", "postgresql", "1 user", cpu)
        bare_port, port = free_port(), free_port()
        bare_argv = web_server(host="127.0.0.1", port=bare_port, workers=WORKERS,
                               app="bench.bare:create()")
        web = production_commands(host="127.0.0.1", port=port, web_workers=WORKERS,
                                  job_concurrency=1, beat_schedule="")[0]
        env = {"DATABASE_URL": url, "BACKOFFICE_ENV": "production",
               "SECRET_KEY": secrets.token_urlsafe(48), "BACKOFFICE_TRUSTED_HOSTS": "127.0.0.1",
               "BACKOFFICE_INSTANCE_PATH": instance, "PYTHONPATH": str(ROOT)}
        with _gunicorn(bare_argv, env, bare_port) as bare, \
                _gunicorn(list(web.argv), env, port) as product:
            cookies = [_log_in(product, f"load-{n:02d}@example.org") for n in range(USERS)]
            sizes = {}
            for name, path in mix:
                status, body, _ = _request(product, "GET", path, cookies[0])
                if status != 200:
                    raise RuntimeError(f"{name} ({path}) answered {status}")
                sizes[name] = len(body)
            print(f"  {' '.join(web.argv[3:-1])}, {USERS} sessions, wrk -t2 -c{USERS}, {seconds} s "
                  "a run", flush=True)
            flask = _wrk(bare, [], ["/"], seconds)
            _say("bare Flask + Flask-SQLAlchemy", flask)
            mixed = _wrk(product, cookies, [path for _, path in mix], seconds)
            _say("the mix", mixed)
            size = f"{USERS} users"
            report.add("load", "bare Flask (req/s)", "postgresql", size, flask["rps"], "r/s")
            report.add("load", "bare Flask p99 (ms)", "postgresql", size, flask["p99"])
            report.add("load", "mix (req/s)", "postgresql", size, mixed["rps"], "r/s")
            report.add("load", "mix p50 (ms)", "postgresql", size, mixed["p50"])
            report.add("load", "mix p99 (ms)", "postgresql", size, mixed["p99"])
            report.add("load", "mix throughput / bare Flask (%)", "postgresql", size,
                       100 * mixed["rps"] / flask["rps"], "%", target=MIN_THROUGHPUT,
                       higher_is_better=True)
            report.add("load", "mix p99 / bare Flask p99 (x)", "postgresql", size,
                       mixed["p99"] / max(flask["p99"], 0.001), "x", target=MAX_P99_RATIO)
            report.add("load", "mix errors", "postgresql", size, mixed["errors"], "", target=0)
            for name, path in mix:
                alone = _wrk(product, cookies, [path], max(3, seconds // 2))
                _say(f"{name} alone", alone)
                report.add("load", f"{name} alone (req/s)", "postgresql", size, alone["rps"], "r/s")
                report.add("load", f"{name} (KB)", "postgresql", size, sizes[name] / 1024, "KB",
                           target=MAX_KB)
