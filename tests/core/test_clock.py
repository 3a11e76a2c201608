"""Today is the association's date (``core.clock``), not the server's: at 23:30 UTC on New
Year's Eve it is already 1 January in Berlin, and what is entered, issued or paid then belongs to
the new year."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.invoicing import services as invoicing

from ..helpers import login
from ..invoicing import factories

LATE_ON_NEW_YEARS_EVE = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # 00:30 on 1 January in Berlin


@pytest.fixture
def late_on_new_years_eve(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: LATE_ON_NEW_YEARS_EVE)


def test_outside_an_app_today_is_the_default_zones(late_on_new_years_eve):
    assert clock.today() == date(2027, 1, 1)
    assert clock.today("UTC") == date(2026, 12, 31)
    assert clock.today("America/New_York") == date(2026, 12, 31)


def test_in_an_app_today_is_on_its_time_zone_which_may_change_while_it_runs(
        app, late_on_new_years_eve):
    with app.app_context():
        assert clock.today() == date(2027, 1, 1)
    app.config["TIMEZONE"] = "America/New_York"
    with app.app_context():
        assert clock.today() == date(2026, 12, 31)


def test_a_moment_and_a_unix_time_are_the_associations_days():
    assert clock.day_of(LATE_ON_NEW_YEARS_EVE) == date(2027, 1, 1)
    assert clock.day_of(LATE_ON_NEW_YEARS_EVE, "UTC") == date(2026, 12, 31)
    # Stripe's "created": a payment at that moment is booked in the new year.
    assert clock.day_of_timestamp(int(LATE_ON_NEW_YEARS_EVE.timestamp())) == date(2027, 1, 1)


def test_without_a_unix_time_the_day_is_today(late_on_new_years_eve):
    assert clock.day_of_timestamp(None) == date(2027, 1, 1)


def test_an_entry_typed_after_midnight_in_berlin_is_dated_on_the_new_day(
        client, users, late_on_new_years_eve):
    login(client, "treasurer")
    page = client.get("/ledger/entries/new").get_data(as_text=True)
    assert 'value="2027-01-01"' in page


def test_an_invoice_issued_after_midnight_in_berlin_opens_the_new_years_series(
        app, late_on_new_years_eve):
    draft = factories.draft(factories.sponsor())
    with transaction():
        invoicing.issue(db.session, draft, actor=None, settings=app_settings())
    assert draft.issue_date == date(2027, 1, 1)
    assert draft.number == "2027-00001"
