"""The year-end run: who gets which receipt, and an interrupted run resumed issues each receipt
once (on the command line, and as the page's job)."""
from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from backoffice.core import jobs
from backoffice.core.db import transaction
from backoffice.core.outbox import OutboxMail
from backoffice.core.permissions import Role
from backoffice.donations.models import DonationKind
from backoffice.donations.receipts import run, services
from backoffice.donations.receipts.models import Receipt, ReceiptGift, ReceiptMailing
from backoffice.donations.receipts.notice import ReceiptRefused
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings

from . import receipt_factories as make

DAY = date(2027, 1, 15)


class Interrupted(Exception):
    pass


def givers(count: int):
    """``count`` donors: even ones gave twice (a collective receipt), odd ones once (single)."""
    made = []
    for n in range(count):
        giver = make.donor(f"Donor {n}", email=f"donor{n}@example.org")
        make.donation(giver, 40000 + n, date(2026, 3, 1))
        if n % 2 == 0:
            make.donation(giver, 35000, date(2026, 9, 1))
        made.append(giver)
    return made


def valid_per_donation() -> list[int]:
    return db.session.execute(select(func.count()).select_from(ReceiptGift).where(
        ReceiptGift.cancelled.is_(False)).group_by(ReceiptGift.donation_id)).scalars().all()


def test_the_plan_gives_collective_single_and_in_kind_receipts_and_holds_back_the_rest(app):
    twice, once, small = make.donor("Twice"), make.donor("Once"), make.donor("Small")
    make.donation(twice, 40000, date(2026, 2, 1))
    make.donation(twice, 1000, date(2026, 5, 1))  # under the limit, but the donor gets one receipt
    make.donation(twice, 50000, date(2026, 6, 1), kind=DonationKind.IN_KIND)
    make.donation(once, 50000, date(2026, 4, 1))
    make.donation(once, 50000, date(2025, 4, 1))  # another year
    make.donation(small, 2000, date(2026, 4, 1))  # the bank statement is proof enough
    make.donation(make.donor("No address", address=False), 50000, date(2026, 4, 1))
    requests, skipped = run.plan(db.session, 2026, settings=app_settings(), issue_date=DAY)
    shapes = [(r.donor_id, len(r.donation_ids), r.period) for r in requests]
    assert shapes == [(twice.id, 1, None), (twice.id, 2, (date(2026, 1, 1), date(2026, 12, 31))),
                      (once.id, 1, None)]
    assert len(skipped) == 1 and "no postal address" in skipped[0]


def test_an_interrupted_run_resumed_issues_each_receipt_once(app):
    givers(6)  # 3 collective, 3 single receipts
    calls = []

    def stop_half_way(done: int, total: int) -> None:
        calls.append(done)
        if done == total // 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        run.run(db.session, 2026, settings=app_settings(), actor=None, send=True, issue_date=DAY,
                progress=stop_half_way)
    assert db.session.scalar(select(func.count()).select_from(Receipt)) == 3
    outcome = run.run(db.session, 2026, settings=app_settings(), actor=None, send=True,
                      issue_date=DAY)
    assert outcome.issued == 3 and outcome.mailed == 3 and not outcome.skipped
    receipts = db.session.scalars(select(Receipt).order_by(Receipt.id)).all()
    assert [r.number for r in receipts] == [f"ZB-2027-{n:05d}" for n in range(1, 7)]
    assert sorted(r.kind.value for r in receipts) == ["collective"] * 3 + ["money"] * 3
    assert valid_per_donation() == [1] * 9
    mailed = db.session.scalars(select(OutboxMail)).all()
    assert len(mailed) == 6 and all(b"application/pdf" in m.message for m in mailed)
    assert db.session.scalar(select(func.count()).select_from(ReceiptMailing)) == 6
    again = run.run(db.session, 2026, settings=app_settings(), actor=None, send=True,
                    issue_date=DAY)
    assert (again.issued, again.mailed) == (0, 0)


def test_a_run_without_send_is_mailed_by_a_later_run_with_it(app):
    givers(2)
    run.run(db.session, 2026, settings=app_settings(), actor=None, issue_date=DAY)
    assert db.session.scalar(select(func.count()).select_from(OutboxMail)) == 0
    outcome = run.run(db.session, 2026, settings=app_settings(), actor=None, send=True,
                      issue_date=DAY)
    assert (outcome.issued, outcome.mailed) == (0, 2)


def test_the_job_stopped_half_way_and_started_again_issues_each_receipt_once(app, users,
                                                                             monkeypatch):
    givers(4)
    original = services.issue
    issued = []

    def dies_after_two(*args, **kwargs):
        if len(issued) == 2:
            raise RuntimeError("worker killed")
        issued.append(original(*args, **kwargs))
        return issued[-1]

    monkeypatch.setattr(services, "issue", dies_after_two)
    with transaction():
        job = run.start(db.session, 2026, send=False, actor=users[Role.TREASURER],
                        settings=app_settings(), issue_date=DAY)
    db.session.expire_all()
    assert job.state == jobs.FAILED and db.session.scalar(
        select(func.count()).select_from(Receipt)) == 2
    monkeypatch.setattr(services, "issue", original)
    with transaction():
        again = run.start(db.session, 2026, send=False, actor=users[Role.TREASURER],
                          settings=app_settings(),
                          issue_date=DAY)
    db.session.expire_all()
    assert again.state == jobs.DONE and again.done == again.total == 2
    assert "2 receipts for 2026 issued" in again.result["notes"][0][1]
    assert valid_per_donation() == [1] * 6


def test_a_run_refused_for_an_old_notice_says_why_and_issues_nothing(app):
    givers(2)
    with pytest.raises(ReceiptRefused, match="too old"):
        run.run(db.session, 2026, settings=app_settings(), actor=None, issue_date=date(2030, 6, 1))
    assert db.session.scalar(select(func.count()).select_from(Receipt)) == 0


def test_a_us_association_acknowledges_each_donors_year_in_one_letter_from_250_dollars(app):
    app.config.update(RECEIPTS_STYLE="us", RECEIPTS_US_EIN="12-3456789")
    giver, small = make.donor("Jane Doe"), make.donor("John Roe", email="john@example.org")
    make.donation(giver, 25000, date(2026, 2, 1), currency="USD")
    make.donation(giver, 4000, date(2026, 8, 1), currency="USD")
    make.donation(small, 24999, date(2026, 8, 1), currency="USD")  # under $250: none required
    outcome = run.run(db.session, 2026, settings=app_settings(), actor=None, issue_date=DAY)
    assert outcome.issued == 1
    receipt = db.session.scalar(select(Receipt))
    assert receipt.kind.value == "us" and receipt.total == 29000 and len(receipt.gifts) == 2
    pdf = services.stored_pdf(db.session, receipt, app_settings())
    text = " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert "EIN 12-3456789" in text and "$250.00" in text and "$40.00" in text
    assert "No goods or services were provided in exchange for these contributions." in text
