"""Backups that restore: one tar archive with the database, every stored file and a manifest.

The database is copied consistently while the app keeps writing: SQLite through its online backup
API (one read transaction), PostgreSQL with ``pg_dump -Fc`` (one snapshot). The stored files (from
the local disk or S3, ``core.storage``) are copied after it: they are named by their hash and never
removed, so every file the copy names is there. ``manifest.json`` lists each part with its size and SHA-256, the alembic revision and the
kind of database; ``restore`` checks every part against it before touching anything and names the
part that is wrong, and restores only into an empty database and an empty file storage.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from sqlalchemy import inspect

from ..extensions import db
from . import health
from .settings import Paths
from .storage import Storage, storage_at

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE_PARTS = {"sqlite": "database/backoffice.sqlite3", "postgresql": "database/backoffice.pgdump"}
FILES = "files/"
NAME = re.compile(r"backoffice-\d{8}T\d{6}Z\.tar")


class BackupError(RuntimeError):
    """A backup or restore that cannot go on; the message says why (and which part)."""


@dataclass(frozen=True)
class Part:
    path: str
    size: int
    sha256: str


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _kind() -> str:
    name = db.engine.dialect.name
    if name not in DATABASE_PARTS:
        raise BackupError(f"Backups know SQLite and PostgreSQL, not {name}.")
    return name


# --- PostgreSQL tools -------------------------------------------------------------------------

def _pg_tool(name: str) -> str:
    """pg_dump/pg_restore of the server's major version when installed side by side, else PATH's."""
    with db.engine.connect() as connection:
        major = connection.connection.dbapi_connection.info.server_version // 10000
    versioned = Path(f"/usr/lib/postgresql/{major}/bin/{name}")
    if versioned.exists():
        return str(versioned)
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client).")
    return found


def _pg_environment() -> dict:
    url = db.engine.url
    env = dict(os.environ)
    for variable, value in (("PGHOST", url.host), ("PGPORT", url.port), ("PGUSER", url.username),
                            ("PGPASSWORD", url.password), ("PGDATABASE", url.database)):
        if value is not None:
            env[variable] = str(value)
    return env


def _run(command: list[str]) -> None:
    result = subprocess.run(command, env=_pg_environment(), capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()[-500:]}")


# --- backup -----------------------------------------------------------------------------------

def _copy_database(kind: str, target: Path) -> None:
    if kind == "sqlite":
        source = sqlite3.connect(db.engine.url.database)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)  # all pages in one step: one consistent read transaction
        finally:
            copy.close()
            source.close()
    else:
        _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
              f"--file={target}"])


def create_backup(paths: Paths, folder: Path | None = None, *,
                  now: datetime | None = None) -> Path:
    """Write one archive into ``folder`` (default ``BACKUP_FOLDER``) and return its path."""
    kind = _kind()
    now = now or datetime.now(UTC)
    folder = folder or Path(paths.backups)
    folder.mkdir(parents=True, exist_ok=True)
    with db.engine.connect() as connection:
        revision = health.database_revision(connection)
    storage = storage_at(paths.uploads)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".backup-") as work:
        database = Path(work) / "database"
        _copy_database(kind, database)
        target = folder / f"backoffice-{now:%Y%m%dT%H%M%SZ}.tar"
        partial = Path(work) / target.name
        with tarfile.open(partial, "w") as archive:
            archive.add(database, arcname=DATABASE_PARTS[kind], recursive=False)
            parts = [Part(DATABASE_PARTS[kind], database.stat().st_size, _sha256(database))]
            for key in storage.keys():  # one file in memory at a time
                data = storage.get(key)
                _add_bytes(archive, FILES + key, data, now)
                parts.append(Part(FILES + key, len(data), hashlib.sha256(data).hexdigest()))
            manifest = {
                "format": FORMAT, "created_at": now.isoformat(timespec="seconds"),
                "app_version": metadata.version("backoffice"), "alembic_revision": revision,
                "database": kind,
                "parts": [{"path": p.path, "size": p.size, "sha256": p.sha256} for p in parts],
            }
            _add_bytes(archive, MANIFEST, json.dumps(manifest, indent=2).encode(), now)
        os.replace(partial, target)
    return target


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes, now: datetime) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime = len(data), int(now.timestamp())
    archive.addfile(info, io.BytesIO(data))


def prune(folder: Path, keep: int) -> list[Path]:
    """Remove all but the newest ``keep`` archives in ``folder``; returns the removed ones."""
    if keep < 1:
        raise BackupError("Keep at least one backup.")
    archives = sorted(path for path in folder.iterdir() if NAME.fullmatch(path.name))
    removed = archives[:-keep]
    for path in removed:
        path.unlink()
    return removed


def newest(folder: Path) -> Path | None:
    """The newest archive in ``folder`` (by its name, which is its time), or None."""
    if not folder.is_dir():
        return None
    return max((path for path in folder.iterdir() if NAME.fullmatch(path.name)), default=None)


# --- restore ----------------------------------------------------------------------------------

def _read_manifest(archive: tarfile.TarFile) -> dict:
    try:
        member = archive.getmember(MANIFEST)
        manifest = json.loads(archive.extractfile(member).read())
        parts = [Part(p["path"], int(p["size"]), str(p["sha256"])) for p in manifest["parts"]]
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise BackupError(f"The archive's {MANIFEST} is missing or unreadable ({error}).") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{MANIFEST}: archive format {manifest.get('format')!r} is not "
                          f"{FORMAT}, the one this version reads.")
    if manifest.get("database") not in DATABASE_PARTS:
        raise BackupError(f"{MANIFEST}: unknown database kind {manifest.get('database')!r}.")
    manifest["parts"] = parts
    return manifest


def verify(path: Path) -> dict:
    """The archive's manifest, once every part is checked; raises ``BackupError`` naming the
    first part that is missing, of another size or hash, or not listed."""
    try:
        archive = tarfile.open(path, "r")
    except (OSError, tarfile.TarError) as error:
        raise BackupError(f"{path} is not a readable backup archive ({error}).") from None
    with archive:
        manifest = _read_manifest(archive)
        listed = {part.path: part for part in manifest["parts"]}
        if DATABASE_PARTS[manifest["database"]] not in listed:
            raise BackupError(f"{MANIFEST} lists no database part.")
        members = {m.name: m for m in archive.getmembers() if m.name != MANIFEST}
        for name, member in members.items():
            if name not in listed:
                raise BackupError(f"Part {name} is in the archive but not in {MANIFEST}.")
            if not member.isfile():
                raise BackupError(f"Part {name} is not a plain file.")
        for part in manifest["parts"]:
            if part.path not in members:
                raise BackupError(f"Part {part.path} is missing from the archive.")
            digest, size = hashlib.sha256(), 0
            handle = archive.extractfile(members[part.path])
            while block := handle.read(1 << 20):
                digest.update(block)
                size += len(block)
            if size != part.size or digest.hexdigest() != part.sha256:
                raise BackupError(f"Part {part.path} is damaged: its size or SHA-256 is not the "
                                  f"one in {MANIFEST}.")
    return manifest


def _refuse_unless_empty(storage: Storage) -> None:
    tables = inspect(db.engine).get_table_names()
    if tables:
        raise BackupError(f"The target database is not empty ({len(tables)} tables); restore "
                          "only into a new, empty database.")
    if next(storage.keys(), None) is not None:
        raise BackupError(f"The file storage {storage.location} is not empty; restore only into "
                          "an empty one.")


def restore(path: Path, paths: Paths) -> dict:
    """Restore the archive into this (empty) instance; returns its manifest."""
    manifest = verify(path)
    kind = _kind()
    if manifest["database"] != kind:
        raise BackupError(f"The archive holds a {manifest['database']} database; this instance "
                          f"uses {kind}.")
    revision = manifest["alembic_revision"]
    if not health.is_known_revision(revision):
        raise BackupError(f"The archive's database is at migration {revision}, newer than this "
                          f"code knows ({health.head_revision()}): install the newer version first.")
    storage = storage_at(paths.uploads)
    _refuse_unless_empty(storage)
    with tempfile.TemporaryDirectory() as work, tarfile.open(path, "r") as archive:
        archive.extractall(work, filter="data")
        database = Path(work) / DATABASE_PARTS[kind]
        db.engine.dispose()
        if kind == "sqlite":
            source, target = sqlite3.connect(database), sqlite3.connect(db.engine.url.database)
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
        else:
            _run([_pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
                  "--single-transaction", f"--dbname={db.engine.url.database}", str(database)])
        files = Path(work) / FILES
        for part in manifest["parts"]:
            if part.path.startswith(FILES):
                storage.put(part.path.removeprefix(FILES), (files / part.path.removeprefix(FILES))
                            .read_bytes())
    return manifest
