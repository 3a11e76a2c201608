"""The document register: statutes and their versions, the tax-exemption notice, register
extracts, signed contracts, the auditors' reports. Files are kept with their SHA-256
(``core.uploads``); a row is never changed or removed (append-only, migration 0022): a new
version names the one it supersedes, and the older stays.

Other packages read one thing: ``latest`` (donation receipts print the latest tax-exemption
notice in force on the receipt's day)."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core import audit
from ..core.actors import Actor
from ..core.errors import ValidationError
from ..core.uploads import store_upload
from .models import Document, DocumentKind

#: The facts a tax-exemption notice (Freistellungsbescheid) must state for donation receipts.
TAX_EXEMPTION_FACTS = ("tax_office", "number", "issued_on", "purposes")
MAX_BYTES = 20 * 1024 * 1024


def add(session: Session, *, kind: DocumentKind, title: str, effective_on: date, data: bytes,
        filename: str, folder: str, details: dict[str, Any] | None = None,
        supersedes: Document | None = None, actor: Actor) -> Document:
    """Keep a document (a new version supersedes an older one of the same kind; the older
    stays in the register)."""
    details = dict(details or {})
    if kind is DocumentKind.TAX_EXEMPTION:
        missing = [f for f in TAX_EXEMPTION_FACTS if not str(details.get(f) or "").strip()]
        if missing:
            raise ValidationError(f"A tax-exemption notice states {', '.join(missing)}.",
                                  field=missing[0])
    if supersedes is not None:
        if supersedes.kind is not kind:
            raise ValidationError("A document supersedes one of its own kind.",
                                  field="supersedes")
        if session.scalar(select(Document.id).where(Document.supersedes_id == supersedes.id)):
            raise ValidationError(f"{supersedes.title} is superseded already.",
                                  field="supersedes")
    title = (title or "").strip()
    if not title:
        raise ValidationError("Give the document's title.", field="title")
    stored = store_upload(session, folder=folder, filename=filename, data=data, allowed={"pdf"},
                          max_bytes=MAX_BYTES, actor=actor)
    document = Document(kind=kind, title=title[:300], effective_on=effective_on,
                        file_id=stored.id, sha256=stored.sha256,
                        supersedes_id=supersedes.id if supersedes else None, details=details,
                        added_by_id=getattr(actor, "id", None))
    session.add(document)
    session.flush()
    audit.record(session, actor, "board.document_added", "board_document", document.id,
                 summary=f"{kind.label}: {document.title} (from {effective_on}, sha256 "
                         f"{stored.sha256[:12]})")
    return document


def latest(session: Session, kind: DocumentKind, on: date) -> Document | None:
    """The version of ``kind`` in force on ``on``: the latest effective by then."""
    return session.scalar(select(Document).where(
        Document.kind == kind, Document.effective_on <= on)
        .order_by(Document.effective_on.desc(), Document.id.desc()).limit(1))


def versions(session: Session, kind: DocumentKind) -> list[Document]:
    return list(session.scalars(select(Document).where(Document.kind == kind)
                                .order_by(Document.effective_on.desc(), Document.id.desc())))
