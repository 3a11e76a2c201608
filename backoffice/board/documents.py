"""The document register: statutes and their versions, the tax-exemption notice, register
extracts, signed contracts, the auditors' reports. Files are kept with their SHA-256
(``core.uploads``); a row is never changed or removed (append-only, migration 0022): a new
version names the one it supersedes, and the older stays.

Other packages read one thing: the latest tax-exemption notice in force on a receipt's day, which
``exemption_notice`` answers to ``core.signals.exemption_notices`` for the donation receipts."""
from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core import audit, clock
from ..core.actors import Actor
from ..core.errors import ValidationError
from ..core.i18n import _, _l, source
from ..core.settings import ExemptionNotice, notice_fault
from ..core.stored_settings import NOTICE_REFUSALS
from ..core.uploads import store_upload
from .models import Document, DocumentKind

MAX_BYTES = 20 * 1024 * 1024


def add(session: Session, *, kind: DocumentKind, title: str, effective_on: date, data: bytes,
        filename: str, folder: str, details: dict[str, Any] | None = None,
        supersedes: Document | None = None, actor: Actor) -> Document:
    """Keep a document (a new version supersedes an older one of the same kind; the older
    stays in the register)."""
    details = dict(details or {})
    if kind is DocumentKind.TAX_EXEMPTION:
        _check_notice(details)
    if supersedes is not None:
        if supersedes.kind is not kind:
            raise ValidationError(_("A document supersedes one of its own kind."),
                                  field="supersedes")
        if session.scalar(select(Document.id).where(Document.supersedes_id == supersedes.id)):
            raise ValidationError(_("%(title)s is superseded already.", title=supersedes.title),
                                  field="supersedes")
    title = (title or "").strip()
    if not title:
        raise ValidationError(_("Give the document's title."), field="title")
    stored = store_upload(session, folder=folder, filename=filename, data=data, allowed={"pdf"},
                          max_bytes=MAX_BYTES, actor=actor)
    document = Document(kind=kind, title=title[:300], effective_on=effective_on,
                        file_id=stored.id, sha256=stored.sha256,
                        supersedes_id=supersedes.id if supersedes else None, details=details,
                        added_by_id=getattr(actor, "id", None))
    session.add(document)
    session.flush()
    audit.record(session, actor, "board.document_added", "board_document", document.id,
                 summary=f"{source(kind.label)}: {document.title} (from {effective_on}, sha256 "
                         f"{stored.sha256[:12]})")
    return document


def _check_notice(facts: dict[str, Any]) -> None:
    """A tax-exemption notice's facts, by ``core.settings.notice_fault``'s rules (the register
    names them ``notice_kind``, ``number`` and ``issued_on``)."""
    facts.setdefault("notice_kind", ExemptionNotice.EXEMPTION)
    fault = notice_fault(kind=facts["notice_kind"], day=facts.get("issued_on"),
                         tax_office=facts.get("tax_office"), tax_number=facts.get("number"),
                         period=facts.get("period"), purposes=facts.get("purposes"))
    if fault is not None:
        raise ValidationError(str(_NOTICE_REFUSALS[fault]),
                              field=_NOTICE_FIELDS.get(fault, fault))


#: The settings page's refusals, with the register's own wording for the kind.
_NOTICE_REFUSALS = {**NOTICE_REFUSALS, "kind": _l(
    "A tax-exemption notice is an exemption notice or a § 60a AO notice.")}
#: The register's names of the facts the settings call ``kind``, ``date`` and ``tax_number``.
_NOTICE_FIELDS = {"kind": "notice_kind", "date": "issued_on", "date_in_future": "issued_on",
                  "tax_number": "number"}


def latest(session: Session, kind: DocumentKind, on: date) -> Document | None:
    """The version of ``kind`` in force on ``on``: the latest effective by then."""
    return session.scalar(select(Document).where(
        Document.kind == kind, Document.effective_on <= on)
        .order_by(Document.effective_on.desc(), Document.id.desc()).limit(1))


def versions(session: Session, kind: DocumentKind) -> list[Document]:
    return list(session.scalars(select(Document).where(Document.kind == kind)
                                .order_by(Document.effective_on.desc(), Document.id.desc())))


def exemption_notice(sender: object = None, *, session: Session, on: date | None = None,
                     **_: Any) -> ExemptionNotice | None:
    """The register's tax-exemption notice in force on ``on`` (today by default), as donation
    receipts print it (the ``exemption_notices`` answer); None when the register keeps none.
    The purposes are one per line (or separated by semicolons), each as the receipt's "wegen
    Förderung ..." continues it ("Förderung" at their start is left out)."""
    document = latest(session, DocumentKind.TAX_EXEMPTION, on or clock.today())
    if document is None:
        return None
    facts = document.details or {}
    purposes = tuple(re.sub(r"^Förderung\s+", "", part.strip())
                     for part in re.split(r"[\n;]", str(facts.get("purposes") or ""))
                     if part.strip())
    return ExemptionNotice(
        kind=str(facts.get("notice_kind") or ExemptionNotice.EXEMPTION),
        tax_office=str(facts["tax_office"]).strip(), tax_number=str(facts["number"]).strip(),
        date=date.fromisoformat(str(facts["issued_on"])),
        period=str(facts.get("period") or "").strip(), purposes=purposes)
