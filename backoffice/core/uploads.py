"""Uploaded files: checked by content (not by name), stored outside the web root by SHA-256.

A file is accepted only if its bytes are what its kind says (a PDF starts with ``%PDF-`` and has an
end-of-file marker, a PNG has its signature and ``IEND`` chunk, a JPEG its start and end markers),
it is not empty and not larger than allowed, and it carries no web page (a PDF that is also valid
HTML, a "polyglot", would run as a page on our origin wherever it is taken for HTML). It is stored
in the storage ``UPLOAD_FOLDER`` names (``Settings.paths.uploads``: default ``instance/uploads``,
or ``s3://bucket/prefix``; see ``core.storage``; passed in as ``folder``) named by its hash, and served only through views that check access
(``core.views.send_stored``): never cached (``private, no-store``), named with the
extension of its detected kind, and as an attachment, not shown in the browser, should a file kept
before the HTML check carry a page. A file written for a transaction that then rolls back stays
stored unreferenced; content addressing makes that harmless.
"""
from __future__ import annotations

import hashlib
import os
import re
from datetime import datetime
from pathlib import Path

from sqlalchemy import ForeignKey, Integer, String, exists, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..extensions import db
from .actors import Actor
from .db import UTCDateTime, utcnow
from .errors import ValidationError
from .queue import enqueue_on_commit, job, job_settings
from .storage import storage_at

KINDS = {  # kind: (content type, label, extension)
    "pdf": ("application/pdf", "PDF", ".pdf"),
    "jpeg": ("image/jpeg", "JPEG", ".jpg"),
    "png": ("image/png", "PNG", ".png"),
}
#: Tags that make a browser (or a lenient viewer) take bytes for a web page. Each is followed by a
#: space, ``>`` or ``/`` so that compressed streams do not match them by chance.
HTML_TAG = re.compile(rb"<(?:!doctype\s+html|html|head|body|script|iframe|frame|frameset|object|embed|"
                      rb"meta|link|style|base|form|svg|math|img|video|audio|title)[\s>/]",
                      re.IGNORECASE)


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


def carries_html(data: bytes) -> bool:
    """Whether the bytes contain HTML tags anywhere (a polyglot: a PDF or image that is a page too)."""
    return HTML_TAG.search(data) is not None


def download_name(name: str, kind: str) -> str:
    """The name to download under: the original name with the extension of the detected kind."""
    stem, extension = os.path.splitext(name)
    return (stem if extension else name or "upload") + KINDS[kind][2]


def key_of(sha256: str) -> str:
    """The file's key in the storage: ``ab/abcdef…``."""
    return f"{sha256[:2]}/{sha256}"


def path_of(stored: StoredFile, folder: str | Path) -> Path:
    """Where the file lies when the storage is a folder on this machine."""
    return Path(folder) / key_of(stored.sha256)


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
    if carries_html(data):
        raise ValidationError(f"{name} has a web page (HTML) inside; save or print it again as a "
                              f"plain {KINDS[kind][1]} file.")
    return name, kind


def store_upload(session: Session, *, folder: str | Path, filename: str, data: bytes,
                 allowed: set[str], max_bytes: int, actor: Actor | None = None) -> StoredFile:
    """Check and keep an uploaded file; raises ``ValidationError`` (nothing stored) when refused."""
    name, kind = check_upload(filename=filename, data=data, allowed=allowed, max_bytes=max_bytes)
    digest = hashlib.sha256(data).hexdigest()
    storage_at(folder).put(key_of(digest), data)
    stored = StoredFile(sha256=digest, kind=kind, content_type=KINDS[kind][0], size=len(data),
                        original_name=name, created_by_id=getattr(actor, "id", None))
    session.add(stored)
    session.flush()
    return stored


def read_stored(stored: StoredFile, folder: str | Path) -> bytes:
    """The file's bytes; raises ``core.storage.StorageError`` when the storage has none."""
    return storage_at(folder).get(key_of(stored.sha256))



def forget(session: Session, stored: StoredFile) -> None:
    """Delete the file's record (its referring row goes first); once that has committed, the
    bytes go from the storage unless another record holds the same content."""
    session.delete(stored)
    session.flush()
    enqueue_on_commit(session, "files.forget", sha256=stored.sha256)


def forget_linked(session: Session, links: list) -> None:
    """Drop every row of ``links`` (a relationship of rows with a ``file``: a claim's receipts, an
    application's attachments) and forget each one's file."""
    for link in list(links):
        stored = link.file
        links.remove(link)
        session.flush()
        forget(session, stored)


@job("files.forget")
def forget_content(sha256: str) -> dict:
    with Session(db.engine) as session:
        if session.scalar(select(exists().where(StoredFile.sha256 == sha256))):
            return {"removed": False}
    storage_at(job_settings().paths.uploads).delete(key_of(sha256))
    return {"removed": True}
