"""A CSV file waiting for its column mapping: kept in the instance folder (never under static/)
between the upload and the mapping form, named by a random token, for one user and account.
``instance`` is the instance folder (``Settings.paths.instance``)."""
from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

MAX_AGE_SECONDS = 24 * 3600
TOKEN = re.compile(r"^[0-9a-f]{32}$")


def _folder(instance: str) -> Path:
    folder = Path(instance) / "bank-pending"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _path(instance: str, token: str, bank_account_id: int, user_id: int) -> Path | None:
    if not TOKEN.match(token or ""):
        return None
    return _folder(instance) / f"{bank_account_id}-{user_id}-{token}.csv"


def keep(instance: str, data: bytes, bank_account_id: int, user_id: int) -> str:
    for old in _folder(instance).glob("*.csv"):  # forget abandoned uploads
        if time.time() - old.stat().st_mtime > MAX_AGE_SECONDS:
            old.unlink(missing_ok=True)
    token = secrets.token_hex(16)
    _path(instance, token, bank_account_id, user_id).write_bytes(data)
    return token


def read(instance: str, token: str, bank_account_id: int, user_id: int) -> bytes | None:
    path = _path(instance, token, bank_account_id, user_id)
    return path.read_bytes() if path is not None and path.exists() else None


def forget(instance: str, token: str, bank_account_id: int, user_id: int) -> None:
    path = _path(instance, token, bank_account_id, user_id)
    if path is not None:
        path.unlink(missing_ok=True)


def guess_delimiter(data: bytes) -> str:
    head = data[:4096].decode("latin-1").splitlines()[:3]
    counts = {d: sum(line.count(d) for line in head) for d in (";", ",", "\t", "|")}
    return max(counts, key=counts.get) if any(counts.values()) else ";"


def guess_encoding(data: bytes) -> str:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


