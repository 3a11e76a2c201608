"""Gap-free receipt numbers when several treasurers issue at the same moment, on both databases
(threads with their own connections; and two processes on SQLite, where a rendering held inside
the write lock would starve the other writer)."""
from __future__ import annotations

import io
import multiprocessing
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from backoffice import create_app
from backoffice.donations.receipts import services
from backoffice.donations.receipts.models import Receipt
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings

from ..concurrency import at_once
from . import receipt_factories as make

DAY = date(2027, 1, 15)


def test_concurrent_issuing_gives_consecutive_unique_numbers(app, backend):
    count = 8 if backend == "postgresql" else 5
    giver = make.donor()
    requests = [services.Request(giver.id, (make.donation(giver, 50000 + n).id,), DAY)
                for n in range(count)]
    db.session.remove()

    def issue(request):
        def job(session):
            return services.issue(session, request, settings=app_settings(), actor=None).number
        return job

    outcome = at_once(app, [issue(r) for r in requests])
    assert all(isinstance(number, str) for number in outcome), outcome
    sequences = db.session.scalars(select(Receipt.sequence).where(Receipt.series == "ZB-2027")).all()
    assert sorted(sequences) == list(range(1, count + 1))
    # Each PDF shows its own number (a rendering made for a number taken meanwhile is not used).
    for receipt in db.session.scalars(select(Receipt)):
        pdf = services.stored_pdf(db.session, receipt, app_settings())
        assert receipt.number in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_two_issuers_of_the_same_donation_make_one_receipt(app, backend):
    giver = make.donor()
    gift = make.donation(giver, 50000)
    request = services.Request(giver.id, (gift.id,), DAY)
    db.session.remove()

    def issue(session):
        return services.issue(session, request, settings=app_settings(), actor=None)

    outcome = at_once(app, [issue, issue])
    assert sum(isinstance(result, Receipt) for result in outcome) == 1, outcome
    assert db.session.scalar(select(Receipt.sequence)) == 1  # the loser's number was given back


def _issue_in_process(config: dict, donor_id: int, donation_ids: list[int], queue) -> None:
    app = create_app(config)
    with app.app_context():
        numbers = [services.issue(db.session, services.Request(donor_id, (i,), DAY),
                                  settings=app_settings(), actor=None).number
                   for i in donation_ids]
        queue.put(numbers)


def test_two_processes_issuing_on_sqlite_neither_waits_past_its_timeout(app, backend):
    if backend != "sqlite":
        pytest.skip("writer starvation is SQLite's (one writer for the whole database)")
    giver = make.donor()
    ids = [make.donation(giver, 40000 + n).id for n in range(10)]
    giver_id = giver.id
    db.session.remove()
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    config = {key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "UPLOAD_FOLDER",
                                               "SECRET_KEY", "BASE_URL", "ENV", "TESTING")}
    config.update(MAIL_SERVER=None, DATABASE_LOCK_TIMEOUT=5)
    workers = [context.Process(target=_issue_in_process, args=(config, giver_id, part, queue))
               for part in (ids[:5], ids[5:])]
    for worker in workers:
        worker.start()
    numbers = [queue.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert sorted(n for part in numbers for n in part) == [f"ZB-2027-{k:05d}" for k in range(1, 11)]
