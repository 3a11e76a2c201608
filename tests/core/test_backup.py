"""Backups that restore: taken while the books are written to, restored elsewhere, compared; a
damaged archive or a non-empty target is refused with the reason (and the part) named."""
from __future__ import annotations

import hashlib
import io
import json
import tarfile
import threading
import time
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from backoffice import create_app
from backoffice.core import backup, clock
from backoffice.core.db import transaction
from backoffice.core.money import Money
from backoffice.core.uploads import StoredFile, read_stored, store_upload
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.ledger import services
from backoffice.ledger.balances import trial_balance
from backoffice.ledger.chart import Account
from backoffice.ledger.integrity import problems
from backoffice.ledger.models import JournalEntry, Posting
from backoffice.ledger.periods import FiscalYear
from backoffice.ledger.services import Line

from ..conftest import base_config
from ..databases import create_pg_database, drop_pg_database


def _pdf(n: int) -> bytes:
    return b"%PDF-1.4\n% receipt " + str(n).encode() * 50 + b"\n%%EOF\n"


def _post(session, fund, actor, cents: int) -> None:
    services.post_entry(session, booking_date=clock.today(), description=f"Donation {cents}",
                        actor=actor,
                        lines=[Line(services.account_by_code(session, "1200"), fund,
                                    Money(cents, "EUR")),
                               Line(services.account_by_code(session, "3000"), fund,
                                    Money(-cents, "EUR"))])


@pytest.fixture
def books(app, session, users):
    """A fund with a few entries and three stored receipts."""
    treasurer = users["treasurer"]
    with transaction():
        fund = services.create_fund(session, code="BER", name="Berlin", actor=treasurer)
        for n in range(3):
            _post(session, fund, treasurer, 1000 + n)
            store_upload(session, folder=app_settings().paths.uploads, filename=f"r{n}.pdf", data=_pdf(n), allowed={"pdf"},
                         max_bytes=10**6, actor=treasurer)
    return fund.id, treasurer.id


@pytest.fixture
def target(backend, tmp_path):
    """An empty instance elsewhere: a new database and upload folder (the app is made on use)."""
    cleanups = []

    def make():
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path / 'restored.db'}"
        else:
            name = f"bo_restore_{uuid.uuid4().hex[:10]}"
            url = create_pg_database(name)
            cleanups.append(lambda: drop_pg_database(name))
        return create_app(base_config(url) | {"UPLOAD_FOLDER": str(tmp_path / "restored-files")})

    yield make
    for cleanup in cleanups:
        cleanup()


def _balances(session, up_to_entry: int | None = None) -> dict:
    statement = (select(Account.code, Posting.currency, func.sum(Posting.amount))
                 .join(Account, Account.id == Posting.account_id)
                 .group_by(Account.code, Posting.currency))
    if up_to_entry is not None:
        statement = statement.where(Posting.entry_id <= up_to_entry)
    return {(code, currency): int(total) for code, currency, total in session.execute(statement)}


def test_a_backup_taken_while_entries_are_posted_restores_elsewhere_identically(
        app, session, books, target, tmp_path):
    fund_id, treasurer_id = books
    db.session.remove()
    stop, posted, failures = threading.Event(), [], []

    def writer():
        with app.app_context():
            from backoffice.auth.models import User
            from backoffice.ledger.chart import Fund
            n = 0
            while not stop.is_set():
                try:
                    with transaction():
                        _post(db.session, db.session.get(Fund, fund_id),
                              db.session.get(User, treasurer_id), 2000 + n)
                    posted.append(n)
                except Exception as error:  # noqa: BLE001 (handed to the test)
                    failures.append(error)
                    break
                finally:
                    db.session.remove()
                n += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(posted) < 5 and thread.is_alive():
            time.sleep(0.01)
        during_start = len(posted)
        archive = backup.create_backup(app_settings().paths, tmp_path / "backups")
        during_end = len(posted)
        while len(posted) < during_end + 3 and thread.is_alive():
            time.sleep(0.01)
    finally:
        stop.set()
        thread.join(timeout=60)
    assert failures == [] and during_start >= 5 and len(posted) > during_end

    restored_app = target()
    with restored_app.app_context():
        manifest = backup.restore(archive, app_settings().paths)
        restored = db.session
        assert problems(restored) == []
        last_entry = restored.scalar(select(func.max(JournalEntry.id)))
        entries = restored.scalar(select(func.count()).select_from(JournalEntry))
        restored_balances = _balances(restored)
        report = trial_balance(restored, clock.today(), fiscal_year=FiscalYear(1))
        restored_files = {f.id: (f.sha256, hashlib.sha256(read_stored(f, app_settings().paths.uploads)).hexdigest())
                          for f in restored.scalars(select(StoredFile))}
        db.session.remove()
        db.engine.dispose()
    assert manifest["database"] == app.extensions["sqlalchemy"].engines[None].dialect.name
    # The copy holds every entry posted before the backup began, and no half of any entry.
    assert entries >= 3 + during_start and report.balanced
    assert restored_balances == _balances(session, up_to_entry=last_entry)
    assert report.totals == {"EUR": (sum(v for v in restored_balances.values() if v > 0),
                                     -sum(v for v in restored_balances.values() if v < 0))}
    originals = {f.id: f.sha256 for f in session.scalars(select(StoredFile))}
    assert len(restored_files) == 3 and set(restored_files) == set(originals)
    for file_id, (stored_hash, content_hash) in restored_files.items():
        assert stored_hash == content_hash == originals[file_id]


# --- refusals ---------------------------------------------------------------------------------

def _rewrite(archive, tmp_path, change) -> str:
    """A copy of the archive with ``change(name, data)`` applied to each member (None drops it)."""
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w") as copy:
        for member in source.getmembers():
            data = change(member.name, source.extractfile(member).read())
            if data is not None:
                member.size = len(data)
                copy.addfile(member, io.BytesIO(data))
    return damaged


def _flip_byte(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1:]


def _restore_into_empty(target, path) -> str:
    app = target()
    with app.app_context():
        try:
            with pytest.raises(backup.BackupError) as refused:
                backup.restore(path, app_settings().paths)
            assert db.inspect(db.engine).get_table_names() == []  # nothing was written
        finally:
            db.session.remove()
            db.engine.dispose()
    return str(refused.value)


@pytest.fixture
def archive(app, books, tmp_path):
    return backup.create_backup(app_settings().paths, tmp_path / "backups")


def _file_part(archive) -> str:
    with tarfile.open(archive) as source:
        return next(name for name in source.getnames() if name.startswith("files/"))


def test_a_flipped_byte_in_a_stored_file_is_refused_naming_the_part(archive, target, tmp_path):
    part = _file_part(archive)
    damaged = _rewrite(archive, tmp_path, lambda n, d: _flip_byte(d) if n == part else d)
    assert _restore_into_empty(target, damaged) == (
        f"Part {part} is damaged: its size or SHA-256 is not the one in manifest.json.")


def test_a_flipped_byte_in_the_database_is_refused_naming_the_part(archive, target, tmp_path):
    damaged = _rewrite(archive, tmp_path,
                       lambda n, d: _flip_byte(d) if n.startswith("database/") else d)
    assert _restore_into_empty(target, damaged).startswith("Part database/backoffice.")


def test_a_dropped_part_is_refused_naming_it(archive, target, tmp_path):
    part = _file_part(archive)
    damaged = _rewrite(archive, tmp_path, lambda n, d: None if n == part else d)
    assert _restore_into_empty(target, damaged) == f"Part {part} is missing from the archive."


def test_an_edited_manifest_is_refused_naming_the_part(archive, target, tmp_path):
    part = _file_part(archive)

    def edit(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        for entry in manifest["parts"]:
            if entry["path"] == part:
                entry["sha256"] = "0" * 64
        return json.dumps(manifest).encode()

    assert _restore_into_empty(target, _rewrite(archive, tmp_path, edit)).startswith(
        f"Part {part} is damaged")
    unlisted = _rewrite(archive, tmp_path, lambda n, d: json.dumps(
        {**json.loads(d), "parts": [p for p in json.loads(d)["parts"] if p["path"] != part]}
    ).encode() if n == "manifest.json" else d)
    assert _restore_into_empty(target, unlisted) == (
        f"Part {part} is in the archive but not in manifest.json.")


def test_an_archive_from_newer_code_is_refused(archive, target, tmp_path):
    newer = _rewrite(archive, tmp_path, lambda n, d: json.dumps(
        {**json.loads(d), "alembic_revision": "9999"}).encode() if n == "manifest.json" else d)
    assert "newer than this code knows" in _restore_into_empty(target, newer)


def test_restoring_into_a_database_that_has_data_is_refused(app, archive, session):
    entries = session.scalar(select(func.count()).select_from(JournalEntry))
    with pytest.raises(backup.BackupError, match="The target database is not empty"):
        backup.restore(archive, app_settings().paths)
    assert session.scalar(select(func.count()).select_from(JournalEntry)) == entries


def test_the_command_writes_an_archive_and_keeps_the_newest(app, books, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    for day in (1, 2, 3):
        (folder / f"backoffice-2026010{day}T020000Z.tar").write_bytes(b"old")
    (folder / "notes.txt").write_text("not a backup")
    result = app.test_cli_runner().invoke(args=["backup", "--folder", str(folder), "--keep", "2"])
    assert result.exit_code == 0, result.output
    kept = sorted(path.name for path in folder.iterdir())
    assert kept[0] == "backoffice-20260103T020000Z.tar" and kept[2] == "notes.txt"
    assert kept[1].startswith(f"backoffice-{datetime.now(UTC):%Y%m%d}")
    assert "Removed backoffice-20260101T020000Z.tar" in result.output
    assert backup.verify(folder / kept[1])["alembic_revision"]


def test_the_restore_command_says_what_is_wrong_in_one_line(app, archive, tmp_path):
    result = app.test_cli_runner().invoke(args=["restore", str(archive)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith(
        "Error: The target database is not empty")


def test_doctor_names_the_newest_backup_or_its_absence(app, books, tmp_path):
    app.config["BACKUP_FOLDER"] = str(tmp_path / "backups")
    assert "WARN  no backup in" in app.test_cli_runner().invoke(args=["doctor"]).output
    path = backup.create_backup(app_settings().paths)
    output = app.test_cli_runner().invoke(args=["doctor"]).output
    assert f"ok    newest backup {path.name}, 0 hours old" in output
