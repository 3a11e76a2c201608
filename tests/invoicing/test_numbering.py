"""Gap-free numbers when many treasurers issue at the same moment."""
from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from backoffice.core.db import transaction
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.invoicing import numbering, services
from backoffice.invoicing.models import Invoice

from ..concurrency import at_once
from . import factories


def test_concurrent_issuing_gives_consecutive_unique_numbers(app, backend):
    # SQLite serialises writers with its busy timeout (10 s): keep its batch within that.
    threads_wanted = 12 if backend == "postgresql" else 5
    sponsor = factories.sponsor()
    drafts = [factories.draft(sponsor).id for _ in range(threads_wanted)]
    db.session.remove()

    def issue(invoice_id):
        def job(session):
            with transaction():
                services.issue(session, session.get(Invoice, invoice_id), actor=None,
                               issue_date=date(2026, 3, 1), settings=app_settings())
        return job

    errors = [error for error in at_once(app, [issue(i) for i in drafts]) if error is not None]
    assert not errors
    numbers = db.session.scalars(select(Invoice.sequence).where(Invoice.series == "2026")).all()
    assert sorted(numbers) == list(range(1, threads_wanted + 1))


def test_a_rolled_back_issue_gives_its_number_back(app):
    sponsor = factories.sponsor()
    first, second = factories.draft(sponsor), factories.draft(sponsor)
    try:
        with transaction():
            services.issue(db.session, first, actor=None, issue_date=date(2026, 3, 1), settings=app_settings())
            raise RuntimeError("mail server exploded")
    except RuntimeError:
        pass
    db.session.expire_all()
    with transaction():
        services.issue(db.session, second, actor=None, issue_date=date(2026, 3, 1), settings=app_settings())
    assert second.number == "2026-00001"


def test_prefix_and_one_series_per_year(app):
    app.config["INVOICE_NUMBER_PREFIX"] = "PCA-"
    sponsor = factories.sponsor()
    a = factories.draft(sponsor)
    b = factories.draft(sponsor)
    with transaction():
        services.issue(db.session, a, actor=None, issue_date=date(2026, 12, 31), settings=app_settings())
    with transaction():
        services.issue(db.session, b, actor=None, issue_date=date(2027, 1, 1), settings=app_settings())
    assert (a.number, b.number) == ("PCA-2026-00001", "PCA-2027-00001")
    assert numbering.format_number("PCA-2027", 42) == "PCA-2027-00042"


def test_issuing_renders_first_and_a_pdf_made_for_a_number_taken_meanwhile_is_never_stored(app):
    sponsor = factories.sponsor()
    first, second = factories.draft(sponsor), factories.draft(sponsor)
    day = date(2026, 3, 1)

    stale = services.render_for_issue(db.session, second, issue_date=day, settings=app_settings())
    assert stale.values["number"] == "2026-00001"
    assert second.number is None and not db.session.dirty  # nothing set, nothing written
    with transaction():
        services.issue(db.session, first, actor=None, issue_date=day, settings=app_settings())  # takes 2026-00001
    with pytest.raises(services.StaleRendering):
        with transaction():
            services.issue(db.session, second, actor=None, issue_date=day, rendering=stale, settings=app_settings())
    db.session.expire_all()
    assert second.is_draft and second.number is None

    services.issue_now(db.session, second, actor=None, issue_date=day, settings=app_settings())
    assert second.number == "2026-00002"
    text = PdfReader(io.BytesIO(services.stored_pdf(db.session, second, settings=app_settings()))).pages[0].extract_text()
    assert "2026-00002" in text and "2026-00001" not in text
