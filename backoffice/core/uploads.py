"""Uploaded files: checked by content (not by name), stored outside the web root by SHA-256.

A file is accepted only if its bytes are what its kind says (a PDF starts with ``%PDF-`` and has an
end-of-file marker, a PNG has its signature and ``IEND`` chunk, a JPEG its start and end markers),
it is not empty and not larger than allowed. It is stored under ``UPLOAD_FOLDER`` (default
``instance/uploads``) named by its hash, and served only through views that check access
(``send_stored``). A file written for a transaction that then rolls back stays on disk unreferenced;
content addressing makes that harmless.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import datetime
from pathlib import Path

from flask import current_app, send_file
from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .db import UTCDateTime, utcnow
from .errors import ValidationError

KINDS = {  # kind: (content type, label)
    "pdf": ("application/pdf", "PDF"),
    "jpeg": ("image/jpeg", "JPEG"),
    "png": ("image/png", "PNG"),
}


class StoredFile(db.Model):
    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    original_name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


def detect_kind(data: bytes) -> str | None:
    """The kind the bytes really are, or None."""
    tail = data[-2048:]
    if data.startswith(b"%PDF-") and b"%%EOF" in tail:
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n") and b"IEND" in tail:
        return "png"
    if data.startswith(b"\xff\xd8\xff") and data.rstrip(b"\x00\r\n").endswith(b"\xff\xd9"):
        return "jpeg"
    return None


def _folder() -> Path:
    folder = current_app.config.get("UPLOAD_FOLDER") or os.path.join(current_app.instance_path,
                                                                      "uploads")
    return Path(folder)


def path_of(stored: StoredFile) -> Path:
    return _folder() / stored.sha256[:2] / stored.sha256


def _clean_name(name: str) -> str:
    name = os.path.basename((name or "").replace("\\", "/")).strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*')
    return name[:255] or "upload"


def check_upload(*, filename: str, data: bytes, allowed: set[str], max_bytes: int) -> tuple[str, str]:
    """(clean name, kind) of an acceptable file; raises ``ValidationError`` otherwise.

    Call it for every file of a form before storing any, so that one bad file stores nothing.
    """
    name = _clean_name(filename)
    if not data:
        raise ValidationError(f"{name} is empty.")
    if len(data) > max_bytes:
        raise ValidationError(f"{name} is {len(data) / 1e6:.1f} MB; the limit is "
                              f"{max_bytes / 1e6:.0f} MB.")
    kind = detect_kind(data)
    if kind not in allowed:
        accepted = ", ".join(KINDS[k][1] for k in sorted(allowed))
        raise ValidationError(f"{name} is not a {accepted} file (its content says otherwise).")
    return name, kind


def store_upload(session, *, filename: str, data: bytes, allowed: set[str], max_bytes: int,
                 actor=None) -> StoredFile:
    """Check and keep an uploaded file; raises ``ValidationError`` (nothing stored) when refused."""
    name, kind = check_upload(filename=filename, data=data, allowed=allowed, max_bytes=max_bytes)
    digest = hashlib.sha256(data).hexdigest()
    target = _folder() / digest[:2] / digest
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as handle:
            handle.write(data)
        os.replace(handle.name, target)
    stored = StoredFile(sha256=digest, kind=kind, content_type=KINDS[kind][0], size=len(data),
                        original_name=name, created_by_id=getattr(actor, "id", None))
    session.add(stored)
    session.flush()
    return stored


def read_stored(stored: StoredFile) -> bytes:
    return path_of(stored).read_bytes()


def send_stored(stored: StoredFile, *, as_attachment: bool = False):
    """A response with the file's bytes (call only after checking the user may see it)."""
    return send_file(path_of(stored), mimetype=stored.content_type, as_attachment=as_attachment,
                     download_name=stored.original_name, max_age=0)
