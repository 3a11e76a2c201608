"""The receipts on the treasurer's pages: a donation's page issues one on request, the donor's page
lists them with the donor's link, the start page counts what is due, the year-end page refuses
when the notice is too old; the board sees donations but issues no receipts."""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from backoffice.core import clock
from backoffice.core.permissions import Role
from backoffice.donations.receipts.models import Receipt
from backoffice.extensions import db

from ..helpers import csrf_token, login
from . import receipt_factories as make


def test_a_treasurer_issues_a_receipt_from_the_donations_page(app, client, users):
    giver = make.donor()
    gift = make.donation(giver, 2000, clock.today(), wanted=True)
    login(client, Role.TREASURER)
    page = client.get(f"/donations/{gift.id}").get_data(as_text=True)
    assert "A receipt is due." in page and "Issue a receipt now" in page
    token = csrf_token(client, f"/donations/{gift.id}")
    response = client.post(f"/donations/{gift.id}/receipt", data={"csrf_token": token})
    assert response.status_code == 302
    receipt = db.session.scalar(select(Receipt))
    assert response.headers["Location"].endswith(f"/donations/receipts/{receipt.id}")
    page = client.get(f"/donations/{gift.id}").get_data(as_text=True)
    assert receipt.number in page and "Issue a receipt now" not in page
    donor_page = client.get(f"/donations/donors/{giver.id}").get_data(as_text=True)
    assert receipt.number in donor_page and re.search(r"/receipts/[\w.-]+", donor_page)
    # Asked twice: the second is refused with the reason, nothing issued.
    response = client.post(f"/donations/{gift.id}/receipt", data={"csrf_token": token},
                           follow_redirects=True)
    assert f"receipt {receipt.number} already" in response.get_data(as_text=True)
    assert len(db.session.scalars(select(Receipt)).all()) == 1


def test_the_start_page_counts_past_donations_waiting_for_a_receipt(app, client, users):
    giver = make.donor()
    make.donation(giver, 50000, date(clock.today().year - 1, 5, 1))
    make.donation(giver, 2000, date(clock.today().year - 1, 6, 1))  # proof enough
    login(client, Role.TREASURER)
    page = client.get("/").get_data(as_text=True)
    assert re.search(r"Donations waiting for a receipt\D*1\b", page)


def test_the_year_end_page_says_why_no_receipt_can_be_issued(app, client, users):
    app.config["RECEIPTS_NOTICE"] = {**app.config["RECEIPTS_NOTICE"], "date": "2019-01-10"}
    login(client, Role.TREASURER)
    page = client.get("/donations/receipts").get_data(as_text=True)
    assert "too old" in page and "disabled" in page


def test_the_board_sees_donations_but_not_the_receipts_pages(app, client, users):
    gift = make.donation(make.donor(), 50000)
    login(client, Role.BOARD)
    assert "Issue a receipt" not in client.get(f"/donations/{gift.id}").get_data(as_text=True)
    assert client.get("/donations/receipts").status_code == 403
