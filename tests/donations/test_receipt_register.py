"""Receipts print the tax-exemption notice the board's document register keeps (over the
configured one), refuse one too old for the receipt's day with the reason, and are refused, on
the page and the command line, while the association's details are incomplete."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from backoffice.board import documents
from backoffice.board.models import Document, DocumentKind
from backoffice.core import clock, jobs
from backoffice.core.db import transaction
from backoffice.core.errors import ValidationError
from backoffice.core.permissions import Role
from backoffice.core.settings import ExemptionNotice, SetupIncomplete
from backoffice.donations.receipts import services
from backoffice.donations.receipts.models import Receipt
from backoffice.donations.receipts.notice import ReceiptRefused, exemption_notice
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings

from ..helpers import csrf_token, login
from . import receipt_factories as make

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
KOELN = {"tax_office": "Finanzamt Köln-Altstadt", "number": "214/5716/0815",
         "issued_on": "2026-01-10", "period": "2022 bis 2024",
         "purposes": "Förderung der Jugendhilfe\nFörderung der Bildung"}


def keep_notice(app, facts, effective_on=None, notice_kind=None):
    details = dict(facts, notice_kind=notice_kind) if notice_kind else facts
    with transaction():
        return documents.add(db.session, kind=DocumentKind.TAX_EXEMPTION, title="Bescheid",
                             effective_on=effective_on or date.fromisoformat(facts["issued_on"]),
                             data=PDF + facts["issued_on"].encode(), filename="bescheid.pdf",
                             folder=app.config["UPLOAD_FOLDER"], details=details, actor=None)


def issue(gift, on):
    return services.issue(db.session, services.Request(gift.donor_id, (gift.id,), on),
                          settings=app_settings(), actor=None)


def text_of(receipt) -> str:
    pdf = services.stored_pdf(db.session, receipt, app_settings())
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())


def test_the_notice_from_the_register_wins_over_the_configured_one(app):
    keep_notice(app, KOELN)
    assert exemption_notice(db.session, app_settings(), date(2026, 1, 9)).tax_office \
        == "Finanzamt für Körperschaften I Berlin"  # not yet in force: the configured one
    notice = exemption_notice(db.session, app_settings(), date(2026, 2, 1))
    assert notice == ExemptionNotice(ExemptionNotice.EXEMPTION, "Finanzamt Köln-Altstadt",
                                     "214/5716/0815", date(2026, 1, 10), "2022 bis 2024",
                                     ("der Jugendhilfe", "der Bildung"))
    text = text_of(issue(make.donation(make.donor(), 50000, date(2026, 1, 20)), date(2026, 2, 1)))
    assert "Finanzamt Köln-Altstadt" in text and "214/5716/0815" in text
    assert "wegen Förderung der Jugendhilfe und der Bildung" in text
    assert "Körperschaften I Berlin" not in text and "27/640/12345" not in text


def test_an_exemption_notice_from_the_register_allows_five_years_to_the_day(app):
    keep_notice(app, KOELN | {"issued_on": "2021-01-14"})
    giver = make.donor()
    assert issue(make.donation(giver, 50000, date(2025, 12, 1)), date(2026, 1, 14)).number
    with pytest.raises(ReceiptRefused, match=r"exemption notice.*of 14.01.2021 allowed receipts "
                                             r"until 14.01.2026 \(5 years, § 63 Abs. 5 AO\).*"
                                             r"too old"):
        issue(make.donation(giver, 50000, date(2025, 12, 2)), date(2026, 1, 15))
    assert db.session.scalar(select(func.count()).select_from(Receipt)) == 1


def test_a_60a_notice_from_the_register_allows_three_years_to_the_day(app):
    keep_notice(app, KOELN | {"issued_on": "2024-01-15", "period": ""}, notice_kind="60a")
    giver = make.donor()
    text = text_of(issue(make.donation(giver, 50000, date(2026, 12, 1)), date(2027, 1, 15)))
    assert "§ 60a AO" in text and "Finanzamt Köln-Altstadt" in text
    with pytest.raises(ReceiptRefused, match=r"§ 60a AO notice.*until 15.01.2027 \(3 years"):
        issue(make.donation(giver, 50000, date(2026, 12, 2)), date(2027, 1, 16))


def test_an_exemption_notice_without_its_period_is_refused_with_the_reason(app):
    with pytest.raises(ValidationError, match="assessment period") as refused:
        keep_notice(app, KOELN | {"period": ""})
    assert refused.value.field == "period"
    db.session.rollback()
    # a notice kept before the register asked for the period: the receipt says what is missing
    kept = keep_notice(app, KOELN)
    with transaction():
        db.session.add(Document(kind=DocumentKind.TAX_EXEMPTION, title="Bescheid ohne Zeitraum",
                                effective_on=date(2026, 1, 11), file_id=kept.file_id,
                                sha256=kept.sha256, details=KOELN | {"period": ""}))
    with pytest.raises(ReceiptRefused, match="assessment period"):
        issue(make.donation(make.donor(), 50000, date(2026, 1, 20)), date(2026, 2, 1))


def test_the_register_refuses_a_notice_of_an_unknown_kind_or_without_a_date(app):
    with pytest.raises(Exception, match="exemption notice or a § 60a"):
        keep_notice(app, KOELN, notice_kind="forever")
    db.session.rollback()
    with pytest.raises(Exception, match="Give the notice's date"):
        keep_notice(app, KOELN | {"issued_on": "last spring"}, effective_on=date(2026, 1, 1))
    db.session.rollback()
    with pytest.raises(ValidationError, match="lies in the future") as refused:
        keep_notice(app, KOELN | {"issued_on": (clock.today() + timedelta(days=1)).isoformat()})
    assert refused.value.field == "issued_on"


def incomplete(app):
    app.config["INVOICE_SELLER"] = {**app.config["INVOICE_SELLER"], "street": ""}


def test_no_receipt_while_the_association_is_not_set_up(app):
    gift = make.donation(make.donor(), 50000, date(2026, 1, 20))
    incomplete(app)
    with pytest.raises(SetupIncomplete, match="not set up yet, so a donation receipt cannot be "
                                              "issued: The association's street is not set"):
        issue(gift, date(2026, 2, 1))
    assert db.session.scalar(select(func.count()).select_from(Receipt)) == 0


def test_the_pages_and_the_command_say_the_association_is_not_set_up(app, client, users):
    gift = make.donation(make.donor(), 50000, date(2026, 3, 1))
    incomplete(app)
    login(client, Role.TREASURER)
    page = client.get("/donations/receipts?year=2026").get_data(as_text=True)
    assert "not set up yet, so a donation receipt cannot be issued" in page and "disabled" in page
    token = csrf_token(client, "/donations/receipts?year=2026")
    response = client.post("/donations/receipts?year=2026",
                           data={"csrf_token": token, "year": "2026"})
    assert response.status_code == 400
    assert "not set up yet" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(jobs.Job)) == 0
    response = client.post(f"/donations/{gift.id}/receipt",
                           data={"csrf_token": csrf_token(client, f"/donations/{gift.id}")},
                           follow_redirects=True)
    assert "not set up yet" in response.get_data(as_text=True)
    out = app.test_cli_runner().invoke(args=["donations", "receipts", "--year", "2026"])
    assert out.exit_code != 0 and "not set up yet, so a donation receipt" in out.output
    assert db.session.scalar(select(func.count()).select_from(Receipt)) == 0
