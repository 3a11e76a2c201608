"""The document register's pages: the board adds a document (and a new version that supersedes
the old one) with its PDF, the tax-exemption notice with its facts, which the next receipt
prints; a wrong upload or missing facts are refused on the form with nothing kept; treasurers
and auditors read the register and its files but add nothing; organisers see none of it."""
from __future__ import annotations

import hashlib
import io
from datetime import date

import pytest
from sqlalchemy import func, select

from backoffice.board.models import Document
from backoffice.core.permissions import Role
from backoffice.core.uploads import StoredFile
from backoffice.donations.receipts.notice import exemption_notice
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings

from ..helpers import csrf_token, login

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
NOTICE = {"kind": "tax_exemption", "title": "Freistellungsbescheid 2022–2024",
          "effective_on": "2026-01-10", "notice_kind": "exemption",
          "tax_office": "Finanzamt Köln-Altstadt", "number": "214/5716/0815",
          "issued_on": "2026-01-10", "period": "2022 bis 2024",
          "purposes": "der Jugendhilfe\r\nder Bildung"}


def _post(client, fields: dict, data: bytes = PDF, name: str = "bescheid.pdf"):
    return client.post("/board/documents/", content_type="multipart/form-data", data={
        **fields, "file": (io.BytesIO(data), name),
        "csrf_token": csrf_token(client, "/board/documents/")})


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_board_keeps_a_notice_and_a_new_version_and_receipts_print_the_newest(app, client, users):
    login(client, Role.BOARD)
    response = _post(client, NOTICE)
    assert response.status_code == 302, response.get_data(as_text=True)
    first = db.session.scalars(select(Document)).one()
    assert first.sha256 == hashlib.sha256(PDF).hexdigest()
    assert first.details["tax_office"] == "Finanzamt Köln-Altstadt"
    notice = exemption_notice(db.session, app_settings(), date(2026, 2, 1))
    assert (notice.tax_number, notice.date, notice.purposes) == (
        "214/5716/0815", date(2026, 1, 10), ("der Jugendhilfe", "der Bildung"))

    newer = PDF + b"% 2026\n"
    response = _post(client, NOTICE | {"title": "Freistellungsbescheid 2023–2025",
                                       "effective_on": "2026-06-01", "issued_on": "2026-06-01",
                                       "number": "214/5716/0999", "supersedes": str(first.id)},
                     data=newer)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert exemption_notice(db.session, app_settings(), date(2026, 7, 1)).tax_number == "214/5716/0999"
    page = client.get("/board/documents/").get_data(as_text=True)
    assert "superseded by Freistellungsbescheid 2023–2025" in page
    assert "Finanzamt Köln-Altstadt · 214/5716/0815" in page and hashlib.sha256(newer).hexdigest()[:12] in page
    download = client.get(f"/board/documents/{first.id}/file")
    assert download.status_code == 200 and download.data == PDF  # the old version, unchanged
    assert download.headers["Cache-Control"] == "private, no-store"
    # a version is superseded once: the form says so and keeps nothing
    again = _post(client, NOTICE | {"title": "x", "supersedes": str(first.id)}, data=PDF + b"x")
    assert again.status_code == 400 and "superseded already" in again.get_data(as_text=True)
    assert _count(Document) == 2


def test_statutes_need_no_facts_and_show_which_version_is_in_force(app, client, users):
    login(client, Role.BOARD)
    fields = {"kind": "statutes", "title": "Satzung 2019", "effective_on": "2019-05-01"}
    assert _post(client, fields).status_code == 302
    assert _post(client, fields | {"title": "Satzung 2099", "effective_on": "2099-01-01"},
                 data=PDF + b"%new").status_code == 302
    section = client.get("/board/documents/").get_data(as_text=True).split(
        'data-testid="register-statutes"')[1].split("</section>")[0]
    assert "Satzung 2019" in section and "in force" in section and "not yet in force" in section
    assert db.session.scalars(select(Document)).first().details == {}


@pytest.mark.parametrize("fields, data, name, message", [
    (NOTICE | {"number": ""}, PDF, "b.pdf", "Give the tax number on the notice."),
    (NOTICE | {"issued_on": ""}, PDF, "b.pdf", "Give the notice&#39;s date."),
    (NOTICE | {"period": ""}, PDF, "b.pdf", "An exemption notice is for an assessment period"),
    (NOTICE | {"issued_on": "2199-01-01"}, PDF, "b.pdf", "lies in the future"),
    (NOTICE | {"title": ""}, PDF, "b.pdf", "This field is required"),
    (NOTICE, b"\x89PNG\r\n\x1a\n" + b"0" * 64, "b.png", "b.png is not a PDF file"),
    (NOTICE, b"", "", "Choose the file of the signed document"),
    (NOTICE | {"effective_on": "10.01.2026"}, PDF, "b.pdf", "This field is required"),
    (NOTICE | {"kind": "minutes"}, PDF, "b.pdf", "Not a valid choice"),
])
def test_a_wrong_document_is_refused_on_the_form_and_nothing_is_kept(
        app, client, users, fields, data, name, message):
    login(client, Role.BOARD)
    response = _post(client, fields, data, name)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _count(Document) == 0 and _count(StoredFile) == 0


def test_treasurers_and_auditors_read_the_register_but_add_nothing(app, client, users):
    login(client, Role.BOARD)
    assert _post(client, NOTICE).status_code == 302
    document = db.session.scalars(select(Document)).one()
    for role in (Role.TREASURER, Role.AUDITOR):
        login(client, role)
        page = client.get("/board/documents/")
        assert page.status_code == 200 and "Freistellungsbescheid 2022–2024" in page.get_data(as_text=True)
        assert 'action="/board/documents/"' not in page.get_data(as_text=True)
        assert client.get(f"/board/documents/{document.id}/file").data == PDF
        assert _post(client, NOTICE | {"title": "mine"}).status_code == 403
    assert _count(Document) == 1
    login(client, Role.ORGANISER)
    assert client.get("/board/documents/").status_code == 403
    assert client.get(f"/board/documents/{document.id}/file").status_code == 403
    assert client.get("/board/documents/99999/file").status_code == 403
