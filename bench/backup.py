"""Backup benchmark: `backoffice backup` of the ledger benchmark's database (1,000,000 postings,
with a few hundred stored files) and `backoffice restore` of that archive into a new, empty
instance; the restored trial balance must equal the original's."""
from __future__ import annotations

import hashlib
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

from sqlalchemy.engine import make_url

from backoffice.config import normalise_database_url
from backoffice.core import backup
from backoffice.core.db import transaction
from backoffice.core.uploads import store_upload
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.ledger.balances import trial_balance
from backoffice.ledger.periods import FiscalYear

from .common import PG_URL, _pg_admin, bench_app, fresh_database
from .ledger import generate

POSTINGS, QUICK_POSTINGS = 1_000_000, 20_000
FILES, QUICK_FILES = 500, 20


def _files(session, count: int, folder: str) -> None:
    with transaction():
        for n in range(count):
            data = b"%PDF-1.4\n% receipt " + hashlib.sha256(str(n).encode()).hexdigest().encode() \
                * 200 + b"\n%%EOF\n"
            store_upload(session, folder=folder, filename=f"receipt-{n}.pdf", data=data,
                         allowed={"pdf"}, max_bytes=10**6)


def _balances(session) -> dict:
    report = trial_balance(session, date.max, fiscal_year=FiscalYear(1))
    return {(row.account.code, row.currency): row.balance for row in report.rows}


def _empty_target(backend: str, work: Path):
    if backend == "sqlite":
        return f"sqlite:///{work / 'restored.db'}", lambda: None
    name = f"bo_bench_restore_{uuid.uuid4().hex[:8]}"
    with _pg_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with _pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    url = make_url(normalise_database_url(PG_URL)).set(database=name)
    return url.render_as_string(hide_password=False), drop


def run(report, backends, quick: bool) -> None:
    size = QUICK_POSTINGS if quick else POSTINGS
    for backend in backends:
        with fresh_database(backend) as url, tempfile.TemporaryDirectory() as work:
            work = Path(work)
            app = bench_app(url)
            app.config.update(UPLOAD_FOLDER=str(work / "files"), BACKUP_FOLDER=str(work / "backups"))
            with app.app_context():
                data = generate(db.session, size)
                _files(db.session, QUICK_FILES if quick else FILES, str(work / "files"))
                before = _balances(db.session)
                db.session.remove()
                started = time.monotonic()
                archive = backup.create_backup(app_settings().paths)
                took = time.monotonic() - started
                label = f"{data['postings']:,}"
                report.add("backup", "backup (database and files)", backend, label, took, "s")
                report.add("backup", "archive size", backend, label,
                           archive.stat().st_size / 1e6, "MB")
                db.engine.dispose()
            target_url, drop = _empty_target(backend, work)
            try:
                target = bench_app(target_url)
                target.config.update(UPLOAD_FOLDER=str(work / "restored-files"))
                with target.app_context():
                    started = time.monotonic()
                    backup.restore(archive, app_settings().paths)
                    report.add("backup", "restore into an empty instance", backend, label,
                               time.monotonic() - started, "s")
                    assert _balances(db.session) == before, "the restored books differ"
                    db.session.remove()
                    db.engine.dispose()
            finally:
                drop()
