"""Two processes (two gunicorn workers, as it were) issue 20 invoices each on one SQLite file (or
one PostgreSQL database) at the same time: no error, numbers 1..40 without a gap, every PDF stored and showing its own
number. That the PDFs are rendered outside the unit of work that takes the number, holding
nothing meanwhile, is test_render_first.py's to show: rendering inside it passes here too.

20 each, not more: with the counter read and then written (``core.numbering.take`` without its
lock) or a PDF rendered for a number taken meanwhile stored anyway, 20 each fail on both
databases, as 50 did; 5 each let the first pass."""
from __future__ import annotations

import io
import multiprocessing
from datetime import date

from pypdf import PdfReader
from sqlalchemy import select

from backoffice import create_app
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.invoicing import services
from backoffice.invoicing.models import Invoice

from ..conftest import base_config
from ..soundness import assert_money_sound
from . import factories

PER_PROCESS = 20
ISSUED_ON = date(2026, 3, 2)


def issue_all(database_url: str, uploads: str, invoice_ids: list[int]) -> list[str]:
    """In a process of its own: issue each draft through the service; the errors, as text."""
    app = create_app(base_config(database_url) | {"UPLOAD_FOLDER": uploads})
    errors = []
    with app.app_context():
        for invoice_id in invoice_ids:
            try:
                services.issue_now(db.session, db.session.get(Invoice, invoice_id), actor=None,
                                   issue_date=ISSUED_ON, settings=app_settings())
            except Exception as error:  # noqa: BLE001 (reported to the test)
                errors.append(f"{invoice_id}: {type(error).__name__}: {error}")
            finally:
                db.session.remove()
    return errors


def test_two_processes_issuing_20_invoices_each_on_one_database(app, database_url):
    sponsor = factories.sponsor()
    drafts = [factories.draft(sponsor).id for _ in range(2 * PER_PROCESS)]
    db.session.remove()

    with multiprocessing.get_context("spawn").Pool(2) as pool:
        errors = pool.starmap(issue_all, [
            (database_url, app.config["UPLOAD_FOLDER"], drafts[0::2]),
            (database_url, app.config["UPLOAD_FOLDER"], drafts[1::2])])

    assert errors == [[], []]
    invoices = db.session.scalars(select(Invoice).order_by(Invoice.sequence)).all()
    assert [invoice.sequence for invoice in invoices] == list(range(1, 2 * PER_PROCESS + 1))
    for invoice in invoices:
        pdf = services.stored_pdf(db.session, invoice, settings=app_settings())  # checked against its SHA-256
        text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
        assert invoice.number in text, invoice.number
    assert_money_sound(db.session)
