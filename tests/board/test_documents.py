"""The document register: files kept with their SHA-256, a version superseding another (never
replacing it), the tax-exemption notice in force on a day, and the rows append-only."""
from __future__ import annotations

import hashlib
from datetime import date

import pytest

from backoffice.board import documents
from backoffice.board.models import DocumentKind
from backoffice.core.db import transaction
from backoffice.core.errors import ValidationError
from backoffice.core.permissions import Role
from backoffice.extensions import db

from ..outsider import Outsider

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FACTS = {"tax_office": "Finanzamt für Körperschaften I Berlin", "number": "27/640/12345",
         "issued_on": "2024-03-01", "period": "2021 bis 2023", "purposes": "Förderung der Bildung"}


def test_the_latest_tax_exemption_notice_in_force_and_its_versions(app, users, backend):
    folder = app.config["UPLOAD_FOLDER"]
    actor = users[Role.ADMIN]
    with transaction():
        first = documents.add(db.session, kind=DocumentKind.TAX_EXEMPTION,
                              title="Freistellungsbescheid 2021–2023", effective_on=date(2024, 3, 1),
                              data=PDF, filename="bescheid.pdf", folder=folder, details=FACTS,
                              actor=actor)
        second = documents.add(db.session, kind=DocumentKind.TAX_EXEMPTION,
                               title="Freistellungsbescheid 2024–2026",
                               effective_on=date(2027, 2, 1), data=PDF + b"v2",
                               filename="bescheid2.pdf", folder=folder,
                               details=FACTS | {"issued_on": "2026-11-02"}, supersedes=first,
                               actor=actor)
    assert first.sha256 == hashlib.sha256(PDF).hexdigest()
    assert documents.latest(db.session, DocumentKind.TAX_EXEMPTION, date(2026, 12, 4)) == first
    assert documents.latest(db.session, DocumentKind.TAX_EXEMPTION, date(2027, 3, 1)) == second
    assert documents.latest(db.session, DocumentKind.TAX_EXEMPTION, date(2020, 1, 1)) is None
    assert documents.versions(db.session, DocumentKind.TAX_EXEMPTION) == [second, first]
    with pytest.raises(ValidationError, match="superseded already"):
        documents.add(db.session, kind=DocumentKind.TAX_EXEMPTION, title="x",
                      effective_on=date(2027, 3, 1), data=PDF, filename="x.pdf", folder=folder,
                      details=FACTS, supersedes=first, actor=actor)
    db.session.rollback()
    with pytest.raises(ValidationError, match="Give the tax number on the notice"):
        documents.add(db.session, kind=DocumentKind.TAX_EXEMPTION, title="x",
                      effective_on=date(2027, 3, 1), data=PDF, filename="x.pdf", folder=folder,
                      details=FACTS | {"number": ""}, actor=actor)
    db.session.rollback()
    with Outsider(db.engine.url) as outsider:
        for statement in ("UPDATE board_documents SET title = 'changed'",
                          "DELETE FROM board_documents"):
            with pytest.raises(Exception, match="append-only"):
                outsider.execute(statement)
