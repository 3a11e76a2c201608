"""What every benchmark needs: fresh databases, an app on them, medians, a report."""
from __future__ import annotations

import logging
import os
import socket
import statistics
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from backoffice import create_app
from backoffice.config import normalise_database_url
from backoffice.core.db import counting_statements
from backoffice.extensions import db

PG_URL = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")


def backends(requested: str) -> list[str]:
    available = ["sqlite"] + (["postgresql"] if PG_URL else [])
    return available if requested == "all" else [b for b in available if b == requested]


def _pg_admin():
    url = make_url(normalise_database_url(PG_URL))
    return psycopg.connect(host=url.host, port=url.port, user=url.username, password=url.password,
                           dbname=url.database or "postgres", autocommit=True)


@contextmanager
def fresh_database(backend: str):
    """A new, migrated database; dropped afterwards. Yields its URL."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="backoffice-bench-") as directory:
            url = f"sqlite:///{Path(directory) / 'bench.db'}"
            migrate(url)
            yield url
        return
    name = f"bo_bench_{uuid.uuid4().hex[:8]}"
    with _pg_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(normalise_database_url(PG_URL)).set(database=name).render_as_string(
        hide_password=False)
    try:
        migrate(url)
        yield url
    finally:
        with _pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def kept_database(name: str) -> str:
    """The URL of the PostgreSQL database ``name``, created when missing and kept afterwards (the
    large data sets, built once)."""
    with _pg_admin() as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
    return make_url(normalise_database_url(PG_URL)).set(database=name).render_as_string(
        hide_password=False)


def analyze(url: str) -> None:
    """Fresh statistics after a bulk load on PostgreSQL, and the dead rows cleared, as autovacuum
    would in production. Without statistics (autovacuum off, as on the test server here, or not
    yet run after a large import) the planner guesses one row where there are thousands and picks
    nested loops: the reconciliation queue took 1.7 s instead of 18 ms. Without the vacuum, every
    row the import's upserts replaced in the cached totals stays in their indexes: a year's rows
    of the per-account totals were read through 34,000 index entries for 5,900 live rows."""
    if not url.startswith("postgresql"):
        return
    engine = create_engine(normalise_database_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def bench_app(url: str):
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "ENV": "testing",
                       "WTF_CSRF_ENABLED": False, "ARGON2_PARAMETERS": {"time_cost": 1,
                       "memory_cost": 1024, "parallelism": 1},
                       "DATABASE_STATEMENT_TIMEOUT": 0})  # bulk loads of a million rows


def migrate(url: str) -> None:
    app = bench_app(url)
    with app.app_context():
        logging.disable(logging.INFO)  # Alembic's "Running upgrade ..." lines drown the figures
        try:
            upgrade()
        finally:
            logging.disable(logging.NOTSET)
        db.engine.dispose()


def median_ms(function, repeat: int = 15, warmup: int = 2) -> float:
    for _ in range(warmup):
        function()
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def counted_queries(client, url: str):
    """GET ``url`` with the test client: (the response, how many statements it sent)."""
    with counting_statements(db.engine) as sent:
        response = client.get(url)
    return response, sent[0]


@dataclass
class Report:
    rows: list[tuple] = field(default_factory=list)

    def add(self, group: str, name: str, backend: str, size: str, value: float, unit: str = "ms",
            target: float | None = None, higher_is_better: bool = False) -> None:
        ok = None if target is None else (value >= target if higher_is_better else value <= target)
        self.rows.append((group, name, backend, size, value, unit, target, ok))
        mark = "" if ok is None else ("ok" if ok else "MISSED")
        goal = "" if target is None else f"(target {'>=' if higher_is_better else '<='} {target:g} {unit})"
        print(f"  {name:<46} {backend:<10} {size:>10}  {value:9.1f} {unit:<4} {goal} {mark}",
              flush=True)

    def summary(self) -> int:
        missed = [r for r in self.rows if r[7] is False]
        print(f"\n{len(self.rows)} measurements, {len(missed)} missed their target.")
        for row in missed:
            print(f"  MISSED: {row[0]} / {row[1]} on {row[2]} at {row[3]}: {row[4]:.1f} {row[5]}")
        return 1 if missed else 0


def fresh_apps(backends: list[str], sizes: list[int]):
    """Yield (backend, size, app) for every backend and size: each app on a new migrated database,
    with its app context pushed; the database is dropped after the caller's turn."""
    for backend in backends:
        for size in sizes:
            with fresh_database(backend) as url:
                app = bench_app(url)
                with app.app_context():
                    yield backend, size, app
                    db.session.remove()
                    db.engine.dispose()
