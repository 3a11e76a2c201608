from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import select

from backoffice.core.db import transaction
from backoffice.ledger import services
from backoffice.ledger.chart import Account, Fund
from backoffice.ledger.services import Line

from ..ledger.conftest import Books as LedgerBooks
from ..ledger.conftest import eur


@dataclass
class Books(LedgerBooks):
    """The ledger tests' books, posting with a source document and transferring between funds."""

    def post(self, day: date, *lines: tuple, description: str = "Test entry", source=None):
        with transaction(self.session):
            return services.post_entry(
                self.session, booking_date=day, description=description, actor=self.actor,
                source=source, lines=[Line(self[code], fund, eur(amount))
                                      for code, fund, amount in lines])

    def transfer(self, day: date, from_fund: Fund, to_fund: Fund, amount: str):
        with transaction(self.session):
            return services.transfer_between_funds(
                self.session, from_fund=from_fund, to_fund=to_fund, amount=eur(amount),
                booking_date=day, description="Transfer", actor=self.actor)


@pytest.fixture
def books(session, users):
    actor = users["treasurer"]
    with transaction():
        berlin = services.create_fund(session, code="BER", name="Python Users Berlin", actor=actor)
        munich = services.create_fund(session, code="MUC", name="PyMunich", actor=actor)
    accounts = {a.code: a for a in session.scalars(select(Account))}
    return Books(session, actor, accounts, services.general_fund(session), berlin, munich)


@pytest.fixture
def hand_ledger(books):
    """The small ledger whose figures the tests compute by hand (see test_statements)."""
    b = books
    b.post(date(2025, 6, 1), ("1200", b.berlin, "1000"), ("4100", b.berlin, "-1000"),
           description="Donation to Berlin")
    b.post(date(2025, 9, 1), ("5100", b.berlin, "200"), ("1200", b.berlin, "-200"),
           description="Venue", source=("manual", None))
    b.post(date(2026, 1, 15), ("1200", b.general, "500"), ("4000", b.general, "-500"),
           description="Membership fees")
    b.post(date(2026, 2, 10), ("1200", b.munich, "300"), ("4100", b.munich, "-300"),
           description="Donation to Munich")
    b.post(date(2026, 3, 5), ("5500", b.general, "120"), ("2000", b.general, "-120"),
           description="Hosting invoice")
    b.post(date(2026, 4, 1), ("5000", b.munich, "100"), ("1200", b.munich, "-100"),
           description="Grant paid")
    b.transfer(date(2026, 5, 1), b.general, b.berlin, "50")
    return b
