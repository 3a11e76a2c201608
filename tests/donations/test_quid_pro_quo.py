"""Quid pro quo: a gift recorded by hand with goods or services given in return (a dinner
ticket) and their good-faith value; the US acknowledgment's PDF says what was received, its
value and the deductible amount, or that no goods or services were provided. Bad input is a
400 with the reason and nothing written; the database refuses a value above the gift."""
from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, text

from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.core.permissions import Role
from backoffice.donations.models import Donation
from backoffice.donations.receipts import services as receipts
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings

from ..helpers import login, post_form


def pdf_text(receipt) -> str:
    pdf = receipts.stored_pdf(db.session, receipt, app_settings())
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())


def by_hand(client, **fields):
    data = {"fund": "PYLB", "kind": "money", "currency": "USD", "channel": "cheque",
            "day": clock.today().isoformat(), "name": "Jane Doe", "email": "jane@example.org",
            "street": "1 Main St", "postcode": "02139", "city": "Cambridge", "country": "US",
            "donor_kind": "person", "language": "en", "amount": "500.00", **fields}
    return post_form(client, "/donations/new", data, token_from="/donations/new")


@pytest.fixture
def us_charity(app):
    app.config.update(RECEIPTS_STYLE="us", RECEIPTS_US_EIN="12-3456789")


def test_a_gift_with_a_dinner_in_return_discloses_it_and_the_deductible_amount(
        client, users, fund, us_charity):
    login(client, Role.TREASURER)
    response = by_hand(client, goods_description="a gala dinner ticket", goods_value="80.00")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    donation = db.session.scalar(select(Donation))
    assert (donation.goods_description, donation.goods_value) == ("a gala dinner ticket", 8000)
    page = client.get(f"/donations/{donation.id}").get_data(as_text=True)
    assert "a gala dinner ticket" in page
    receipt = receipts.issue_for_donation(db.session, donation, settings=app_settings(),
                                          actor=None, send=False)
    words = pdf_text(receipt)
    assert "you received a gala dinner ticket" in words
    assert "estimate in good faith at $80.00" in words
    assert "over the value of the goods or services we provided: $420.00" in words
    assert "No goods or services were provided" not in words


def test_a_gift_with_nothing_in_return_says_no_goods_or_services_were_provided(
        client, users, fund, us_charity):
    login(client, Role.TREASURER)
    assert by_hand(client).status_code == 302
    donation = db.session.scalar(select(Donation))
    assert (donation.goods_description, donation.goods_value) == ("", 0)
    receipt = receipts.issue_for_donation(db.session, donation, settings=app_settings(),
                                          actor=None, send=False)
    words = pdf_text(receipt)
    assert "No goods or services were provided in exchange for this contribution." in words
    assert "$500.00" in words and "good faith" not in words


@pytest.mark.parametrize(("fields", "reason"), [
    ({"goods_description": "a dinner", "goods_value": "500.01"}, "between nothing and the gift"),
    ({"goods_description": "", "goods_value": "10.00"}, "Describe the goods or services"),
    ({"goods_description": "a mug", "goods_value": ""}, "good-faith value"),
    ({"goods_description": "a mug", "goods_value": "1.001"}, ""),
    ({"goods_description": "a mug", "goods_value": "lots"}, ""),
])
def test_bad_goods_are_refused_with_the_reason_and_nothing_written(client, users, fund,
                                                                   us_charity, fields, reason):
    login(client, Role.TREASURER)
    response = by_hand(client, **fields)
    assert response.status_code == 400
    assert reason in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Donation)) == 0


def test_the_database_refuses_goods_worth_more_than_the_gift(client, users, fund, us_charity):
    login(client, Role.TREASURER)
    assert by_hand(client, goods_description="a mug", goods_value="5.00").status_code == 302
    donation_id = db.session.scalar(select(Donation.id))
    db.session.remove()
    with pytest.raises(Exception, match="(?i)check|constraint"):
        with transaction():
            db.session.execute(text("UPDATE donations SET goods_value = amount + 1 WHERE id = :i"),
                               {"i": donation_id})
    with pytest.raises(Exception, match="(?i)check|constraint"):
        with transaction():
            db.session.execute(text("UPDATE donations SET goods_description = '' WHERE id = :i"),
                               {"i": donation_id})
