"""The tax-exemption notice German receipts print is set in the settings area detail by detail
(kind, date, tax office, tax number, period, purposes), refused on its field while incomplete,
shown with the day until which it allows receipts, and printed on the next receipt."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from backoffice.core import clock
from backoffice.core.settings import ExemptionNotice
from backoffice.core.stored_settings import StoredSetting
from backoffice.donations.receipts import services
from backoffice.donations.receipts.notice import ReceiptRefused
from backoffice.extensions import db, forget_stored_settings
from backoffice.extensions import settings as app_settings

from ..donations import receipt_factories as make
from ..donations.test_receipt_register import KOELN, keep_notice
from ..helpers import login
from .test_settings import _form

HAMBURG = {"RECEIPTS_NOTICE__kind": "exemption", "RECEIPTS_NOTICE__date": "2025-03-03",
           "RECEIPTS_NOTICE__tax_office": "Finanzamt Hamburg-Nord",
           "RECEIPTS_NOTICE__tax_number": "17/418/01234", "RECEIPTS_NOTICE__period": "2021 bis 2023",
           "RECEIPTS_NOTICE__purposes": "der Bildung (§ 52 Abs. 2 Satz 1 Nr. 7 AO)\r\n\r\n"
                                        "  der Jugendhilfe (§ 52 Abs. 2 Satz 1 Nr. 4 AO)  "}


def _text(receipt) -> str:
    pdf = services.stored_pdf(db.session, receipt, app_settings())
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())


def _save(client, **changes):
    return client.post("/admin/settings", data={**_form(client), **changes})


def _stored() -> int:
    return db.session.scalar(select(func.count()).select_from(StoredSetting)
                             .where(StoredSetting.key.like("RECEIPTS_NOTICE.%")))


def test_the_notice_set_in_the_browser_is_the_one_the_next_receipt_prints(app, client, users):
    login(client, "admin")
    page = client.get("/admin/settings").get_data(as_text=True)
    assert 'value="27/640/12345"' in page  # the configured notice, shown to be changed
    assert "allows receipts until 2030-05-12" in page
    response = _save(client, **HAMBURG)
    assert response.status_code == 302, response.get_data(as_text=True)
    forget_stored_settings()
    assert app_settings().receipts.notice == ExemptionNotice(
        "exemption", "Finanzamt Hamburg-Nord", "17/418/01234", date(2025, 3, 3), "2021 bis 2023",
        ("der Bildung (§ 52 Abs. 2 Satz 1 Nr. 7 AO)", "der Jugendhilfe (§ 52 Abs. 2 Satz 1 Nr. 4 AO)"))
    assert "allows receipts until 2030-03-03" in client.get("/admin/settings").get_data(as_text=True)
    gift = make.donation(make.donor(), 50000, date(2026, 6, 1))
    receipt = services.issue(db.session, services.Request(gift.donor_id, (gift.id,), date(2026, 6, 2)),
                             settings=app_settings(), actor=None)
    text = _text(receipt)
    assert "Finanzamt Hamburg-Nord" in text and "17/418/01234" in text and "03.03.2025" in text
    assert "27/640/12345" not in text


@pytest.mark.parametrize("changes, field, message", [
    ({"RECEIPTS_NOTICE__tax_office": "  "}, "RECEIPTS_NOTICE__tax_office", "Name the tax office"),
    ({"RECEIPTS_NOTICE__tax_number": ""}, "RECEIPTS_NOTICE__tax_number", "Give the tax number"),
    ({"RECEIPTS_NOTICE__period": ""}, "RECEIPTS_NOTICE__period", "assessment period"),
    ({"RECEIPTS_NOTICE__purposes": "\r\n  \r\n"}, "RECEIPTS_NOTICE__purposes", "at least one"),
    ({"RECEIPTS_NOTICE__date": ""}, "RECEIPTS_NOTICE__date", "Give the notice&#39;s date"),
    ({"RECEIPTS_NOTICE__date": "12.05.2025"}, "RECEIPTS_NOTICE__date", "Not a valid date"),
    ({"RECEIPTS_NOTICE__date": str(clock.today() + timedelta(days=1))}, "RECEIPTS_NOTICE__date",
     "lies in the future"),
    ({"RECEIPTS_NOTICE__kind": "forever"}, "RECEIPTS_NOTICE__kind", "Not a valid choice"),
])
def test_an_incomplete_notice_is_refused_on_its_field_and_nothing_is_stored(
        app, client, users, changes, field, message):
    login(client, "admin")
    response = _save(client, **changes)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and message in page
    assert f'id="{field}"' in page and "is-invalid" in page.split(f'id="{field}"')[0][-300:] \
        + page.split(f'id="{field}"')[1][:300]
    assert _stored() == 0


def test_a_60a_notice_needs_no_period_and_allows_three_years(app, client, users):
    login(client, "admin")
    response = _save(client, RECEIPTS_NOTICE__kind="60a", RECEIPTS_NOTICE__period="",
                     RECEIPTS_NOTICE__date="2024-02-29")
    assert response.status_code == 302, response.get_data(as_text=True)
    forget_stored_settings()
    notice = app_settings().receipts.notice
    assert (notice.kind, notice.period, notice.date) == ("60a", "", date(2024, 2, 29))
    assert "allows receipts until 2027-02-28" in client.get("/admin/settings").get_data(as_text=True)


def test_an_old_notice_is_kept_but_the_page_says_no_receipt_can_be_issued(app, client, users):
    login(client, "admin")
    assert _save(client, RECEIPTS_NOTICE__date="2020-01-31").status_code == 302
    forget_stored_settings()
    page = client.get("/admin/settings").get_data(as_text=True)
    assert "No German receipt can be issued today" in page
    assert "allowed receipts until 31.01.2025" in page and "too old" in page
    gift = make.donation(make.donor(), 50000, clock.today())
    with pytest.raises(ReceiptRefused, match="too old"):
        services.issue(db.session, services.Request(gift.donor_id, (gift.id,), clock.today()),
                       settings=app_settings(), actor=None)


def test_emptying_every_detail_removes_the_notice_and_receipts_say_why(app, client, users):
    login(client, "admin")
    empty = {f"RECEIPTS_NOTICE__{detail}": "" for detail in
             ("kind", "date", "tax_office", "tax_number", "period", "purposes")}
    assert _save(client, **empty).status_code == 302
    forget_stored_settings()
    assert app_settings().receipts.notice is None
    page = client.get("/admin/settings").get_data(as_text=True)
    assert "No German receipt can be issued today" in page and "No tax-exemption notice" in page


def test_the_board_registers_notice_wins_and_the_page_says_so(app, client, users):
    keep_notice(app, KOELN)
    login(client, "admin")
    page = client.get("/admin/settings").get_data(as_text=True)
    assert "document register; it wins over the one below" in page
    assert "Receipts print the notice of 2026-01-10; it allows receipts until 2031-01-10" in page
